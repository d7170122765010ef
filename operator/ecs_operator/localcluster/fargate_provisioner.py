"""The local Fargate provisioner: a right-sized kwok node per Fargate task, bound like a scheduler would.

Local-cluster machinery, registered only when ECS_OPERATOR_FARGATE_PROVISIONER=kwok (which
``ecs-operator run`` turns on by itself against the local control plane). Pods that ask for the
``ecs-operator-fargate`` scheduler are ignored by the default scheduler; this creates their
node, binds them to it, and deletes the node once the task is gone. On EKS the real Fargate
scheduler does this and nothing here is loaded.

A pod annotated ``ecs.operator.dev/kwok-fargate-capacity-unavailable: "true"`` (set through task
definition tags and propagateTags, like the kwok stages' annotations) gets no node: it is marked
unschedulable, as when Fargate has no capacity for it, so tests can see ECS's "Capacity is
unavailable" event.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import kopf

from ..kube import Conflict, Kube, NotFound
from ..kube.errors import NotLeader
from ..render.capacity import FARGATE_SCHEDULER
from ..render.fargate import build_binding, build_fargate_node, fargate_node_name
from ..vocabulary import ANNOTATION_FARGATE_POD_UID, LABEL_MANAGED_BY, MANAGED_BY

__all__ = ["register"]

COMPUTE_TYPE_LABEL = "eks.amazonaws.com/compute-type"
NO_CAPACITY_ANNOTATION = "ecs.operator.dev/kwok-fargate-capacity-unavailable"


class FargateProvisioner:
    def __init__(self, kube: Kube, owns: Callable[[str], bool]) -> None:
        self._kube = kube
        self._owns = owns  # sharding: the replica that owns the pod's namespace places it

    def pod_event(self, event: kopf.RawEvent, body: kopf.Body, **_: Any) -> None:
        pod = dict(body)
        if not self._owns(pod["metadata"]["namespace"]):
            return
        node = fargate_node_name(pod)
        phase = (pod.get("status") or {}).get("phase")
        if event.get("type") == "DELETED" or phase in ("Succeeded", "Failed"):
            self._kube.delete("v1", "Node", None, node)
            return
        spec = pod.get("spec") or {}
        if pod["metadata"].get("deletionTimestamp") or spec.get("nodeName"):
            return
        if spec.get("schedulingGates"):
            return  # not ready to be placed yet (e.g. waiting for its secrets)
        meta = pod["metadata"]
        if (meta.get("annotations") or {}).get(NO_CAPACITY_ANNOTATION) == "true":
            self._no_capacity(pod)
            return
        self._kube.apply(build_fargate_node(pod))
        with contextlib.suppress(Conflict, NotFound):  # already bound, or gone
            self._kube.request(
                "POST",
                f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}/binding",
                body=build_binding(pod, node),
            )

    def _no_capacity(self, pod: dict[str, Any]) -> None:
        conditions = (pod.get("status") or {}).get("conditions") or []
        if any(c.get("type") == "PodScheduled" and c.get("reason") == "Unschedulable" for c in conditions):
            return
        meta = pod["metadata"]
        condition = {
            "type": "PodScheduled",
            "status": "False",
            "reason": "Unschedulable",
            "message": "Fargate capacity is unavailable for this pod (local stand-in, by annotation).",
        }
        with contextlib.suppress(NotFound):
            self._kube.request(
                "PATCH",
                f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}/status",
                body={"status": {"conditions": [condition]}},
                content_type="application/strategic-merge-patch+json",
            )

    def sweep_orphan_nodes(self, **_: Any) -> None:
        """Nodes whose task went away while the operator was down (a replica that holds no shard yet
        leaves them to one that does)."""
        with contextlib.suppress(NotLeader):
            self._sweep()

    def _sweep(self) -> None:
        live = {
            p["metadata"]["uid"]
            for p in self._kube.list("v1", "Pod")
            if (p.get("spec") or {}).get("schedulerName") == FARGATE_SCHEDULER
            and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
        }
        nodes = self._kube.list("v1", "Node", labels={COMPUTE_TYPE_LABEL: "fargate", LABEL_MANAGED_BY: MANAGED_BY})
        for node in nodes:
            if node["metadata"].get("annotations", {}).get(ANNOTATION_FARGATE_POD_UID) not in live:
                self._kube.delete("v1", "Node", None, node["metadata"]["name"])


def register(registry: kopf.OperatorRegistry, kube: Kube, owns: Callable[[str], bool] = lambda _: True) -> None:
    provisioner = FargateProvisioner(kube, owns)
    kopf.on.event(
        "", "v1", "pods", field="spec.schedulerName", value=FARGATE_SCHEDULER, id="fargate-pod", registry=registry
    )(provisioner.pod_event)
    kopf.on.startup(id="sweep-orphan-fargate-nodes", registry=registry)(provisioner.sweep_orphan_nodes)
