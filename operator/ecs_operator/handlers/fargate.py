"""The local Fargate provisioner: a right-sized node per Fargate task, bound like a scheduler would.

Active only with ECS_OPERATOR_FARGATE_PROVISIONER=kwok (the local cluster). Pods that
ask for the `ecs-operator-fargate` scheduler are ignored by the default scheduler; this
handler creates their node, binds them to it, and deletes the node once the task is gone.
On EKS the real Fargate scheduler does this and the handler stays idle.
"""

from __future__ import annotations

import os
from typing import Any

import kopf

from ..kube import Conflict, NotFound
from ..render.capacity import FARGATE_SCHEDULER, LOCAL_FARGATE
from ..render.fargate import build_binding, build_fargate_node, fargate_node_name
from .runtime import kube

__all__ = ["fargate_pod_event"]


def _enabled() -> bool:
    return os.environ.get("ECS_OPERATOR_FARGATE_PROVISIONER") == LOCAL_FARGATE


@kopf.on.event("", "v1", "pods", field="spec.schedulerName", value=FARGATE_SCHEDULER)
def fargate_pod_event(event: dict[str, Any], body: kopf.Body, **_: Any) -> None:
    if not _enabled():
        return
    pod = dict(body)
    client = kube()
    node = fargate_node_name(pod)
    phase = (pod.get("status") or {}).get("phase")
    if event.get("type") == "DELETED" or phase in ("Succeeded", "Failed"):
        client.delete("v1", "Node", None, node)
        return
    if pod["metadata"].get("deletionTimestamp") or (pod.get("spec") or {}).get("nodeName"):
        return
    if (pod.get("spec") or {}).get("schedulingGates"):
        return  # not ready to be placed yet (e.g. waiting for its secrets)
    client.apply(build_fargate_node(pod))
    meta = pod["metadata"]
    try:
        client.request(
            "POST", f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}/binding", body=build_binding(pod, node)
        )
    except (Conflict, NotFound):
        pass  # already bound, or gone


@kopf.on.startup()
def sweep_orphan_fargate_nodes(**_: Any) -> None:
    """Nodes whose task went away while the operator was down."""
    if not _enabled():
        return
    client = kube()
    live = {
        p["metadata"]["uid"]
        for p in client.list("v1", "Pod")
        if (p.get("spec") or {}).get("schedulerName") == FARGATE_SCHEDULER
        and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
    }
    for node in client.list(
        "v1",
        "Node",
        labels={"eks.amazonaws.com/compute-type": "fargate", "app.kubernetes.io/managed-by": "ecs-operator"},
    ):
        if node["metadata"].get("annotations", {}).get("ecs.operator.dev/fargate-pod-uid") not in live:
            client.delete("v1", "Node", None, node["metadata"]["name"])
