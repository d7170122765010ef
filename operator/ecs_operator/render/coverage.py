"""Where each ECS task definition member goes: rendered, or reported with a reason.

DESIGN.md promises that no field is dropped silently. These two tables make that checkable:
``tests/unit/test_render_coverage.py`` walks botocore's ``ContainerDefinition`` and
``RegisterTaskDefinitionRequest`` shapes and requires every member to be in exactly one table
(or rejected by the models, :data:`ecs_operator.models.unsupported.UNSUPPORTED_MEMBERS`), then
checks the tables against the golden cases: removing a rendered member changes the output, and
a warned member produces a warning on its path.

Keys are ``"<botocore shape>.<member>"``; values say what happens, for people reading the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

__all__ = ["RENDERED_MEMBERS", "WARNED_MEMBERS"]

_C = "ContainerDefinition"
_T = "RegisterTaskDefinitionRequest"

RENDERED_MEMBERS: Final[Mapping[str, str]] = {
    f"{_C}.name": "container name, DNS-1123 sanitised; the ECS name is kept in an annotation",
    f"{_C}.image": "image (optionally rewritten through a registry map)",
    f"{_C}.repositoryCredentials": "imagePullSecrets (Secret pull-<mapped ARN>)",
    f"{_C}.cpu": "requests.cpu = units * 1000 / 1024 millicores, rounded up; no limit",
    f"{_C}.memory": "limits.memory (and requests.memory without memoryReservation)",
    f"{_C}.memoryReservation": "requests.memory",
    f"{_C}.links": "hostAliases 127.0.0.1 for the linked names (approximated, with a warning)",
    f"{_C}.portMappings": "ports (name, containerPort, protocol, hostPort in bridge/host mode); appProtocol annotation",
    f"{_C}.essential": "ecs.operator.dev/essential-containers annotation; liveness probes for services",
    f"{_C}.restartPolicy": "pod restartPolicy decides; ignoredExitCodes reported (approximated)",
    f"{_C}.entryPoint": "command",
    f"{_C}.command": "args",
    f"{_C}.environment": "env (Kubernetes $(VAR) expansion escaped)",
    f"{_C}.environmentFiles": "envFrom configMapRef with a deterministic name (contents not fetched: reported)",
    f"{_C}.mountPoints": "volumeMounts (readOnly honoured)",
    f"{_C}.volumesFrom": "the source container's volumeMounts, copied (readOnly honoured)",
    f"{_C}.linuxParameters": "capabilities, /dev/shm and tmpfs emptyDirs, shareProcessNamespace; the rest reported",
    f"{_C}.secrets": "env valueFrom secretKeyRef, Secret name and key from the ARN",
    f"{_C}.dependsOn": "init containers in topological order; native sidecars for START/HEALTHY",
    f"{_C}.startTimeout": "startupProbe budget of a HEALTHY dependency target",
    f"{_C}.stopTimeout": "terminationGracePeriodSeconds (max over containers)",
    f"{_C}.versionConsistency": "disabled is Kubernetes' behaviour; enabled is reported (approximated)",
    f"{_C}.hostname": "pod hostname (bridge mode)",
    f"{_C}.user": "runAsUser / runAsGroup",
    f"{_C}.workingDirectory": "workingDir",
    f"{_C}.privileged": "securityContext.privileged",
    f"{_C}.readonlyRootFilesystem": "securityContext.readOnlyRootFilesystem",
    f"{_C}.dnsServers": "dnsConfig.nameservers with dnsPolicy None",
    f"{_C}.dnsSearchDomains": "dnsConfig.searches",
    f"{_C}.extraHosts": "hostAliases",
    f"{_C}.dockerSecurityOptions": "allowPrivilegeEscalation, appArmorProfile, seLinuxOptions, seccompProfile",
    f"{_C}.interactive": "stdin",
    f"{_C}.pseudoTerminal": "tty",
    f"{_C}.dockerLabels": "annotations ecs.operator.dev/docker-label.<container>.<key>",
    f"{_C}.healthCheck": "exec readiness (+ liveness for essential service containers, + startup) probes",
    f"{_C}.systemControls": "pod securityContext.sysctls (conflicts reported)",
    f"{_C}.resourceRequirements": "limits nvidia.com/gpu (other types reported)",
    f"{_T}.family": "labels app.kubernetes.io/name and ecs.operator.dev/family",
    f"{_T}.taskRoleArn": "serviceAccountName ecs-task-role-<role> (token automounted)",
    f"{_T}.networkMode": "hostNetwork + ClusterFirstWithHostNet for host; hostPort for bridge; none reported",
    f"{_T}.containerDefinitions": "containers and initContainers",
    f"{_T}.volumes": "pod volumes: hostPath, emptyDir, PVCs for EFS and shared Docker volumes",
    f"{_T}.placementConstraints": "nodeAffinity / podAffinity / podAntiAffinity from the memberOf expressions",
    f"{_T}.requiresCompatibilities": "ecs.operator.dev/requires-compatibilities annotation (validated by the models)",
    f"{_T}.cpu": "pod-level resources requests/limits cpu",
    f"{_T}.memory": "pod-level resources requests/limits memory",
    f"{_T}.tags": "annotations ecs.operator.dev/tag.<key>",
    f"{_T}.pidMode": "hostPID (host) / shareProcessNamespace (task)",
    f"{_T}.ipcMode": "hostIPC (host); task is what a pod does anyway; none reported",
    f"{_T}.runtimePlatform": "nodeSelector kubernetes.io/os and kubernetes.io/arch",
}
"""Members that change the rendered pod template."""

WARNED_MEMBERS: Final[Mapping[str, str]] = {
    f"{_C}.disableNetworking": "a container cannot leave the pod's network namespace",
    f"{_C}.ulimits": "ulimits are set by the node's container runtime",
    f"{_C}.logConfiguration": "log shipping is a node agent's job; kept as an annotation",
    f"{_C}.firelensConfiguration": "FireLens routing is not set up; kept as an annotation",
    f"{_C}.credentialSpecs": "gMSA credential specs are for Windows containers",
    f"{_T}.executionRoleArn": "image pulls and secret reads use the node's and the operator's identity",
    f"{_T}.proxyConfiguration": "App Mesh proxy configuration has no Kubernetes equivalent",
    f"{_T}.inferenceAccelerators": "Elastic Inference accelerators do not exist on Kubernetes",
    f"{_T}.ephemeralStorage": "requested and limited on the first essential container (approximated)",
    f"{_T}.enableFaultInjection": "ECS fault injection endpoints are not provided",
    f"{_T}.trustedExecutionConfiguration": "sandboxed isolation needs a RuntimeClass the pod does not get",
}
"""Members that produce a warning naming them whenever they ask for something Kubernetes cannot do."""
