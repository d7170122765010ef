"""A live AWS account's ECS workloads -> the custom resources (``ecs-operator import``).

What it reads, per cluster (all of the region's, or those named):

    ECS                          DescribeClusters, ListServices + DescribeServices, and
                                 DescribeTaskDefinition of the revision each service runs
    Application Auto Scaling     the scalable target of each service (namespace ecs, resource
                                 service/<cluster>/<service>), its target-tracking policies and
                                 scheduled actions -> the ECSService's ``autoScaling``
    EventBridge                  rules with a ScheduleExpression whose targets carry
                                 EcsParameters -> a scheduled ECSTask (``schedule``)

and writes what ``ecs-operator convert`` makes of the same JSON, since each answer is in the form
convert already reads (describe-* output, run-task input).

Why not boto3: botocore pins python-dateutil<3 and the kubernetes client this package depends on
needs >=3, so boto3 cannot be installed beside it. The three APIs are AWS JSON 1.1 (one POST per
action, ``X-Amz-Target: <prefix>.<Action>``), signed with this project's own SigV4 signer
(api/sigv4.py) under each API's signing name, sent with urllib.
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/Welcome.html,
https://docs.aws.amazon.com/autoscaling/application/APIReference/Welcome.html,
https://docs.aws.amazon.com/eventbridge/latest/APIReference/Welcome.html

Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN (no profiles);
endpoints from ``--endpoint-url`` (every API), else AWS_ENDPOINT_URL_ECS /
AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING / AWS_ENDPOINT_URL_EVENTBRIDGE, else AWS_ENDPOINT_URL,
else the region's public endpoint (the SDKs' order:
https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlsplit

from .api.sigv4 import Credentials, SignedRequest, sign
from .convert import ConvertOptions, ConvertResult, Source, convert, manifest_name
from .models import parse_task_definition_ref

__all__ = [
    "APIS",
    "Api",
    "AwsError",
    "ImportOptions",
    "JsonClient",
    "credentials_from_env",
    "import_account",
    "resolve_endpoint",
]


@dataclass(frozen=True)
class Api:
    """One AWS JSON 1.1 API: its X-Amz-Target prefix, SigV4 signing name, endpoint host and
    service-specific endpoint variable."""

    target_prefix: str
    signing_name: str
    host_prefix: str
    endpoint_env: str


APIS: Final[Mapping[str, Api]] = {
    "ecs": Api("AmazonEC2ContainerServiceV20141113", "ecs", "ecs", "AWS_ENDPOINT_URL_ECS"),
    "application-autoscaling": Api(
        "AnyScaleFrontendService",
        "application-autoscaling",
        "application-autoscaling",
        "AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING",
    ),
    "events": Api("AWSEvents", "events", "events", "AWS_ENDPOINT_URL_EVENTBRIDGE"),
}

_SCALABLE_DIMENSION = "ecs:service:DesiredCount"
_RENAMED_ECS_PARAMETERS: Final[Mapping[str, str]] = {"taskDefinitionArn": "taskDefinition", "taskCount": "count"}
"""EventBridge EcsParameters member (first letter lowered) -> the RunTask member it is."""
_IGNORED_ECS_PARAMETERS: Final[frozenset[str]] = frozenset({"enableECSManagedTags"})
_TARGET_TRACKING_KEYS: Final[frozenset[str]] = frozenset(
    {
        "targetValue", "predefinedMetricSpecification", "customizedMetricSpecification",
        "scaleInCooldown", "scaleOutCooldown", "disableScaleIn",
    }
)  # fmt: skip


class AwsError(RuntimeError):
    """An AWS API answered with an error (or could not be reached)."""

    def __init__(self, api: str, action: str, code: str, message: str) -> None:
        self.code = code
        super().__init__(f"{api} {action}: {code}: {message}")


@dataclass(frozen=True)
class ImportOptions:
    region: str
    clusters: tuple[str, ...] = ()
    endpoint_url: str | None = None
    namespace: str | None = None


def credentials_from_env(env: Mapping[str, str]) -> tuple[Credentials, str | None]:
    """The standard variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN)."""
    key, secret = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
    if not key or not secret:
        raise AwsError("credentials", "", "MissingCredentials", "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
    return Credentials(key, secret), env.get("AWS_SESSION_TOKEN") or None


def resolve_endpoint(api: Api, region: str, override: str | None, env: Mapping[str, str]) -> str:
    """``--endpoint-url``, else the API's variable, else AWS_ENDPOINT_URL, else the public endpoint."""
    return (
        override
        or env.get(api.endpoint_env)
        or env.get("AWS_ENDPOINT_URL")
        or f"https://{api.host_prefix}.{region}.amazonaws.com"
    )


