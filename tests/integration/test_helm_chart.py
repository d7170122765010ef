"""The Helm chart installs what `kubectl apply -k deploy/` installs.

Two ways to install must not drift apart, so each case renders both (helm template --include-crds,
kubectl kustomize) and compares every object after dropping only what Helm alone adds (its
labels). Needs helm and kubectl but no API server; the pinned helm is built on first use.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from ecs_operator.localcluster.build import ensure_binaries, ensure_helm
from ecs_operator.localcluster.versions import bin_dir

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
CHART = DEPLOY / "helm" / "ecs-operator"
RELEASE, NAMESPACE = "ecs-operator", "ecs-operator-system"
# What Helm stamps on every object and kustomize never does.
HELM_ONLY_LABELS = frozenset(
    {"helm.sh/chart", "app.kubernetes.io/instance", "app.kubernetes.io/managed-by", "app.kubernetes.io/version"}
)

Key = tuple[str, str, str, str]


@pytest.fixture(scope="session")
def helm() -> str:
    """The pinned helm, built through the Go module proxy into the cache when missing."""
    return str(ensure_helm())


@pytest.fixture(scope="session")
def kubectl() -> str:
    """Our built kubectl (as kubectl_for prefers it), else one on PATH, else build the control plane."""
    built = bin_dir() / "kubectl"
    if built.is_file():
        return str(built)
    return shutil.which("kubectl") or str(ensure_binaries() / "kubectl")


def _run(*args: str) -> str:
    proc = subprocess.run(list(args), capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, f"{' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def _docs(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d]


def _render(helm: str, *sets: str, namespace: str = NAMESPACE) -> list[dict[str, Any]]:
    args = [helm, "template", RELEASE, str(CHART), "--namespace", namespace, "--include-crds"]
    for value in sets:
        args += ["--set", value]
    return _docs(_run(*args))


def _kustomize(kubectl: str, path: Path) -> list[dict[str, Any]]:
    return _docs(_run(kubectl, "kustomize", str(path)))


def _overlay(tmp_path: Path, *components: str) -> Path:
    """deploy/ plus some of its Components, as a user's own overlay would combine them."""
    rel = os.path.relpath(DEPLOY, tmp_path)
    overlay = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [rel],
        "components": [f"{rel}/{c}" for c in components],
    }
    (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump(overlay))
    return tmp_path


def _key(obj: dict[str, Any]) -> Key:
    meta = obj["metadata"]
    return (obj["apiVersion"], obj["kind"], meta.get("namespace", ""), meta["name"])


def _strip_helm(meta: dict[str, Any]) -> None:
    labels = {k: v for k, v in (meta.get("labels") or {}).items() if k not in HELM_ONLY_LABELS}
    if labels:
        meta["labels"] = labels
    else:
        meta.pop("labels", None)
    if not meta.get("annotations"):
        meta.pop("annotations", None)


def _canonical(value: Any) -> Any:
    """Order of named list items (containers, ports, env, volumes, webhooks) carries no meaning."""
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_canonical(v) for v in value]
        if items and all(isinstance(v, dict) and "name" in v for v in items):
            items.sort(key=lambda v: str(v["name"]))
        return items
    return value


def _normalise(obj: dict[str, Any]) -> dict[str, Any]:
    obj = yaml.safe_load(yaml.safe_dump(obj))  # a deep copy
    _strip_helm(obj["metadata"])
    template = obj.get("spec", {}).get("template", {})
    if "metadata" in template:
        _strip_helm(template["metadata"])
    return dict(_canonical(obj))


def _by_key(objects: list[dict[str, Any]]) -> dict[Key, dict[str, Any]]:
    keyed = {_key(o): _normalise(o) for o in objects}
    assert len(keyed) == len(objects), "two objects share apiVersion, kind, namespace and name"
    return keyed


def _assert_same_install(chart: list[dict[str, Any]], kustomize: list[dict[str, Any]]) -> None:
    ours, theirs = _by_key(chart), _by_key(kustomize)
    assert sorted(ours) == sorted(theirs), (
        f"only in the chart: {sorted(set(ours) - set(theirs))}; only in deploy/: {sorted(set(theirs) - set(ours))}"
    )
    for key, want in theirs.items():
        assert ours[key] == want, f"{key} differs:\nchart: {ours[key]}\ndeploy/: {want}"


def _without_namespace(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] != "Namespace"]


