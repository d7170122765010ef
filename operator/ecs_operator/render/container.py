"""One ECS container definition as one Kubernetes container, plus what it asks of the pod.

Several container members are pod-wide in Kubernetes (hostname, DNS, /etc/hosts, sysctls,
process namespace sharing, pull secrets, annotations), so rendering a container returns a
:class:`ContainerParts`: the container itself and its contributions, which :mod:`.pod` merges
(and where conflicts between containers are reported).

Kubernetes expands ``$(VAR)`` in ``command``, ``args`` and env values; ECS does not. Those strings
are escaped (every ``$`` followed by ``$`` or ``(`` is doubled, see :func:`escape_expansion`) so
the process sees exactly what the task definition says.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..models import ContainerDefinition
from ..models.base import ECSModel
from ..vocabulary import GROUP, prefixed
from . import names
from .names import NameMappingError, SecretRef
from .probes import render_probes
from .resources import container_resources, ephemeral_storage_resources
from .warnings import RenderWarning

__all__ = [
    "ANNOTATION_PREFIX",
    "ContainerContext",
    "ContainerParts",
    "escape_expansion",
    "render_container",
    "rewrite_image",
]

ANNOTATION_PREFIX = GROUP
NetworkMode = Literal["awsvpc", "bridge", "host", "none"]

_APPARMOR_DEFAULTS = ("runtime/default", "docker-default")
_SELINUX_FIELDS = ("user", "role", "type", "level")


@dataclass
class ContainerContext:
    """What the pod knows that a container needs: its role, names, mounts, network mode."""

    index: int
    k8s_name: str
    role: Literal["main", "sidecar", "init"]
    network_mode: NetworkMode
    for_service: bool
    healthy_target: bool
    volume_mounts: list[dict[str, Any]]
    claim_volume_name: Callable[[str], str]
    claim_port_name: Callable[[str, str], str]
    ephemeral_storage_gib: int | None = None
    image_registry_map: Mapping[str, str] = field(default_factory=dict)
    path: str = "containerDefinitions"


@dataclass
class ContainerParts:
    """A rendered container and its pod-wide contributions."""

    container: dict[str, Any]
    annotations: dict[str, str] = field(default_factory=dict)
    secret_refs: list[SecretRef] = field(default_factory=list)
    pull_secret: SecretRef | None = None
    config_maps: list[str] = field(default_factory=list)
    volumes: list[dict[str, Any]] = field(default_factory=list)
    hostname: str | None = None
    dns_servers: list[str] = field(default_factory=list)
    dns_searches: list[str] = field(default_factory=list)
    host_aliases: list[tuple[str, str]] = field(default_factory=list)
    sysctls: list[tuple[str, str, str]] = field(default_factory=list)  # (name, value, ECS path)
    ports: list[tuple[int, str, str]] = field(default_factory=list)  # (port, protocol, ECS path)
    share_process_namespace: bool = False
    stop_timeout: int | None = None
    warnings: list[RenderWarning] = field(default_factory=list)

    def warn(self, path: str, reason: str, kind: Literal["unsupported", "approximated"]) -> None:
        self.warnings.append(RenderWarning(path, reason, kind))


def escape_expansion(text: str) -> str:
    """Escape Kubernetes ``$(VAR)`` expansion: a ``$`` before ``$`` or ``(`` is doubled."""
    return re.sub(r"\$(?=[$(])", "$$", text)


def rewrite_image(image: str, registry_map: Mapping[str, str]) -> str:
    """Replace the longest matching registry prefix (ECR -> local mirror); unchanged otherwise."""
    for prefix in sorted(registry_map, key=lambda p: (-len(p), p)):
        if image.startswith(prefix):
            return registry_map[prefix] + image[len(prefix) :]
    return image


def render_container(cd: ContainerDefinition, ctx: ContainerContext) -> ContainerParts:
    """Render ContainerDefinition ``cd`` in the role and pod given by ``ctx``."""
    where = f"{ctx.path}[{ctx.index}]"
    parts = ContainerParts(container={})
    c = parts.container
    c["name"] = ctx.k8s_name
    c["image"] = rewrite_image(cd.image, ctx.image_registry_map)
    if cd.entry_point:
        c["command"] = [escape_expansion(a) for a in cd.entry_point]
    if cd.command:
        c["args"] = [escape_expansion(a) for a in cd.command]
    if cd.working_directory:
        c["workingDir"] = cd.working_directory
    ports = _ports(cd, ctx, parts, where)
    if ports:
        c["ports"] = ports
    env = _env(cd, parts, where)
    if env:
        c["env"] = env
    env_from = _env_from(cd, parts, where)
    if env_from:
        c["envFrom"] = env_from
    resources, warnings = container_resources(
        cpu=cd.cpu,
        memory=cd.memory,
        memory_reservation=cd.memory_reservation,
        resource_requirements=cd.resource_requirements,
        path=where,
    )
    parts.warnings.extend(warnings)
    if ctx.ephemeral_storage_gib:
        storage = ephemeral_storage_resources(ctx.ephemeral_storage_gib)
        resources["requests"] = dict(sorted({**resources.get("requests", {}), **storage}.items()))
        resources["limits"] = dict(sorted({**resources.get("limits", {}), **storage}.items()))
    if resources:
        c["resources"] = resources
    mounts = list(ctx.volume_mounts) + _linux_mounts(cd, ctx, parts, where)
    if mounts:
        c["volumeMounts"] = mounts
    _probes(cd, ctx, parts, where)
    if ctx.role == "sidecar":
        c["restartPolicy"] = "Always"
    security = _security_context(cd, parts, where)
    if security:
        c["securityContext"] = security
    if cd.interactive:
        c["stdin"] = True
    if cd.pseudo_terminal:
        c["tty"] = True
    _pod_contributions(cd, ctx, parts, where)
    _reported(cd, ctx, parts, where)
    return parts


def _ports(cd: ContainerDefinition, ctx: ContainerContext, parts: ContainerParts, where: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for m, mapping in enumerate(cd.port_mappings or ()):
        at = f"{where}.portMappings[{m}]"
        protocol = (mapping.protocol or "tcp").upper()
        ranged = mapping.container_port_range is not None
        for port in mapping.ports:
            if port == 0:
                parts.warn(at, "container port 0 cannot be exposed; skipped", "unsupported")
                continue
            wanted = names.port_name(None if ranged else mapping.name, port, protocol.lower())
            name = ctx.claim_port_name(wanted, f"{ctx.k8s_name}/{mapping.name or ''}/{port}/{protocol}")
            entry: dict[str, Any] = {"name": name, "containerPort": port, "protocol": protocol}
            if ctx.network_mode == "host":
                entry["hostPort"] = port
            elif ctx.network_mode == "bridge" and mapping.host_port:
                entry["hostPort"] = mapping.host_port
            out.append(entry)
            parts.ports.append((port, protocol, at))
            if mapping.app_protocol:
                parts.annotations[names.annotation_key(ANNOTATION_PREFIX, f"app-protocol.{name}")] = (
                    mapping.app_protocol
                )
        if (
            ctx.network_mode == "host"
            and mapping.host_port
            and mapping.container_port
            and mapping.host_port != mapping.container_port
        ):
            parts.warn(f"{at}.hostPort", "in host mode the host port is the container port", "approximated")
    return out


def _env(cd: ContainerDefinition, parts: ContainerParts, where: str) -> list[dict[str, Any]]:
    entries: dict[str, dict[str, Any]] = {}
    for variable in cd.environment or ():
        entries[variable.name] = {"name": variable.name, "value": escape_expansion(variable.value or "")}
    for s, secret in enumerate(cd.secrets or ()):
        at = f"{where}.secrets[{s}]"
        try:
            ref = names.secret_ref(secret.value_from)
        except NameMappingError as exc:
            parts.warn(f"{at}.valueFrom", f"{exc}; the variable {secret.name} is not set", "unsupported")
            continue
        if secret.name in entries:
            parts.warn(f"{at}.name", f"{secret.name} is also in environment; the secret wins", "approximated")
        entries[secret.name] = {
            "name": secret.name,
            "valueFrom": {"secretKeyRef": {"name": ref.secret_name, "key": ref.key}},
        }
        if ref not in parts.secret_refs:
            parts.secret_refs.append(ref)
    return list(entries.values())


def _env_from(cd: ContainerDefinition, parts: ContainerParts, where: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for f, env_file in enumerate(cd.environment_files or ()):
        at = f"{where}.environmentFiles[{f}]"
        try:
            config_map = names.config_map_name_for_env_file(env_file.value)
        except NameMappingError as exc:
            parts.warn(at, str(exc), "unsupported")
            continue
        out.append({"configMapRef": {"name": config_map}})
        if config_map not in parts.config_maps:
            parts.config_maps.append(config_map)
        parts.warn(
            at,
            f"the operator does not read S3: create ConfigMap {config_map} with the variables of {env_file.value}",
            "approximated",
        )
    return out


def _linux_mounts(
    cd: ContainerDefinition, ctx: ContainerContext, parts: ContainerParts, where: str
) -> list[dict[str, Any]]:
    linux = cd.linux_parameters
    if linux is None:
        return []
    mounts: list[dict[str, Any]] = []
    if linux.shared_memory_size:
        volume = ctx.claim_volume_name(f"shm-{ctx.k8s_name}")
        parts.volumes.append(
            {"name": volume, "emptyDir": {"medium": "Memory", "sizeLimit": f"{linux.shared_memory_size}Mi"}}
        )
        mounts.append({"name": volume, "mountPath": "/dev/shm"})
    for t, tmpfs in enumerate(linux.tmpfs or ()):
        volume = ctx.claim_volume_name(f"tmpfs-{ctx.k8s_name}-{t}")
        parts.volumes.append({"name": volume, "emptyDir": {"medium": "Memory", "sizeLimit": f"{tmpfs.size}Mi"}})
        mounts.append({"name": volume, "mountPath": tmpfs.container_path})
        if tmpfs.mount_options:
            parts.warn(
                f"{where}.linuxParameters.tmpfs[{t}].mountOptions",
                f"mount options {', '.join(tmpfs.mount_options)} cannot be set on an emptyDir",
                "unsupported",
            )
    return mounts


def _probes(cd: ContainerDefinition, ctx: ContainerContext, parts: ContainerParts, where: str) -> None:
    if ctx.role == "init":
        if cd.health_check is not None:
            parts.warn(
                f"{where}.healthCheck",
                "init containers (dependsOn SUCCESS/COMPLETE targets) cannot have probes",
                "unsupported",
            )
        if cd.start_timeout:
            parts.warn(f"{where}.startTimeout", "Kubernetes puts no deadline on an init container", "unsupported")
        return
    probes, warnings = render_probes(
        cd.health_check,
        path=where,
        essential=cd.essential,
        for_service=ctx.for_service,
        startup_required=ctx.healthy_target,
        start_timeout=cd.start_timeout if ctx.healthy_target else None,
    )
    parts.warnings.extend(warnings)
    parts.container.update(probes)


def _security_context(cd: ContainerDefinition, parts: ContainerParts, where: str) -> dict[str, Any]:
    sc: dict[str, Any] = {}
    if cd.privileged:
        sc["privileged"] = True
    if cd.readonly_root_filesystem:
        sc["readOnlyRootFilesystem"] = True
    run_as = cd.run_as
    if cd.user is not None and run_as is None:
        parts.warn(f"{where}.user", f"user {cd.user!r} is not numeric; Kubernetes needs a uid", "unsupported")
    if run_as is not None:
        sc["runAsUser"] = run_as[0]
        if run_as[1] is not None:
            sc["runAsGroup"] = run_as[1]
    linux = cd.linux_parameters
    if linux is not None and linux.capabilities is not None:
        capabilities: dict[str, list[str]] = {}
        for member, names_given in (("add", linux.capabilities.add), ("drop", linux.capabilities.drop)):
            values = [v.removeprefix("CAP_") for v in names_given or ()]
            if values:
                capabilities[member] = list(dict.fromkeys(values))
        if capabilities:
            sc["capabilities"] = capabilities
    for o, option in enumerate(cd.docker_security_options or ()):
        _security_option(option, sc, parts, f"{where}.dockerSecurityOptions[{o}]", bool(cd.privileged))
    return sc


def _security_option(option: str, sc: dict[str, Any], parts: ContainerParts, at: str, privileged: bool) -> None:
    match = re.fullmatch(r"([^:=]*)[:=]?(.*)", option)
    key, value = (match[1], match[2]) if match else (option, "")
    if option == "no-new-privileges" or (key == "no-new-privileges" and value in ("", "true")):
        if privileged:
            parts.warn(at, "no-new-privileges cannot be combined with privileged in Kubernetes; ignored", "unsupported")
        else:
            sc["allowPrivilegeEscalation"] = False
    elif key == "apparmor":
        if value == "unconfined":
            sc["appArmorProfile"] = {"type": "Unconfined"}
        elif value in _APPARMOR_DEFAULTS:
            sc["appArmorProfile"] = {"type": "RuntimeDefault"}
        else:
            sc["appArmorProfile"] = {"type": "Localhost", "localhostProfile": value}
    elif key == "seccomp":
        if value == "unconfined":
            sc["seccompProfile"] = {"type": "Unconfined"}
        elif value in ("", "runtime/default", "docker-default"):
            sc["seccompProfile"] = {"type": "RuntimeDefault"}
        else:
            sc["seccompProfile"] = {"type": "Localhost", "localhostProfile": value}
    elif key == "label":
        kind, _, setting = value.partition(":")
        if kind in _SELINUX_FIELDS and setting:
            sc.setdefault("seLinuxOptions", {})[kind] = setting
        elif kind == "disable":
            sc.setdefault("seLinuxOptions", {})["type"] = "spc_t"
            parts.warn(at, "label:disable runs the container as the unconfined SELinux type spc_t", "approximated")
        else:
            parts.warn(at, f"unknown SELinux label option {value!r}; ignored", "unsupported")
    elif key == "credentialspec":
        parts.warn(at, "gMSA credential specs are for Windows containers; ignored", "unsupported")
    else:
        parts.warn(at, f"unknown Docker security option {option!r}; ignored", "unsupported")


def _pod_contributions(cd: ContainerDefinition, ctx: ContainerContext, parts: ContainerParts, where: str) -> None:
    if cd.hostname and ctx.network_mode in ("host", "awsvpc"):
        parts.warn(
            f"{where}.hostname", f"hostname is not supported in {ctx.network_mode} network mode; ignored", "unsupported"
        )
    elif cd.hostname:
        parts.hostname = cd.hostname
    parts.dns_servers = list(cd.dns_servers or ())
    parts.dns_searches = list(cd.dns_search_domains or ())
    for host in cd.extra_hosts or ():
        parts.host_aliases.append((host.ip_address, host.hostname))
    for link in cd.links or ():
        target, _, alias = link.partition(":")
        for hostname in dict.fromkeys(h for h in (target, alias) if h):
            parts.host_aliases.append(("127.0.0.1", hostname))
    if cd.links:
        parts.warn(
            f"{where}.links",
            "containers of a pod share one network namespace: linked names resolve to 127.0.0.1 (hostAliases)",
            "approximated",
        )
    for s, control in enumerate(cd.system_controls or ()):
        if control.namespace:
            parts.sysctls.append((control.namespace, control.value or "", f"{where}.systemControls[{s}]"))
    if cd.linux_parameters is not None and cd.linux_parameters.init_process_enabled:
        parts.share_process_namespace = True
        parts.warn(
            f"{where}.linuxParameters.initProcessEnabled",
            "the pod shares one process namespace whose init (the pause container) reaps zombies; "
            "containers can see each other's processes",
            "approximated",
        )
    docker_labels = cd.docker_labels or {}
    for key in sorted(docker_labels):
        natural = f"docker-label.{ctx.k8s_name}.{key}"
        annotation = names.annotation_key(ANNOTATION_PREFIX, natural)
        parts.annotations[annotation] = docker_labels[key]
        if annotation != prefixed(natural):
            parts.warn(
                f"{where}.dockerLabels",
                f"label {key!r} is too long or has characters an annotation key cannot; kept as {annotation}",
                "approximated",
            )
    if cd.repository_credentials is not None:
        try:
            parts.pull_secret = names.pull_secret_ref(cd.repository_credentials.credentials_parameter)
        except NameMappingError as exc:
            parts.warn(f"{where}.repositoryCredentials.credentialsParameter", str(exc), "unsupported")
    if cd.stop_timeout is not None:
        parts.stop_timeout = cd.stop_timeout


def _reported(cd: ContainerDefinition, ctx: ContainerContext, parts: ContainerParts, where: str) -> None:
    """Members with no Kubernetes equivalent: kept where useful, always reported."""
    linux = cd.linux_parameters
    if linux is not None:
        if linux.devices:
            parts.warn(
                f"{where}.linuxParameters.devices",
                "host devices need a device plugin on Kubernetes; not mapped",
                "unsupported",
            )
        if linux.max_swap is not None:
            parts.warn(
                f"{where}.linuxParameters.maxSwap",
                "swap is configured per node by the kubelet, not per container",
                "unsupported",
            )
        if linux.swappiness is not None:
            parts.warn(
                f"{where}.linuxParameters.swappiness",
                "swappiness is configured per node, not per container",
                "unsupported",
            )
    if cd.ulimits:
        limits = ", ".join(f"{u.name}={u.soft_limit}:{u.hard_limit}" for u in cd.ulimits)
        parts.warn(
            f"{where}.ulimits",
            f"ulimits ({limits}) are set by the node's container runtime, not per pod",
            "unsupported",
        )
    if cd.disable_networking:
        parts.warn(f"{where}.disableNetworking", "a container cannot leave the pod's network namespace", "unsupported")
    if cd.log_configuration is not None:
        parts.annotations[names.annotation_key(ANNOTATION_PREFIX, f"log-configuration.{ctx.k8s_name}")] = _json(
            cd.log_configuration
        )
        parts.warn(
            f"{where}.logConfiguration",
            f"log driver {cd.log_configuration.log_driver} is not applied: the container logs to stdout and a node "
            "agent ships logs; the configuration is kept in an annotation",
            "unsupported",
        )
    if cd.firelens_configuration is not None:
        parts.annotations[names.annotation_key(ANNOTATION_PREFIX, f"firelens-configuration.{ctx.k8s_name}")] = _json(
            cd.firelens_configuration
        )
        parts.warn(
            f"{where}.firelensConfiguration",
            "FireLens log routing is not set up; the configuration is kept in an annotation",
            "unsupported",
        )
    policy = cd.restart_policy
    if policy is not None and policy.enabled:
        detail = ""
        if policy.ignored_exit_codes:
            detail += f"; exit codes {', '.join(map(str, policy.ignored_exit_codes))} are not ignored"
        if policy.restart_attempt_period is not None:
            detail += "; restartAttemptPeriod does not apply"
        parts.warn(
            f"{where}.restartPolicy",
            "containers restart according to the pod's restartPolicy (Always for services, Never for tasks)" + detail,
            "approximated",
        )
    if cd.credential_specs:
        parts.warn(
            f"{where}.credentialSpecs", "gMSA credential specs are for Windows containers; ignored", "unsupported"
        )
    if cd.version_consistency == "enabled":
        parts.warn(
            f"{where}.versionConsistency",
            "Kubernetes resolves the image tag at each pull; pin the image by digest to keep every task on one version",
            "approximated",
        )


def _json(model: ECSModel) -> str:
    return json.dumps(model.dump(), sort_keys=True, separators=(",", ":"))
