"""A task definition revision as a Kubernetes PodTemplateSpec.

This is the heart of the operator: services (Deployments, DaemonSets) and tasks (Pods, Jobs) all
start from the template rendered here, so a task looks the same however it was launched. The
function is pure: the same task definition (and overrides, node inventory, group) always gives
byte-identical YAML, which the golden tests pin.

What the caller gets besides the template is what the operator must make exist for the pod to
run: the Secrets standing in for SSM / Secrets Manager ARNs, the ServiceAccount of the task
role, the PVCs of EFS and shared Docker volumes, the ConfigMaps of environment files. Every
field that could not be rendered exactly is in ``warnings``.

The pod's restart policy is the caller's choice (ECS services replace tasks: ``Always``;
standalone tasks run once: ``Never``), as is whether probes include liveness (``for_service``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..models import ContainerDefinition, TaskDefinitionSpec, TaskOverride
from ..vocabulary import (
    ANNOTATION_COMPATIBILITIES,
    ANNOTATION_ESSENTIAL_CONTAINERS,
    ANNOTATION_NETWORK_MODE,
    LABEL_FAMILY,
    LABEL_GROUP,
    LABEL_MANAGED_BY,
    LABEL_NAME,
    LABEL_PART_OF,
    LABEL_REVISION,
    MANAGED_BY,
    prefixed,
)
from . import names
from .container import ANNOTATION_PREFIX, ContainerContext, ContainerParts, render_container
from .dependencies import Role, plan_start_order
from .names import EfsClaim, SecretRef
from .overrides import apply_overrides
from .query import AffinityResult, affinity_block, combine, to_affinity
from .resources import GPU_RESOURCE, pod_resources
from .secrets import gate_template
from .tags import is_annotation_key
from .volumes import DockerVolumeClaim, container_mounts, render_volumes
from .warnings import RenderWarning, dedupe

__all__ = [
    "ESSENTIAL_CONTAINERS_ANNOTATION",
    "PodTemplateResult",
    "render_pod_template",
]

ESSENTIAL_CONTAINERS_ANNOTATION = ANNOTATION_ESSENTIAL_CONTAINERS
NETWORK_MODE_ANNOTATION = ANNOTATION_NETWORK_MODE
COMPATIBILITIES_ANNOTATION = ANNOTATION_COMPATIBILITIES
MAX_NAMESERVERS = 3

_ARCH = {"X86_64": "amd64", "ARM64": "arm64"}


@dataclass
class PodTemplateResult:
    """The PodTemplateSpec and everything the operator must provide or report for it."""

    template: dict[str, Any]
    warnings: list[RenderWarning] = field(default_factory=list)
    secret_refs: list[SecretRef] = field(default_factory=list)
    service_account: str | None = None
    task_role_arn: str | None = None  # the role behind service_account (its IRSA annotation)
    efs_claims: list[EfsClaim] = field(default_factory=list)
    docker_volume_claims: list[DockerVolumeClaim] = field(default_factory=list)
    config_maps: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (golden files, ``ecs-operator render``): the template and what it needs."""
        return {
            "template": self.template,
            "warnings": [w.to_dict() for w in self.warnings],
            "serviceAccount": self.service_account,
            "secretRefs": [{"arn": r.arn, "secretName": r.secret_name, "key": r.key} for r in self.secret_refs],
            "efsClaims": [
                {
                    "fileSystemId": c.file_system_id,
                    "rootDirectory": c.root_directory,
                    "accessPointId": c.access_point_id,
                    "claimName": c.claim_name,
                }
                for c in self.efs_claims
            ],
            "dockerVolumeClaims": [
                {"volumeName": c.volume_name, "claimName": c.claim_name, "autoprovision": c.autoprovision}
                for c in self.docker_volume_claims
            ],
            "configMaps": list(self.config_maps),
        }


class _Namer:
    """Hands out pod-unique names (volumes, ports) on top of those already taken."""

    def __init__(self, taken: Sequence[str] = ()) -> None:
        self.used = set(taken)

    def volume(self, wanted: str) -> str:
        (name,) = names.unique_names([wanted], taken=self.used)
        self.used.add(name)
        return name

    def port(self, wanted: str, source: str) -> str:
        name = wanted
        if name in self.used:
            name = f"{wanted[:10].rstrip('-')}-{names.short_hash(source, 4)}"
            if not any(ch.isalpha() for ch in name):
                name = f"p-{names.short_hash(source, 4)}"
        self.used.add(name)
        return name


