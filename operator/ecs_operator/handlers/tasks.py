"""ECSTask: RunTask (a Pod per task, run once) and scheduled tasks (a CronJob); observe -> plan -> act.

Every trigger (spec change, a pod or Job of the task, a new TaskDefinition revision, a timer)
lands in :func:`reconcile_task`: read the ECSTask, launch the tasks never launched, then let
:func:`..plan.plan_task` work out each task's ECS story; the executor writes the status before
it deletes the pods of stopped tasks, so the status is the record of how each task ended.

StopTask is ``spec.desiredStatus: STOPPED`` or deleting the ECSTask; either way the tasks stop
with stopCode UserInitiated (a finalizer holds a deleted ECSTask until its pods are gone).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import kopf

from ..kube import Conflict, NotFound
from ..kube.finalizers import has_finalizer
from ..models import ECSTaskSpec, SpecError, parse_task
from ..plan import Problem, Reason, TaskSnapshot, plan_task, tasks_to_launch
from ..plan.conditions import report
from ..plan.resolve import reference, resolve_revision
from ..plan.task_definition import family_of, task_definition_ref
from ..render.errors import RenderError
from ..render.schedule import ScheduleError
from ..render.task import TaskRender, cronjob_name, render_task, task_label
from ..vocabulary import ANNOTATION_ECSTASK, GROUP, KIND_TASK, LABEL_TASK, PLURALS, VERSION
from .changes import adopt, register_changes, release
from .clock import utcnow
from .context import OperatorContext, context_of, namespaced

__all__ = ["reconcile_task", "register"]

POD_EVENT_DELAY = 0.2  # folds a burst of pod events into one reconcile
STOPPING_RECHECK_SECONDS = 1.0


def reconcile_task(ctx: OperatorContext, namespace: str, name: str) -> float | None:
    try:
        body = ctx.lookups.get(KIND_TASK, namespace, name)
    except NotFound:
        ctx.tasks.forget(namespace, name)
        return None
    deleting = bool(body["metadata"].get("deletionTimestamp"))
    if deleting and not has_finalizer(body):
        return None  # not ours to hold (deleted before its first reconcile)
    adopt(ctx, body)
    now = utcnow()
    try:
        snapshot = _observe(ctx, body, now)
    except Problem as problem:
        return ctx.executor.execute(body, report(body, problem, now)).requeue_after
    outcome = ctx.executor.execute(body, plan_task(snapshot))
    if deleting:
        return _stopped(ctx, body, outcome.requeue_after)
    if outcome.gone:
        ctx.tasks.forget(namespace, name)
    return outcome.requeue_after


def _stopped(ctx: OperatorContext, body: dict[str, Any], requeue_after: float | None) -> float | None:
    """Deleting an ECSTask is StopTask for all its tasks: it goes once they have stopped (UserInitiated).

    https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopTask.html
    """
    namespace, name = body["metadata"]["namespace"], body["metadata"]["name"]
    if _pods(ctx, namespace, name):
        return min(requeue_after or STOPPING_RECHECK_SECONDS, STOPPING_RECHECK_SECONDS)
    release(ctx, KIND_TASK, body)
    return None


def _observe(ctx: OperatorContext, body: dict[str, Any], now: datetime) -> TaskSnapshot:
    """Resolve and render when something is to be launched or scheduled, launch it, then look."""
    namespace, name = body["metadata"]["namespace"], body["metadata"]["name"]
    previous = body.get("status") or {}
    spec = _parse(body)
    family, pinned = reference(spec.task_definition)
    deleting = bool(body["metadata"].get("deletionTimestamp"))
    pods = _pods(ctx, namespace, name)
    launch = tasks_to_launch(body, spec, pods)
    rendered: TaskRender | None = None
    task_definition = previous.get("taskDefinition")
    problems: list[str] = []
    if launch or (spec.schedule is not None and not deleting):
        rendered, task_definition = _render(ctx, body, spec, family, pinned)
        problems = ctx.dependencies.apply_pod_dependencies(body, rendered.pod)
        if rendered.cronjob is not None:
            ctx.applier.apply(body, rendered.cronjob)
    for index in launch:
        assert rendered is not None
        with contextlib.suppress(Conflict):  # an earlier round whose status write was lost made it: ours
            ctx.kube.create(rendered.task_pod(index))
    if launch:
        pods = _pods(ctx, namespace, name)
    ctx.dependencies.release_pods(body, pods)
    scheduled = spec.schedule is not None
    return TaskSnapshot(
        body=body,
        spec=spec,
        family=family,
        task_definition=task_definition,
        pods=pods,
        now=now,
        retention_seconds=ctx.settings.stopped_task_retention,
        launched_now=launch,
        render_warnings=[f"{w.path}: {w.reason}" for w in rendered.warnings] if rendered else None,
        cron_schedule=rendered.cron_schedule if rendered else None,
        jobs=ctx.kube.list("batch/v1", "Job", namespace, labels={LABEL_TASK: task_label(name)}) if scheduled else (),
        cronjob=ctx.kube.get_or_none("batch/v1", "CronJob", namespace, cronjob_name(name)) if scheduled else None,
        dependency_problems=problems,
    )


def _parse(body: Mapping[str, Any]) -> ECSTaskSpec:
    try:
        return parse_task(body.get("spec") or {})
    except SpecError as exc:
        raise Problem(Reason.INVALID_SPEC, str(exc)) from exc


def _pods(ctx: OperatorContext, namespace: str, name: str) -> list[dict[str, Any]]:
    """The ECSTask's pods (the label can be a hash of a long name; the annotation has the name)."""
    pods = ctx.kube.list("v1", "Pod", namespace, labels={LABEL_TASK: task_label(name)})
    return [p for p in pods if (p["metadata"].get("annotations") or {}).get(ANNOTATION_ECSTASK, name) == name]


