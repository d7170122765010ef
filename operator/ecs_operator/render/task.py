"""ECSTask (RunTask and scheduled tasks): what to create, and the ECS story of each task.

A standalone ECS task runs once. ECS never restarts or replaces it: when an essential container
exits the task stops, and `describe-tasks` shows how (exit codes, stopCode, stoppedReason) for a
while. So each task is a bare Pod with ``restartPolicy: Never``, named ``<ecstask>-<index>`` and
owned by the ECSTask, never a Job: a Job retries and replaces failed pods (or kills the
siblings when one fails), which would hide exactly the per-task lifecycle ECS shows. The
ECSTask's status is the record (``status.tasks``, shaped like `describe-tasks`), so a pod can be
deleted as soon as its task stopped with its story written down.

A task with ``schedule`` is an EventBridge rule that runs the task definition ``count`` times
per firing: a CronJob whose Jobs never retry (``backoffLimit: 0``, or per index when
``count > 1``, so one failed task does not stop its siblings). Its pods are tasks too and appear
in ``status.tasks`` with the run (Job) they belong to; ``status.runs`` summarises the runs.

Everything here is pure: the handler passes the pods, Jobs, previous status and ``now`` in,
and gets back what to create, what to delete and the new status.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..models import ECSClusterSpec, ECSTaskSpec, TaskDefinitionSpec
from ..vocabulary import (
    ANNOTATION_ECSTASK,
    ANNOTATION_PROVIDER_NAME,
    ANNOTATION_REFERENCE_ID,
    ANNOTATION_SCHEDULE_EXPRESSION,
    ANNOTATION_STARTED_BY,
    LABEL_CLUSTER,
    LABEL_TASK,
    LABEL_TASK_INDEX,
)
from . import names
from .capacity import CapacityProviderError, apply_profile, effective_strategy, implicit_profile, split_tasks
from .meta import owner_reference, standard_labels
from .placement import apply_placement
from .pod import PodTemplateResult, render_pod_template
from .schedule import ScheduleError, to_cronjob_schedule
from .tags import propagated_annotations, tag_annotations
from .warnings import RenderWarning, dedupe

__all__ = [
    "ANNOTATION_ECSTASK",
    "LABEL_TASK_INDEX",
    "TaskRender",
    "cronjob_name",
    "render_task",
    "task_label",
    "task_pod_name",
]

CRONJOB_NAME_MAX = 52  # the CronJob controller appends -<11 digits> for its Jobs

Obj = dict[str, Any]


def task_label(name: str) -> str:
    """The ``ecs.operator.dev/task`` label value of an ECSTask's pods and Jobs."""
    return names.label_value(name)


def task_pod_name(name: str, index: int) -> str:
    return f"{name}-{index}"


# -- rendering ---------------------------------------------------------------------------------


@dataclass
class TaskRender:
    """The pod template of the task (after overrides, tags, placement) and, when scheduled, the CronJob."""

    owner: Mapping[str, Any]
    cluster: str
    template: Obj
    pod: PodTemplateResult
    warnings: list[RenderWarning] = field(default_factory=list)
    cronjob: Obj | None = None
    cron_schedule: str | None = None
    # capacity providers: task index -> (provider name, its pod template); empty without a strategy
    providers: list[tuple[str, Obj]] = field(default_factory=list)

    def provider_of(self, index: int) -> str | None:
        return self.providers[index][0] if index < len(self.providers) else None

    def task_pod(self, index: int) -> Obj:
        """Task number ``index`` as a Pod owned by the ECSTask."""
        meta = self.owner["metadata"]
        chosen = self.providers[index][1] if index < len(self.providers) else self.template
        template = copy.deepcopy(chosen)
        if index < len(self.providers):
            template["metadata"].setdefault("annotations", {})[ANNOTATION_PROVIDER_NAME] = self.providers[index][0]
        pod_meta = template["metadata"]
        pod_meta["labels"][LABEL_TASK_INDEX] = str(index)
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": task_pod_name(meta["name"], index),
                "namespace": meta["namespace"],
                "labels": pod_meta["labels"],
                "annotations": pod_meta["annotations"],
                "ownerReferences": [owner_reference(self.owner)],
            },
            "spec": template["spec"],
        }


