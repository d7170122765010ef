"""Amazon Resource Names as ECS writes them, and reading them back.

Formats from the ECS developer guide's "Amazon Resource Names (ARNs) and IDs" page
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-account-settings.html#ecs-resource-ids):
the long format, which puts the cluster name in service, task and container-instance ARNs.
Ids are stable: a task's id is its pod's uid, a container instance's its node's uid, without
dashes (32 hex digits, as ECS's task ids are).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Arns", "short_name", "uid_id"]


def uid_id(uid: str) -> str:
    """An ECS-style id from a Kubernetes uid: 32 lowercase hex digits."""
    return uid.replace("-", "").lower()


def short_name(reference: str) -> str:
    """The last path element of an ARN (``.../cluster/prod`` -> ``prod``), or the name itself."""
    if reference.startswith("arn:"):
        return reference.rsplit("/", 1)[-1]
    return reference


@dataclass(frozen=True)
class Arns:
    """ARNs in one region and account (the API server's ``--region`` and ``--account-id``)."""

    region: str = "us-east-1"
    account: str = "123456789012"

    @property
    def prefix(self) -> str:
        return f"arn:aws:ecs:{self.region}:{self.account}"

    def cluster(self, name: str) -> str:
        return f"{self.prefix}:cluster/{name}"

    def service(self, cluster: str, name: str) -> str:
        return f"{self.prefix}:service/{cluster}/{name}"

    def task(self, cluster: str, task_id: str) -> str:
        return f"{self.prefix}:task/{cluster}/{task_id}"

    def task_definition(self, family: str, revision: int) -> str:
        return f"{self.prefix}:task-definition/{family}:{revision}"

    def container_instance(self, cluster: str, instance_id: str) -> str:
        return f"{self.prefix}:container-instance/{cluster}/{instance_id}"

    def capacity_provider(self, name: str) -> str:
        return f"{self.prefix}:capacity-provider/{name}"

    def service_deployment(self, cluster: str, service: str, deployment_id: str) -> str:
        return f"{self.prefix}:service-deployment/{cluster}/{service}/{deployment_id}"

    def service_revision(self, cluster: str, service: str, revision_id: str) -> str:
        return f"{self.prefix}:service-revision/{cluster}/{service}/{revision_id}"

    def kind_of(self, arn: str) -> str | None:
        """The resource type an ARN of this account names (``cluster``, ``service``, ...), else None."""
        if not arn.startswith(self.prefix + ":"):
            return None
        rest = arn[len(self.prefix) + 1 :]
        kind, _, _ = rest.partition("/")
        return kind or None

    def parts(self, arn: str) -> list[str]:
        """The path elements after the resource type (``service/prod/web`` -> ``['prod', 'web']``)."""
        rest = arn[len(self.prefix) + 1 :] if arn.startswith(self.prefix + ":") else arn
        return rest.split("/")[1:]