def _render(
    ctx: OperatorContext, body: dict[str, Any], spec: ECSTaskSpec, family: str, pinned: int | None
) -> tuple[TaskRender, str]:
    namespace = body["metadata"]["namespace"]
    td = ctx.lookups.task_definition(namespace, family)
    revisions = ctx.lookups.list_revisions(namespace, td["metadata"]["name"]) if td else []
    # the task's status names the revision it already runs: a deregistered one keeps running (ECS)
    resolved = resolve_revision(family, pinned, revisions, namespace, body.get("status") or {})
    constraints = [*(spec.placement_constraints or ()), *(resolved.spec.placement_constraints or ())]
    cluster_spec = ctx.lookups.cluster_spec(namespace, spec.cluster_name)
    try:
        rendered = render_task(
            body,
            spec,
            resolved.spec,
            family=family,
            revision=resolved.revision,
            cluster=spec.cluster_name,
            node_labels=ctx.lookups.node_labels() if any(c.expression for c in constraints) else [],
            cluster_spec=cluster_spec,
            fargate_provisioner=ctx.settings.fargate_provisioner,
        )
    except (RenderError, SpecError) as exc:
        prefix = "" if isinstance(exc, ScheduleError) else f"taskDefinition {family}:{resolved.revision}: "
        raise Problem(Reason.INVALID_SPEC, f"{prefix}{exc}") from exc
    return rendered, f"{family}:{resolved.revision}"


async def task_pod_event(
    event: kopf.RawEvent,
    body: kopf.Body,
    namespace: str | None,
    labels: Mapping[str, str],
    annotations: Mapping[str, str],
    memo: kopf.Memo,
    **_: Any,
) -> None:
    """A task changed state: record it (and stop the task if an essential container exited)."""
    namespace = namespaced(namespace)
    ctx = context_of(memo)
    ctx.caches.task_pods.observe(event.get("type"), body)
    ctx.tasks.later(namespace, annotations.get(ANNOTATION_ECSTASK) or labels[LABEL_TASK], POD_EVENT_DELAY)


async def task_job_event(
    namespace: str | None, labels: Mapping[str, str], annotations: Mapping[str, str], memo: kopf.Memo, **_: Any
) -> None:
    """A scheduled run started or finished."""
    namespace = namespaced(namespace)
    context_of(memo).tasks.later(namespace, annotations.get(ANNOTATION_ECSTASK) or labels[LABEL_TASK], POD_EVENT_DELAY)


def task_definition_event(namespace: str | None, name: str, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """A new revision: scheduled tasks following the family re-render their CronJob; tasks waiting
    for a missing TaskDefinition start."""
    namespace = namespaced(namespace)
    ctx = context_of(memo)
    family = family_of(body)
    for task in ctx.kube.list(GROUP + "/" + VERSION, KIND_TASK, namespace):
        ref = task_definition_ref(task)
        status = task.get("status") or {}
        waiting = status.get("problem") is not None or not status.get("taskDefinition")
        if ref == family and ((task.get("spec") or {}).get("schedule") or waiting):
            ctx.tasks.later(namespace, task["metadata"]["name"], 0.5)


def register(registry: kopf.OperatorRegistry) -> None:
    register_changes(registry, KIND_TASK)
    kopf.on.event("", "v1", "pods", labels={LABEL_TASK: kopf.PRESENT}, registry=registry)(task_pod_event)
    kopf.on.event("batch", "v1", "jobs", labels={LABEL_TASK: kopf.PRESENT}, registry=registry)(task_job_event)
    kopf.on.event(GROUP, VERSION, PLURALS["TaskDefinition"], id="task-definition-for-tasks", registry=registry)(
        task_definition_event
    )
