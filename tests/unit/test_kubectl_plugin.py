"""`kubectl ecs` (the kubectl-ecs entry point): usage, dispatch to cli.py's own status and convert.

The plugin must be `ecs-operator status` / `convert` under another name: same flags, same output.
Against a real kubectl and API server: tests/integration/test_kubectl_plugin_cluster.py.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_cli_status import FakeKube

from ecs_operator import cli, kubectl_plugin

REPO = Path(__file__).resolve().parents[2]
WEBSERVER = REPO / "examples" / "webserver"


def run(main: Any, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def connected(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every connect() call's arguments; each gets a FakeKube with fixed objects."""
    calls: list[dict[str, Any]] = []

    def connect(kubeconfig: str | None = None, **kwargs: Any) -> FakeKube:
        calls.append({"kubeconfig": kubeconfig, **kwargs})
        return FakeKube()

    monkeypatch.setattr("ecs_operator.kube.connect", connect)
    return calls


def test_the_entry_point_is_declared() -> None:
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["kubectl-ecs"] == "ecs_operator.kubectl_plugin:main"


@pytest.mark.parametrize("argv", [[], ["--help"]])
def test_usage_lists_the_subcommands(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    if argv:
        with pytest.raises(SystemExit) as exited:
            kubectl_plugin.main(argv)
        assert exited.value.code == 0
        out = capsys.readouterr().out
    else:
        code, out, _ = run(kubectl_plugin.main, capsys)
        assert code == 0
    assert out.startswith("usage: kubectl ecs ")
    assert "status" in out and "convert" in out and "version" in out


def test_an_unknown_subcommand_is_bad_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        kubectl_plugin.main(["describe"])
    assert exited.value.code == 2
    assert "invalid choice: 'describe'" in capsys.readouterr().err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(kubectl_plugin.main, capsys, "version")
    assert code == 0 and out.startswith("kubectl-ecs 0.")


def _options(parser: Any, command: str) -> list[tuple[str, ...]]:
    sub = next(a for a in parser._actions if a.dest == "command")
    return [tuple(a.option_strings) or (a.dest,) for a in sub.choices[command]._actions]


@pytest.mark.parametrize("command", ["status", "convert"])
def test_flags_are_the_ecs_operator_commands_own(command: str) -> None:
    assert _options(kubectl_plugin.build_parser(), command) == _options(cli.build_parser(), command)


@pytest.mark.parametrize("argv", [["status", "-n", "shop"], ["status", "-A"], ["status", "-n", "shop", "-o", "json"]])
def test_status_prints_what_ecs_operator_status_prints(
    connected: list[dict[str, Any]], capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    plugin = run(kubectl_plugin.main, capsys, *argv)
    assert plugin == run(cli.main, capsys, *argv)
    assert plugin[0] == 0 and plugin[1].startswith(("CLUSTERS\n", "{"))
    assert connected[0] == connected[1]


def test_context_selects_the_kubeconfig_context_and_its_namespace(
    connected: list[dict[str, Any]], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "dev",
                "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
                "contexts": [
                    {"name": "dev", "context": {"cluster": "c", "user": "u", "namespace": "dev-ns"}},
                    {"name": "prod", "context": {"cluster": "c", "user": "u", "namespace": "shop"}},
                ],
                "users": [{"name": "u", "user": {"token": "x"}}],
            }
        )
    )
    code, out, err = run(kubectl_plugin.main, capsys, "status", "--kubeconfig", str(kubeconfig), "--context", "prod")
    assert code == 0, err
    assert connected == [{"kubeconfig": str(kubeconfig), "in_cluster": False, "context": "prod"}]
    assert "NAMESPACE" not in out.splitlines()[1]  # one namespace: the prod context's
    code, _, err = run(kubectl_plugin.main, capsys, "status", "--kubeconfig", str(kubeconfig))
    assert code == 0, err
    assert connected[1]["context"] is None
    assert cli._context_namespace(str(kubeconfig), "prod") == "shop"
    assert cli._context_namespace(str(kubeconfig), None) == "dev-ns"
    assert cli._context_namespace(str(kubeconfig), "missing") == "default"


@pytest.mark.parametrize(
    "argv",
    [
        [str(WEBSERVER)],
        [str(WEBSERVER / "taskdefinition.yaml"), "-n", "shop", "-o", "json"],
        [str(WEBSERVER / "service.yaml"), "--keep-revisions", "--kind", "ECSService"],
    ],
)
def test_convert_prints_what_ecs_operator_convert_prints(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    plugin = run(kubectl_plugin.main, capsys, "convert", *argv)
    assert plugin == run(cli.main, capsys, "convert", *argv)
    assert plugin[0] == 0 and plugin[1], plugin[2]


def test_convert_bad_input_exits_2_like_ecs_operator(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"family": "web", "containerDefinitions": [{"name": "web"}]}')
    plugin = run(kubectl_plugin.main, capsys, "convert", str(bad))
    assert plugin == run(cli.main, capsys, "convert", str(bad))
    assert plugin[0] == 2 and plugin[2].startswith("error: ")
