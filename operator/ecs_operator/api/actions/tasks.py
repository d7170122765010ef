"""ECS actions on tasks: RunTask, StopTask, DescribeTasks, ListTasks.

A standalone task is one record of an ECSTask (RunTask creates one ECSTask for its ``count``
tasks); a service's task is one of its pods. Task ids are pod uids without dashes. Semantics
from the API reference:

- RunTask (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html): ``count``
  1..10; a bare family runs its latest ACTIVE revision at call time (pinned as ``family:N``), an
  INACTIVE revision cannot start new tasks; ``clientToken`` (up to 64 characters) makes the call
  idempotent. ECS answers once the tasks exist (PROVISIONING / PENDING): here the call waits until
  the operator has launched them, at most :data:`LAUNCH_WAIT_SECONDS`. Tasks not launched by then
  come back in ``failures[]`` with reason ``LAUNCH_PENDING`` and a detail naming the ECSTask: they
  may still start (the ECSTask stays), and ListTasks with the same ``startedBy`` finds them.
- StopTask (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopTask.html): the task
  stops with stopCode UserInitiated and the given ``reason`` (``Task stopped by user`` by default).
  A standalone task is stopped the operator's way: an ``ecs.operator.dev/stop-task.<id>``
  annotation on its ECSTask carries the reason, then its pod is deleted (uid precondition); the
  operator records the stop. A service's task is its pod, deleted with a uid precondition: the
  Deployment starts a replacement, as ECS's service scheduler does.
- DescribeTasks (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTasks.html):
  at most 100 ids or ARNs; unknown ones in ``failures[]`` as MISSING; ``include: [TAGS]``.
- ListTasks (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTasks.html):
  filters cluster, family, serviceName, desiredStatus (RUNNING by default; PENDING matches nothing,
  as ECS never sets it), startedBy, containerInstance, launchType; 100 per page by default and at most.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ...kube.errors import Conflict
from ...kube.resources import resource_for
from ...models import SpecError, parse_task
from ...plan.cluster import cluster_reference
from ...render.names import dns_label, short_hash
from ...render.revision import parse_reference
from ...vocabulary import (
    ANNOTATION_CLIENT_TOKEN,
    ANNOTATION_REVISION_STATUS,
    ANNOTATION_STOP_TASK_PREFIX,
    API_FIELD_MANAGER,
    API_VERSION,
    KIND_TASK,
    LABEL_SERVICE,
)
from ..arns import uid_id
from ..context import Call, Handler, Response
from ..errors import (
    ClientException,
    ClusterNotFoundException,
    InvalidParameterException,
    ServiceNotFoundException,
)
from ..objects import (
    Obj,
    cluster_param,
    find_cluster,
    find_service,
    find_task_definition,
    require_cluster,
    revision_number,
    revisions_of,
    service_name,
    services_in,
)
from ..paging import page
from ..task_view import TaskSource, list_facts, present_task, task_definition_of

__all__ = ["ACTIONS", "LAUNCH_WAIT_SECONDS", "RUN_TASK_MEMBERS"]

LAUNCH_WAIT_SECONDS = 15.0
POLL_SECONDS = 0.1
MAX_DESCRIBE = 100
INACTIVE_REVISION = ("INACTIVE", "DELETE_IN_PROGRESS")
DESIRED_STATUSES = ("RUNNING", "PENDING", "STOPPED")
LAUNCH_TYPES = ("EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES")
RUN_TASK_MEMBERS = (
    "capacityProviderStrategy",
    "count",
    "enableECSManagedTags",
    "enableExecuteCommand",
    "group",
    "launchType",
    "networkConfiguration",
    "overrides",
    "placementConstraints",
    "placementStrategy",
    "platformVersion",
    "propagateTags",
    "referenceId",
    "startedBy",
    "tags",
    "volumeConfigurations",
)
"""RunTaskRequest's members that go into the ECSTask's spec as given (cluster and taskDefinition
are normalised first; clientToken is an annotation)."""


# -- finding tasks ----------------------------------------------------------------------------


def _task_id(call: Call, reference: str) -> tuple[str | None, str]:
    """(cluster named by the ARN or None, task id) of a task id or ARN."""
    if reference.startswith("arn:"):
        if call.arns.kind_of(reference) != "task":
            return None, ""
        parts = call.arns.parts(reference)
        return (parts[0] if len(parts) == 2 else None), parts[-1].lower()
    return None, reference.strip().lower()


class _Finder:
    """The tasks of one namespace, gathered from the watch caches once per call."""

    def __init__(self, call: Call) -> None:
        self.call = call
        self.gone: dict[str, list[tuple[float, Obj]]] = {}  # service -> its pods deleted lately
        for at, pod in call.caches.pods.stopped(call.namespace):
            service = (pod["metadata"].get("labels") or {}).get(LABEL_SERVICE)
            if service is not None:
                self.gone.setdefault(str(service), []).append((at, pod))
        self._definitions: dict[str, Mapping[str, Any] | None] = {}

    def definition(self, task_definition: str | None) -> Mapping[str, Any] | None:
        if not task_definition:
            return None
        if task_definition not in self._definitions:
            family, _, number = task_definition.rpartition(":")
            found = next((r for r in revisions_of(self.call, family) if str(revision_number(r)) == number), None)
            self._definitions[task_definition] = ((found or {}).get("data") or {}).get("spec")
        return self._definitions[task_definition]

    def node(self, pod: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
        name = ((pod or {}).get("spec") or {}).get("nodeName")
        return self.call.caches.nodes.get("", str(name)) if name else None

    def standalone(self, ecstask: Mapping[str, Any]) -> Iterator[TaskSource]:
        """An ECSTask's tasks: its records, then pods launched but not recorded yet."""
        cluster = cluster_reference(ecstask)
        name = ecstask["metadata"]["name"]
        seen: set[str] = set()
        for record in (ecstask.get("status") or {}).get("tasks") or []:
            task_id = str(record.get("taskArn") or "").rsplit("/", 1)[-1]
            if not task_id or task_id in seen:
                continue
            seen.add(task_id)
            pod = self.call.caches.pods.get(self.call.namespace, str(record.get("podName")))
            if pod is not None and uid_id(str(pod["metadata"].get("uid", ""))) != task_id:
                pod = None
            yield self._source(task_id, cluster, record, pod, ecstask)
        for pod in self.call.caches.pods.by("ecstask", self.call.namespace, name):
            meta = pod["metadata"]
            task_id = uid_id(str(meta.get("uid", "")))
            if task_id and task_id not in seen:
                yield self._source(task_id, cluster, None, pod, ecstask)

    def _source(
        self,
        task_id: str,
        cluster: str,
        record: Mapping[str, Any] | None,
        pod: Mapping[str, Any] | None,
        owner: Mapping[str, Any],
    ) -> TaskSource:
        task_definition = task_definition_of(record, pod)
        if task_definition is None:
            task_definition = (owner.get("status") or {}).get("taskDefinition")
        return TaskSource(
            task_id=task_id,
            cluster=cluster,
            record=record,
            pod=pod,
            node=self.node(pod),
            owner=owner,
            definition=self.definition(task_definition),
            task_definition=task_definition,
            now=self.call.now,
        )

    def service_tasks(self, service: Mapping[str, Any]) -> Iterator[TaskSource]:
        name = service["metadata"]["name"]
        cluster = cluster_reference(service)
        deployments = (service.get("status") or {}).get("deployments") or []
        running = self.call.caches.pods.by("service", self.call.namespace, name)
        live = {uid_id(str(p["metadata"].get("uid", ""))) for p in running}
        pods: list[tuple[float | None, Obj]] = [(None, p) for p in running]
        pods += [(at, p) for at, p in self.gone.get(name, []) if uid_id(str(p["metadata"].get("uid", ""))) not in live]
        for gone_at, pod in pods:
            task_definition = task_definition_of(None, pod)
            started_by = next(
                (str(d.get("id")) for d in deployments if d.get("taskDefinition") == task_definition and d.get("id")),
                None,
            )
            task_id = uid_id(str(pod["metadata"].get("uid", "")))
            yield TaskSource(
                task_id=task_id,
                cluster=cluster,
                pod=pod,
                node=self.node(pod),
                owner=service,
                definition=self.definition(task_definition),
                task_definition=task_definition,
                service=service_name(service),
                started_by=started_by,
                now=self.call.now,
                gone_at=gone_at,
                stop_reason=self.call.caches.pods.stop_reason(self.call.namespace, task_id),
            )

    def in_cluster(self, cluster: str) -> Iterator[TaskSource]:
        for ecstask in self.call.caches.tasks.select(self.call.namespace, lambda t: cluster_reference(t) == cluster):
            yield from self.standalone(ecstask)
        for service in services_in(self.call, cluster):
            yield from self.service_tasks(service)

    def by_id(self, cluster: str) -> dict[str, TaskSource]:
        return {s.task_id: s for s in self.in_cluster(cluster)}


