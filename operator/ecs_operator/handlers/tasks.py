"""ECSTask: RunTask (a Pod per task, run once) and scheduled tasks (a CronJob).

Every trigger (spec change, a pod or Job of the task, a new TaskDefinition revision, a
timer) lands in :func:`reconcile_task`: read the ECSTask, launch the tasks never launched,
work out each task's ECS state from its pod (render/task.py), write status, and only then
delete the pods of stopped tasks, so the status is the record of how each task ended.

StopTask is ``spec.desiredStatus: STOPPED`` or deleting the ECSTask; either way the tasks
stop with stopCode UserInitiated (a finalizer holds a deleted ECSTask until its pods are gone).
Stopped tasks stay in status for ECS_OPERATOR_STOPPED_TASK_RETENTION seconds (default 3600,
as ECS keeps them about an hour); a pod that ended by itself is kept as long, for `kubectl logs`.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import kopf

from ..kube import Conflict, NotFound
from ..kube.events import post_event
from ..kube.lookups import find_task_definition, list_revisions, node_label_inventory
from ..models import SpecError, parse_task, parse_task_definition
from ..render.capacity import CapacityProviderError
from ..render.dependencies import DependencyCycleError
from ..render.meta import API_VERSION, GROUP, LABEL_TASK
from ..render.query import QueryError
from ..render.revision import parse_reference, spec_digest
from ..render.schedule import ScheduleError
from ..render.task import (
    ANNOTATION_ECSTASK,
    TaskObservation,
    compute_task_status,
    cronjob_name,
    indices_to_launch,
    render_task,
    task_label,
)
from . import cache
from .applier import applier
from .clusters import cluster_spec_for
from .dependencies import apply_pod_dependencies, on_resource_available, release_pods
from .errors import DependencyMissing, InvalidSpec, kopf_errors
from .reporting import report_problem, utcnow, write_status
from .runtime import Reconciler, kube

__all__ = ["reconcile_task", "tasks", "stopped_task_retention"]

log = logging.getLogger("ecs_operator.tasks")

RESYNC_SECONDS = 60.0
DEPENDENCY_RECHECK_SECONDS = 10.0
DEFAULT_RETENTION_SECONDS = 3600.0
RENDER_ERRORS = (QueryError, DependencyCycleError, SpecError, ScheduleError, CapacityProviderError)
IMMUTABLE_WARNING = "spec: tasks already launched do not change"


def stopped_task_retention() -> float:
    """ECS_OPERATOR_STOPPED_TASK_RETENTION seconds (default 3600)."""
    try:
        return max(0.0, float(os.environ.get("ECS_OPERATOR_STOPPED_TASK_RETENTION", DEFAULT_RETENTION_SECONDS)))
    except ValueError:
        return DEFAULT_RETENTION_SECONDS


def _launch_digest(spec: dict[str, Any]) -> str:
    """What a launched task was started from (desiredStatus excluded: it is StopTask)."""
    return spec_digest({k: v for k, v in spec.items() if k != "desiredStatus"})


def reconcile_task(namespace: str, name: str) -> float | None:
    client = kube()
    try:
        body = client.get(API_VERSION, "ECSTask", namespace, name)
    except NotFound:
        tasks.forget(namespace, name)
        return None
    previous = body.get("status") or {}
    raw_spec = body.get("spec") or {}
    try:
        spec = parse_task(raw_spec)
    except SpecError as exc:
        report_problem(body, "InvalidSpec", str(exc))
        raise
    try:
        family, pinned = parse_reference(spec.task_definition)
    except ValueError as exc:
        report_problem(body, "InvalidSpec", str(exc))
        raise InvalidSpec(str(exc)) from exc
    deleting = bool(body["metadata"].get("deletionTimestamp"))
    desired = "STOPPED" if deleting or spec.desired_status == "STOPPED" else "RUNNING"
    scheduled = spec.schedule is not None
    now = utcnow()
    selector = {LABEL_TASK: task_label(name)}
    pods = [p for p in client.list("v1", "Pod", namespace, labels=selector) if _mine(p, name)]

    launch = [] if scheduled or desired == "STOPPED" else indices_to_launch(spec.task_count, previous, pods)
    rendered = None
    task_definition = previous.get("taskDefinition")
    problems: list[str] = []
    if launch or (scheduled and not deleting):
        revision, td_spec = _resolve(body, namespace, family, pinned)
        task_definition = f"{family}:{revision}"
        constraints = [*(spec.placement_constraints or ()), *(td_spec.placement_constraints or ())]
        node_labels = node_label_inventory(client) if any(c.expression for c in constraints) else []
        try:
            cluster_spec = cluster_spec_for(namespace, spec.cluster_name)
        except DependencyMissing as exc:
            report_problem(body, "ClusterNotFound", str(exc))
            raise
        try:
            rendered = render_task(
                body,
                spec,
                td_spec,
                family=family,
                revision=revision,
                cluster=spec.cluster_name,
                node_labels=node_labels,
                cluster_spec=cluster_spec,
                fargate_provisioner=os.environ.get("ECS_OPERATOR_FARGATE_PROVISIONER"),
            )
        except RENDER_ERRORS as exc:
            message = str(exc) if isinstance(exc, ScheduleError) else f"taskDefinition {family}:{revision}: {exc}"
            report_problem(body, "InvalidSpec", message)
            raise InvalidSpec(message) from exc
        problems = apply_pod_dependencies(body, rendered.pod)
        if rendered.cronjob is not None:
            applier.apply(body, rendered.cronjob)

    launched_now = []
    for index in launch:
        assert rendered is not None
        try:
            client.create(rendered.task_pod(index))
        except Conflict:
            pass  # created by an earlier round whose status write was lost: it is ours all the same
        launched_now.append(index)
    if launched_now:
        pods = [p for p in client.list("v1", "Pod", namespace, labels=selector) if _mine(p, name)]
    release_pods(body, pods)

    jobs: list[dict[str, Any]] = []
    cronjob = None
    if scheduled:
        jobs = client.list("batch/v1", "Job", namespace, labels=selector)
        cronjob = client.get_or_none("batch/v1", "CronJob", namespace, cronjob_name(name))
        if cronjob is not None and desired == "STOPPED" and not (cronjob.get("spec") or {}).get("suspend"):
            client.patch("batch/v1", "CronJob", namespace, cronjob["metadata"]["name"], {"spec": {"suspend": True}})

    warnings = (
        [f"{w.path}: {w.reason}" for w in rendered.warnings]
        if rendered
        else [w for w in previous.get("warnings") or [] if not w.startswith(IMMUTABLE_WARNING)]
    )
    digest = previous.get("launchSpec")
    if launched_now or digest is None:
        digest = _launch_digest(raw_spec)
    elif not scheduled and digest != _launch_digest(raw_spec):
        warnings.append(
            f"{IMMUTABLE_WARNING} (an ECS task is immutable); only desiredStatus STOPPED applies "
            "to them. Create a new ECSTask to run with the new spec"
        )
    strategy = spec.capacity_provider_strategy or []
    observation = TaskObservation(
        name=name,
        cluster=spec.cluster_name,
        task_definition=task_definition,
        count=spec.task_count,
        desired_status=desired,
        pods=pods,
        now=now,
        retention_seconds=stopped_task_retention(),
        group=spec.group or f"family:{family}",
        started_by=spec.started_by,
        launch_type=spec.launch_type,
        capacity_provider=strategy[0].capacity_provider if strategy else None,
        scheduled=scheduled,
        jobs=jobs,
        cronjob=cronjob,
        schedule=spec.schedule,
        cron_schedule=rendered.cron_schedule if rendered else (previous.get("schedule") or {}).get("cronJobSchedule"),
        timezone=spec.timezone,
        launched_now=launched_now,
        generation=body["metadata"].get("generation"),
        warnings=warnings,
    )
    plan = compute_task_status(observation, previous)
    status = plan.status
    status["launchSpec"] = digest
    status["problem"] = None
    status["dependencyProblems"] = problems or None
    if status != {k: previous.get(k) for k in status} or previous.get("problem"):
        try:
            write_status(body, status)
        except NotFound:  # deleted meanwhile (its namespace went): nothing left to record on
            tasks.forget(namespace, name)
            return None
    for pod_name, uid in plan.delete:  # after the status records how each of them ended
        client.delete("v1", "Pod", namespace, pod_name, uid=uid or None)
    for message, warning in plan.events:
        post_event(
            client, body, reason="TaskStopped" if "stop" in message else "TaskEvent", message=message, warning=warning
        )
    for message in problems:
        if message not in (previous.get("dependencyProblems") or []):
            post_event(client, body, reason="TaskDependencyMissing", message=message, warning=True)

    if deleting:
        remaining = [
            p
            for p in pods
            if (p["metadata"]["name"], p["metadata"].get("uid", "")) not in plan.delete
            and not p["metadata"].get("deletionTimestamp")
        ]
        return 1.0 if remaining else None
    delay = RESYNC_SECONDS
    if plan.next_check is not None:
        delay = min(delay, max(0.5, (plan.next_check - utcnow()).total_seconds() + 0.5))
    if problems:
        delay = min(delay, DEPENDENCY_RECHECK_SECONDS)
    if plan.delete:
        delay = min(delay, 2.0)
    return delay


def _mine(pod: dict[str, Any], name: str) -> bool:
    """The label value can be a hash of a long name; the annotation has the name itself."""
    return (pod["metadata"].get("annotations") or {}).get(ANNOTATION_ECSTASK, name) == name


def _resolve(body: dict[str, Any], namespace: str, family: str, pinned: int | None) -> tuple[int, Any]:
    client = kube()
    td = find_task_definition(client, namespace, family)
    revisions = list_revisions(client, namespace, td["metadata"]["name"]) if td else []
    wanted = pinned if pinned is not None else (revisions[-1].number if revisions else None)
    by_number = {r.number: r for r in revisions}
    if wanted is None or wanted not in by_number:
        what = f"TaskDefinition {family}" + (f" revision {pinned}" if pinned else "")
        message = f"taskDefinition: {what} not found in namespace {namespace}"
        report_problem(body, "TaskDefinitionNotFound", message)
        raise DependencyMissing(message, delay=10)
    try:
        return wanted, parse_task_definition(by_number[wanted].spec)
    except SpecError as exc:
        message = f"taskDefinition {family}:{wanted} is invalid: {exc}"
        report_problem(body, "TaskDefinitionInvalid", message)
        raise DependencyMissing(message, delay=10) from exc


tasks = Reconciler("ECSTask", reconcile_task)
on_resource_available("ECSTask", lambda namespace, name: tasks.later(namespace, name, 0))


@kopf.on.resume(GROUP, "v1alpha1", "ecstasks", backoff=5)
@kopf.on.create(GROUP, "v1alpha1", "ecstasks", backoff=5)
@kopf.on.update(GROUP, "v1alpha1", "ecstasks", field="spec", backoff=5)
@kopf_errors
def task_changed(namespace: str, name: str, **_: Any) -> None:
    tasks.run(namespace, name, raise_errors=True)


@kopf.on.delete(GROUP, "v1alpha1", "ecstasks", backoff=2)
@kopf_errors
def task_deleted(namespace: str, name: str, **_: Any) -> None:
    """Deleting an ECSTask is StopTask for all its tasks: they stop (UserInitiated) before it goes."""
    tasks.run(namespace, name, raise_errors=True)
    remaining = kube().list("v1", "Pod", namespace, labels={LABEL_TASK: task_label(name)})
    if [p for p in remaining if _mine(p, name)]:
        tasks.later(namespace, name, 0.5)
        raise DependencyMissing(f"stopping: {len(remaining)} tasks still running", delay=1)
    tasks.forget(namespace, name)
    applier.forget_owner(namespace, name)


@kopf.on.event("", "v1", "pods", labels={LABEL_TASK: kopf.PRESENT})
async def task_pod_event(
    event: dict[str, Any],
    body: kopf.Body,
    namespace: str,
    labels: dict[str, str],
    annotations: dict[str, str],
    **_: Any,
) -> None:
    """A task changed state: record it (and stop the task if an essential container exited)."""
    cache.task_pods.observe(event.get("type"), body)
    name = annotations.get(ANNOTATION_ECSTASK) or labels[LABEL_TASK]
    tasks.later(namespace, name, 0.2)  # folds a burst of pod events into one reconcile


@kopf.on.event("batch", "v1", "jobs", labels={LABEL_TASK: kopf.PRESENT})
async def task_job_event(namespace: str, labels: dict[str, str], annotations: dict[str, str], **_: Any) -> None:
    """A scheduled run started or finished."""
    name = annotations.get(ANNOTATION_ECSTASK) or labels[LABEL_TASK]
    tasks.later(namespace, name, 0.2)


@kopf.on.event(GROUP, "v1alpha1", "taskdefinitions")
def task_definition_event(namespace: str, name: str, body: kopf.Body, **_: Any) -> None:
    """A new revision: scheduled tasks following the family re-render their CronJob; tasks waiting
    for a missing TaskDefinition start."""
    family = str((body.get("spec") or {}).get("family") or name)
    for task in kube().list(API_VERSION, "ECSTask", namespace):
        ref = str((task.get("spec") or {}).get("taskDefinition", ""))
        ref = ref.split(":task-definition/", 1)[-1]
        status = task.get("status") or {}
        waiting = status.get("problem") is not None or not status.get("taskDefinition")
        if ref == family and ((task.get("spec") or {}).get("schedule") or waiting):
            tasks.later(namespace, task["metadata"]["name"], 0.5)
