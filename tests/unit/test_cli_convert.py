"""`ecs-operator convert` as users run it: files, folders, stdin, exit codes, stdout/stderr split."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
import yaml

from ecs_operator.cli import main

DATA = Path(__file__).parent / "data"
ECS = DATA / "ecs"
CLI = DATA / "cli"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_convert_prints_yaml_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "convert", str(ECS / "register-webserver.json"), "-n", "shop")
    assert code == 0, err
    (doc,) = yaml.safe_load_all(out)
    assert doc["kind"] == "TaskDefinition"
    assert doc["metadata"] == {"name": "webserver", "namespace": "shop"}
    assert out.startswith(f"---\n# converted from {ECS / 'register-webserver.json'}\n")
    assert err == ""


def test_convert_json_output_is_a_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "convert", str(ECS / "create-cluster.json"), "-o", "json")
    assert code == 0
    listing = json.loads(out)
    assert listing["kind"] == "List" and listing["items"][0]["kind"] == "ECSCluster"


def test_convert_a_folder_at_once(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for name in ("register-webserver.json", "create-service.json", "run-task.json", "create-cluster.json"):
        shutil.copy(ECS / name, tmp_path / name)
    (tmp_path / "notes.txt").write_text("not an input")
    code, out, err = run(capsys, "convert", str(tmp_path))
    assert code == 0, err
    kinds = [doc["kind"] for doc in yaml.safe_load_all(out)]
    assert kinds == ["ECSCluster", "TaskDefinition", "ECSService", "ECSTask"]
    assert err.count("note: ") == 2  # the two pinned task definition references


def test_convert_reads_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO((CLI / "webserver-containers.json").read_text()))
    code, out, err = run(capsys, "convert", "-", "--family", "web")
    assert code == 0, err
    assert next(yaml.safe_load_all(out))["spec"]["family"] == "web"


def test_bad_input_exits_2_with_file_and_path(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    taskdef = tmp_path / "taskdef.json"
    shutil.copy(CLI / "bad-taskdef.json", taskdef)
    code, out, err = run(capsys, "convert", str(taskdef))
    assert code == 2
    assert out == ""  # nothing half-converted to pipe into kubectl
    assert err == f"error: {taskdef}: containerDefinitions[0].memoryReservation: must be less than memory (512)\n"


def test_good_and_bad_files_together_print_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "convert", str(ECS / "register-webserver.json"), str(CLI / "bad-taskdef.json"))
    assert (code, out) == (2, "")
    assert "bad-taskdef.json: containerDefinitions[0].memoryReservation" in err


def test_missing_file_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "convert", str(tmp_path / "nope.json"))
    assert code == 2
    assert err == f"error: {tmp_path / 'nope.json'}: cannot be read: No such file or directory\n"


def test_empty_folder_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "convert", str(tmp_path))
    assert code == 2 and "folder has no .json, .yaml or .yml files" in err


def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["convert"])
    assert exited.value.code == 2
    with pytest.raises(SystemExit) as exited:
        main(["convert", "x.json", "--kind", "Pod"])
    assert exited.value.code == 2


def test_keep_revisions_and_kind_flags(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    ambiguous = tmp_path / "svc.json"
    ambiguous.write_text(json.dumps({"taskDefinition": "web:4", "serviceName": "web", "desiredCount": 1}))
    code, out, err = run(capsys, "convert", str(ambiguous), "--keep-revisions")
    assert code == 0, err
    doc = next(yaml.safe_load_all(out))
    assert doc["kind"] == "ECSService" and doc["spec"]["taskDefinition"] == "web:4"


def test_exit_codes_are_documented() -> None:
    import ecs_operator.cli as cli

    assert "0 ok, 1 runtime failure" in (cli.__doc__ or "")
    assert "2 bad usage or bad input" in (cli.__doc__ or "")
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert "0 ok, 1 runtime failure" in readme and "2 bad\ninput or usage" in readme
