"""Rules that need the whole task definition, checked the way ECS checks them at registration.

Each check is a small generator of Issues with paths relative to the task definition, so one
bad document reports every problem at once. Messages use ECS's wording where ECS has one
("Fargate only supports network mode 'awsvpc'") and name the field otherwise. Each check says
which ECS rule it mirrors: the task definition parameters page
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html)
and the API reference (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html,
API_RegisterTaskDefinition.html).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from .errors import Issue
from .fargate import fargate_size_problem

if TYPE_CHECKING:
    from .container import ContainerDefinition
    from .task_definition import TaskDefinitionSpec

__all__ = ["EC2_CPU_RANGE", "dependency_cycle", "task_definition_problems"]

EC2_CPU_RANGE = (128, 196608)
"""Task-level cpu ECS accepts outside Fargate: 0.125 to 192 vCPU."""

_NON_ESSENTIAL_TARGETS = ("SUCCESS", "COMPLETE")
_FARGATE_CAPABILITIES = {"SYS_PTRACE"}


def task_definition_problems(spec: TaskDefinitionSpec) -> Iterator[Issue]:
    """Every task-wide problem of ``spec``."""
    checks: tuple[Callable[[TaskDefinitionSpec], Iterator[Issue]], ...] = (
        _container_names,
        _essential,
        _memory,
        _cpu,
        _network,
        _volumes,
        _mount_references,
        _dependencies,
        _links,
        _proxy,
        _fargate,
    )
    for check in checks:
        yield from check(spec)


def _at(index: int, member: str = "") -> str:
    path = f"containerDefinitions[{index}]"
    return f"{path}.{member}" if member else path


def _container_names(spec: TaskDefinitionSpec) -> Iterator[Issue]:
    # ContainerDefinition.name: "used to link containers ... must be unique within the task definition".
    seen: set[str] = set()
    for index, container in enumerate(spec.container_definitions):
        if container.name in seen:
            yield Issue(
                _at(index, "name"), f"duplicate container name '{container.name}'; container names must be unique"
            )
        seen.add(container.name)


def _essential(spec: TaskDefinitionSpec) -> Iterator[Issue]:
    # ContainerDefinition.essential: "All tasks must have at least one essential container."
    if not any(container.essential for container in spec.container_definitions):
        yield Issue("containerDefinitions", "a task definition must have at least one essential container")


def _memory(spec: TaskDefinitionSpec) -> Iterator[Issue]:
    # ContainerDefinition.memory: without task memory (EC2, external) "you must specify a non-zero integer
    # for one or both of memory or memoryReservation" (ClientException: "At least one of 'memory' or
    # 'memoryReservation' must be specified"); with it, ECS refuses "The 'memory' setting for container
    # '...' is greater than for the task", and "the total amount of memory reserved for all containers
    # within a task must be lower than the task memory value".
    task_memory = spec.memory_mib
    containers = spec.container_definitions
    if task_memory is None:
        for index, container in enumerate(containers):
            if container.memory is None and container.memory_reservation is None and not spec.is_fargate:
                yield Issue(
                    _at(index),
                    f"Invalid setting for container '{container.name}'. At least one of 'memory' or "
                    "'memoryReservation' must be specified for a container (or set the task-level memory)",
                )
        return
    for index, container in enumerate(containers):
        if container.memory is not None and container.memory > task_memory:
            yield Issue(
                _at(index, "memory"), f"must not exceed the task memory ({task_memory} MiB), got {container.memory}"
            )
    reserved = sum(container.reserved_memory_mib for container in containers)
    if reserved > task_memory:
        yield Issue(
            "containerDefinitions",
            f"the containers reserve {reserved} MiB (memoryReservation, else memory), "
            f"more than the task memory ({task_memory} MiB)",
        )


def _cpu(spec: TaskDefinitionSpec) -> Iterator[Issue]:
    # Task cpu on EC2 / external: "Supported values are between 128 CPU units (0.125 vCPUs) and 196608 CPU
    # units (192 vCPUs)" (task_definition_parameters.html#task_size); the containers' cpu may not add up to
    # more than the task's (ContainerDefinition.cpu).
    task_cpu = spec.cpu_units
    if task_cpu is None:
        return
    low, high = EC2_CPU_RANGE
    if not spec.is_fargate and not low <= task_cpu <= high:
        yield Issue(
            "cpu", f"Invalid 'cpu' setting for task: must be between {low} and {high} CPU units, got {task_cpu}"
        )
    total = sum(container.cpu or 0 for container in spec.container_definitions)
    if total > task_cpu:
        yield Issue(
            "containerDefinitions", f"the containers' cpu adds up to {total} units, more than the task cpu ({task_cpu})"
        )


def _network(spec: TaskDefinitionSpec) -> Iterator[Issue]:
    # ContainerDefinition.hostname: "not supported if you're using the awsvpc network mode"; PortMapping:
    # in awsvpc or host mode "hostPort can either be left blank or set to the same value as the
    # containerPort"; containerPortRange needs bridge or awsvpc; port names are unique within the task.
    mode = spec.effective_network_mode
    port_names: dict[str, str] = {}
    for index, container in enumerate(spec.container_definitions):
        if mode == "awsvpc" and container.hostname is not None:
            yield Issue(_at(index, "hostname"), "is not supported when networkMode is awsvpc")
        for number, mapping in enumerate(container.port_mappings or ()):
            path = _at(index, f"portMappings[{number}]")
            if mode in ("awsvpc", "host") and mapping.host_port not in (None, mapping.container_port):
                yield Issue(
                    f"{path}.hostPort",
                    f"when networkMode is {mode}, hostPort must match containerPort "
                    f"({mapping.container_port}) or be omitted",
                )
            if mapping.container_port_range is not None and mode not in ("awsvpc", "bridge"):
                yield Issue(f"{path}.containerPortRange", "needs networkMode awsvpc or bridge")
            if mapping.name is not None:
                if mapping.name in port_names:
                    yield Issue(
                        f"{path}.name", f"port name '{mapping.name}' is already used by {port_names[mapping.name]}"
                    )
                port_names.setdefault(mapping.name, path)


def _volumes(spec: TaskDefinitionSpec) -> Iterator[Issue]:
    # Volume.name is what mountPoints' sourceVolume refers to, so it is unique.
    seen: set[str] = set()
    for index, volume in enumerate(spec.volumes or ()):
        if volume.name in seen:
            yield Issue(f"volumes[{index}].name", f"duplicate volume name '{volume.name}'")
        seen.add(volume.name)


def _mount_references(spec: TaskDefinitionSpec) -> Iterator[Issue]:
    # MountPoint.sourceVolume "must match the name of one of the volumes in the task definition";
    # VolumeFrom.sourceContainer names another container of the task.
    volumes = {volume.name for volume in spec.volumes or ()}
    names = {container.name for container in spec.container_definitions}
    for index, container in enumerate(spec.container_definitions):
        for number, mount in enumerate(container.mount_points or ()):
            if mount.source_volume not in volumes:
                yield Issue(
                    _at(index, f"mountPoints[{number}].sourceVolume"),
                    f"no volume named '{mount.source_volume}' in volumes",
                )
        for number, source in enumerate(container.volumes_from or ()):
            path = _at(index, f"volumesFrom[{number}].sourceContainer")
            if source.source_container == container.name:
                yield Issue(path, "a container cannot take volumes from itself")
            elif source.source_container not in names:
                yield Issue(path, f"no container named '{source.source_container}' in this task definition")


def _dependencies(spec: TaskDefinitionSpec) -> Iterator[Issue]:
    # ContainerDependency (API_ContainerDependency.html): COMPLETE and SUCCESS "can't be set on an essential
    # container"; HEALTHY "requires that the dependent container has health checks configured"; a
    # dependency names a container of the task, and a cycle would never start.
    by_name = {container.name: container for container in spec.container_definitions}
    for index, container in enumerate(spec.container_definitions):
        for number, dependency in enumerate(container.depends_on or ()):
            path = _at(index, f"dependsOn[{number}]")
            target = by_name.get(dependency.container_name)
            if target is None:
                yield Issue(
                    f"{path}.containerName", f"no container named '{dependency.container_name}' in this task definition"
                )
            elif dependency.condition in _NON_ESSENTIAL_TARGETS and target.essential:
                yield Issue(
                    f"{path}.condition",
                    f"{dependency.condition} can't be set on an essential container: "
                    f"set essential: false on '{target.name}'",
                )
            elif dependency.condition == "HEALTHY" and target.health_check is None:
                yield Issue(f"{path}.condition", f"HEALTHY needs a healthCheck on '{target.name}', which has none")
    cycle = dependency_cycle(spec.container_definitions)
    if cycle:
        first = next(i for i, c in enumerate(spec.container_definitions) if c.name == cycle[0])
        yield Issue(_at(first, "dependsOn"), f"dependsOn has a cycle: {' -> '.join(cycle)}")


def dependency_cycle(containers: list[ContainerDefinition]) -> list[str]:
    """The first dependsOn cycle as ``[a, b, a]``, or ``[]`` when the graph is acyclic."""
    graph = {c.name: [d.container_name for d in c.depends_on or ()] for c in containers}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    path: list[str] = []

    def visit(name: str) -> list[str]:
        state[name] = 1
        path.append(name)
        for target in graph.get(name, ()):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target in graph and target not in state:
                found = visit(target)
                if found:
                    return found
        path.pop()
        state[name] = 2
        return []

    for name in graph:
        if name not in state:
            found = visit(name)
            if found:
                return found
    return []


def _links(spec: TaskDefinitionSpec) -> Iterator[Issue]:
    # ContainerDefinition.links: "only supported if the network mode of a task definition is bridge";
    # each names a container of the task (name:alias).
    names = {container.name for container in spec.container_definitions}
    for index, container in enumerate(spec.container_definitions):
        if container.links and spec.effective_network_mode != "bridge":
            yield Issue(_at(index, "links"), "links are only supported when networkMode is bridge")
            continue
        for number, link in enumerate(container.links or ()):
            target = link.split(":", 1)[0]
            if target not in names:
                yield Issue(_at(index, f"links[{number}]"), f"no container named '{target}' in this task definition")


def _proxy(spec: TaskDefinitionSpec) -> Iterator[Issue]:
    # ProxyConfiguration.containerName: "The name of the container that will serve as the App Mesh proxy."
    proxy = spec.proxy_configuration
    if proxy is not None and spec.container(proxy.container_name) is None:
        yield Issue(
            "proxyConfiguration.containerName", f"no container named '{proxy.container_name}' in this task definition"
        )


def _fargate(spec: TaskDefinitionSpec) -> Iterator[Issue]:
    # Fargate's task definition rules
    # (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-task-defs):
    # awsvpc only,
    # task cpu and memory required, no ipcMode, pidMode task only, no host sourcePath or Docker volumes,
    # no privileged containers, no devices / sharedMemorySize / tmpfs / maxSwap / swappiness, and only
    # SYS_PTRACE may be added to the capabilities.
    if not spec.is_fargate:
        return
    if spec.network_mode != "awsvpc":
        yield Issue("networkMode", "Fargate only supports network mode 'awsvpc'")
    yield from _fargate_size(spec)
    if spec.ipc_mode is not None:
        yield Issue("ipcMode", "is not supported on Fargate")
    if spec.pid_mode == "host":
        yield Issue("pidMode", "host is not supported on Fargate (use task)")
    for index, volume in enumerate(spec.volumes or ()):
        if volume.host is not None and volume.host.source_path:
            yield Issue(f"volumes[{index}].host.sourcePath", "Fargate does not support host volumes with a sourcePath")
        if volume.docker_volume_configuration is not None:
            yield Issue(f"volumes[{index}].dockerVolumeConfiguration", "is not supported on Fargate")
    for index, container in enumerate(spec.container_definitions):
        yield from _fargate_container(index, container)


def _fargate_size(spec: TaskDefinitionSpec) -> Iterator[Issue]:
    if spec.cpu is None:
        yield Issue("cpu", "Fargate requires that 'cpu' be defined at the task level")
    if spec.memory is None:
        yield Issue("memory", "Fargate requires that 'memory' be defined at the task level")
    cpu, memory = spec.cpu_units, spec.memory_mib
    if cpu is not None and memory is not None:
        problem = fargate_size_problem(cpu, memory)
        if problem is not None:
            yield Issue(*problem)


def _fargate_container(index: int, container: ContainerDefinition) -> Iterator[Issue]:
    if container.privileged:
        yield Issue(_at(index, "privileged"), "privileged containers are not supported on Fargate")
    linux = container.linux_parameters
    if linux is None:
        return
    if linux.devices:
        yield Issue(_at(index, "linuxParameters.devices"), "is not supported on Fargate")
    for member, value in (("sharedMemorySize", linux.shared_memory_size), ("tmpfs", linux.tmpfs),
                          ("maxSwap", linux.max_swap), ("swappiness", linux.swappiness)):  # fmt: skip
        if value is not None:
            yield Issue(_at(index, f"linuxParameters.{member}"), "is not supported on Fargate")
    added = linux.capabilities.add if linux.capabilities is not None else None
    for number, name in enumerate(added or ()):
        if name not in _FARGATE_CAPABILITIES:
            yield Issue(
                _at(index, f"linuxParameters.capabilities.add[{number}]"),
                f"Fargate can only add SYS_PTRACE, got {name}",
            )