def _read_cluster(call: Call) -> str:
    """The cluster a read names; ClusterNotFoundException unless it exists (``default`` may be implicit)."""
    name = cluster_param(call)
    if find_cluster(call, name) is None and name != "default":
        raise ClusterNotFoundException()
    return name


# -- RunTask ----------------------------------------------------------------------------------


def _revision_status(revision: Mapping[str, Any]) -> str:
    return str(((revision.get("metadata") or {}).get("annotations") or {}).get(ANNOTATION_REVISION_STATUS) or "ACTIVE")


def _pin(call: Call, reference: str) -> str:
    """family, family:N or an ARN -> the ``family:N`` the tasks run (the latest ACTIVE for a family)."""
    if not reference.strip():
        raise InvalidParameterException("taskDefinition can not be blank.")
    if reference.startswith("arn:") and call.arns.kind_of(reference) != "task-definition":
        raise InvalidParameterException(f"Invalid task definition ARN: {reference}")
    try:
        family, pinned = parse_reference(reference)
    except ValueError as exc:
        raise InvalidParameterException(f"Invalid revision number in taskDefinition: {reference}") from exc
    revisions = revisions_of(call, family)
    if pinned is None:
        active = [r for r in revisions if _revision_status(r) not in INACTIVE_REVISION]
        if active:
            return f"{family}:{revision_number(active[-1])}"
        td = find_task_definition(call, family)
        latest = ((td or {}).get("status") or {}).get("revision")
        if td is not None and not revisions and isinstance(latest, int):
            return f"{family}:{latest}"  # registered, its revision not in the cache yet
        raise InvalidParameterException("TaskDefinition not found.")
    found = next((r for r in revisions if revision_number(r) == pinned), None)
    if found is None:
        raise InvalidParameterException("TaskDefinition not found.")
    if _revision_status(found) in INACTIVE_REVISION:
        raise ClientException(
            f"TaskDefinition {family}:{pinned} is {_revision_status(found)}: it cannot run new tasks."
        )
    return f"{family}:{pinned}"


