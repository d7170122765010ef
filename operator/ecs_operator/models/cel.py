"""CEL rules the CRDs carry, so ``kubectl apply`` rejects bad input before the operator sees it.

Only static rules live here: ones that look at a single object (cross-member comparisons,
Fargate's constraints, uniqueness). References between objects and anything needing a graph
(dependsOn cycles) stay in the models. Each rule mirrors a Python rule of the same model, with a
message that names the field; rules are keyed by the model's class name and attached where the
generator inlines that model's schema. Per-member rules (integer ranges of members ECS lets you
write as strings, unsupported members) are generated in :mod:`.structural`.

Every list a rule iterates has a maxItems and every string it compares has a maxLength (set on
the models), which keeps the API server's cost estimate within budget.
"""

from __future__ import annotations

from typing import Final

__all__ = ["CEL_RULES", "Rule", "rule"]

Rule = dict[str, str]

_FARGATE = "has(self.requiresCompatibilities) && 'FARGATE' in self.requiresCompatibilities"
_DAEMON = "has(self.schedulingStrategy) && self.schedulingStrategy == 'DAEMON'"


def rule(expression: str, message: str, field_path: str | None = None) -> Rule:
    """One ``x-kubernetes-validations`` entry; ``field_path`` points the error at a member."""
    entry = {"rule": expression, "message": message}
    if field_path is not None:
        entry["fieldPath"] = field_path
    return entry


def _strategy_rules(member: str) -> list[Rule]:
    strategy = f"self.{member}"
    return [
        rule(
            f"!has({strategy}) || "
            f"{strategy}.all(s, {strategy}.exists_one(t, t.capacityProvider == s.capacityProvider))",
            "a capacity provider can appear only once in a strategy",
            f".{member}",
        ),
        rule(
            f"!has({strategy}) || {strategy}.filter(s, has(s.base) && int(s.base) > 0).size() <= 1",
            "only one capacity provider in a strategy can have a base defined",
            f".{member}",
        ),
    ]


_NO_LAUNCH_TYPE_WITH_STRATEGY = rule(
    "!(has(self.launchType) && has(self.capacityProviderStrategy))",
    "launchType cannot be given together with capacityProviderStrategy",
    ".launchType",
)

