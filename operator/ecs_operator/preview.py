"""What a set of ECS resources becomes on Kubernetes, without a cluster (``ecs-operator render``).

The operator decides a service's objects with :func:`render.service.render_service` and a task's
with :func:`render.task.render_task`; this module calls the same functions on manifests read from
files, standing in for what only a cluster knows:

* the owner's uid is ``00000000-0000-0000-0000-000000000000`` and the namespace is the
  manifest's, else ``--namespace``, else ``default``;
* the revision is 1, unless the service or task pins ``family:N`` or the TaskDefinition manifest
  carries ``status.revision``;
* the ECSCluster (capacity providers) is taken from the input when it is there; without it a
  cluster is rendered as having no profiles (FARGATE and FARGATE_SPOT still work, as on ECS);
* there are no nodes, so a ``memberOf`` regular expression matches no node label.

A TaskDefinition that no service or task of the input uses becomes the Pod one task of it would
run. Every field that could not be rendered exactly comes back as a warning naming the resource
and the ECS field path. Pure: manifests in, objects out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from .convert import Converted, ConvertError, Problem
from .models import (
    ECSClusterSpec,
    ECSServiceSpec,
    ECSTaskSpec,
    SpecError,
    TaskDefinitionSpec,
    parse_task_definition_ref,
)
from .render.capacity import CapacityProviderError
from .render.dependencies import DependencyCycleError
from .render.pod import PodTemplateResult, render_pod_template
from .render.query import QueryError
from .render.service import render_service
from .render.warnings import RenderWarning
from .vocabulary import API_VERSION

__all__ = ["FAKE_UID", "IRSA_ANNOTATION", "Preview", "PreviewWarning", "preview"]

FAKE_UID: Final = "00000000-0000-0000-0000-000000000000"
IRSA_ANNOTATION: Final = "eks.amazonaws.com/role-arn"
DEFAULT_NAMESPACE: Final = "default"
_RENDER_ERRORS: tuple[type[Exception], ...] = (
    QueryError,
    DependencyCycleError,
    SpecError,
    CapacityProviderError,
    ValueError,
)


@dataclass(frozen=True)
class PreviewWarning:
    """A RenderWarning and the resource it is about (``ECSService/web``)."""

    subject: str
    warning: RenderWarning

    def __str__(self) -> str:
        w = self.warning
        return f"{self.subject}: {w.path}: {w.reason} ({w.kind})"


@dataclass
class Preview:
    """The Kubernetes objects, the warnings, and notes on what else the pods need."""

    objects: list[dict[str, Any]] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)  # for each object, the resource it comes from
    warnings: list[PreviewWarning] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def preview(
    items: Sequence[Converted], *, namespace: str | None = None, fargate_provisioner: str | None = None
) -> Preview:
    """Render every ECSService, ECSTask, and TaskDefinition nobody uses; ConvertError on spec problems."""
    result = Preview()
    problems: list[Problem] = []
    task_definitions = [(i, i.spec) for i in items if isinstance(i.spec, TaskDefinitionSpec)]
    clusters = [(i, i.spec) for i in items if isinstance(i.spec, ECSClusterSpec)]
    used: set[int] = set()
    for item in items:
        if item.spec is None:  # another Kubernetes object of the input (a Secret): shown first, as it is
            _collect(result, f"{item.kind}/{item.name}", [item.manifest], None, (), item.namespace or namespace)
    for item in items:
        spec = item.spec
        if not isinstance(spec, (ECSServiceSpec, ECSTaskSpec)):
            continue
        ns = item.namespace or namespace or DEFAULT_NAMESPACE
        subject = f"{item.kind}/{item.name}"
        try:
            ref = parse_task_definition_ref(str(item.manifest["spec"]["taskDefinition"]))
            found = _find_task_definition(task_definitions, ref.family, ns, namespace)
            if found is None:
                raise ConvertError(
                    [
                        Problem(
                            item.source,
                            "spec.taskDefinition",
                            f"TaskDefinition {ref.family!r} is not in the input: render needs the "
                            "task definition next to the services and tasks that use it",
                        )
                    ]
                )
            td_item, td_spec = found
            used.add(id(td_item))
            revision = ref.revision or _status_revision(td_item) or 1
            owner = _owner(item, ns)
            cluster = spec.cluster_name
            cluster_spec = _find_cluster(clusters, cluster, ns, namespace)
            if cluster_spec is None and cluster != "default":
                result.notes.append(
                    f"{subject}: ECSCluster {cluster!r} is not in the input; rendered as a cluster "
                    "without capacity provider profiles"
                )
            if isinstance(spec, ECSServiceSpec):
                rendered = render_service(
                    owner,
                    spec,
                    td_spec,
                    family=ref.family,
                    revision=revision,
                    cluster=cluster,
                    cluster_spec=cluster_spec,
                    fargate_provisioner=fargate_provisioner,
                )
                objects = [*rendered.objects, *rendered.traffic.objects]
                pod, warnings = rendered.pod, rendered.warnings
                for optional in rendered.traffic.optional:
                    obj = optional.object
                    result.notes.append(
                        f"{subject}: {obj['kind']} {obj['metadata']['name']} is created only where "
                        f"the cluster serves {optional.api_version} (not shown)"
                    )
            else:
                objects, pod, warnings = _task_objects(owner, spec, td_spec, ref.family, revision, cluster)
        except ConvertError as exc:
            problems.extend(exc.problems)
            continue
        except _RENDER_ERRORS as exc:
            problems.append(Problem(item.source, "", f"{subject} cannot be rendered: {exc}"))
            continue
        _collect(result, subject, objects, pod, warnings, ns)
    for td_item, td_spec in task_definitions:
        if id(td_item) in used:
            continue
        ns = td_item.namespace or namespace or DEFAULT_NAMESPACE
        subject = f"TaskDefinition/{td_item.name}"
        family = td_spec.family
        try:
            pod = render_pod_template(
                td_spec,
                family=family,
                revision=_status_revision(td_item) or 1,
                for_service=False,
                task_group=f"family:{family}",
                restart_policy="Never",
            )
        except _RENDER_ERRORS as exc:
            problems.append(Problem(td_item.source, "", f"{subject} cannot be rendered: {exc}"))
            continue
        template = pod.template
        obj = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": td_item.name, "namespace": ns, **template["metadata"]},
            "spec": template["spec"],
        }
        _collect(result, subject, [obj], pod, pod.warnings, ns)
    if problems:
        raise ConvertError(problems)
    return result


def _owner(item: Converted, namespace: str) -> dict[str, Any]:
    metadata = item.manifest["metadata"]
    return {
        "apiVersion": API_VERSION,
        "kind": item.kind,
        "metadata": {"name": metadata["name"], "namespace": namespace, "uid": metadata.get("uid") or FAKE_UID},
    }


def _task_objects(
    owner: Mapping[str, Any], spec: ECSTaskSpec, td: TaskDefinitionSpec, family: str, revision: int, cluster: str
) -> tuple[list[dict[str, Any]], PodTemplateResult, list[RenderWarning]]:
    """A task's Pods (``<name>-<index>``), or its CronJob when it has a schedule."""
    from .render.task import render_task

    rendered = render_task(owner, spec, td, family=family, revision=revision, cluster=cluster)
    if rendered.cronjob is not None:
        objects = [rendered.cronjob]
    else:
        objects = [rendered.task_pod(index) for index in range(spec.task_count)]
    return objects, rendered.pod, rendered.warnings


