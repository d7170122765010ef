"""deploy/ grants least privilege: explicit groups, resources and verbs, and enough to run."""

from __future__ import annotations

from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _cluster_role() -> dict:
    docs = list(yaml.safe_load_all((DEPLOY / "rbac.yaml").read_text()))
    return next(d for d in docs if d["kind"] == "ClusterRole")


def test_cluster_role_has_no_wildcards() -> None:
    role = _cluster_role()
    assert role["rules"], "the ClusterRole grants nothing"
    for rule in role["rules"]:
        for key in ("apiGroups", "resources", "verbs"):
            assert rule.get(key), f"rule {rule} must list {key} explicitly"
            assert "*" not in rule[key], f"wildcard in {key}: {rule}"
        assert "nonResourceURLs" not in rule


def test_operator_never_deletes_claims_or_reads_secret_values() -> None:
    role = _cluster_role()
    for rule in role["rules"]:
        if "persistentvolumeclaims" in rule["resources"]:
            assert "delete" not in rule["verbs"], "EFS stand-in claims must outlive services"
        if "secrets" in rule["resources"]:
            assert set(rule["verbs"]) <= {"get", "list", "watch"}


def test_deployment_is_hardened() -> None:
    deployment = yaml.safe_load((DEPLOY / "deployment.yaml").read_text())
    spec = deployment["spec"]
    assert spec["replicas"] == 1 and spec["strategy"]["type"] == "Recreate"
    pod = spec["template"]["spec"]
    container = pod["containers"][0]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["resources"]["requests"] and container["resources"]["limits"]


def _api_docs() -> list[dict]:
    return list(yaml.safe_load_all((DEPLOY / "ecs-api.yaml").read_text()))


def test_ecs_api_reads_only_and_writes_as_the_callers_account() -> None:
    role = next(d for d in _api_docs() if d["kind"] == "ClusterRole")
    for rule in role["rules"]:
        if rule["verbs"] == ["impersonate"]:
            assert rule["resources"] == ["serviceaccounts"], "impersonate service accounts only, never users or groups"
            continue
        assert set(rule["verbs"]) <= {"get", "list", "watch"}, f"the API server itself writes nothing: {rule}"
        assert "secrets" not in rule["resources"], "API keys are read from one namespace, not the cluster"
    keys = next(d for d in _api_docs() if d["kind"] == "Role")
    assert keys["metadata"]["namespace"] == "ecs-operator-system"
    assert keys["rules"] == [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch"]}]


def test_ecs_api_is_installed_by_kustomize_and_hardened() -> None:
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    assert "ecs-api.yaml" in kustomization["resources"]
    deployment = next(d for d in _api_docs() if d["kind"] == "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["args"][0] == "api" and pod["serviceAccountName"] == "ecs-api"
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