CEL_RULES: Final[dict[str, list[Rule]]] = {
    "TaskDefinitionSpec": [
        rule(
            "self.containerDefinitions.exists(c, !has(c.essential) || c.essential)",
            "a task definition must have at least one essential container",
            ".containerDefinitions",
        ),
        rule(
            "self.containerDefinitions.all(c, self.containerDefinitions.exists_one(d, d.name == c.name))",
            "container names must be unique",
            ".containerDefinitions",
        ),
        rule(
            "!has(self.volumes) || self.volumes.all(v, self.volumes.exists_one(w, w.name == v.name))",
            "volume names must be unique",
            ".volumes",
        ),
        rule(
            "!has(self.networkMode) || !(self.networkMode in ['awsvpc', 'host']) || self.containerDefinitions.all(c, "
            "!has(c.portMappings) || c.portMappings.all(p, !has(p.hostPort) || !has(p.containerPort) "
            "|| int(p.hostPort) == int(p.containerPort)))",
            "when networkMode is awsvpc or host, portMappings hostPort must match containerPort or be omitted",
            ".containerDefinitions",
        ),
        rule(
            f"!({_FARGATE}) || (has(self.networkMode) && self.networkMode == 'awsvpc')",
            "Fargate only supports network mode 'awsvpc'",
            ".networkMode",
        ),
        rule(f"!({_FARGATE}) || has(self.cpu)", "Fargate requires that 'cpu' be defined at the task level", ".cpu"),
        rule(
            f"!({_FARGATE}) || has(self.memory)",
            "Fargate requires that 'memory' be defined at the task level",
            ".memory",
        ),
        rule(
            f"!({_FARGATE}) || self.containerDefinitions.all(c, !has(c.privileged) || !c.privileged)",
            "privileged containers are not supported on Fargate",
            ".containerDefinitions",
        ),
        rule(
            f"!({_FARGATE}) || !has(self.volumes) || self.volumes.all(v, !has(v.host) || !has(v.host.sourcePath))",
            "Fargate does not support host volumes with a sourcePath",
            ".volumes",
        ),
    ],
    "ContainerDefinition": [
        rule(
            "!has(self.memoryReservation) || !has(self.memory) || int(self.memoryReservation) < int(self.memory)",
            "memoryReservation must be less than memory",
            ".memoryReservation",
        ),
    ],
    "PortMapping": [
        rule(
            "has(self.containerPort) || has(self.containerPortRange)",
            "containerPort is required (or give containerPortRange)",
        ),
        rule(
            "!(has(self.containerPort) && has(self.containerPortRange))",
            "containerPortRange cannot be given together with containerPort",
            ".containerPortRange",
        ),
    ],
    "HealthCheck": [
        # Any first element is accepted as ECS accepts it (HealthCheck.problems); CMD alone runs nothing.
        rule(
            "!(self.command[0] in ['CMD', 'CMD-SHELL']) || self.command.size() > 1",
            "healthCheck command: CMD and CMD-SHELL need the command to run after them",
            ".command",
        ),
    ],
    "ContainerOverride": [
        rule(
            "!has(self.memoryReservation) || !has(self.memory) || int(self.memoryReservation) < int(self.memory)",
            "memoryReservation must be less than memory",
            ".memoryReservation",
        ),
    ],
    "DeploymentConfiguration": [
        rule(
            "(has(self.minimumHealthyPercent) ? int(self.minimumHealthyPercent) : 100) <= "
            "(has(self.maximumPercent) ? int(self.maximumPercent) : 200)",
            "minimumHealthyPercent must not exceed maximumPercent",
            ".minimumHealthyPercent",
        ),
    ],
    "ECSServiceSpec": [
        _NO_LAUNCH_TYPE_WITH_STRATEGY,
        *_strategy_rules("capacityProviderStrategy"),
        rule(
            f"({_DAEMON}) || has(self.desiredCount)",
            "desiredCount is required when schedulingStrategy is REPLICA (the default)",
            ".desiredCount",
        ),
        rule(
            f"!({_DAEMON}) || !has(self.launchType) || self.launchType != 'FARGATE'",
            "the DAEMON scheduling strategy does not support FARGATE",
            ".launchType",
        ),
        rule(
            f"!({_DAEMON}) || !has(self.placementStrategy)",
            "placementStrategy is not supported with the DAEMON scheduling strategy",
            ".placementStrategy",
        ),
        rule(
            f"!({_DAEMON}) || !has(self.autoScaling)",
            "a DAEMON service runs one task per node and cannot be scaled",
            ".autoScaling",
        ),
    ],
    "ServiceAutoScaling": [
        rule(
            "int(self.minCapacity) <= int(self.maxCapacity)", "minCapacity must not exceed maxCapacity", ".minCapacity"
        ),
    ],
    "TargetTrackingScalingPolicy": [
        rule(
            "has(self.predefinedMetricSpecification) != has(self.customizedMetricSpecification)",
            "give exactly one of predefinedMetricSpecification and customizedMetricSpecification",
        ),
    ],
    "PredefinedMetricSpecification": [
        rule(
            "self.predefinedMetricType != 'ALBRequestCountPerTarget' || has(self.resourceLabel)",
            "resourceLabel is required for ALBRequestCountPerTarget",
            ".resourceLabel",
        ),
    ],
    "ECSTaskSpec": [
        _NO_LAUNCH_TYPE_WITH_STRATEGY,
        *_strategy_rules("capacityProviderStrategy"),
        rule(
            "!has(self.propagateTags) || self.propagateTags != 'SERVICE'",
            "propagateTags SERVICE is not valid when running a task",
            ".propagateTags",
        ),
        rule(
            "!has(self.timezone) || has(self.schedule)",
            "timezone only applies to a scheduled task (give schedule too)",
            ".timezone",
        ),
    ],
    "ECSClusterSpec": [
        *_strategy_rules("defaultCapacityProviderStrategy"),
        rule(
            "!has(self.defaultCapacityProviderStrategy) || self.defaultCapacityProviderStrategy.all(s, "
            "has(self.capacityProviders) && s.capacityProvider in self.capacityProviders)",
            "every defaultCapacityProviderStrategy provider must be one of the cluster's capacityProviders",
            ".defaultCapacityProviderStrategy",
        ),
        rule(
            "!has(self.capacityProviders) || self.capacityProviders.all(n, n in ['FARGATE', 'FARGATE_SPOT'] || "
            "(has(self.capacityProviderProfiles) && self.capacityProviderProfiles.exists(p, p.name == n)))",
            "every capacity provider must be FARGATE, FARGATE_SPOT or described in capacityProviderProfiles",
            ".capacityProviders",
        ),
        rule(
            "!has(self.capacityProviderProfiles) || self.capacityProviderProfiles.all(p, "
            "self.capacityProviderProfiles.exists_one(q, q.name == p.name))",
            "capacity provider profile names must be unique",
            ".capacityProviderProfiles",
        ),
    ],
}
"""Model class name -> rules evaluated with ``self`` = an object of that model."""
