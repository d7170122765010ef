"""SIGKILL the operator at random moments while 200 ECSServices are applied; it must converge.

Injected: the operator process is killed with SIGKILL (no clean-up, like an OOM kill or a
lost node) several times at random moments, some while the services are being created, one
while they roll out to a new TaskDefinition revision registered halfway through; each time a
new operator starts after a random pause. The delays come from a seeded RNG (the seed is
printed; RELIABILITY_SEED=<seed> replays the same schedule).

Checked, once the last operator has settled the namespace:
* every ECSService is steady on the latest revision: runningCount == desiredCount == 1,
  pendingCount 0, one deployment, rolloutState COMPLETED;
* no duplicates: exactly one Deployment and one Service per ECSService (and nothing else
  labelled managed-by ecs-operator), exactly one ControllerRevision per TaskDefinition
  revision, revisions numbered 1..N without gaps, one ECSCluster;
* no orphans: every Deployment / Service / pod / ReplicaSet the operator made has a live owner.
"""

from __future__ import annotations

import os
import random
import threading
import time
from typing import Any

import pytest
from chaos import kube_client, not_steady, orphans, report, ssa, steady, wait_until
from manifests import ecs_service, task_definition

SERVICES = int(os.environ.get("ECS_OPERATOR_CHAOS_SERVICES", "200"))
KILLS_DURING_APPLY = 3
BATCH = 20
FAMILY = "small"


def _task_definition(namespace: str, image: str) -> dict[str, Any]:
    td = task_definition(
        FAMILY,
        containers=[
            {
                "name": "app",
                "image": image,
                "cpu": 8,
                "memory": 32,
                "essential": True,
                "portMappings": [{"containerPort": 80, "protocol": "tcp"}],
            }
        ],
    )
    td["metadata"]["namespace"] = namespace
    return td


def _service(namespace: str, index: int) -> dict[str, Any]:
    # maximumPercent 100 / minimumHealthyPercent 0: a rollout replaces the task instead of
    # surging, so 200 rollouts never need more than 200 pods' worth of node capacity.
    svc = ecs_service(
        f"svc-{index:03d}", FAMILY, 1, deploymentConfiguration={"maximumPercent": 100, "minimumHealthyPercent": 0}
    )
    svc["metadata"]["namespace"] = namespace
    return svc


