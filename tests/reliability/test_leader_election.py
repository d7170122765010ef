"""Two `ecs-operator run --leader-elect` replicas: one acts, the other takes over, never both at once.

The cluster here is its own, with kube-apiserver auditing on: every write is recorded by the API
server with the User-Agent of the replica that sent it (``ecs-operator/<identity>``, for the
operator's own client and for kopf's), so "the old leader wrote nothing" is read off the API
server's record, not off the replica's own log.

Injected and checked:
* SIGKILL of the leader while 200 ECSServices are applied (default timings 15 / 10 / 2 s): the
  standby leads within 20 s, every service converges, no duplicates, no orphans.
* SIGSTOP of the leader for longer than its lease, while the services change: the standby takes
  over; after SIGCONT the old leader sends no write (audit log) and exits to restart as a standby.
* SIGTERM of the leader: it releases the lease and the standby leads within 3 s.
* ``--shards 4`` over two replicas: each holds two shards, every namespace's writes come from the
  one replica holding its shard (audit log); SIGKILL of one moves its shards to the other, which
  then acts on their namespaces.
"""

from __future__ import annotations

import json
import re
import signal
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from chaos import kube_client, not_steady, orphans, report, ssa, steady, wait_until
from manifests import ecs_service, task_definition

from conftest import Operators
from ecs_operator.localcluster.cluster import ClusterHandle, LocalCluster
from ecs_operator.plan.sharding import shard_of

CRDS = Path(__file__).resolve().parents[2] / "crds"
API = "ecs.operator.dev/v1alpha1"
WRITES = {"create", "update", "patch", "delete", "deletecollection"}
POLICY = {
    "apiVersion": "audit.k8s.io/v1",
    "kind": "Policy",
    "omitStages": ["RequestReceived", "ResponseStarted"],
    "rules": [{"level": "None", "verbs": ["get", "list", "watch"]}, {"level": "Metadata"}],
}
LEADING = re.compile(r"became leader: lease \S+ held by (\S+)")
SHARD_LEASE = re.compile(r"ecs-operator-shard-(\d)-of-4")


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalCluster, ClusterHandle]]:
    """A cluster of this module's own, whose API server audits every write."""
    policy = tmp_path_factory.mktemp("audit") / "policy.yaml"
    policy.write_text(yaml.safe_dump(POLICY))
    local = LocalCluster("ecs-operator-leader-audit")
    local.down()  # an earlier run's cluster may lack the policy
    handle = local.up(audit_policy=policy)
    files = sorted(f for f in CRDS.glob("*.yaml") if f.name != "kustomization.yaml")
    handle.kubectl("apply", "--server-side", "--force-conflicts", *[a for f in files for a in ("-f", str(f))])
    handle.kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd", "--all")
    yield local, handle
    local.down()


@pytest.fixture
def replicas(audited, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Operators, str]]:
    _, handle = audited
    namespace = f"leader-{request.node.name[5:25].replace('_', '-')}-{int(time.time()) % 100000}"
    handle.kubectl("create", "namespace", namespace)
    ops = Operators(handle, handle.kubeconfig, tmp_path)
    yield ops, namespace
    if not ops.live():
        ops.start()
    handle.kubectl("delete", "namespace", namespace, "--wait=true", "--timeout=180s", check=False, timeout=200)
    ops.stop_all()
    print(f"\noperator logs: {', '.join(str(op.log_path) for op in ops.started)}")


def _start(ops: Operators, namespace: str, *timing: str) -> Any:
    """A replica; its /healthz answers while it waits (standby) and once it leads."""
    return ops.start("--leader-elect", "--leader-election-namespace", namespace, *timing)


def _leader_and_standby(ops: Operators, namespace: str, *timing: str) -> tuple[Any, Any]:
    """Two replicas, the first started leading before the second starts."""
    first = _start(ops, namespace, *timing)
    wait_until(lambda: _leader(ops), timeout=30, message="a leader")
    second = _start(ops, namespace, *timing)
    assert _leader(ops) is first and "became leader" not in second.log()
    return first, second


def _leader(ops: Operators) -> Any:
    """The replica that leads now (the last 'became leader' line among live replicas)."""
    leading = [op for op in ops.live() if LEADING.search(op.log())]
    return leading[-1] if len(leading) == 1 else None


def _identity(op: Any) -> str:
    found = re.search(r"waiting for leader lease \S+ as (\S+)", op.log())
    assert found, op.log_tail(20)
    return found.group(1)


def _writes(local: LocalCluster, agent: str, namespace: str, after: float = 0.0) -> list[str]:
    """Writes the API server recorded from ``agent`` in ``namespace`` (received after epoch ``after``)."""
    found = []
    for line in local.audit_log.read_text(errors="replace").splitlines():
        event = json.loads(line)
        ref = event.get("objectRef") or {}
        if event.get("verb") not in WRITES or ref.get("namespace") != namespace or ref.get("resource") == "leases":
            continue
        if event.get("userAgent") != agent:
            continue
        stamp = event["requestReceivedTimestamp"]
        if datetime.fromisoformat(stamp).timestamp() >= after:
            found.append(f"{stamp} {event['verb']} {ref.get('resource')}/{ref.get('name')}")
    return found


