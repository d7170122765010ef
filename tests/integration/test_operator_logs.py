"""What the operator's log says: one line per ECS event (not per handler call), and JSON on request."""

from __future__ import annotations

import json
import re
from pathlib import Path

from kube_helpers import wait_for
from manifests import ecs_service, task_definition

from conftest import OperatorProcess
from ecs_operator.localcluster.cluster import ClusterHandle


def test_the_log_tells_ecs_events_not_handler_calls(cluster: ClusterHandle, namespace: str, operator) -> None:
    cluster.apply([task_definition("told")], "-n", namespace)
    cluster.apply([ecs_service("told", "told", 2)], "-n", namespace)
    steady = f"ECSService {namespace}/told: (service told) has reached a steady state."
    wait_for(lambda: steady in operator.log_path.read_text(), timeout=90, message="the steady-state line")
    text = operator.log_path.read_text(errors="replace")
    # errors stay (kopf's "Handler 'x' failed ..." is one); a handler call that went well is not news
    assert not re.search(r"Handler '[^']+' succeeded", text), "kopf's line per successful handler call"
    ours = [line for line in text.splitlines() if f" {namespace}/" in line]
    assert any("(service told) has started" in line for line in ours), ours
    assert all(" ecs_operator.events: " in line for line in ours), ours


def test_json_log_lines_for_pipelines(cluster: ClusterHandle, namespace: str, tmp_path: Path) -> None:
    """An operator of this test's own (leader-elected, so it has lines of its own to say), in JSON."""
    args = ("--log-format", "json", "-n", namespace, "--leader-elect", "--leader-election-namespace", namespace)
    # its own webhook off: the local webhook configuration is the session operator's (last writer wins)
    own = OperatorProcess(cluster.kubeconfig, tmp_path / "json.log", {"ECS_OPERATOR_WEBHOOK": "off"}, args)
    try:
        own.wait_ready()
        wait_for(lambda: "became leader" in own.log_path.read_text(), timeout=30, message="the leader line")
    finally:
        own.stop()
    entries = [json.loads(line) for line in own.log_path.read_text().splitlines()]  # every line is JSON
    leader = [e for e in entries if e["logger"] == "ecs_operator.leader"]
    assert [e["message"].split(":")[0].split(" leader")[0] for e in leader] == ["waiting for", "became", "released"]
    assert all({"time", "level", "logger", "message"} <= set(e) for e in entries)