@pytest.mark.timeout(1800)
def test_sigkill_during_apply_converges_without_duplicates_or_orphans(cluster, namespace, operators) -> None:
    seed = int(os.environ.get("RELIABILITY_SEED") or random.SystemRandom().randrange(2**32))
    rng = random.Random(seed)
    report(f"operator-kill: seed {seed} (RELIABILITY_SEED={seed} replays the schedule), {SERVICES} services")
    kube = kube_client(cluster)
    names = [f"svc-{i:03d}" for i in range(SERVICES)]
    batches = -(-SERVICES // BATCH)
    update_after_batch = rng.randrange(batches)
    started = time.monotonic()

    ssa(kube, _task_definition(namespace, "nginx:1.27"))
    applied = threading.Event()
    failures: list[BaseException] = []

    def apply_all() -> None:
        try:
            for b, first in enumerate(range(0, SERVICES, BATCH)):
                for i in range(first, min(first + BATCH, SERVICES)):
                    ssa(kube, _service(namespace, i))
                if b == update_after_batch:  # new revision while services are still being created
                    ssa(kube, _task_definition(namespace, "nginx:1.28"))
                time.sleep(0.5)
        except BaseException as exc:  # surfaced in the main thread
            failures.append(exc)
        finally:
            applied.set()

    op = operators.start()
    writer = threading.Thread(target=apply_all, daemon=True)
    writer.start()
    kills = []
    for _ in range(KILLS_DURING_APPLY):
        time.sleep(rng.uniform(0.5, 6.0))
        kills.append(_kill_and_restart(op, rng, operators, started))
        op = operators.started[-1]
    applied.wait(timeout=600)
    assert not failures, f"applying the manifests failed: {failures[0]!r}"
    # One more while the operator is in the middle of reconciling everything.
    time.sleep(rng.uniform(2.0, 12.0))
    kills.append(_kill_and_restart(op, rng, operators, started))
    report(
        f"operator-kill: applied {SERVICES} services + revision 2 (after batch {update_after_batch + 1}); "
        f"SIGKILLs at {', '.join(kills)}"
    )

    def converged() -> str | None:
        services = kube.list("ecs.operator.dev/v1alpha1", "ECSService", namespace)
        done = sum(1 for s in services if steady(s, 1, revision=2))
        return f"{done} steady" if done == SERVICES else None

    wait_until(
        converged,
        timeout=900,
        interval=3,
        message=f"all {SERVICES} services steady on revision 2",
        describe=lambda: not_steady(kube, namespace, 1, revision=2),
    )
    converged_at = time.monotonic() - started
    # Give stragglers (old pods terminating, last status writes) a moment, then check everything.
    wait_until(
        lambda: _pods_settled(kube, namespace), timeout=120, interval=2, message="exactly one running task per service"
    )
    _assert_no_duplicates(kube, namespace, names)
    assert orphans(kube, namespace) == []
    assert operators.started[-1].alive()
    report(
        f"operator-kill: all {SERVICES} services steady {converged_at:.0f}s after the first apply "
        f"({len(kills)} SIGKILLs, {len(operators.started)} operator processes); no duplicates, no orphans"
    )


def _kill_and_restart(op, rng: random.Random, operators, started: float) -> str:
    at = time.monotonic() - started
    op.kill()
    time.sleep(rng.uniform(0.0, 2.0))
    operators.start()
    return f"{at:.1f}s"


def _pods_settled(kube, namespace: str) -> bool:
    pods = list(kube.list("v1", "Pod", namespace, selector="app.kubernetes.io/managed-by=ecs-operator"))
    live = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
    by_service: dict[str, int] = {}
    for pod in live:
        service = pod["metadata"]["labels"].get("ecs.operator.dev/service", "")
        by_service[service] = by_service.get(service, 0) + 1
    return (
        len(live) == len(pods) == SERVICES
        and set(by_service.values()) == {1}
        and all(p["metadata"]["labels"].get("ecs.operator.dev/revision") == "2" for p in live)
    )


def _assert_no_duplicates(kube, namespace: str, names: list[str]) -> None:
    services = kube.list("ecs.operator.dev/v1alpha1", "ECSService", namespace)
    uids = {s["metadata"]["name"]: s["metadata"]["uid"] for s in services}
    assert sorted(uids) == sorted(names)
    for api, kind in (("apps/v1", "Deployment"), ("v1", "Service")):
        objects = kube.list(api, kind, namespace, selector="app.kubernetes.io/managed-by=ecs-operator")
        assert sorted(o["metadata"]["name"] for o in objects) == sorted(names), f"{kind}s != ECSServices"
        for obj in objects:
            refs = obj["metadata"].get("ownerReferences", [])
            assert [(r["kind"], r["uid"]) for r in refs] == [("ECSService", uids[obj["metadata"]["name"]])], (
                f"{kind} {obj['metadata']['name']} owners: {refs}"
            )
    assert kube.list("apps/v1", "DaemonSet", namespace) == []
    revisions = kube.list(
        "apps/v1", "ControllerRevision", namespace, selector=f"ecs.operator.dev/task-definition={FAMILY}"
    )
    numbers = sorted(r["revision"] for r in revisions)
    assert numbers == [1, 2], f"ControllerRevisions of {FAMILY}: {numbers}"
    td = kube.get("ecs.operator.dev/v1alpha1", "TaskDefinition", namespace, FAMILY)
    assert td["status"]["revision"] == 2 and td["status"]["revisions"] == [1, 2]
    clusters = kube.list("ecs.operator.dev/v1alpha1", "ECSCluster", namespace)
    assert [c["metadata"]["name"] for c in clusters] == ["default"]
