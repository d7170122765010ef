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
    pod = spec["template"]["spec"]
    container = pod["containers"][0]
    # a rolling update starts the new pod beside the old one: only safe because one holds the lease
    assert spec["replicas"] == 1 and spec["strategy"]["type"] == "RollingUpdate"
    assert container["args"][:2] == ["run", "--leader-elect"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["resources"]["requests"] and container["resources"]["limits"]


def test_deployment_probes_liveness_and_readiness() -> None:
    """/healthz restarts a wedged operator, /readyz tells when it works; a standby is never ready, so a
    rollout must not wait for the new pods to be ready before it stops the leader."""
    spec = yaml.safe_load((DEPLOY / "deployment.yaml").read_text())["spec"]
    container = spec["template"]["spec"]["containers"][0]
    probes = {kind: container[kind]["httpGet"] for kind in ("livenessProbe", "readinessProbe")}
    assert probes == {
        "livenessProbe": {"path": "/healthz", "port": "health"},
        "readinessProbe": {"path": "/readyz", "port": "health"},
    }
    assert {p["name"]: p["containerPort"] for p in container["ports"]}["health"] == 8081
    assert container["args"][container["args"].index("--health-port") + 1] == "8081"
    assert spec["strategy"] == {"type": "RollingUpdate"}  # a new pod is ready once synced: rolls wait for it


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


WEBHOOK = DEPLOY / "webhook"


def _webhook_docs(name: str) -> list[dict]:
    return list(yaml.safe_load_all((WEBHOOK / name).read_text()))


def test_webhook_is_a_component_beside_the_base() -> None:
    """deploy/ alone stays installable without cert-manager; deploy/webhook adds admission to it."""
    component = yaml.safe_load((WEBHOOK / "kustomization.yaml").read_text())
    assert component["kind"] == "Component"
    assert sorted(component["resources"]) == ["certificate.yaml", "service.yaml", "webhook.yaml"]
    assert "webhook" not in str(yaml.safe_load((DEPLOY / "kustomization.yaml").read_text()).get("resources"))


def test_webhook_configuration_covers_the_four_kinds_and_fails_open() -> None:
    from ecs_operator.vocabulary import PLURALS

    (config,) = _webhook_docs("webhook.yaml")
    assert config["kind"] == "ValidatingWebhookConfiguration"
    plurals = sorted(PLURALS[k] for k in ("ECSCluster", "TaskDefinition", "ECSService", "ECSTask"))
    assert sorted(w["rules"][0]["resources"][0] for w in config["webhooks"]) == plurals
    (service,) = _webhook_docs("service.yaml")
    for webhook in config["webhooks"]:
        plural = webhook["rules"][0]["resources"][0]
        ref = webhook["clientConfig"]["service"]
        # the path is the kopf handler id handlers/admission.py registers
        assert ref["path"] == f"/validate-{plural}"
        assert (ref["name"], ref["namespace"]) == (service["metadata"]["name"], service["metadata"]["namespace"])
        assert ref["port"] == service["spec"]["ports"][0]["port"]
        assert webhook["failurePolicy"] == "Ignore", "the documented policy: admit while the operator is down"
        assert webhook["sideEffects"] == "None", "dry runs must be checked too"
        assert set(webhook["rules"][0]["operations"]) == {"CREATE", "UPDATE"}
        assert webhook["timeoutSeconds"] <= 10


def test_webhook_certificate_reaches_the_operator_and_the_ca_bundle() -> None:
    from ecs_operator.settings import ENVIRONMENT, WEBHOOK_PORT

    (config,) = _webhook_docs("webhook.yaml")
    issuer, certificate = _webhook_docs("certificate.yaml")
    (service,) = _webhook_docs("service.yaml")
    meta = certificate["metadata"]
    assert config["metadata"]["annotations"]["cert-manager.io/inject-ca-from"] == f"{meta['namespace']}/{meta['name']}"
    assert certificate["spec"]["issuerRef"]["name"] == issuer["metadata"]["name"]
    svc = service["metadata"]
    assert f"{svc['name']}.{svc['namespace']}.svc" in certificate["spec"]["dnsNames"]
    patch = yaml.safe_load((WEBHOOK / "deployment-patch.yaml").read_text())
    base = yaml.safe_load((DEPLOY / "deployment.yaml").read_text())
    assert patch["metadata"]["name"] == base["metadata"]["name"]
    pod = patch["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["name"] == base["spec"]["template"]["spec"]["containers"][0]["name"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env[ENVIRONMENT["webhook"]] == "on"
    assert int(env[ENVIRONMENT["webhook_port"]]) == WEBHOOK_PORT == container["ports"][0]["containerPort"]
    assert service["spec"]["ports"][0]["targetPort"] == container["ports"][0]["name"]
    mount = next(m for m in container["volumeMounts"] if m["name"] == "webhook-tls")
    assert env[ENVIRONMENT["webhook_cert_dir"]] == mount["mountPath"]
    volume = next(v for v in pod["volumes"] if v["name"] == "webhook-tls")
    assert volume["secret"]["secretName"] == certificate["spec"]["secretName"]
    # the Service selects the operator's pods
    assert service["spec"]["selector"].items() <= base["spec"]["template"]["metadata"]["labels"].items()
