"""Settings: every variable read once, typed, defaulted; README's table lists exactly these."""

from __future__ import annotations

import re
from pathlib import Path

from ecs_operator.settings import ENVIRONMENT, Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_defaults_without_environment() -> None:
    settings = Settings.from_environ({})
    assert settings == Settings()
    assert settings.reconcile_workers == 8 and settings.kopf_workers == 16
    assert settings.stopped_task_retention == 3600.0
    assert not settings.local_fargate and not settings.in_cluster and settings.kubeconfig is None


def test_values_are_parsed_and_bad_numbers_fall_back() -> None:
    env = {
        "KUBECONFIG": "/tmp/a.yaml:/tmp/b.yaml",
        "KUBERNETES_SERVICE_HOST": "10.0.0.1",
        "ECS_OPERATOR_RECONCILE_WORKERS": "3",
        "ECS_OPERATOR_WORKERS": "many",
        "ECS_OPERATOR_FARGATE_PROVISIONER": "kwok",
        "ECS_OPERATOR_STOPPED_TASK_RETENTION": "-5",
    }
    settings = Settings.from_environ(env)
    assert settings.kubeconfig == "/tmp/a.yaml"  # the first entry, as kubectl merges from the first
    assert settings.in_cluster
    assert settings.reconcile_workers == 3
    assert settings.kopf_workers == 16
    assert settings.local_fargate
    assert settings.stopped_task_retention == 0.0


def test_readme_lists_every_variable() -> None:
    section = README.read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", section, flags=re.MULTILINE))
    assert documented == set(ENVIRONMENT.values())


def test_nothing_else_reads_the_environment() -> None:
    """Only settings.py (and the local cluster's build cache paths) read os.environ in the operator."""
    root = Path(__file__).resolve().parents[2] / "operator" / "ecs_operator"
    readers = sorted(
        str(p.relative_to(root)) for p in root.rglob("*.py") if re.search(r"os\.environ|os\.getenv", p.read_text())
    )
    assert readers == [
        "cli.py",
        "localcluster/build.py",
        "localcluster/cluster.py",
        "localcluster/versions.py",
        "settings.py",
    ]


def test_watch_timeout_sets_kopf_watches_and_their_client_timeout() -> None:
    assert (Settings().watch_timeout, Settings().watch_client_timeout) == (60, 90.0)
    short = Settings.from_environ({"ECS_OPERATOR_WATCH_TIMEOUT": "2"})
    assert (short.watch_timeout, short.watch_client_timeout) == (2, 3.0)
    assert Settings.from_environ({"ECS_OPERATOR_WATCH_TIMEOUT": "0"}).watch_timeout == 1  # 0 would mean the server's
