"""Restart kube-apiserver while the operator reconciles; the operator recovers by itself.

Injected: kube-apiserver is stopped and started again (LocalCluster.restart_component, the
same binary and flags kwokctl started it with) right after a scale-up and a new TaskDefinition
revision were written, so the operator's watches, its in-flight requests and its pending
retries all hit a dead connection. The API server stays down for 5s, and in a second run for
75s: longer than kopf's retry budget for one request, so its watches give up and are re-made.

Checked: the operator process survives (same PID, never restarted); the changes written just
before the restart are carried out; changes written after the restart (a new ECSService, a
scale-down) are reconciled too, which proves its watches reconnected.
"""

from __future__ import annotations

import os
import time

import pytest
from chaos import kube_client, not_steady, report, ssa, steady, wait_until
from manifests import ecs_service, task_definition

API = "ecs.operator.dev/v1alpha1"
# A quick restart, and an outage longer than kopf's whole retry budget for one request
# (1+1+2+3+5+8+13+21 = 54s), after which its watch requests give up and must be re-made.
OUTAGES = [float(s) for s in os.environ.get("ECS_OPERATOR_APISERVER_DOWN", "5,75").split(",")]


def _in(namespace: str, obj: dict) -> dict:
    obj["metadata"]["namespace"] = namespace
    return obj


@pytest.mark.timeout(900)
@pytest.mark.parametrize("down_for", OUTAGES, ids=[f"down-{s:.0f}s" for s in OUTAGES])
def test_operator_survives_an_api_server_restart(cluster, namespace, operators, local_cluster, down_for: float) -> None:
    kube = kube_client(cluster)
    op = operators.start()
    pid = op.proc.pid
    ssa(kube, _in(namespace, task_definition("api")))
    ssa(kube, _in(namespace, ecs_service("before", "api", 2)))

    def service_steady(name: str, desired: int, revision: int):
        def check():
            return steady(kube.get(API, "ECSService", namespace, name), desired, revision)

        return check

    wait_until(
        service_steady("before", 2, 1),
        timeout=120,
        message="service before steady at 2 tasks",
        describe=lambda: not_steady(kube, namespace, 2, 1),
    )

    # Work in flight: a scale-up and a rollout to revision 2, then the API server goes away.
    ssa(kube, _in(namespace, ecs_service("before", "api", 4)))
    ssa(kube, _in(namespace, task_definition("api", image="nginx:1.28")))
    time.sleep(0.3)
    started = time.monotonic()
    new_pid = local_cluster.restart_component("kube-apiserver", down_for=down_for)
    restarted_in = time.monotonic() - started
    assert op.alive() and op.proc.pid == pid, f"the operator died with the API server:\n{op.log_tail()}"

    kube = kube_client(cluster)  # a fresh connection pool for the test's own reads
    wait_until(
        service_steady("before", 4, 2),
        timeout=240,
        interval=2,
        message="the pre-restart scale-up and rollout carried out",
        describe=lambda: not_steady(kube, namespace, 4, 2),
    )
    recovered_in = time.monotonic() - started

    # New changes after the restart: only reconciled if the operator's watches came back.
    ssa(kube, _in(namespace, ecs_service("after", "api", 2)))
    ssa(kube, _in(namespace, ecs_service("before", "api", 1)))
    wait_until(
        service_steady("after", 2, 2),
        timeout=180,
        interval=2,
        message="new service after steady",
        describe=lambda: not_steady(kube, namespace, 2, 2),
    )
    wait_until(
        service_steady("before", 1, 2),
        timeout=180,
        interval=2,
        message="before scaled down to 1",
        describe=lambda: not_steady(kube, namespace, 1, 2),
    )
    deployment = kube.get("apps/v1", "Deployment", namespace, "before")
    assert deployment["spec"]["replicas"] == 1
    assert op.alive() and op.proc.pid == pid and len(operators.started) == 1
    report(
        f"apiserver-restart: kube-apiserver down {down_for:.0f}s, restarted (pid {new_pid}) in {restarted_in:.1f}s; "
        f"in-flight work done {recovered_in:.0f}s after the restart began; operator pid {pid} unchanged; "
        f"post-restart changes reconciled"
    )