def _in(namespace: str, obj: dict[str, Any]) -> dict[str, Any]:
    obj["metadata"]["namespace"] = namespace
    return obj


def _service(namespace: str, name: str, desired: int = 1) -> dict[str, Any]:
    config = {"maximumPercent": 100, "minimumHealthyPercent": 0}
    return _in(namespace, ecs_service(name, "ha", desired, deploymentConfiguration=config))


def _small_task_definition(namespace: str) -> dict[str, Any]:
    container = {"name": "app", "image": "nginx:1.27", "cpu": 8, "memory": 32, "essential": True}
    return _in(namespace, task_definition("ha", containers=[container]))


@pytest.mark.timeout(1200)
def test_sigkill_of_the_leader_mid_apply_hands_over_within_20s(audited, replicas) -> None:
    local, handle = audited
    ops, namespace = replicas
    kube = kube_client(handle)
    first, second = _leader_and_standby(ops, namespace)
    ssa(kube, _small_task_definition(namespace))
    names = [f"svc-{i:03d}" for i in range(200)]
    done = threading.Event()

    def apply_all() -> None:
        for name in names:
            ssa(kube, _service(namespace, name))
        done.set()

    writer = threading.Thread(target=apply_all, daemon=True)
    writer.start()
    wait_until(lambda: len(kube.list("apps/v1", "Deployment", namespace)) >= 40, timeout=120, message="work started")
    killed = time.monotonic()
    first.kill()
    wait_until(lambda: _leader(ops) is second, timeout=30, interval=0.2, message="the standby to lead")
    took_over = time.monotonic() - killed
    assert took_over <= 20, f"the standby led {took_over:.1f}s after the SIGKILL"
    assert done.wait(300)
    wait_until(
        lambda: sum(1 for s in kube.list(API, "ECSService", namespace) if steady(s, 1)) == len(names),
        timeout=600,
        interval=3,
        message="all 200 services steady",
        describe=lambda: not_steady(kube, namespace, 1),
    )
    deployments = [d["metadata"]["name"] for d in kube.list("apps/v1", "Deployment", namespace)]
    assert sorted(deployments) == names, "one Deployment per service, no duplicates"
    running = [p for p in kube.list("v1", "Pod", namespace) if not p["metadata"].get("deletionTimestamp")]
    assert len(running) == len(names), f"{len(running)} tasks for {len(names)} services"
    assert orphans(kube, namespace) == []
    assert _writes(local, f"ecs-operator/{_identity(second)}", namespace), "the new leader's writes are audited"
    report(f"leader election: SIGKILL of the leader mid-apply of 200 services; standby led after {took_over:.1f}s")


@pytest.mark.timeout(600)
def test_a_leader_paused_past_its_lease_writes_nothing_after_it_resumes(audited, replicas) -> None:
    local, handle = audited
    ops, namespace = replicas
    kube = kube_client(handle)
    timing = ("--lease-duration", "6", "--renew-deadline", "4", "--retry-period", "1")
    first, second = _leader_and_standby(ops, namespace, *timing)
    ssa(kube, _small_task_definition(namespace))
    ssa(kube, _service(namespace, "before"))
    wait_until(lambda: steady(kube.get(API, "ECSService", namespace, "before"), 1), timeout=120, message="before")
    old = f"ecs-operator/{_identity(first)}"
    assert _writes(local, old, namespace), "the leader's writes carry its identity"

    first.proc.send_signal(signal.SIGSTOP)
    try:
        # work the paused leader's watches will deliver when it resumes
        ssa(kube, _service(namespace, "before", 2))
        ssa(kube, _service(namespace, "during"))
        wait_until(lambda: _leader(ops) is second or "became leader" in second.log(), timeout=30, message="takeover")
        took_over_at = time.time()
        wait_until(lambda: steady(kube.get(API, "ECSService", namespace, "during"), 1), timeout=120, message="during")
    finally:
        first.proc.send_signal(signal.SIGCONT)
    ssa(kube, _service(namespace, "after"))
    wait_until(lambda: steady(kube.get(API, "ECSService", namespace, "after"), 1), timeout=120, message="after")
    wait_until(lambda: not first.alive(), timeout=30, message="the old leader to exit")
    assert first.proc.returncode == 1
    assert "lost the leader lease" in first.log()
    time.sleep(2)  # audit events are flushed in batches
    late = _writes(local, old, namespace, after=took_over_at)
    assert late == [], "the resumed old leader wrote:\n" + "\n".join(late)
    assert steady(kube.get(API, "ECSService", namespace, "before"), 2)
    report("leader election: SIGSTOP past the lease; standby took over; after SIGCONT the old leader sent no write")