def _check_types(call: Call) -> None:
    """Wrong JSON types are SerializationException, before anything else is looked at."""
    p = call.params
    for name in ("startedBy", "group", "launchType", "platformVersion", "propagateTags", "referenceId"):
        p.string(name)
    for name in ("capacityProviderStrategy", "placementConstraints", "placementStrategy", "tags"):
        p.objects(name)
    p.objects("volumeConfigurations")
    for name in ("networkConfiguration", "overrides"):
        p.object(name)
    for name in ("enableExecuteCommand", "enableECSManagedTags"):
        p.boolean(name)


def _spec_problem(exc: SpecError) -> InvalidParameterException:
    return InvalidParameterException("; ".join(exc.messages) or str(exc))


def _ecstask_name(family: str, token: str | None) -> str:
    suffix = short_hash(token, 10) if token else uuid.uuid4().hex[:10]
    return dns_label(f"{family}-{suffix}", max_length=50)


def _launched(call: Call, obj: Mapping[str, Any]) -> list[TaskSource]:
    """The ECSTask's tasks so far: recorded in its status, or pods the operator just created."""
    return list(_Finder(call).standalone(obj))


def _invalid(obj: Mapping[str, Any]) -> str | None:
    """The operator's report that the ECSTask cannot run at all (not a passing problem)."""
    status = obj.get("status") or {}
    ready: Mapping[str, Any] = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), {})
    return str(status.get("problem")) if status.get("problem") and ready.get("reason") == "InvalidSpec" else None


