"""How traffic reaches an ECSService's tasks: Services, an ALB Ingress, TargetGroupBindings.

* ``loadBalancers`` (targetGroupArn, containerName, containerPort): the service's port Service
  (named like the ECSService) exposes exactly those container ports; with dynamic port mapping
  the target is still the *container* port, never a host port. With the AWS Load Balancer
  Controller installed, a TargetGroupBinding registers the tasks (by IP) in the named target
  group; ``ingress`` (an operator extension) puts an Ingress of class ``alb`` in front.
  Without load balancers the port Service exposes every container port, as before.
* ``serviceRegistries`` (Cloud Map): a *headless* Service, so the DNS name resolves to one
  record per ready task, as Cloud Map's multivalue A / SRV records do. Named by
  ``serviceDiscoveryName`` (default ``<name>-discovery``).
* ``serviceConnectConfiguration``: for each entry a ClusterIP Service named by
  ``discoveryName`` (default ``portName``) on the named port mapping's container port, plus
  one per client alias ``dnsName`` (its first label; ``api.prod`` resolves as Service ``api``
  of namespace ``prod``) on the alias port. Services with the same name merge their ports.

Every object is owned by the ECSService. Objects of add-on APIs (TargetGroupBinding) come back
as :class:`OptionalObject`: the handler applies them when the cluster serves the API, and
otherwise reports the warning they carry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..models import ECSServiceSpec, TaskDefinitionSpec
from ..vocabulary import (
    ANNOTATION_REGISTRY,
    ANNOTATION_SERVICE_CONNECT_NAMESPACE,
    ANNOTATION_TARGET_GROUP,
    LABEL_CLUSTER,
    LABEL_SERVICE,
)
from . import names
from .meta import owner_reference, standard_labels
from .network import OptionalObject, render_network
from .warnings import RenderWarning
from .workload import build_port_service, service_selector

__all__ = [
    "ALB_CLASS",
    "ANNOTATION_REGISTRY",
    "ANNOTATION_TARGET_GROUP",
    "LoadBalancerTarget",
    "OptionalObject",
    "TARGET_GROUP_BINDING_API",
    "Traffic",
    "discovery_service_name",
    "healthy_targets",
    "load_balancer_status",
    "render_traffic",
]

ALB_CLASS = "alb"
TARGET_GROUP_BINDING_API = ("elbv2.k8s.aws/v1beta1", "targetgroupbindings")
_APP_PROTOCOLS = {"http": "http", "http2": "kubernetes.io/h2c", "grpc": "grpc"}


@dataclass(frozen=True)
class LoadBalancerTarget:
    """One ``loadBalancers`` entry and the Kubernetes objects standing in for it."""

    index: int
    container_name: str
    container_port: int
    target_group_arn: str | None = None
    load_balancer_name: str | None = None
    service: str | None = None  # the Service whose endpoints are the targets; None: no such port
    target_group_binding: str | None = None
    ingress: str | None = None


@dataclass
class Traffic:
    objects: list[dict[str, Any]] = field(default_factory=list)  # Services, Ingress; owned by the ECSService
    optional: list[OptionalObject] = field(default_factory=list)
    targets: list[LoadBalancerTarget] = field(default_factory=list)
    warnings: list[RenderWarning] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        """``Kind/name`` of everything rendered (optional objects included), for pruning."""
        rendered = [*self.objects, *(o.object for o in self.optional)]
        return sorted(f"{o['kind']}/{o['metadata']['name']}" for o in rendered)


def _service_name(text: str) -> str:
    """A DNS-1035 label (Service names start with a letter)."""
    label = names.dns_label(text)
    return label if label[:1].isalpha() else names.dns_label(f"s-{label}")


def discovery_service_name(owner_name: str, spec: ECSServiceSpec) -> str:
    return spec.service_discovery_name or _service_name(f"{owner_name}-discovery")


def _port_index(td: TaskDefinitionSpec, pod_template: Mapping[str, Any]) -> tuple[dict[str, str], set[tuple[str, int]]]:
    """ECS container name -> pod container name, and the (pod container, containerPort) pairs."""
    k8s_names = names.container_names([c.name for c in td.container_definitions])
    by_ecs = dict(zip((c.name for c in td.container_definitions), k8s_names, strict=True))
    spec = pod_template.get("spec", {})
    ports = {
        (c["name"], p["containerPort"])
        for c in [*spec.get("initContainers", []), *spec.get("containers", [])]
        for p in c.get("ports", [])
    }
    return by_ecs, ports


def _labels(owner_name: str, component: str, cluster: str) -> dict[str, str]:
    return standard_labels(owner_name, component, {LABEL_CLUSTER: cluster, LABEL_SERVICE: owner_name})


def _metadata(
    owner: Mapping[str, Any], name: str, component: str, cluster: str, annotations: Mapping[str, str] | None = None
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": name,
        "namespace": owner["metadata"]["namespace"],
        "labels": _labels(owner["metadata"]["name"], component, cluster),
        "ownerReferences": [owner_reference(owner)],
    }
    if annotations:
        meta["annotations"] = dict(annotations)
    return meta


class _Services:
    """Services by name, merging the ports of same-named ones."""

    def __init__(self) -> None:
        self.by_name: dict[str, dict[str, Any]] = {}
        self.warnings: list[RenderWarning] = []

    def add(self, service: dict[str, Any], where: str) -> None:
        name = service["metadata"]["name"]
        existing = self.by_name.get(name)
        if existing is None:
            self.by_name[name] = service
            return
        if (existing["spec"].get("clusterIP") == "None") != (service["spec"].get("clusterIP") == "None"):
            self.warnings.append(
                RenderWarning(
                    where,
                    f"Service {name} is already used by another member of this service with a different type; skipped",
                    "unsupported",
                )
            )
            return
        for port in service["spec"].get("ports", []):
            self.add_port(existing, port, where)
        annotations = {**existing["metadata"].get("annotations", {}), **service["metadata"].get("annotations", {})}
        if annotations:
            existing["metadata"]["annotations"] = annotations

    def add_port(self, service: dict[str, Any], port: dict[str, Any], where: str) -> None:
        ports = service["spec"].setdefault("ports", [])
        for other in ports:
            if other["port"] == port["port"] and other.get("protocol", "TCP") == port.get("protocol", "TCP"):
                if other["targetPort"] != port["targetPort"]:
                    self.warnings.append(
                        RenderWarning(
                            where,
                            f"port {port['port']} of Service {service['metadata']['name']} already leads to "
                            f"container port {other['targetPort']}; not to {port['targetPort']}",
                            "unsupported",
                        )
                    )
                return
        taken = {p["name"] for p in ports}
        entry = dict(port)
        if entry["name"] in taken:
            entry["name"] = names.port_name(None, entry["port"], entry.get("protocol", "TCP").lower())
        if entry["name"] in taken:
            entry["name"] = f"p-{names.short_hash(repr(sorted(entry.items())), 8)}"
        ports.append(entry)


def _service(
    owner: Mapping[str, Any],
    name: str,
    component: str,
    cluster: str,
    ports: list[dict[str, Any]],
    *,
    headless: bool = False,
    annotations: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"selector": service_selector(owner["metadata"]["name"]), "ports": ports}
    if headless:
        spec["clusterIP"] = "None"
        spec["publishNotReadyAddresses"] = False  # Cloud Map registers healthy tasks only
    else:
        spec["type"] = "ClusterIP"
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(owner, name, component, cluster, annotations),
        "spec": spec,
    }


def _port(
    name: str | None, port: int, target: int, protocol: str = "tcp", app_protocol: str | None = None
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": names.port_name(name, port, protocol),
        "port": port,
        "targetPort": target,
        "protocol": protocol.upper(),
    }
    if app_protocol:
        entry["appProtocol"] = _APP_PROTOCOLS.get(app_protocol, app_protocol)
    return entry


def render_traffic(
    owner: Mapping[str, Any],
    spec: ECSServiceSpec,
    td: TaskDefinitionSpec,
    pod_template: Mapping[str, Any],
    *,
    cluster: str,
) -> Traffic:
    """Everything that sends traffic to the tasks of ECSService ``owner`` (spec ``spec``, revision ``td``)."""
    out = Traffic()
    name = owner["metadata"]["name"]
    namespace = owner["metadata"]["namespace"]
    by_ecs, ports = _port_index(td, pod_template)
    services = _Services()

    only = _load_balancers(owner, spec, by_ecs, ports, cluster, out)
    port_service = build_port_service(owner, cluster=cluster, pod_template=pod_template, only=only)
    if port_service is not None:
        services.add(port_service, "loadBalancers" if only is not None else "portMappings")
        if only is not None:
            out.targets = [
                t if t.service is None else replace(t, service=port_service["metadata"]["name"]) for t in out.targets
            ]
    else:
        out.targets = [replace(t, service=None) for t in out.targets]
    _ingress(owner, spec, out, cluster)
    _target_group_bindings(owner, out, cluster)
    _registries(owner, spec, by_ecs, ports, cluster, services, out)
    _service_connect(owner, spec, td, by_ecs, cluster, namespace, services, out)
    out.warnings.extend(services.warnings)
    out.objects[:0] = list(services.by_name.values())
    network = render_network(
        owner,
        selector=service_selector(name),
        network_mode=td.effective_network_mode,
        network_configuration=spec.network_configuration,
        labels={LABEL_CLUSTER: cluster, LABEL_SERVICE: name},
    )
    out.objects.extend(network.objects)
    out.optional.extend(network.optional)
    out.warnings.extend(network.warnings)
    return out


def _load_balancers(
    owner: Mapping[str, Any],
    spec: ECSServiceSpec,
    by_ecs: Mapping[str, str],
    ports: set[tuple[str, int]],
    cluster: str,
    out: Traffic,
) -> list[tuple[str, int]] | None:
    balancers = spec.load_balancers or []
    if not balancers:
        return None
    only: list[tuple[str, int]] = []
    for index, lb in enumerate(balancers):
        where = f"loadBalancers[{index}]"
        k8s = by_ecs.get(lb.container_name)
        found = k8s is not None and (k8s, lb.container_port) in ports
        if not found:
            what = (
                f"container {lb.container_name} has no containerPort {lb.container_port}"
                if k8s is not None
                else f"there is no container {lb.container_name}"
            )
            out.warnings.append(
                RenderWarning(where, f"{what} in the task definition; the load balancer gets no targets", "unsupported")
            )
        elif k8s is not None and (k8s, lb.container_port) not in only:
            only.append((k8s, lb.container_port))
        if lb.load_balancer_name and not lb.target_group_arn:
            out.warnings.append(
                RenderWarning(
                    f"{where}.loadBalancerName",
                    "a Classic Load Balancer registers instances, not tasks; the tasks are "
                    f"reachable through Service {owner['metadata']['name']}",
                    "approximated",
                )
            )
        if lb.advanced_configuration is not None:
            out.warnings.append(
                RenderWarning(
                    f"{where}.advancedConfiguration",
                    "blue/green target groups and listener rules are not switched; deployments roll",
                    "unsupported",
                )
            )
        out.targets.append(
            LoadBalancerTarget(
                index=index,
                container_name=lb.container_name,
                container_port=lb.container_port,
                target_group_arn=lb.target_group_arn,
                load_balancer_name=lb.load_balancer_name,
                service="" if found else None,
            )
        )
    return only


def _ingress(owner: Mapping[str, Any], spec: ECSServiceSpec, out: Traffic, cluster: str) -> None:
    ingress = spec.ingress
    if ingress is None:
        return
    target = next(
        (
            t
            for t in out.targets
            if ingress.container_name in (None, t.container_name) and ingress.container_port in (None, t.container_port)
        ),
        None,
    )
    if target is None or target.service is None:
        out.warnings.append(
            RenderWarning("ingress", "the load balancer it routes to has no targets; no Ingress", "unsupported")
        )
        return
    name = owner["metadata"]["name"]
    annotations = {"alb.ingress.kubernetes.io/target-type": "ip"}
    if ingress.scheme:
        annotations["alb.ingress.kubernetes.io/scheme"] = ingress.scheme
    annotations.update(ingress.annotations or {})
    rule: dict[str, Any] = {
        "http": {
            "paths": [
                {
                    "path": ingress.path or "/",
                    "pathType": ingress.path_type or "Prefix",
                    "backend": {"service": {"name": target.service, "port": {"number": target.container_port}}},
                }
            ]
        }
    }
    if ingress.host:
        rule["host"] = ingress.host
    out.objects.append(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": _metadata(owner, name, "ingress", cluster, annotations),
            "spec": {"ingressClassName": ingress.ingress_class_name or ALB_CLASS, "rules": [rule]},
        }
    )
    out.targets = [replace(t, ingress=name) if t is target else t for t in out.targets]


def _target_group_name(arn: str) -> str:
    """``arn:aws:elasticloadbalancing:...:targetgroup/web-tg/73e2d6bc24d8a067`` -> ``web-tg``."""
    match = re.search(r":targetgroup/([^/]+)/", arn)
    return match.group(1) if match else names.short_hash(arn)


def _target_group_bindings(owner: Mapping[str, Any], out: Traffic, cluster: str) -> None:
    owner_name = owner["metadata"]["name"]
    targets = []
    for target in out.targets:
        if not target.target_group_arn or target.service is None:
            targets.append(target)
            continue
        name = names.dns_label(f"{owner_name}-{_target_group_name(target.target_group_arn)}")
        binding = {
            "apiVersion": TARGET_GROUP_BINDING_API[0],
            "kind": "TargetGroupBinding",
            "metadata": _metadata(
                owner, name, "target-group-binding", cluster, {ANNOTATION_TARGET_GROUP: target.target_group_arn}
            ),
            "spec": {
                "serviceRef": {"name": target.service, "port": target.container_port},
                "targetGroupARN": target.target_group_arn,
                "targetType": "ip",
            },
        }
        missing = RenderWarning(
            f"loadBalancers[{target.index}].targetGroupArn",
            "the AWS Load Balancer Controller (TargetGroupBinding API) is not installed; the target group is not "
            f"updated, the tasks are reachable through Service {target.service}",
            "approximated",
        )
        out.optional.append(OptionalObject(*TARGET_GROUP_BINDING_API, binding, missing))
        targets.append(replace(target, target_group_binding=name))
    out.targets = targets


def _registries(
    owner: Mapping[str, Any],
    spec: ECSServiceSpec,
    by_ecs: Mapping[str, str],
    ports: set[tuple[str, int]],
    cluster: str,
    services: _Services,
    out: Traffic,
) -> None:
    owner_name = owner["metadata"]["name"]
    base = discovery_service_name(owner_name, spec)
    if base == owner_name:
        out.warnings.append(
            RenderWarning(
                "serviceDiscoveryName",
                f"{base} is the name of the service's own Service; using {base}-discovery",
                "approximated",
            )
        )
        base = _service_name(f"{owner_name}-discovery")
    for index, registry in enumerate(spec.service_registries or []):
        where = f"serviceRegistries[{index}]"
        name = base if index == 0 else _service_name(f"{base}-{index}")
        if index == 1:
            out.warnings.append(
                RenderWarning(
                    where, f"ECS supports one service registry per service; this one is Service {name}", "approximated"
                )
            )
        service_ports = []
        port = registry.container_port or registry.port
        if registry.container_name is not None:
            k8s = by_ecs.get(registry.container_name)
            if k8s is None or (registry.container_port is not None and (k8s, registry.container_port) not in ports):
                out.warnings.append(
                    RenderWarning(
                        where,
                        f"container {registry.container_name} has no containerPort "
                        f"{registry.container_port}; no SRV port",
                        "unsupported",
                    )
                )
                port = None
        if port is not None:
            service_ports.append(_port(None, port, port))
        annotations = {ANNOTATION_REGISTRY: registry.registry_arn} if registry.registry_arn else None
        services.add(
            _service(owner, name, "discovery", cluster, service_ports, headless=True, annotations=annotations), where
        )


def _named_ports(td: TaskDefinitionSpec, by_ecs: Mapping[str, str]) -> dict[str, tuple[int, str, str | None]]:
    """ECS port mapping name -> (containerPort, protocol, appProtocol)."""
    found: dict[str, tuple[int, str, str | None]] = {}
    for container in td.container_definitions:
        for mapping in container.port_mappings or ():
            if mapping.name and mapping.container_port is not None and mapping.name not in found:
                found[mapping.name] = (mapping.container_port, mapping.protocol or "tcp", mapping.app_protocol)
    return found


def _service_connect(
    owner: Mapping[str, Any],
    spec: ECSServiceSpec,
    td: TaskDefinitionSpec,
    by_ecs: Mapping[str, str],
    cluster: str,
    namespace: str,
    services: _Services,
    out: Traffic,
) -> None:
    config = spec.service_connect_configuration
    if config is None or not config.enabled:
        return
    prefix = "serviceConnectConfiguration"
    if config.log_configuration is not None or config.access_log_configuration is not None:
        out.warnings.append(
            RenderWarning(
                prefix,
                "no Service Connect proxy runs beside the task: proxy logs and access logs do not exist",
                "unsupported",
            )
        )
    named = _named_ports(td, by_ecs)
    sc_annotations = {ANNOTATION_SERVICE_CONNECT_NAMESPACE: config.namespace} if config.namespace else None
    for index, entry in enumerate(config.services or []):
        where = f"{prefix}.services[{index}]"
        mapping = named.get(entry.port_name)
        if mapping is None:
            out.warnings.append(
                RenderWarning(
                    f"{where}.portName",
                    f"no port mapping named {entry.port_name} in the task definition; not published",
                    "unsupported",
                )
            )
            continue
        container_port, protocol, app_protocol = mapping
        discovery = entry.discovery_name or entry.port_name
        service_name = _service_name(discovery)
        if service_name != discovery:
            out.warnings.append(
                RenderWarning(
                    f"{where}.discoveryName", f"published as Service {service_name} (a DNS label)", "approximated"
                )
            )
        services.add(
            _service(
                owner,
                service_name,
                "service-connect",
                cluster,
                [_port(entry.port_name, container_port, container_port, protocol, app_protocol)],
                annotations=sc_annotations,
            ),
            where,
        )
        for a, alias in enumerate(entry.client_aliases or []):
            at = f"{where}.clientAliases[{a}]"
            dns = alias.dns_name or discovery
            label, _, rest = dns.partition(".")
            alias_service = _service_name(label)
            if rest and rest not in (namespace, f"{namespace}.svc", f"{namespace}.svc.cluster.local"):
                out.warnings.append(
                    RenderWarning(
                        f"{at}.dnsName",
                        f"{dns} is served by Service {alias_service}: "
                        f"clients resolve {alias_service} or "
                        f"{alias_service}.{namespace}",
                        "approximated",
                    )
                )
            if alias.test_traffic_rules is not None:
                out.warnings.append(
                    RenderWarning(f"{at}.testTrafficRules", "test traffic is not routed separately", "unsupported")
                )
            services.add(
                _service(
                    owner,
                    alias_service,
                    "service-connect",
                    cluster,
                    [_port(entry.port_name, alias.port, container_port, protocol, app_protocol)],
                    annotations=sc_annotations,
                ),
                at,
            )
        for member, value in (
            ("ingressPortOverride", entry.ingress_port_override),
            ("timeout", entry.timeout),
            ("tls", entry.tls),
        ):
            if value is not None:
                out.warnings.append(
                    RenderWarning(
                        f"{where}.{member}",
                        "no Service Connect proxy runs beside the task; clients connect to the container port directly",
                        "unsupported",
                    )
                )


# -- status -------------------------------------------------------------------------------------


def _ready(endpoint: Mapping[str, Any]) -> bool:
    conditions = endpoint.get("conditions") or {}
    return conditions.get("ready") is not False and not conditions.get("terminating")


def healthy_targets(slices: Sequence[Mapping[str, Any]], port: int) -> list[str]:
    """Pods (or addresses) ready behind ``port`` in a Service's EndpointSlices, sorted."""
    found: set[str] = set()
    for item in slices:
        if not any(p.get("port") == port for p in item.get("ports") or []):
            continue
        for endpoint in item.get("endpoints") or []:
            if _ready(endpoint):
                ref = endpoint.get("targetRef") or {}
                found.add(ref.get("name") or ",".join(endpoint.get("addresses") or []))
    return sorted(found)


def load_balancer_status(
    targets: Sequence[LoadBalancerTarget], slices: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """``status.loadBalancers``: each entry with its stand-ins and how many targets are healthy."""
    status = []
    for target in targets:
        entry: dict[str, Any] = {"containerName": target.container_name, "containerPort": target.container_port}
        if target.target_group_arn:
            entry["targetGroupArn"] = target.target_group_arn
        if target.load_balancer_name:
            entry["loadBalancerName"] = target.load_balancer_name
        if target.service:
            entry["service"] = target.service
        if target.target_group_binding:
            entry["targetGroupBinding"] = target.target_group_binding
        if target.ingress:
            entry["ingress"] = target.ingress
        entry["healthyTargets"] = len(healthy_targets(slices, target.container_port)) if target.service else 0
        status.append(entry)
    return status
