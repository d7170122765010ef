"""EFS stand-in claims outlive everything but an explicit user delete.

The documented policy (render/storage.py, DESIGN.md "Exception: data"): the PersistentVolumeClaim
standing in for an EFS file system has no owner, the operator never deletes it, and its static
PersistentVolume is Retain; only a user's `kubectl delete pvc` removes it.

* Live: services mount an EFS volume; then everything that could take the claim with it
  happens: the services are deleted (drained, garbage-collected), the TaskDefinition is
  deleted and registered again, the operator is restarted. The claim is still there, the same
  object (uid), unowned, not being deleted, and a new service uses it as it is.
* Static: no code in the operator deletes a PersistentVolumeClaim or PersistentVolume; the
  only allowed call sites are those listed in ALLOWED_DELETES (today: none, the policy is
  "never").
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from chaos import kube_client, report, ssa, wait_until
from manifests import ecs_service, task_definition

from ecs_operator.render import names

API = "ecs.operator.dev/v1alpha1"
FILE_SYSTEM = "fs-0a1b2c3d4e5f60001"
SOURCE = Path(__file__).resolve().parents[2] / "operator" / "ecs_operator"

# "path/to/module.py:function" of every code path allowed to delete a claim or its volume, with
# the documentation that makes it an explicit policy. The documented policy is that the
# operator never deletes one, so: none.
ALLOWED_DELETES: set[str] = set()
DATA_KINDS = {"persistentvolumeclaim", "persistentvolumeclaims", "pvc", "persistentvolume", "persistentvolumes", "pv"}


def _efs_task_definition(namespace: str) -> dict:
    td = task_definition(
        "files",
        containers=[
            {
                "name": "app",
                "image": "busybox",
                "cpu": 16,
                "memory": 64,
                "essential": True,
                "mountPoints": [{"sourceVolume": "shared", "containerPath": "/data"}],
            }
        ],
        volumes=[{"name": "shared", "efsVolumeConfiguration": {"fileSystemId": FILE_SYSTEM}}],
    )
    td["metadata"]["namespace"] = namespace
    return td


def _service(namespace: str, name: str) -> dict:
    svc = ecs_service(name, "files", 1)
    svc["metadata"]["namespace"] = namespace
    return svc


@pytest.mark.timeout(600)
def test_efs_claim_survives_service_and_task_definition_deletion_and_operator_restart(
    cluster, namespace, operators
) -> None:
    kube = kube_client(cluster)
    claim = names.efs_claim_name(FILE_SYSTEM)
    op = operators.start()
    ssa(kube, _efs_task_definition(namespace))
    ssa(kube, _service(namespace, "reader"))
    ssa(kube, _service(namespace, "writer"))

    def claim_exists():
        return kube.get_or_none("v1", "PersistentVolumeClaim", namespace, claim)

    deadline_hit = False
    try:
        pvc = wait_until(claim_exists, timeout=90, interval=1, message=f"PVC {claim}")
    except pytest.fail.Exception:
        deadline_hit = True
    if deadline_hit:
        pytest.fail(
            f"the operator never created the EFS stand-in PVC {claim} within 90s: a TaskDefinition with an "
            f"efsVolumeConfiguration used by two ECSServices no longer gets its shared claim"
        )
    uid = pvc["metadata"]["uid"]
    volume = pvc["spec"].get("volumeName")

    def still_there(step: str) -> dict:
        current = kube.get_or_none("v1", "PersistentVolumeClaim", namespace, claim)
        assert current is not None, f"PVC {claim} is gone after {step}"
        assert current["metadata"]["uid"] == uid, f"PVC {claim} was deleted and re-created after {step}"
        assert not current["metadata"].get("deletionTimestamp"), f"PVC {claim} is being deleted after {step}"
        assert not current["metadata"].get("ownerReferences"), f"PVC {claim} got owners after {step}"
        return current

    still_there("creation")
    for name in ("reader", "writer"):
        cluster.kubectl("delete", "ecsservice", name, "-n", namespace, "--wait=true", timeout=120)
    wait_until(
        lambda: not kube.list("apps/v1", "Deployment", namespace),
        timeout=60,
        message="the services' Deployments garbage-collected",
    )
    still_there("deleting the services")

    cluster.kubectl("delete", "taskdefinition", "files", "-n", namespace, "--wait=true", timeout=120)
    wait_until(
        lambda: (
            not kube.list("apps/v1", "ControllerRevision", namespace, selector="ecs.operator.dev/task-definition=files")
        ),
        timeout=60,
        message="the TaskDefinition's revisions garbage-collected",
    )
    still_there("deleting the TaskDefinition")
    ssa(kube, _efs_task_definition(namespace))
    wait_until(
        lambda: (kube.get(API, "TaskDefinition", namespace, "files").get("status") or {}).get("revision"),
        timeout=60,
        message="the TaskDefinition registered again",
    )
    still_there("re-registering the TaskDefinition")

    op.stop()
    op = operators.start()  # resume handlers of a fresh process see everything again
    ssa(kube, _service(namespace, "again"))
    wait_until(
        lambda: kube.get_or_none("apps/v1", "Deployment", namespace, "again"),
        timeout=60,
        message="a new service using the claim",
    )
    current = still_there("restarting the operator and starting a new service on it")
    if volume:
        pv = kube.get_or_none("v1", "PersistentVolume", None, volume)
        assert pv is not None and pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    report(
        f"data-safety: PVC {claim} (uid {uid[:8]}) survived service deletion, TaskDefinition deletion "
        f"and re-registration, operator restart; phase {(current.get('status') or {}).get('phase')}"
    )
    if volume:  # cluster-scoped: not removed with the namespace; Retain keeps it otherwise
        cluster.kubectl("delete", "pv", volume, "--wait=false", check=False)


# -- static ---------------------------------------------------------------------------------------


def _constants_for(name: str, scopes: list[ast.AST]) -> set[str] | None:
    """String values `name` can hold, from `for name in (...)` / `name = "..."` in enclosing scopes."""
    values: set[str] = set()
    for scope in scopes:
        for node in ast.walk(scope):
            if isinstance(node, ast.For) and isinstance(node.target, ast.Name) and node.target.id == name:
                if isinstance(node.iter, (ast.Tuple, ast.List, ast.Set)):
                    values |= {
                        e.value for e in node.iter.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
                    }
                else:
                    return None
            elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                    values.add(node.value.value)
                else:
                    return None
    return values or None


def _delete_sites(path: Path, root: Path = SOURCE) -> list[tuple[str, str]]:
    """(function, description) of every call in `path` that may delete a claim or volume."""
    tree = ast.parse(path.read_text(), filename=str(path))
    sites = []
    parents: dict[ast.AST, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        strings = [a.value for a in ast.walk(node) if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        lowered = [s.lower() for s in strings]
        scopes: list[ast.AST] = []
        cursor: ast.AST | None = node
        function = "<module>"
        while cursor is not None:
            if isinstance(cursor, (ast.FunctionDef, ast.AsyncFunctionDef)):
                scopes.append(cursor)
                if function == "<module>":
                    function = cursor.name
            cursor = parents.get(cursor)
        where = f"{path.relative_to(root.parent)}:{function}"
        if "delete" in name.lower():
            if "persistent_volume" in name.lower():
                sites.append((where, f"{name}(...)"))
                continue
            kinds: set[str] = {s.lower() for s in strings}
            for arg in node.args[:3]:
                if isinstance(arg, ast.Name):
                    resolved = _constants_for(arg.id, scopes)
                    if resolved is None:
                        text = ast.get_source_segment(path.read_text(), scopes[0]) if scopes else ""
                        if text and "persistentvolume" in text.lower():
                            sites.append((where, f"{name}({arg.id}=<unresolved>) near PersistentVolume code"))
                    else:
                        kinds |= {k.lower() for k in resolved}
            if kinds & DATA_KINDS:
                sites.append((where, f"{name}({', '.join(sorted(kinds & DATA_KINDS))})"))
        elif "delete" in lowered and set(lowered) & DATA_KINDS:  # kubectl delete pvc ...
            sites.append((where, f"{name}({' '.join(strings)})"))
    return sites


def test_no_code_path_deletes_persistent_volume_claims() -> None:
    files = sorted(SOURCE.rglob("*.py"))
    assert len(files) > 20, f"operator source not found under {SOURCE}"
    sites = [site for f in files for site in _delete_sites(f)]
    unexpected = [f"{where}: {what}" for where, what in sites if where not in ALLOWED_DELETES]
    assert unexpected == [], (
        "code that deletes EFS stand-in claims / volumes outside the documented policy:\n  " + "\n  ".join(unexpected)
    )
    report(
        f"data-safety: scanned {len(files)} operator modules; PVC/PV delete call sites: "
        f"{len(sites)} (allowed: {sorted(ALLOWED_DELETES) or 'none, the policy is never'})"
    )


def test_the_scan_finds_a_claim_delete(tmp_path: Path) -> None:
    """The static scan itself: the shapes of delete it must catch."""
    sample = tmp_path / "ecs_operator" / "handlers" / "sample.py"
    sample.parent.mkdir(parents=True)
    sample.write_text(
        "def prune(client, ns, name):\n"
        "    client.delete('v1', 'PersistentVolumeClaim', ns, name)\n"
        "def sweep(client, ns):\n"
        "    for kind in ('Deployment', 'PersistentVolume'):\n"
        "        client.delete('v1', kind, ns, 'x')\n"
        "def shell(run):\n"
        "    run(['kubectl', 'delete', 'pvc', 'data'])\n"
        "def fine(client, ns):\n"
        "    for kind in ('Deployment', 'DaemonSet'):\n"
        "        client.delete('apps/v1', kind, ns, 'x')\n"
    )
    found = {where.split(":")[1] for where, _ in _delete_sites(sample, tmp_path / "ecs_operator")}
    assert found == {"prune", "sweep", "shell"}