def _unsupported(spec: ECSTaskSpec) -> list[RenderWarning]:
    out = []
    if spec.network_configuration is not None:
        out.append(
            RenderWarning(
                "networkConfiguration",
                "pods use the cluster network; subnets, security groups and public IPs are not applied",
                "unsupported",
            )
        )
    if spec.platform_version:
        out.append(
            RenderWarning("platformVersion", "there is no Fargate platform version on Kubernetes", "unsupported")
        )
    if spec.enable_execute_command:
        out.append(RenderWarning("enableExecuteCommand", "use `kubectl exec` into the task's pod", "approximated"))
    if spec.volume_configurations:
        out.append(
            RenderWarning(
                "volumeConfigurations",
                "EBS volumes configured at launch are not provisioned for standalone tasks",
                "unsupported",
            )
        )
    return out


def _provider_templates(
    template: Obj,
    spec: ECSTaskSpec,
    td: TaskDefinitionSpec,
    count: int,
    cluster: str,
    cluster_spec: ECSClusterSpec | None,
    fargate_provisioner: str | None,
    warnings: list[RenderWarning],
) -> list[tuple[str, Obj]]:
    """RunTask's capacity provider split: task i goes to the provider ECS's base/weight arithmetic gives it."""
    strategy = effective_strategy(
        spec.capacity_provider_strategy,
        spec.launch_type,
        cluster_spec.default_capacity_provider_strategy if cluster_spec else None,
    )
    if not strategy:
        return []
    out: list[tuple[str, Obj]] = []
    for share in split_tasks(count, strategy):
        assert share.provider is not None
        profile = cluster_spec.provider(share.provider) if cluster_spec else implicit_profile(share.provider)
        if profile is None:
            raise CapacityProviderError(
                f"capacityProviderStrategy: capacity provider '{share.provider}' is not "
                f"associated with cluster {cluster}"
            )
        steered, profile_warnings = apply_profile(
            template,
            profile,
            cluster=cluster,
            task_cpu_units=td.cpu_units,
            task_memory_mib=td.memory_mib,
            fargate_provisioner=fargate_provisioner,
        )
        warnings.extend(profile_warnings)
        out.extend([(share.provider, steered)] * share.count)
    return out


def _zone_check(zone: str | None) -> None:
    if not zone:
        return
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"timezone: unknown time zone {zone!r} (use an IANA name such as Europe/Lisbon)") from None


