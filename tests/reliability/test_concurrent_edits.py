"""Two clients edit the same ECSService at once; conflicts are retried and the last spec wins.

Injected: two threads write the same ECSService in lock-step rounds, each round both read the
object, meet at a barrier, then write with the resourceVersion they read as a precondition,
so one of the two writes of every round is refused with 409 Conflict and retried (read again,
write again). One client is `kubectl edit`-like: a merge patch of spec.desiredCount and
deploymentConfiguration.minimumHealthyPercent. The other is an autoscaler-like client: a
replace of the scale subresource. Values come from a seeded RNG (seed printed). The operator
meanwhile reconciles every version it sees.

Checked: conflicts happened and every write eventually succeeded; the object's final spec is
the last successful write (by resourceVersion order); the Deployment ends with that
desiredCount and the rolling-update settings of that spec, the service reports it steady,
and it stays so.
"""

from __future__ import annotations

import math
import os
import random
import threading
import time
from typing import Any

import pytest
from chaos import kube_client, not_steady, report, ssa, steady, wait_until
from manifests import ecs_service, task_definition

from ecs_operator.kube import Conflict

API = "ecs.operator.dev/v1alpha1"
ROUNDS = 12


def _in(namespace: str, obj: dict[str, Any]) -> dict[str, Any]:
    obj["metadata"]["namespace"] = namespace
    return obj


@pytest.mark.timeout(600)
def test_concurrent_edits_retry_conflicts_and_the_last_write_wins(cluster, namespace, operators) -> None:
    seed = int(os.environ.get("RELIABILITY_SEED") or random.SystemRandom().randrange(2**32))
    rng = random.Random(seed)
    kube = kube_client(cluster)
    operators.start()
    ssa(kube, _in(namespace, task_definition("race")))
    ssa(kube, _in(namespace, ecs_service("race", "race", 1)))
    wait_until(
        lambda: steady(kube.get(API, "ECSService", namespace, "race"), 1),
        timeout=120,
        message="race steady",
        describe=lambda: not_steady(kube, namespace, 1),
    )

    base = f"/apis/ecs.operator.dev/v1alpha1/namespaces/{namespace}/ecsservices/race"
    barrier = threading.Barrier(2, timeout=60)
    writes: list[tuple[int, str, int, int | None]] = []  # (resourceVersion, client, desired, minHealthy)
    conflicts = {"editor": 0, "scaler": 0}
    lock = threading.Lock()
    plans = {
        "editor": [(rng.choice([1, 3, 5, 6]), rng.choice([0, 50, 100])) for _ in range(ROUNDS)],
        "scaler": [(rng.choice([2, 4, 5, 7]), None) for _ in range(ROUNDS)],
    }

    def editor_write(obj: dict[str, Any], desired: int, healthy: int | None) -> dict[str, Any]:
        return kube.request(
            "PATCH",
            base,
            content_type="application/merge-patch+json",
            body={
                "metadata": {"resourceVersion": obj["metadata"]["resourceVersion"]},
                "spec": {"desiredCount": desired, "deploymentConfiguration": {"minimumHealthyPercent": healthy}},
            },
        )

    def scaler_write(scale: dict[str, Any], desired: int, _: int | None) -> dict[str, Any]:
        body = {
            "apiVersion": "autoscaling/v1",
            "kind": "Scale",
            "metadata": {
                "name": "race",
                "namespace": namespace,
                "resourceVersion": scale["metadata"]["resourceVersion"],
            },
            "spec": {"replicas": desired},
        }
        return kube.request("PUT", f"{base}/scale", body=body)

    def client(name: str) -> None:
        read = (
            (lambda: kube.request("GET", base)) if name == "editor" else (lambda: kube.request("GET", f"{base}/scale"))
        )
        write = editor_write if name == "editor" else scaler_write
        for desired, healthy in plans[name]:
            current = read()
            barrier.wait()  # both hold the same resourceVersion now: one of the writes must conflict
            while True:
                try:
                    result = write(current, desired, healthy)
                    break
                except Conflict:
                    with lock:
                        conflicts[name] += 1
                    current = read()  # retry on the fresh version
            with lock:
                writes.append((int(result["metadata"]["resourceVersion"]), name, desired, healthy))
            time.sleep(rng.uniform(0, 0.3))

    threads = [threading.Thread(target=client, args=(n,)) for n in ("editor", "scaler")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads)
    assert len(writes) == 2 * ROUNDS, "every write must eventually succeed"
    assert sum(conflicts.values()) >= 1, "the clients never conflicted (the barrier should force it)"

    # resourceVersions are etcd revisions: ordering them orders the writes (test-only knowledge).
    writes.sort()
    _, last_client, last_desired, _ = writes[-1]
    last_healthy = next((h for _, c, _, h in reversed(writes) if c == "editor"), None)
    final = kube.get(API, "ECSService", namespace, "race")
    assert final["spec"]["desiredCount"] == last_desired
    assert (final["spec"].get("deploymentConfiguration") or {}).get("minimumHealthyPercent") == last_healthy

    def deployment_matches() -> dict[str, Any] | None:
        deployment = kube.get("apps/v1", "Deployment", namespace, "race")
        service = kube.get(API, "ECSService", namespace, "race")
        ok = deployment["spec"]["replicas"] == last_desired and steady(service, last_desired)
        return deployment if ok else None

    deployment = wait_until(
        deployment_matches,
        timeout=180,
        interval=1,
        message=f"Deployment at the last written desiredCount {last_desired}",
        describe=lambda: not_steady(kube, namespace, last_desired),
    )
    healthy = 100 if last_healthy is None else last_healthy
    max_unavailable = last_desired - math.ceil(last_desired * healthy / 100)
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == max_unavailable
    time.sleep(5)  # no late reconcile of an older version undoes it
    assert kube.get("apps/v1", "Deployment", namespace, "race")["spec"]["replicas"] == last_desired
    assert steady(kube.get(API, "ECSService", namespace, "race"), last_desired)
    report(
        f"concurrent-edits: seed {seed}; {len(writes)} writes, conflicts retried: editor "
        f"{conflicts['editor']}, scaler {conflicts['scaler']}; last write {last_client} desiredCount "
        f"{last_desired} (minimumHealthyPercent {last_healthy}) is what the Deployment runs"
    )
