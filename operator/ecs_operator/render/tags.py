"""ECS tags as pod annotations: propagateTags, RunTask tags, and keys Kubernetes cannot take.

ECS tag keys allow characters (spaces, ``:`` and more than one ``/``) that an annotation key does
not (Tagging your Amazon ECS resources, https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-using-tags.html);
such a tag is reported as a warning and left off the pod, never sent to the API server to fail
the whole workload.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from ..models.common import Tag
from .warnings import RenderWarning

__all__ = ["is_annotation_key", "tag_annotations", "propagated_annotations"]

_ANNOTATION_KEY = re.compile(
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
)
_MAX_PREFIX = 253


def is_annotation_key(key: str) -> bool:
    """Kubernetes' rule: an optional DNS-subdomain prefix and ``/``, then a name of at most 63 characters."""
    return _ANNOTATION_KEY.fullmatch(key) is not None and len(key.rpartition("/")[0]) <= _MAX_PREFIX


def tag_annotations(tags: Mapping[str, str], path: str, warnings: list[RenderWarning]) -> dict[str, str]:
    """The tags whose keys are valid annotation keys; a warning for each of the others."""
    out = {}
    for key, value in tags.items():
        if is_annotation_key(key):
            out[key] = value
        else:
            reason = f"tag {key!r} is not a valid annotation key; it is not put on the task's pod"
            warnings.append(RenderWarning(path, reason, "unsupported"))
    return out


def propagated_annotations(
    propagate_tags: str | None,
    service_tags: Sequence[Tag] | None,
    td_tags: Sequence[Tag] | None,
    warnings: list[RenderWarning],
) -> dict[str, str]:
    """ECS propagateTags: TASK_DEFINITION or SERVICE tags become pod annotations."""
    source = td_tags if propagate_tags == "TASK_DEFINITION" else service_tags if propagate_tags == "SERVICE" else None
    tags = {t.key: t.value or "" for t in source or () if t.key}
    return tag_annotations(tags, "propagateTags", warnings)
