"""ECS health checks as readiness, liveness and startup probes."""

from __future__ import annotations

from ecs_operator.render.probes import exec_command, render_probes

CHECK = {"command": ["CMD", "curl", "-f", "http://localhost/"], "interval": 10, "timeout": 3, "retries": 4}


def test_cmd_runs_arguments_directly() -> None:
    assert exec_command(["CMD", "curl", "-f", "http://x/"], path="p") == (["curl", "-f", "http://x/"], [])


def test_cmd_shell_runs_through_sh() -> None:
    assert exec_command(["CMD-SHELL", "curl -f http://x/ || exit 1"], path="p") == (
        ["/bin/sh", "-c", "curl -f http://x/ || exit 1"],
        [],
    )


def test_other_forms_are_reported() -> None:
    command, warnings = exec_command(["NONE"], path="p")
    assert command is None and warnings[0].kind == "approximated"
    command, warnings = exec_command(["curl", "x"], path="p")
    assert command == ["curl", "x"] and warnings


def test_no_health_check_no_probes() -> None:
    assert render_probes(None, path="c", essential=True, for_service=True) == ({}, [])


def test_readiness_always_and_liveness_for_essential_service_containers() -> None:
    probes, _ = render_probes(CHECK, path="c", essential=True, for_service=True)
    assert set(probes) == {"readinessProbe", "livenessProbe"}
    assert probes["readinessProbe"] == {
        "exec": {"command": ["curl", "-f", "http://localhost/"]},
        "periodSeconds": 10,
        "timeoutSeconds": 3,
        "failureThreshold": 4,
        "successThreshold": 1,
    }
    assert probes["livenessProbe"] == probes["readinessProbe"]
    assert set(render_probes(CHECK, path="c", essential=False, for_service=True)[0]) == {"readinessProbe"}
    assert set(render_probes(CHECK, path="c", essential=True, for_service=False)[0]) == {"readinessProbe"}


def test_ecs_defaults() -> None:
    probes, _ = render_probes({"command": ["CMD", "true"]}, path="c", essential=False, for_service=True)
    assert probes["readinessProbe"]["periodSeconds"] == 30
    assert probes["readinessProbe"]["timeoutSeconds"] == 5
    assert probes["readinessProbe"]["failureThreshold"] == 3


def test_start_period_becomes_a_startup_probe() -> None:
    probes, _ = render_probes({**CHECK, "startPeriod": 60}, path="c", essential=True, for_service=True)
    # 60 s of grace plus the usual 4 retries every 10 s
    assert probes["startupProbe"]["failureThreshold"] == 10
    assert probes["startupProbe"]["periodSeconds"] == 10


def test_healthy_dependency_gets_a_startup_probe_bounded_by_start_timeout() -> None:
    probes, _ = render_probes(CHECK, path="c", essential=False, for_service=True, startup_required=True)
    assert probes["startupProbe"]["failureThreshold"] == 4
    probes, _ = render_probes(
        CHECK, path="c", essential=False, for_service=True, startup_required=True, start_timeout=95
    )
    assert probes["startupProbe"]["failureThreshold"] == 10
