"""Every golden pod template is a Pod the API server accepts (server-side dry run).

Unit tests pin what render produces; this checks that what it produces is valid Kubernetes:
field names, enums, cross-field rules (native sidecars, pod-level resources, probes on init
containers, hostPort with hostNetwork...) as the pinned kube-apiserver validates them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

GOLDEN = Path(__file__).resolve().parents[1] / "unit" / "golden" / "render"
CASES = sorted(path.stem for path in GOLDEN.glob("*.yaml"))


def _pod(case: str, namespace: str) -> tuple[dict, str | None]:
    expected = yaml.safe_load((GOLDEN / f"{case}.yaml").read_text())
    template = expected["template"]
    metadata = {"name": f"dryrun-{case.replace('_', '-')}", "namespace": namespace, **template["metadata"]}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": template["spec"]}, expected[
        "serviceAccount"
    ]


def test_there_are_golden_pods() -> None:
    assert len(CASES) >= 15


@pytest.mark.parametrize("case", CASES)
def test_golden_pod_passes_server_side_dry_run(cluster, namespace: str, case: str) -> None:  # type: ignore[no-untyped-def]
    pod, service_account = _pod(case, namespace)
    if service_account:
        # The ServiceAccount admission plugin rejects pods whose account does not exist yet;
        # the operator creates it before the workload.
        cluster.kubectl("create", "serviceaccount", service_account, "-n", namespace)
    done = cluster.kubectl("apply", "--dry-run=server", "-n", namespace, "-f", "-", input=json.dumps(pod), check=False)
    assert done.returncode == 0, f"{case}: the API server rejected the pod:\n{done.stderr}"
    assert "created (server dry run)" in done.stdout
