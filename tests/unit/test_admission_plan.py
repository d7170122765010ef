"""plan.admission: what the webhook refuses, admits with warnings, or lets through unchecked."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ecs_operator.plan.admission import (
    Refused,
    WorkloadFacts,
    admit_cluster,
    admit_task_definition,
    admit_workload,
    pending_revision,
    spec_unchanged,
)
from ecs_operator.plan.types import Revision

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _container(name: str = "web", **extra: Any) -> dict[str, Any]:
    return {"name": name, "image": "nginx", "essential": True, "memory": 128, **extra}


def _td(name: str = "web", **spec: Any) -> dict[str, Any]:
    body = {"family": name, "containerDefinitions": [_container()], **spec}
    return {"metadata": {"name": name, "namespace": "ns", "uid": "u1"}, "spec": body}


def _service(ref: str, **spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "svc", "namespace": "ns"}, "spec": {"taskDefinition": ref, "desiredCount": 1, **spec}}


def _facts(td: dict[str, Any] | None, revisions: list[Revision], **extra: Any) -> WorkloadFacts:
    values: dict[str, Any] = {
        "task_definition": td,
        "revisions": revisions,
        "recorded": 0,
        "cluster": None,
        "node_labels": lambda: pytest.fail("node labels are only read for memberOf expressions"),
        "fargate_provisioner": None,
        "now": NOW,
        **extra,
    }
    return WorkloadFacts(**values)


def test_task_definition_refused_with_the_field_and_the_models_message() -> None:
    bad = _td(requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256", memory="4096")
    bad["spec"]["containerDefinitions"] = [{"name": "web", "image": "nginx", "essential": True}]
    with pytest.raises(Refused) as refused:
        admit_task_definition(bad)
    assert "memory: No Fargate configuration exists for given values: 256 CPU, 4096 memory" in refused.value.message


def test_task_definition_warnings_use_status_wording() -> None:
    td = _td()
    td["spec"]["containerDefinitions"] = [_container(ulimits=[{"name": "nofile", "softLimit": 1, "hardLimit": 2}])]
    warnings = admit_task_definition(td)
    assert any(w.startswith("containerDefinitions[0].ulimits: ") and "(unsupported)" not in w for w in warnings)


def test_cluster_refused_for_what_the_models_refuse() -> None:
    assert admit_cluster({"metadata": {"name": "c"}, "spec": {}}) == []
    with pytest.raises(Refused):
        admit_cluster({"metadata": {"name": "c"}, "spec": {"capacityProviders": "FARGATE"}})


def test_unknown_revision_of_an_existing_family_is_refused() -> None:
    td = _td()
    registered = [Revision(1, dict(td["spec"]))]
    with pytest.raises(Refused) as refused:
        admit_workload("ECSService", _service("web:99"), None, _facts(td, registered))
    assert refused.value.message == "taskDefinition: TaskDefinition web revision 99 not found in namespace ns"
    assert admit_workload("ECSService", _service("web:1"), None, _facts(td, registered)) == []


def test_the_revision_a_changed_spec_registers_next_is_admitted() -> None:
    old = _td()
    new = _td()
    new["spec"]["containerDefinitions"] = [_container(image="nginx:2")]
    registered = [Revision(1, dict(old["spec"]))]
    assert pending_revision(new, registered, 0) == Revision(2, dict(new["spec"]))
    assert pending_revision(old, registered, 0) is None
    assert admit_workload("ECSService", _service("web:2"), None, _facts(new, registered)) == []
    with pytest.raises(Refused):
        admit_workload("ECSService", _service("web:3"), None, _facts(new, registered))


def test_a_family_starting_again_continues_from_the_ledger() -> None:
    td = _td()
    assert pending_revision(td, [], 4) == Revision(5, dict(td["spec"]))
    with pytest.raises(Refused):
        admit_workload("ECSService", _service("web:1"), None, _facts(td, [], recorded=4))


def test_what_a_reconcile_waits_for_is_admitted_with_its_message() -> None:
    assert admit_workload("ECSService", _service("later"), None, _facts(None, [])) == [
        "taskDefinition: TaskDefinition later not found in namespace ns (yet)"
    ]
    td = _td()
    warnings = admit_workload(
        "ECSService", _service("web", cluster="prod"), None, _facts(td, [Revision(1, td["spec"])])
    )
    assert warnings == ["cluster: ECSCluster prod not found in namespace ns"]


def test_inactive_revision_refused_for_a_new_service_but_kept_by_one_running_it() -> None:
    td = _td()
    revisions = [Revision(1, dict(td["spec"]), status="INACTIVE"), Revision(2, {**td["spec"], "cpu": "512"})]
    with pytest.raises(Refused) as refused:
        admit_workload("ECSService", _service("web:1"), None, _facts(td, revisions))
    assert "web:1 is INACTIVE" in refused.value.message
    running = {"taskDefinition": "web:1"}
    assert admit_workload("ECSService", _service("web:1"), running, _facts(td, revisions)) == []


def test_render_errors_carry_the_handlers_prefix() -> None:
    td = _td(networkMode="awsvpc", cpu="256", memory="4096")
    td["spec"]["containerDefinitions"] = [{"name": "web", "image": "nginx", "essential": True}]
    with pytest.raises(Refused) as refused:
        admit_workload("ECSService", _service("web", launchType="FARGATE"), None, _facts(td, [Revision(1, td["spec"])]))
    assert refused.value.message.startswith("taskDefinition web:1: ")
    assert "No Fargate configuration exists" in refused.value.message


def test_schedule_errors_name_the_schedule() -> None:
    td = _td()
    task = _service("web", schedule="cron(0 23 L * ? *)")
    task["spec"].pop("desiredCount")
    with pytest.raises(Refused) as refused:
        admit_workload("ECSTask", task, None, _facts(td, [Revision(1, td["spec"])]))
    assert refused.value.message.startswith("schedule: ")


def test_bad_service_spec_is_refused_by_the_models() -> None:
    with pytest.raises(Refused) as refused:
        admit_workload("ECSService", _service("web", desiredCount=-1), None, _facts(None, []))
    assert "desiredCount" in refused.value.message


def test_updates_that_leave_spec_alone_are_not_checked() -> None:
    old = _service("web:99")
    assert spec_unchanged(old, {**old, "metadata": {**old["metadata"], "finalizers": ["x"]}})
    assert not spec_unchanged(old, _service("web:98"))
    assert not spec_unchanged(None, old)
