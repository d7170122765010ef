"""deploy/'s metrics wiring holds together: flag, container port, Service and ServiceMonitor agree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _load(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(path.read_text())
    return doc


def _operator() -> tuple[dict[str, Any], dict[str, Any]]:
    deployment = _load(DEPLOY / "deployment.yaml")
    template = deployment["spec"]["template"]
    return template, template["spec"]["containers"][0]


def _flag(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def test_ports_are_the_ones_the_flags_open() -> None:
    _template, container = _operator()
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"health": 8081, "metrics": 8080}
    assert int(_flag(container["args"], "--health-port")) == ports["health"]
    assert int(_flag(container["args"], "--metrics-port")) == ports["metrics"]
    assert container["livenessProbe"]["httpGet"]["port"] == "health"


def test_metrics_service_reaches_the_operator_pods() -> None:
    template, container = _operator()
    service = _load(DEPLOY / "metrics-service.yaml")
    assert "metrics-service.yaml" in _load(DEPLOY / "kustomization.yaml")["resources"]
    assert service["metadata"]["name"] == "ecs-operator-metrics"
    assert service["spec"]["selector"].items() <= template["metadata"]["labels"].items()
    (port,) = service["spec"]["ports"]
    assert (port["name"], port["port"], port["targetPort"]) == ("metrics", 8080, "metrics")
    assert port["targetPort"] in {p["name"] for p in container["ports"]}


def test_service_monitor_is_an_optional_component_selecting_the_metrics_service() -> None:
    component = _load(DEPLOY / "servicemonitor" / "kustomization.yaml")
    assert component["kind"] == "Component"
    assert "servicemonitor" not in str(_load(DEPLOY / "kustomization.yaml").get("resources"))
    monitor = _load(DEPLOY / "servicemonitor" / component["resources"][0])
    assert (monitor["apiVersion"], monitor["kind"]) == ("monitoring.coreos.com/v1", "ServiceMonitor")
    service = _load(DEPLOY / "metrics-service.yaml")
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    assert monitor["metadata"]["namespace"] == service["metadata"]["namespace"]
    assert [e["port"] for e in monitor["spec"]["endpoints"]] == ["metrics"]
    # only the metrics Service carries the selector's labels, not the webhook's Service
    webhook_service = _load(DEPLOY / "webhook" / "service.yaml")
    assert not monitor["spec"]["selector"]["matchLabels"].items() <= webhook_service["metadata"]["labels"].items()