def _find_task_definition(
    items: Sequence[tuple[Converted, TaskDefinitionSpec]], family: str, namespace: str, default_namespace: str | None
) -> tuple[Converted, TaskDefinitionSpec] | None:
    for item, spec in items:
        if spec.family == family and (item.namespace or default_namespace or DEFAULT_NAMESPACE) == namespace:
            return item, spec
    return None


def _find_cluster(
    items: Sequence[tuple[Converted, ECSClusterSpec]], cluster: str, namespace: str, default_namespace: str | None
) -> ECSClusterSpec | None:
    for item, spec in items:
        name = spec.cluster_name or item.name
        if name == cluster and (item.namespace or default_namespace or DEFAULT_NAMESPACE) == namespace:
            return spec
    return None


def _status_revision(item: Converted) -> int | None:
    revision = (item.manifest.get("status") or {}).get("revision")
    return revision if isinstance(revision, int) and revision > 0 else None


def _collect(
    result: Preview,
    subject: str,
    objects: Sequence[dict[str, Any]],
    pod: PodTemplateResult | None,
    warnings: Sequence[RenderWarning],
    namespace: str | None,
) -> None:
    have = {(o["kind"], o["metadata"].get("name")) for o in result.objects}
    extra: list[dict[str, Any]] = []
    mine = {(o["kind"], o["metadata"].get("name")) for o in objects}
    if pod is not None and pod.service_account and ("ServiceAccount", pod.service_account) not in have | mine:
        # The operator creates the task role's ServiceAccount before the pods that use it.
        extra.append(
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {
                    "name": pod.service_account,
                    "namespace": namespace or DEFAULT_NAMESPACE,
                    "annotations": {IRSA_ANNOTATION: pod.task_role_arn or ""},
                },
            }
        )
    for obj in [*extra, *objects]:
        result.objects.append(obj)
        result.subjects.append(subject)
    result.warnings.extend(PreviewWarning(subject, w) for w in warnings)
    if pod is None:
        return
    for ref in pod.secret_refs:
        if ("Secret", ref.secret_name) not in have:
            result.notes.append(f"{subject}: needs Secret {ref.secret_name} key {ref.key} (stands in for {ref.arn})")
    for name in pod.config_maps:
        if ("ConfigMap", name) not in have:
            result.notes.append(f"{subject}: needs ConfigMap {name} (stands in for an environmentFiles object)")
    for claim in pod.efs_claims:
        result.notes.append(
            f"{subject}: uses PersistentVolumeClaim {claim.claim_name} "
            f"(EFS {claim.file_system_id}; the operator creates it and never deletes it)"
        )
    for volume_claim in pod.docker_volume_claims:
        result.notes.append(
            f"{subject}: uses PersistentVolumeClaim {volume_claim.claim_name} "
            f"(Docker volume {volume_claim.volume_name})"
        )