def render_task(
    owner: Mapping[str, Any],
    spec: ECSTaskSpec,
    td: TaskDefinitionSpec,
    *,
    family: str,
    revision: int,
    cluster: str,
    node_labels: Sequence[Mapping[str, str]] = (),
    cluster_spec: ECSClusterSpec | None = None,
    fargate_provisioner: str | None = None,
) -> TaskRender:
    """`spec` is an ECSTaskSpec, `td` the TaskDefinitionSpec of `family:revision`, `cluster_spec` the
    ECSClusterSpec whose capacity providers launchType / capacityProviderStrategy refer to.

    Raises ScheduleError for a schedule a CronJob cannot express, and what render_pod_template
    raises (QuerySyntaxError, DependencyCycleError, SpecError from overrides).
    """
    name = owner["metadata"]["name"]
    group = spec.group or f"family:{family}"
    pod = render_pod_template(
        td,
        family=family,
        revision=revision,
        overrides=spec.overrides,
        for_service=False,
        node_labels=node_labels,
        task_group=group,
        restart_policy="Never",
    )
    warnings = list(pod.warnings)
    selector = {LABEL_TASK: task_label(name)}
    template, placement_warnings = apply_placement(
        pod.template,
        task_constraints=td.placement_constraints,
        constraints=spec.placement_constraints,
        strategies=spec.placement_strategy,
        selector_labels=selector,
        node_labels=node_labels,
    )
    warnings.extend(placement_warnings)
    meta = template.setdefault("metadata", {})
    meta["labels"] = {**meta.get("labels", {}), LABEL_CLUSTER: cluster, **selector}
    annotations = dict(meta.get("annotations", {}))
    annotations.update(propagated_annotations(spec.propagate_tags, None, td.tags, warnings))
    annotations.update(tag_annotations({t.key: t.value or "" for t in spec.tags or ()}, "tags", warnings))
    annotations[ANNOTATION_ECSTASK] = name
    if spec.started_by:
        annotations[ANNOTATION_STARTED_BY] = spec.started_by
    if spec.reference_id:
        annotations[ANNOTATION_REFERENCE_ID] = spec.reference_id
    meta["annotations"] = dict(sorted(annotations.items()))
    template.setdefault("spec", {})["restartPolicy"] = "Never"
    warnings.extend(_unsupported(spec))
    result = TaskRender(owner=owner, cluster=cluster, template=template, pod=pod)
    result.providers = _provider_templates(
        template, spec, td, spec.task_count, cluster, cluster_spec, fargate_provisioner, warnings
    )
    if spec.schedule:
        schedule = to_cronjob_schedule(spec.schedule)
        _zone_check(spec.timezone)
        warnings.extend(schedule.warnings)
        result.cron_schedule = schedule.schedule
        if len({provider for provider, _ in result.providers}) > 1:
            warnings.append(
                RenderWarning(
                    "capacityProviderStrategy",
                    "a scheduled task runs every task of a run on the first provider of its strategy",
                    "approximated",
                )
            )
        job_template = result.providers[0][1] if result.providers else template
        result.cronjob = _cronjob(owner, spec, job_template, schedule.schedule, cluster)
    elif spec.timezone:
        warnings.append(RenderWarning("timezone", "only used with schedule", "unsupported"))
    result.warnings = dedupe(warnings)
    return result


def cronjob_name(name: str) -> str:
    return names.dns_label(name, CRONJOB_NAME_MAX)


def _cronjob(owner: Mapping[str, Any], spec: ECSTaskSpec, template: Obj, schedule: str, cluster: str) -> Obj:
    name = owner["metadata"]["name"]
    count = spec.task_count
    job_spec: Obj = {"parallelism": count, "completions": count}
    if count > 1:
        # Each task is an index that is never retried and whose failure leaves the others alone.
        job_spec.update({"completionMode": "Indexed", "backoffLimitPerIndex": 0})
    else:
        job_spec["backoffLimit"] = 0
    job_spec["template"] = copy.deepcopy(template)
    labels = {LABEL_TASK: task_label(name), LABEL_CLUSTER: cluster}
    cron_spec: Obj = {
        "schedule": schedule,
        "suspend": spec.desired_status == "STOPPED",
        "concurrencyPolicy": "Allow",  # EventBridge starts a run whether or not the last one finished
        "successfulJobsHistoryLimit": 3,
        "failedJobsHistoryLimit": 3,
        "jobTemplate": {"metadata": {"labels": labels, "annotations": {ANNOTATION_ECSTASK: name}}, "spec": job_spec},
    }
    if spec.timezone:
        cron_spec["timeZone"] = spec.timezone
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {
            "name": cronjob_name(name),
            "namespace": owner["metadata"]["namespace"],
            "labels": standard_labels(name, "scheduled-task", labels),
            "annotations": {ANNOTATION_SCHEDULE_EXPRESSION: spec.schedule, ANNOTATION_ECSTASK: name},
            "ownerReferences": [owner_reference(owner)],
        },
        "spec": cron_spec,
    }