def _one(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (found,) = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


def _operator(objects: list[dict[str, Any]]) -> dict[str, Any]:
    container: dict[str, Any] = _one(objects, "Deployment", "ecs-operator")["spec"]["template"]["spec"]["containers"][0]
    return container


def test_chart_crds_are_byte_identical_copies_of_crds() -> None:
    """helm installs crds/ of the chart verbatim; `make crds` refreshes the copy."""
    source = {p.name: p.read_bytes() for p in (REPO / "crds").glob("*.yaml") if p.name != "kustomization.yaml"}
    copy = {p.name: p.read_bytes() for p in (CHART / "crds").iterdir()}
    assert source, "crds/ is empty"
    assert copy == source, "deploy/helm/ecs-operator/crds is stale: run `make crds` and commit the result"


def test_helm_lint_passes(helm: str) -> None:
    _run(helm, "lint", "--strict", str(CHART))
    _run(
        helm,
        "lint",
        "--strict",
        str(CHART),
        "--set",
        "webhook.enabled=true,metrics.serviceMonitor.enabled=true,watchNamespaces={a,b}",
    )


def test_default_render_installs_what_kustomize_installs(helm: str, kubectl: str) -> None:
    kustomize = _kustomize(kubectl, DEPLOY)
    chart = _render(helm)
    # --create-namespace makes the namespace, so the chart renders it only on request.
    _assert_same_install(chart, _without_namespace(kustomize))
    _assert_same_install(_render(helm, "namespace.create=true"), kustomize)
    container = _operator(chart)
    assert container["args"] == ["run", "--leader-elect", "--health-port", "8081", "--metrics-port", "8080"]
    assert [e["name"] for e in container["env"]] == ["POD_NAME", "POD_NAMESPACE"]
    lease_rules = _one(chart, "Role", "ecs-operator-leader-election")["rules"]
    assert lease_rules == [
        {
            "apiGroups": ["coordination.k8s.io"],
            "resources": ["leases"],
            "verbs": ["get", "list", "create", "update", "delete"],
        }
    ]
    assert {p["name"]: p["containerPort"] for p in container["ports"]} == {"health": 8081, "metrics": 8080}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "health"}
    service = _one(chart, "Service", "ecs-operator-metrics")
    assert service["spec"]["ports"] == [{"name": "metrics", "port": 8080, "targetPort": "metrics", "protocol": "TCP"}]
    assert {o["kind"] for o in chart} >= {"CustomResourceDefinition", "ClusterRole", "Deployment", "Service"}


def test_webhook_matches_the_webhook_component(helm: str, kubectl: str, tmp_path: Path) -> None:
    kustomize = _kustomize(kubectl, _overlay(tmp_path, "webhook"))
    chart = _render(helm, "webhook.enabled=true")
    _assert_same_install(chart, _without_namespace(kustomize))
    assert {o["kind"] for o in chart} >= {"ValidatingWebhookConfiguration", "Certificate", "Issuer"}


def test_service_monitor_matches_the_servicemonitor_component(helm: str, kubectl: str, tmp_path: Path) -> None:
    kustomize = _kustomize(kubectl, _overlay(tmp_path, "servicemonitor"))
    chart = _render(helm, "metrics.serviceMonitor.enabled=true")
    _assert_same_install(chart, _without_namespace(kustomize))
    monitor = _one(chart, "ServiceMonitor", "ecs-operator")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["spec"]["endpoints"][0]["port"] == "metrics"


def test_values_reach_the_operator(helm: str) -> None:
    """Watched namespaces become `-n` args; metrics off leaves no port, Service or monitor behind."""
    chart = _render(
        helm,
        "watchNamespaces={team-a,team-b}",
        "metrics.enabled=false",
        "metrics.serviceMonitor.enabled=true",
        "replicas=2",
        "leaderElection.enabled=false",
        "image.repository=registry.example/ecs-operator,image.tag=1.2.3",
    )
    container = _operator(chart)
    assert container["args"] == ["run", "--health-port", "8081", "--metrics-port", "0", "-n", "team-a", "-n", "team-b"]
    assert [p["name"] for p in container["ports"]] == ["health"]
    assert container["image"] == "registry.example/ecs-operator:1.2.3"
    deployment = _one(chart, "Deployment", "ecs-operator")
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}  # no lease: never two pods at once
    assert not [o for o in chart if o["kind"] == "ServiceMonitor" or o["metadata"]["name"] == "ecs-operator-metrics"]


def test_shards_reach_the_operator(helm: str) -> None:
    """`leaderElection.shards` > 1 runs `--shards N` (leader election by shard), rolling like one Lease.

    The Role lets a replica list and delete membership Leases (counting the replicas, clearing dead ones)."""
    chart = _render(helm, "leaderElection.shards=4", "replicas=3")
    assert _operator(chart)["args"][:3] == ["run", "--shards", "4"]
    assert _one(chart, "Deployment", "ecs-operator")["spec"]["strategy"] == {"type": "RollingUpdate"}


def test_switches_leave_out_rbac_and_the_ecs_api(helm: str) -> None:
    chart = _render(helm, "rbac.create=false", "ecsApi.enabled=false", "serviceAccount.create=false")
    kinds = {o["kind"] for o in chart}
    assert not kinds & {"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "ServiceAccount"}
    assert not [o for o in chart if o["metadata"]["name"].startswith("ecs-api")]
    assert _one(chart, "Deployment", "ecs-operator")["spec"]["template"]["spec"]["serviceAccountName"] == "ecs-operator"


def test_another_namespace_is_followed_everywhere(helm: str) -> None:
    """Every reference to the namespace moves with the release, not only metadata.namespace."""
    chart = _render(helm, "webhook.enabled=true", namespace="platform")
    for obj in chart:
        if obj["kind"] not in {"CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding"} and obj["kind"] != (
            "ValidatingWebhookConfiguration"
        ):
            assert obj["metadata"]["namespace"] == "platform", _key(obj)
        for subject in obj.get("subjects", []):
            assert subject["namespace"] == "platform"
    config = _one(chart, "ValidatingWebhookConfiguration", "ecs-operator")
    assert config["metadata"]["annotations"]["cert-manager.io/inject-ca-from"] == "platform/ecs-operator-webhook"
    assert {w["clientConfig"]["service"]["namespace"] for w in config["webhooks"]} == {"platform"}
    certificate = _one(chart, "Certificate", "ecs-operator-webhook")
    assert "ecs-operator-webhook.platform.svc" in certificate["spec"]["dnsNames"]
    api = _one(chart, "Deployment", "ecs-api")["spec"]["template"]["spec"]["containers"][0]
    assert api["args"][-2:] == ["--keys-namespace", "platform"]
