"""References to a task definition (``family``, ``family:revision`` or an ARN) and to a cluster
(a name or an ARN).

Services and tasks name the task definition the way ECS does. Without a revision they follow
the family's latest revision; an ARN is reduced to ``family:revision`` (and a cluster ARN to the
cluster's name) because the operator keeps everything per namespace, not per account and region.
The forms are CreateService's and RunTask's taskDefinition ("The family and revision
(family:revision) or full ARN of the task definition ... If a revision isn't specified, the latest
ACTIVE revision is used", https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html).
"""

from __future__ import annotations

import re
from typing import Annotated, Final, NamedTuple

from .scalars import TextPattern

__all__ = [
    "CLUSTER_PATTERN",
    "ClusterReference",
    "TASK_DEFINITION_PATTERN",
    "TaskDefinitionRef",
    "TaskDefinitionReference",
    "cluster_name",
    "parse_task_definition_ref",
]

TASK_DEFINITION_PATTERN: Final = (
    r"^(arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:task-definition/)?[a-zA-Z0-9_-]{1,255}(:[1-9][0-9]{0,8})?$"
)
_MAX_LENGTH = 512


class TaskDefinitionRef(NamedTuple):
    """A parsed reference: the family and, when pinned, the revision."""

    family: str
    revision: int | None = None

    def __str__(self) -> str:
        return self.family if self.revision is None else f"{self.family}:{self.revision}"


def parse_task_definition_ref(text: str) -> TaskDefinitionRef:
    """``"web:3"`` -> ("web", 3); ``"web"`` -> ("web", None); an ARN -> its family:revision."""
    if len(text) > _MAX_LENGTH or re.fullmatch(TASK_DEFINITION_PATTERN, text) is None:
        raise ValueError(f"{_RULE}, got {text!r}")
    name = text.rsplit("/", 1)[-1] if text.startswith("arn:") else text
    family, _, revision = name.partition(":")
    return TaskDefinitionRef(family, int(revision) if revision else None)


_RULE = (
    "must be family, family:revision or a task-definition ARN "
    "(arn:aws:ecs:<region>:<account>:task-definition/family:revision)"
)

TaskDefinitionReference = Annotated[str, TextPattern(TASK_DEFINITION_PATTERN, _RULE, _MAX_LENGTH)]
"""A ``taskDefinition`` member of a service or task."""

CLUSTER_PATTERN: Final = r"^(arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:cluster/)?[a-zA-Z0-9_-]{1,255}$"

ClusterReference = Annotated[
    str,
    TextPattern(
        CLUSTER_PATTERN, "must be a cluster name or a cluster ARN (arn:aws:ecs:<region>:<account>:cluster/name)", 512
    ),
]
"""A ``cluster`` member of a service or task."""


def cluster_name(reference: str) -> str:
    """``"arn:aws:ecs:us-east-1:123456789012:cluster/prod"`` -> ``"prod"``; a name stays as it is."""
    return reference.rsplit("/", 1)[-1] if reference.startswith("arn:") else reference