def _await_launch(
    call: Call, name: str, count: int, wait: float, sleep: Callable[[float], None] = time.sleep
) -> Mapping[str, Any] | None:
    """The ECSTask once the operator has launched ``count`` tasks, reported it invalid, or ``wait`` passed."""
    deadline = time.monotonic() + wait
    while True:
        obj = call.caches.tasks.get(call.namespace, name)
        if obj is not None and (len(_launched(call, obj)) >= count or _invalid(obj)):
            return obj
        if time.monotonic() >= deadline:
            return obj
        sleep(POLL_SECONDS)


def run_task(call: Call) -> Response:
    p = call.params
    cluster = cluster_param(call)
    reference = p.require("taskDefinition")
    count = p.integer("count", low=1, high=10)
    token = p.string("clientToken")
    if token is not None and not 1 <= len(token) <= 64:
        raise InvalidParameterException("clientToken must be between 1 and 64 characters.")
    _check_types(call)
    if find_cluster(call, cluster) is None and cluster != "default":
        raise ClusterNotFoundException()
    if token is not None:
        existing = call.caches.tasks.select(
            call.namespace, lambda t: (t["metadata"].get("annotations") or {}).get(ANNOTATION_CLIENT_TOKEN) == token
        )
        if existing:
            return _answer(call, existing[0], count or 1, wait=LAUNCH_WAIT_SECONDS)
    require_cluster(call, cluster)
    pinned = _pin(call, reference)
    spec: Obj = {key: call.body[key] for key in RUN_TASK_MEMBERS if call.body.get(key) is not None}
    spec.update({"taskDefinition": pinned, "cluster": cluster})
    try:
        parse_task(spec)
    except SpecError as exc:
        raise _spec_problem(exc) from exc
    family = pinned.rsplit(":", 1)[0]
    name = _ecstask_name(family, token)
    meta: Obj = {"name": name, "namespace": call.namespace}
    if token is not None:
        meta["annotations"] = {ANNOTATION_CLIENT_TOKEN: token}
    body = {"apiVersion": API_VERSION, "kind": KIND_TASK, "metadata": meta, "spec": spec}
    path = resource_for(API_VERSION, KIND_TASK).path(call.namespace)
    try:
        created = call.kube.request("POST", path, body=body, query={"fieldManager": API_FIELD_MANAGER})
    except Conflict:  # a same-token call won the race: answer with its task
        if token is None:
            raise
        created = call.kube.get(API_VERSION, KIND_TASK, call.namespace, name)
    call.caches.tasks.remember(created)
    return _answer(call, created, count or 1, wait=LAUNCH_WAIT_SECONDS)


def _answer(call: Call, obj: Mapping[str, Any], count: int, *, wait: float) -> Response:
    name = obj["metadata"]["name"]
    seen = _await_launch(call, name, count, wait) or obj
    problem = _invalid(seen)
    launched = _launched(call, seen)
    if problem and not launched:
        call.kube.delete(API_VERSION, KIND_TASK, call.namespace, name, uid=seen["metadata"].get("uid"))
        raise ClientException(problem)
    tasks = [present_task(s, call.arns) for s in launched][:count]
    failures = []
    for index in range(len(tasks), count):
        detail = problem or (
            f"task {index + 1} of {count} was not launched within {wait:.0f}s; it may still start "
            f"(ECSTask {name} in namespace {call.namespace})"
        )
        failures.append(
            {"arn": call.arns.cluster(cluster_reference(seen)), "reason": "LAUNCH_PENDING", "detail": detail}
        )
    return {"tasks": tasks, "failures": failures}


# -- StopTask ---------------------------------------------------------------------------------