def render_pod_template(
    td: TaskDefinitionSpec,
    *,
    family: str,
    revision: int,
    overrides: TaskOverride | Mapping[str, Any] | None = None,
    for_service: bool = True,
    node_labels: Sequence[Mapping[str, str]] = (),
    task_group: str | None = None,
    restart_policy: str | None = None,
    image_registry_map: Mapping[str, str] | None = None,
    pod_level_resources: bool = True,
) -> PodTemplateResult:
    """Render TaskDefinitionSpec ``td`` (revision ``revision`` of ``family``) as a PodTemplateSpec.

    ``overrides`` are RunTask overrides; ``node_labels`` the label maps of the known nodes (for
    regular expressions in memberOf constraints); ``task_group`` the ECS group (``service:web``).
    ``pod_level_resources=False`` is for clusters without the PodLevelResources feature: the task
    size then becomes the limits of the first essential container (reported as approximated).
    Raises ``QuerySyntaxError`` for a malformed memberOf expression and ``DependencyCycleError``
    for a dependsOn cycle: those are spec errors, not something to render around.
    """
    warnings: list[RenderWarning] = []
    if overrides is not None:
        td, override_warnings = apply_overrides(td, overrides)
        warnings.extend(override_warnings)
    containers = list(td.container_definitions)
    network_mode = td.effective_network_mode
    k8s_names = names.container_names([c.name for c in containers])
    plan = plan_start_order(containers)
    warnings.extend(plan.warnings)
    volume_plan = render_volumes(td.volumes or ())
    warnings.extend(volume_plan.warnings)
    pod_volumes = list(volume_plan.volumes)
    namer = _Namer([v["name"] for v in pod_volumes])
    ports = _Namer()

    storage_owner = _ephemeral_storage_owner(td, containers, plan.roles)
    storage_gib = td.ephemeral_storage.size_in_gib if td.ephemeral_storage is not None else None
    parts_by_index: dict[int, ContainerParts] = {}
    for index in plan.init_order + plan.main_order:
        container = containers[index]
        mounts, mount_warnings = container_mounts(index, containers, volume_plan.k8s_names)
        warnings.extend(mount_warnings)
        ctx = ContainerContext(
            index=index,
            k8s_name=k8s_names[index],
            role=plan.roles[index],
            network_mode=network_mode,
            for_service=for_service,
            healthy_target=index in plan.healthy_targets,
            volume_mounts=mounts,
            claim_volume_name=namer.volume,
            claim_port_name=ports.port,
            ephemeral_storage_gib=storage_gib if index == storage_owner else None,
            image_registry_map=image_registry_map or {},
        )
        parts = render_container(container, ctx)
        parts_by_index[index] = parts
        warnings.extend(parts.warnings)
        pod_volumes.extend(parts.volumes)
    ordered = [parts_by_index[i] for i in range(len(containers))]  # ECS order for pod-wide merges

    spec: dict[str, Any] = {}
    if restart_policy:
        spec["restartPolicy"] = restart_policy
    stop_timeouts = [p.stop_timeout for p in ordered if p.stop_timeout is not None]
    if stop_timeouts:
        spec["terminationGracePeriodSeconds"] = max(stop_timeouts)
    service_account = _service_account(td, spec, warnings)
    spec["enableServiceLinks"] = False  # ECS injects no variables for other services
    _network(network_mode, ordered, spec, warnings)
    _process_namespaces(td, ordered, spec, warnings)
    node_selector = _node_selector(td, warnings)
    if node_selector:
        spec["nodeSelector"] = node_selector
    placement = _placement(td, node_labels)
    warnings.extend(placement.warnings)
    affinity = affinity_block(placement)
    if affinity:
        spec["affinity"] = affinity
    sysctls = _sysctls(ordered, warnings)
    if sysctls:
        spec["securityContext"] = {"sysctls": sysctls}
    pull_secrets = list(dict.fromkeys(p.pull_secret.secret_name for p in ordered if p.pull_secret is not None))
    if pull_secrets:
        spec["imagePullSecrets"] = [{"name": n} for n in pull_secrets]
    resources = pod_resources(cpu=td.cpu_units, memory=td.memory_mib)
    if resources and pod_level_resources:
        spec["resources"] = resources
    elif resources:
        _task_size_on_container(resources, parts_by_index[_first_essential(containers, plan.roles)], warnings)
    if any(GPU_RESOURCE in (parts.container.get("resources") or {}).get("limits", {}) for parts in ordered):
        # GPU node groups (EKS accelerated AMIs) are tainted so only GPU tasks land there.
        spec["tolerations"] = [{"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}]
    if plan.init_order:
        spec["initContainers"] = [parts_by_index[i].container for i in plan.init_order]
    spec["containers"] = [parts_by_index[i].container for i in plan.main_order]
    if pod_volumes:
        spec["volumes"] = pod_volumes
    _task_level_reports(td, warnings)

    metadata = {
        "labels": _labels(family, revision, task_group),
        "annotations": _annotations(td, containers, k8s_names, plan.roles, ordered, network_mode, warnings),
    }
    secret_refs: list[SecretRef] = []
    for parts in ordered:
        for ref in parts.secret_refs + ([parts.pull_secret] if parts.pull_secret else []):
            if ref not in secret_refs:
                secret_refs.append(ref)
    config_maps = list(dict.fromkeys(name for p in ordered for name in p.config_maps))
    template = {"metadata": metadata, "spec": spec}
    gate_template(template)  # held until its Secrets/ConfigMaps exist (render/secrets.py)
    return PodTemplateResult(
        template=template,
        warnings=dedupe(warnings),
        secret_refs=secret_refs,
        service_account=service_account,
        task_role_arn=td.task_role_arn if service_account else None,
        efs_claims=list(volume_plan.efs_claims),
        docker_volume_claims=list(volume_plan.docker_volume_claims),
        config_maps=config_maps,
    )


def _first_essential(containers: Sequence[ContainerDefinition], roles: Sequence[Role]) -> int:
    """The first essential regular container (or the first regular one): where task-wide amounts go."""
    regular = [i for i, role in enumerate(roles) if role == "main"]
    essential = [i for i in regular if containers[i].essential]
    return (essential or regular)[0]


def _ephemeral_storage_owner(
    td: TaskDefinitionSpec, containers: Sequence[ContainerDefinition], roles: Sequence[Role]
) -> int | None:
    """The container that carries the task's ephemeral storage."""
    return None if td.ephemeral_storage is None else _first_essential(containers, roles)


def _task_size_on_container(
    task: dict[str, dict[str, str]], parts: ContainerParts, warnings: list[RenderWarning]
) -> None:
    """Without pod-level resources: the task size caps (and reserves for) one container."""
    resources = parts.container.setdefault("resources", {})
    limits = resources.setdefault("limits", {})
    for resource, amount in task["limits"].items():
        limits.setdefault(resource, amount)
    resources["limits"] = dict(sorted(limits.items()))
    # Requests stay as rendered; where there is none Kubernetes defaults it to the limit, which
    # reserves the task size on the node as ECS placement does.
    warnings.append(
        RenderWarning(
            "cpu" if "cpu" in task["limits"] else "memory",
            f"without pod-level resources the task size limits container {parts.container['name']} only",
            "approximated",
        )
    )


def _labels(family: str, revision: int, task_group: str | None) -> dict[str, str]:
    family_value = names.label_value(family)
    labels = {
        LABEL_NAME: family_value,
        LABEL_MANAGED_BY: MANAGED_BY,
        LABEL_PART_OF: MANAGED_BY,
        LABEL_FAMILY: family_value,
        LABEL_REVISION: str(revision),
    }
    if task_group:
        labels[LABEL_GROUP] = names.group_label_value(task_group)
    return labels


def _annotations(
    td: TaskDefinitionSpec,
    containers: Sequence[ContainerDefinition],
    k8s_names: Sequence[str],
    roles: Sequence[Role],
    ordered: Sequence[ContainerParts],
    network_mode: str,
    warnings: list[RenderWarning],
) -> dict[str, str]:
    annotations: dict[str, str] = {
        ESSENTIAL_CONTAINERS_ANNOTATION: ",".join(
            k8s_names[i] for i, c in enumerate(containers) if c.essential and roles[i] != "init"
        ),
        NETWORK_MODE_ANNOTATION: network_mode,
    }
    if td.requires_compatibilities:
        annotations[COMPATIBILITIES_ANNOTATION] = ",".join(td.requires_compatibilities)
    for container, k8s_name in zip(containers, k8s_names, strict=True):
        if container.name != k8s_name:
            annotations[names.annotation_key(ANNOTATION_PREFIX, f"container-name.{k8s_name}")] = container.name
    for parts in ordered:
        annotations.update(parts.annotations)
    for index, tag in enumerate(td.tags or ()):
        if tag.key.startswith(f"{ANNOTATION_PREFIX}/") and is_annotation_key(tag.key):
            annotations[tag.key] = tag.value or ""  # one of ours already (kwok stages, ...): kept as it is
            continue
        annotation = names.annotation_key(ANNOTATION_PREFIX, f"tag.{tag.key}")
        annotations[annotation] = tag.value or ""
        if annotation != prefixed(f"tag.{tag.key}"):
            warnings.append(
                RenderWarning(
                    f"tags[{index}].key",
                    f"tag {tag.key!r} is too long or has characters an annotation key cannot; kept as {annotation}",
                    "approximated",
                )
            )
    return dict(sorted(annotations.items()))


def _service_account(td: TaskDefinitionSpec, spec: dict[str, Any], warnings: list[RenderWarning]) -> str | None:
    if not td.task_role_arn:
        spec["automountServiceAccountToken"] = False  # no task role: no credentials, as in ECS
        return None
    try:
        account = names.service_account_name(td.task_role_arn)
    except names.NameMappingError as exc:
        warnings.append(RenderWarning("taskRoleArn", f"{exc}; the pod runs without a task role", "unsupported"))
        spec["automountServiceAccountToken"] = False
        return None
    spec["serviceAccountName"] = account
    spec["automountServiceAccountToken"] = True
    return account


def _network(
    network_mode: str, ordered: Sequence[ContainerParts], spec: dict[str, Any], warnings: list[RenderWarning]
) -> None:
    if network_mode == "host":
        spec["hostNetwork"] = True
    elif network_mode == "none":
        warnings.append(
            RenderWarning(
                "networkMode",
                "a pod always has a network interface; networkMode none is approximated by a NetworkPolicy "
                "that denies all traffic",
                "approximated",
            )
        )
    hostnames = [(i, p.hostname) for i, p in enumerate(ordered) if p.hostname]
    if hostnames:
        first_index, first = hostnames[0]
        label = names.dns_label(first.split(".")[0])
        spec["hostname"] = label
        if label != first:
            warnings.append(
                RenderWarning(
                    f"containerDefinitions[{first_index}].hostname",
                    f"pod hostname is {label!r} (a DNS label)",
                    "approximated",
                )
            )
        for i, other in hostnames[1:]:
            if other != first:
                warnings.append(
                    RenderWarning(
                        f"containerDefinitions[{i}].hostname",
                        f"the pod has one hostname; {label!r} from containerDefinitions[{first_index}] is used",
                        "unsupported",
                    )
                )
    servers: list[str] = []
    for i, parts in enumerate(ordered):
        for server in parts.dns_servers:
            if server in servers:
                continue
            if len(servers) == MAX_NAMESERVERS:
                warnings.append(
                    RenderWarning(
                        f"containerDefinitions[{i}].dnsServers",
                        f"Kubernetes allows {MAX_NAMESERVERS} nameservers per pod; {server} is dropped",
                        "unsupported",
                    )
                )
                continue
            servers.append(server)
    searches = list(dict.fromkeys(s for p in ordered for s in p.dns_searches))
    if servers:
        spec["dnsPolicy"] = "None"
    elif network_mode == "host":
        spec["dnsPolicy"] = "ClusterFirstWithHostNet"
    dns_config: dict[str, list[str]] = {}
    if servers:
        dns_config["nameservers"] = servers
    if searches:
        dns_config["searches"] = searches
    if dns_config:
        spec["dnsConfig"] = dns_config
    aliases: dict[str, list[str]] = {}
    for parts in ordered:
        for ip, hostname in parts.host_aliases:
            hosts = aliases.setdefault(ip, [])
            if hostname not in hosts:
                hosts.append(hostname)
    if aliases:
        spec["hostAliases"] = [{"ip": ip, "hostnames": hosts} for ip, hosts in aliases.items()]
    seen: dict[tuple[int, str], tuple[int, str]] = {}
    for index, parts in enumerate(ordered):
        for port, protocol, path in parts.ports:
            owner = seen.setdefault((port, protocol), (index, path))
            if owner[0] != index:
                warnings.append(
                    RenderWarning(
                        path,
                        f"{protocol} port {port} is also used by {owner[1]}; containers of a pod share one "
                        "network namespace, so only one can listen on it",
                        "unsupported",
                    )
                )


def _process_namespaces(
    td: TaskDefinitionSpec, ordered: Sequence[ContainerParts], spec: dict[str, Any], warnings: list[RenderWarning]
) -> None:
    if td.pid_mode == "host":
        spec["hostPID"] = True
    share = td.pid_mode == "task" or any(p.share_process_namespace for p in ordered)
    if td.ipc_mode == "host":
        spec["hostIPC"] = True
    elif td.ipc_mode == "none":
        warnings.append(
            RenderWarning(
                "ipcMode",
                "containers of a pod always share an IPC namespace; ipcMode none is not possible",
                "unsupported",
            )
        )
    if share:
        if td.pid_mode == "host":
            warnings.append(
                RenderWarning(
                    "pidMode",
                    "hostPID and a shared task process namespace cannot be combined; the host's is used",
                    "approximated",
                )
            )
        else:
            spec["shareProcessNamespace"] = True


def _node_selector(td: TaskDefinitionSpec, warnings: list[RenderWarning]) -> dict[str, str]:
    platform = td.runtime_platform
    if platform is None:
        return {}
    selector: dict[str, str] = {}
    family = platform.operating_system_family
    if family == "LINUX":
        selector["kubernetes.io/os"] = "linux"
    elif family:
        selector["kubernetes.io/os"] = "windows"
        warnings.append(
            RenderWarning(
                "runtimePlatform.operatingSystemFamily",
                f"{family}: pods are placed on Windows nodes; the Windows Server version is not selected",
                "approximated",
            )
        )
    if platform.cpu_architecture:
        selector["kubernetes.io/arch"] = _ARCH[platform.cpu_architecture]
    return selector


def _memberof_expressions(td: TaskDefinitionSpec) -> list[tuple[int, str]]:
    return [
        (i, constraint.expression)
        for i, constraint in enumerate(td.placement_constraints or ())
        if constraint.expression and constraint.type in (None, "memberOf")
    ]


def _placement(td: TaskDefinitionSpec, node_labels: Sequence[Mapping[str, str]]) -> AffinityResult:
    results = [
        to_affinity(expression, node_labels, path=f"placementConstraints[{i}].expression")
        for i, expression in _memberof_expressions(td)
    ]
    return combine(*results)


def _sysctls(ordered: Sequence[ContainerParts], warnings: list[RenderWarning]) -> list[dict[str, str]]:
    chosen: dict[str, tuple[str, str]] = {}
    for parts in ordered:
        for name, value, path in parts.sysctls:
            if name in chosen and chosen[name][0] != value:
                warnings.append(
                    RenderWarning(
                        path,
                        f"sysctl {name}={value} conflicts with {name}={chosen[name][0]} from {chosen[name][1]}; "
                        "sysctls are pod-wide, the first is used",
                        "unsupported",
                    )
                )
                continue
            chosen.setdefault(name, (value, path))
    return [{"name": name, "value": value} for name, (value, _) in chosen.items()]


def _task_level_reports(td: TaskDefinitionSpec, warnings: list[RenderWarning]) -> None:
    """Task definition members with no Kubernetes equivalent."""
    if td.execution_role_arn:
        warnings.append(
            RenderWarning(
                "executionRoleArn",
                "image pulls and secret reads use the node's and the operator's identity, not an execution role",
                "unsupported",
            )
        )
    if td.proxy_configuration is not None:
        warnings.append(
            RenderWarning(
                "proxyConfiguration",
                "App Mesh proxy configuration has no Kubernetes equivalent; ignored",
                "unsupported",
            )
        )
    if td.inference_accelerators:
        warnings.append(
            RenderWarning(
                "inferenceAccelerators",
                "Elastic Inference accelerators do not exist on Kubernetes; ignored",
                "unsupported",
            )
        )
    if td.enable_fault_injection:
        warnings.append(
            RenderWarning(
                "enableFaultInjection", "ECS fault injection endpoints are not provided; ignored", "unsupported"
            )
        )
    trusted = td.trusted_execution_configuration
    if trusted is not None and trusted.isolation_mode != "SHARED":
        warnings.append(
            RenderWarning(
                "trustedExecutionConfiguration",
                f"isolation mode {trusted.isolation_mode} needs a sandboxed RuntimeClass; "
                "the pod uses the default runtime",
                "unsupported",
            )
        )
    if td.ephemeral_storage is not None:
        warnings.append(
            RenderWarning(
                "ephemeralStorage",
                "Kubernetes sets ephemeral storage per container: the task's size is requested and limited on its "
                "first essential container",
                "approximated",
            )
        )
