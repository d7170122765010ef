"""Two operator replicas with kopf peering: one acts, and the other takes over when it dies.

Injected: two identical `ecs-operator run --peering NAME` processes against one cluster (the
peering CRDs from deploy/peering.yaml and a ClusterKopfPeering object installed first); the
active one is then SIGKILLed, so it never says goodbye and the standby only learns from its
keep-alive expiring (ECS_OPERATOR_PEERING_LIFETIME, shortened to 20s here).

Checked: both register in the peering object with distinct (random) priorities; the one
with the higher priority acts; the standby stays paused (it never logs kopf's
"Resuming operations") and handles nothing (no handler runs in its log) while the active one
reconciles a new ECSService; after the SIGKILL the standby resumes by itself and reconciles an
ECSService created after the kill.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from chaos import kube_client, not_steady, report, ssa, steady, wait_until
from manifests import ecs_service, task_definition

API = "ecs.operator.dev/v1alpha1"
PEERING_CRDS = Path(__file__).resolve().parents[2] / "deploy" / "peering.yaml"
LIFETIME = 20
HANDLED = re.compile(r"Handler '(service_changed|task_definition_changed)' succeeded")


def _in(namespace: str, obj: dict) -> dict:
    obj["metadata"]["namespace"] = namespace
    return obj


@pytest.mark.timeout(600)
def test_one_replica_acts_and_the_other_takes_over(cluster, namespace, operators) -> None:
    kube = kube_client(cluster)
    cluster.kubectl("apply", "--server-side", "-f", str(PEERING_CRDS))
    cluster.kubectl(
        "wait",
        "--for=condition=Established",
        "--timeout=60s",
        "crd/clusterkopfpeerings.kopf.dev",
        "crd/kopfpeerings.kopf.dev",
    )
    peering = f"ecs-{namespace[-5:]}"
    cluster.apply([{"apiVersion": "kopf.dev/v1", "kind": "ClusterKopfPeering", "metadata": {"name": peering}}])
    try:
        _run(cluster, kube, namespace, operators, peering)
    finally:
        cluster.kubectl("delete", "clusterkopfpeering", peering, "--wait=false", check=False)


def _peers(kube, peering: str) -> dict:
    return kube.request("GET", f"/apis/kopf.dev/v1/clusterkopfpeerings/{peering}").get("status") or {}


def _priority(op) -> int:
    found = re.search(r"peering '.*' with priority (\d+)", op.log())
    assert found, f"no peering priority in the log:\n{op.log_tail(20)}"
    return int(found.group(1))


def _acting(op) -> bool:
    """kopf logs when a peer pauses and resumes; a mandatory peering starts paused."""
    log = op.log()
    return log.rfind("Resuming operations") > max(log.rfind("Pausing operations"), log.rfind("Pausing all"))


def _run(cluster, kube, namespace: str, operators, peering: str) -> None:
    # Both replicas start exactly alike, as replicas of one Deployment would: each draws its own
    # random priority (handlers/startup.py), and the higher one must end up acting alone.
    env = {"ECS_OPERATOR_PEERING_LIFETIME": str(LIFETIME)}
    first = operators.start("--peering", peering, env=env)
    wait_until(
        lambda: _acting(first), timeout=30, message="the first replica to act", describe=lambda: first.log_tail(20)
    )
    second = operators.start("--peering", peering, env=env)
    wait_until(lambda: len(_peers(kube, peering)) == 2, timeout=30, message="both replicas in the peering")
    active, standby = sorted((first, second), key=_priority, reverse=True)
    assert _priority(active) != _priority(standby), "equal priorities: kopf would pause both replicas"
    assert sorted(p.get("priority") for p in _peers(kube, peering).values()) == sorted(
        [_priority(first), _priority(second)]
    )
    wait_until(
        lambda: _acting(active) and not _acting(standby),
        timeout=30,
        message="the higher-priority replica acting, the other paused",
        describe=lambda: f"active:\n{active.log_tail(10)}\nstandby:\n{standby.log_tail(10)}",
    )
    log = standby.log()
    paused_at = max(log.rfind("Pausing operations"), 0)  # the standby may have acted before `second` came

    ssa(kube, _in(namespace, task_definition("ha")))
    ssa(kube, _in(namespace, ecs_service("first", "ha", 2)))
    wait_until(
        lambda: steady(kube.get(API, "ECSService", namespace, "first"), 2),
        timeout=120,
        message="first steady",
        describe=lambda: not_steady(kube, namespace, 2),
    )
    time.sleep(3)  # anything the standby would do, it would have done by now
    assert HANDLED.search(active.log()), "the active replica did not handle the new objects"
    assert "Handler '" not in standby.log()[paused_at:], f"the paused replica ran handlers:\n{standby.log_tail(30)}"
    assert not _acting(standby)

    killed_at = time.monotonic()
    active.kill()
    ssa(kube, _in(namespace, ecs_service("second", "ha", 1)))
    wait_until(
        lambda: _acting(standby),
        timeout=LIFETIME + 60,
        interval=1,
        message="the standby to resume",
        describe=lambda: standby.log_tail(20),
    )
    resumed_after = time.monotonic() - killed_at
    wait_until(
        lambda: steady(kube.get(API, "ECSService", namespace, "second"), 1),
        timeout=120,
        message="second steady (reconciled by the former standby)",
        describe=lambda: not_steady(kube, namespace, 1),
    )
    took_over_after = time.monotonic() - killed_at
    assert HANDLED.search(standby.log()[paused_at:]), "the standby never handled anything after taking over"
    assert standby.alive()
    which = "first" if active is first else "second"
    report(
        f"peering: random priorities {_priority(first)} / {_priority(second)}: the {which}-started replica "
        f"acted, the other stayed paused and ran no handler; after SIGKILL of the active one the standby "
        f"resumed in {resumed_after:.0f}s (keep-alive lifetime {LIFETIME}s) and reconciled a new service "
        f"{took_over_after:.0f}s after the kill"
    )