def stop_task(call: Call) -> Response:
    p = call.params
    reference = p.require("task")
    reason = p.string("reason") or ""
    cluster = _read_cluster(call)
    named, task_id = _task_id(call, reference)
    if named is not None and named != cluster and call.params.string("cluster") is None:
        cluster = named
    source = _Finder(call).by_id(cluster).get(task_id) if task_id else None
    if source is None:
        raise InvalidParameterException("The referenced task was not found.")
    shown = reason or "Task stopped by user"
    pod = source.pod
    if source.service is None and source.owner is not None:
        owner = source.owner["metadata"]
        already = (source.record or {}).get("lastStatus") == "STOPPED"
        if not already:
            patch = {"metadata": {"annotations": {f"{ANNOTATION_STOP_TASK_PREFIX}{task_id}": reason}}}
            updated = call.kube.patch(API_VERSION, KIND_TASK, call.namespace, owner["name"], patch)
            call.caches.tasks.remember(updated)
    if source.service is not None and source.gone_at is None:
        call.caches.pods.note_stop(call.namespace, task_id, shown)
    if pod is not None and not pod["metadata"].get("deletionTimestamp"):
        meta = pod["metadata"]
        call.kube.delete("v1", "Pod", call.namespace, meta["name"], uid=meta.get("uid"))
    task = present_task(source, call.arns)
    if task["lastStatus"] != "STOPPED":
        task.update({"desiredStatus": "STOPPED", "stopCode": "UserInitiated", "stoppedReason": shown})
        task.setdefault("stoppingAt", call.now.timestamp())
    return {"task": task}


# -- DescribeTasks / ListTasks ----------------------------------------------------------------


def describe_tasks(call: Call) -> Response:
    p = call.params
    references = p.strings("tasks", required=True)
    if len(references) > MAX_DESCRIBE:
        raise InvalidParameterException(f"tasks can have at most {MAX_DESCRIBE} items.")
    include = p.strings("include")
    for item in include:
        if item != "TAGS":
            raise InvalidParameterException("include must be one of: TAGS.")
    cluster = _read_cluster(call)
    finder = _Finder(call)
    by_cluster: dict[str, dict[str, TaskSource]] = {}
    tasks, failures = [], []
    for reference in references:
        named, task_id = _task_id(call, reference)
        where = named or cluster
        if where not in by_cluster:
            by_cluster[where] = finder.by_id(where)
        source = by_cluster[where].get(task_id) if task_id else None
        if source is None:
            arn = reference if reference.startswith("arn:") else call.arns.task(cluster, reference)
            failures.append({"arn": arn, "reason": "MISSING"})
        else:
            tasks.append(present_task(source, call.arns, tags="TAGS" in include))
    return {"tasks": tasks, "failures": failures}


def _matches(facts: Mapping[str, Any], wanted: Mapping[str, str | None]) -> bool:
    """Every filter given holds (ECS ANDs them)."""
    return all(value is None or facts.get(key) == value for key, value in wanted.items())


def list_tasks(call: Call) -> Response:
    p = call.params
    cluster = _read_cluster(call)
    family = p.string("family")
    started_by = p.string("startedBy")
    desired = p.enum("desiredStatus", DESIRED_STATUSES, default="RUNNING") or "RUNNING"
    launch_type = p.enum("launchType", LAUNCH_TYPES)
    instance = p.string("containerInstance")
    if instance is not None:
        instance = instance.rsplit("/", 1)[-1].lower()
    p.string("daemonName")
    service_ref = p.string("serviceName")
    finder = _Finder(call)
    if service_ref is not None:
        service = find_service(call, cluster, service_ref)
        if service is None:
            raise ServiceNotFoundException()
        sources = list(finder.service_tasks(service))
    else:
        sources = list(finder.in_cluster(cluster))
    wanted = {
        "desiredStatus": desired,
        "family": family,
        "startedBy": started_by,
        "containerInstance": instance,
        "launchType": launch_type,
    }
    arns = [call.arns.task(s.cluster, s.task_id) for s in sources if _matches(list_facts(s), wanted)]
    chunk, token = page(arns, call.body, default=100, limit=100)
    answer: Response = {"taskArns": chunk}
    if token:
        answer["nextToken"] = token
    return answer


ACTIONS: dict[str, Handler] = {
    "RunTask": run_task,
    "StopTask": stop_task,
    "DescribeTasks": describe_tasks,
    "ListTasks": list_tasks,
}