@pytest.mark.timeout(600)
def test_sigterm_releases_the_lease_and_the_standby_leads_within_3s(audited, replicas) -> None:
    _, handle = audited
    ops, namespace = replicas
    kube = kube_client(handle)
    first, second = _leader_and_standby(ops, namespace)
    ssa(kube, _small_task_definition(namespace))
    terminated = time.monotonic()
    first.proc.send_signal(signal.SIGTERM)
    wait_until(lambda: "became leader" in second.log(), timeout=20, interval=0.1, message="the standby to lead")
    took_over = time.monotonic() - terminated
    assert "released leader lease" in first.log()
    ssa(kube, _service(namespace, "after-term"))
    wait_until(lambda: steady(kube.get(API, "ECSService", namespace, "after-term"), 1), timeout=120, message="after")
    assert took_over <= 3, f"the standby led {took_over:.1f}s after SIGTERM"
    report(f"leader election: SIGTERM; the lease was released and the standby led after {took_over:.1f}s")


def _shard_holders(kube: Any, namespace: str) -> dict[int, str]:
    """Shard -> the identity holding its Lease now."""
    held = {}
    for lease in kube.list("coordination.k8s.io/v1", "Lease", namespace):
        found = SHARD_LEASE.fullmatch(lease["metadata"]["name"])
        if found and lease["spec"].get("holderIdentity"):
            held[int(found.group(1))] = lease["spec"]["holderIdentity"]
    return held


def _teams(prefix: str, per_shard: int = 2) -> list[str]:
    """Namespace names covering each of the 4 shards ``per_shard`` times."""
    chosen: dict[int, list[str]] = {i: [] for i in range(4)}
    for i in range(1000):
        name = f"{prefix}-t{i}"
        if len(chosen[shard_of(name, 4)]) < per_shard:
            chosen[shard_of(name, 4)].append(name)
    return [n for names in chosen.values() for n in names]


def _all_steady(kube: Any, teams: list[str], desired: int) -> None:
    for team in teams:
        wait_until(
            lambda team=team: sum(1 for s in kube.list(API, "ECSService", team) if steady(s, desired)) == 3,
            timeout=300,
            interval=2,
            message=f"{team}'s 3 services steady at {desired}",
            describe=lambda team=team: not_steady(kube, team, desired),
        )


@pytest.mark.timeout(1200)
def test_four_shards_over_two_replicas_one_acts_per_namespace_and_a_killed_ones_shards_move(audited, replicas) -> None:
    local, handle = audited
    ops, namespace = replicas
    kube = kube_client(handle)
    teams = _teams(namespace)
    for team in teams:
        handle.kubectl("create", "namespace", team)
    try:
        first = _start(ops, namespace, "--shards", "4")
        second = _start(ops, namespace, "--shards", "4")
        agents = {_identity(op): op for op in (first, second)}

        def split() -> bool:
            holders = _shard_holders(kube, namespace)
            return len(holders) == 4 and sorted(list(holders.values()).count(i) for i in agents) == [2, 2]

        wait_until(split, timeout=60, message="two shards each")
        settled = time.time()
        owner = {team: _shard_holders(kube, namespace)[shard_of(team, 4)] for team in teams}
        for team in teams:
            ssa(kube, _small_task_definition(team))
            for i in range(3):
                ssa(kube, _service(team, f"svc-{i}"))
        _all_steady(kube, teams, 1)
        time.sleep(2)  # audit events are flushed in batches
        for team in teams:
            writers = {who for who in agents if _writes(local, f"ecs-operator/{who}", team, after=settled)}
            assert writers == {owner[team]}, f"{team} (shard {shard_of(team, 4)}) written by {writers}"

        victim = agents[owner[teams[0]]]
        survivor = next(op for op in agents.values() if op is not victim)
        survivor_id = _identity(survivor)
        killed = time.monotonic()
        victim.kill()
        wait_until(
            lambda: set(_shard_holders(kube, namespace).values()) == {survivor_id},
            timeout=60,
            interval=0.5,
            message="the killed replica's shards to move",
        )
        moved = time.monotonic() - killed
        after_kill = time.time()
        for team in teams:
            for i in range(3):
                ssa(kube, _service(team, f"svc-{i}", 2))
        _all_steady(kube, teams, 2)
        for team in teams:
            assert sorted(d["metadata"]["name"] for d in kube.list("apps/v1", "Deployment", team)) == [
                "svc-0",
                "svc-1",
                "svc-2",
            ]
        orphaned = [
            team for team in teams if _writes(local, f"ecs-operator/{survivor_id}", team, after=after_kill) == []
        ]
        assert orphaned == [], f"no writes from the survivor in {orphaned}"
        report(
            f"sharding: 4 shards over 2 replicas, {len(teams)} namespaces each written by one replica; "
            f"SIGKILL moved the shards after {moved:.1f}s"
        )
    finally:
        if not ops.live():
            ops.start()
        handle.kubectl("delete", "namespace", *teams, "--wait=true", "--timeout=180s", check=False, timeout=200)