@dataclass
class JsonClient:
    """Signed AWS JSON 1.1 calls to one API."""

    name: str
    api: Api
    endpoint: str
    region: str
    credentials: Credentials
    session_token: str | None = None
    timeout: float = 30.0

    def call(self, action: str, body: Mapping[str, Any]) -> dict[str, Any]:
        payload = json.dumps(body).encode()
        url = urlsplit(self.endpoint)
        path = url.path or "/"
        headers = {
            "host": url.netloc,
            "content-type": "application/x-amz-json-1.1",
            "x-amz-target": f"{self.api.target_prefix}.{action}",
        }
        if self.session_token:
            headers["x-amz-security-token"] = self.session_token
        signed = sign(
            SignedRequest("POST", path, "", headers, payload),
            self.credentials,
            self.region,
            datetime.now(UTC),
            service=self.api.signing_name,
        )
        request = urllib.request.Request(
            f"{url.scheme}://{url.netloc}{path}",
            data=payload,
            method="POST",
            headers={**{k: v for k, v in headers.items() if k != "host"}, **signed},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                text = response.read().decode() or "{}"
        except urllib.error.HTTPError as exc:
            raise _error(self.name, action, exc) from None
        except (urllib.error.URLError, OSError) as exc:
            raise AwsError(self.name, action, "EndpointUnreachable", f"{self.endpoint}: {exc}") from None
        answer = json.loads(text)
        return answer if isinstance(answer, dict) else {}

    def pages(self, action: str, body: Mapping[str, Any], token: str = "nextToken") -> Iterator[dict[str, Any]]:
        """Every page of a paginated action (``nextToken``; EventBridge and Auto Scaling: ``NextToken``)."""
        request = dict(body)
        while True:
            page = self.call(action, request)
            yield page
            following = page.get(token)
            if not following:
                return
            request[token] = following


def _error(api: str, action: str, exc: urllib.error.HTTPError) -> AwsError:
    try:
        body = json.loads(exc.read().decode() or "{}")
    except (ValueError, OSError):
        body = {}
    code = str(body.get("__type") or exc.headers.get("x-amzn-errortype") or exc.code).rsplit("#", 1)[-1]
    message = str(body.get("message") or body.get("Message") or exc.reason)
    return AwsError(api, action, code.split(":", 1)[0], message)


@dataclass
class _Found:
    """What the account holds, as the JSON documents convert reads."""

    sources: list[Source] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rules: dict[str, str] = field(default_factory=dict)  # source label of a scheduled task -> its rule


def import_account(
    options: ImportOptions, env: Mapping[str, str], clients: Mapping[str, JsonClient] | None = None
) -> ConvertResult:
    """Read the account and convert what it holds; AwsError when a call fails, ConvertError when
    an answer is not something the models accept (every problem)."""
    if clients is None:
        credentials, token = credentials_from_env(env)
        clients = {
            name: JsonClient(
                name,
                api,
                resolve_endpoint(api, options.region, options.endpoint_url, env),
                options.region,
                credentials,
                token,
            )
            for name, api in APIS.items()
        }
    found = _Found()
    ecs = clients["ecs"]
    clusters = _clusters(ecs, options.clusters)
    scaling = _auto_scaling(clients["application-autoscaling"], found)
    task_definitions: dict[str, dict[str, Any]] = {}  # family -> describe-task-definition output
    for cluster in clusters:
        name = str(cluster["clusterName"])
        found.sources.append(_source(f"ecs DescribeClusters {name}", {"clusters": [cluster]}))
        services = _services(ecs, name)
        for service in services:
            target = scaling.pop(f"service/{name}/{service['serviceName']}", None)
            if target is not None:
                service["autoScaling"] = target
            _task_definition(ecs, str(service["taskDefinition"]), task_definitions, found)
        if services:
            found.sources.append(_source(f"ecs DescribeServices {name}", {"services": services}))
    for resource_id in scaling:
        found.notes.append(f"application-autoscaling: {resource_id}: no such service in the clusters read: skipped")
    names = {str(c["clusterName"]) for c in clusters}
    for label, task in _scheduled_tasks(clients["events"], names, found):
        _task_definition(ecs, str(task["taskDefinition"]), task_definitions, found)
        found.sources.append(_source(label, task))
    for family, document in task_definitions.items():
        found.sources.append(_source(f"ecs DescribeTaskDefinition {family}", document))
    result = convert(found.sources, ConvertOptions(namespace=options.namespace))
    for item in result.items:  # a scheduled task is known by its rule's name, not its family
        rule = found.rules.get(item.source)
        if item.kind == "ECSTask" and rule is not None:
            item.manifest["metadata"]["name"] = manifest_name("ECSTask", rule)
    result.notes[:0] = found.notes
    return result


def _source(label: str, document: Mapping[str, Any]) -> Source:
    return Source(label, json.dumps(_pruned(document)))


def _clusters(ecs: JsonClient, wanted: Sequence[str]) -> list[dict[str, Any]]:
    arns = list(wanted) or [arn for page in ecs.pages("ListClusters", {}) for arn in page.get("clusterArns", [])]
    clusters: list[dict[str, Any]] = []
    for start in range(0, len(arns), 100):
        answer = ecs.call(
            "DescribeClusters",
            {"clusters": arns[start : start + 100], "include": ["SETTINGS", "CONFIGURATIONS", "TAGS"]},
        )
        for failure in answer.get("failures") or ():
            raise AwsError(
                "ecs", "DescribeClusters", "ClusterNotFoundException", f"{failure.get('arn')}: {failure.get('reason')}"
            )
        clusters.extend(c for c in answer.get("clusters", []) if c.get("status", "ACTIVE") == "ACTIVE")
    return clusters


def _services(ecs: JsonClient, cluster: str) -> list[dict[str, Any]]:
    arns = [arn for page in ecs.pages("ListServices", {"cluster": cluster}) for arn in page.get("serviceArns", [])]
    services: list[dict[str, Any]] = []
    for start in range(0, len(arns), 10):  # DescribeServices takes up to 10
        answer = ecs.call(
            "DescribeServices", {"cluster": cluster, "services": arns[start : start + 10], "include": ["TAGS"]}
        )
        services.extend(s for s in answer.get("services", []) if s.get("status", "ACTIVE") == "ACTIVE")
    for service in services:
        if "/aws-service-role/" in str(service.get("roleArn", "")):
            # ECS's service-linked role, which ECS reports when the service names none
            # (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using-service-linked-roles.html)
            del service["roleArn"]
    return services


def _task_definition(ecs: JsonClient, reference: str, found: dict[str, dict[str, Any]], notes: _Found) -> None:
    """The revision a service or rule runs; one per family (revisions restart at 1 on Kubernetes)."""
    ref = parse_task_definition_ref(reference)
    if ref.family in found:
        kept = found[ref.family]["taskDefinition"].get("revision")
        if ref.revision is not None and kept != ref.revision:
            notes.notes.append(
                f"ecs: {reference}: family {ref.family!r} is imported at revision {kept} (another service runs it); "
                "this one will run that revision too"
            )
        return
    answer = ecs.call("DescribeTaskDefinition", {"taskDefinition": reference, "include": ["TAGS"]})
    found[ref.family] = {"taskDefinition": answer.get("taskDefinition", {}), "tags": answer.get("tags") or []}


def _auto_scaling(client: JsonClient, found: _Found) -> dict[str, dict[str, Any]]:
    """resource id -> ``autoScaling`` member: bounds, target-tracking policies, scheduled actions."""
    body = {"ServiceNamespace": "ecs"}
    targets: dict[str, dict[str, Any]] = {}
    for page in client.pages("DescribeScalableTargets", body, "NextToken"):
        for target in page.get("ScalableTargets", []):
            if target.get("ScalableDimension") == _SCALABLE_DIMENSION:
                targets[str(target["ResourceId"])] = {
                    "minCapacity": target["MinCapacity"],
                    "maxCapacity": target["MaxCapacity"],
                }
    if not targets:
        return targets
    for page in client.pages("DescribeScalingPolicies", body, "NextToken"):
        for policy in page.get("ScalingPolicies", []):
            target = targets.get(str(policy.get("ResourceId")))
            if target is None or policy.get("ScalableDimension") != _SCALABLE_DIMENSION:
                continue
            where = f"application-autoscaling: {policy['ResourceId']}: policy {policy.get('PolicyName')!r}"
            if policy.get("PolicyType") != "TargetTrackingScaling":
                found.notes.append(
                    f"{where}: {policy.get('PolicyType')} is not supported here (target tracking is): skipped"
                )
                continue
            configuration = _camel(policy.get("TargetTrackingScalingPolicyConfiguration") or {})
            dropped = sorted(set(configuration) - _TARGET_TRACKING_KEYS)
            if dropped:
                found.notes.append(f"{where}: {', '.join(dropped)} not supported here: left out")
            entry = {"policyName": policy.get("PolicyName")} | {
                k: v for k, v in configuration.items() if k in _TARGET_TRACKING_KEYS
            }
            target.setdefault("targetTrackingScalingPolicies", []).append(entry)
    for page in client.pages("DescribeScheduledActions", body, "NextToken"):
        for action in page.get("ScheduledActions", []):
            target = targets.get(str(action.get("ResourceId")))
            if target is None or action.get("ScalableDimension") != _SCALABLE_DIMENSION:
                continue
            entry = {
                "scheduledActionName": action.get("ScheduledActionName"),
                "schedule": action.get("Schedule"),
                "scalableTargetAction": _camel(action.get("ScalableTargetAction") or {}),
                "timezone": action.get("Timezone"),
            }
            target.setdefault("scheduledActions", []).append(entry)
    return targets


def _scheduled_tasks(events: JsonClient, clusters: set[str], found: _Found) -> Iterator[tuple[str, dict[str, Any]]]:
    """EventBridge rules on a schedule whose targets run ECS tasks, as run-task input + ``schedule``.

    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/scheduled_tasks.html
    """
    for page in events.pages("ListRules", {}, "NextToken"):
        for rule in page.get("Rules", []):
            schedule = rule.get("ScheduleExpression")
            if not schedule:
                continue
            name = str(rule["Name"])
            body: dict[str, Any] = {"Rule": name}
            if rule.get("EventBusName"):
                body["EventBusName"] = rule["EventBusName"]
            ecs_targets = [
                target
                for page in events.pages("ListTargetsByRule", body, "NextToken")
                for target in page.get("Targets", [])
                if isinstance(target.get("EcsParameters"), Mapping)
            ]
            for target in ecs_targets:
                parameters = target["EcsParameters"]
                label = f"events rule {name} target {target.get('Id')}"
                cluster = str(target.get("Arn", "")).rsplit("/", 1)[-1]
                if cluster not in clusters:
                    found.notes.append(f"{label}: runs in cluster {cluster!r}, not among those read: skipped")
                    continue
                if rule.get("State") not in (None, "ENABLED"):
                    found.notes.append(f"{label}: the rule is {rule.get('State')}: skipped")
                    continue
                # one ECSTask per target: a rule's name, and its target's id when it has several
                found.rules[label] = name if len(ecs_targets) == 1 else f"{name}-{target.get('Id')}"
                yield label, _scheduled_task(parameters, target, cluster, str(schedule), label, found)


def _scheduled_task(
    parameters: Mapping[str, Any], target: Mapping[str, Any], cluster: str, schedule: str, label: str, found: _Found
) -> dict[str, Any]:
    task: dict[str, Any] = {"cluster": cluster}
    for key, value in _camel(parameters).items():
        if key in _IGNORED_ECS_PARAMETERS and value is False:
            continue
        task[_RENAMED_ECS_PARAMETERS.get(key, key)] = value
    task["schedule"] = schedule
    given = target.get("Input")
    if isinstance(given, str) and given:
        try:
            overrides = json.loads(given)
        except ValueError:
            overrides = None
        if isinstance(overrides, dict):
            task["overrides"] = overrides  # ECS targets take a TaskOverride as their input
        else:
            found.notes.append(f"{label}: Input is not a task override object: left out")
    return task


def _camel(value: Any) -> Any:
    """EventBridge's and Application Auto Scaling's PascalCase members in ECS's camelCase."""
    if isinstance(value, Mapping):
        return {(k[:1].lower() + k[1:]): _camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel(v) for v in value]
    return value


def _pruned(value: Any) -> Any:
    """Without null and empty members (what the APIs return for unset ones)."""
    if isinstance(value, Mapping):
        return {k: _pruned(v) for k, v in value.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value
