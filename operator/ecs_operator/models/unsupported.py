"""The ECS members we reject, and why: the single table the models and the coverage test read.

Everything else in botocore's RegisterTaskDefinition, CreateService, RunTask and CreateCluster
inputs is accepted by the models (render then maps it, or reports it in a condition). A member
listed here is still declared on its model so the error names it and gives the reason below, and
the CRD carries a CEL rule with the same words.
"""

from __future__ import annotations

from typing import Final

__all__ = ["UNSUPPORTED_MEMBERS", "reason"]

UNSUPPORTED_MEMBERS: Final[dict[str, str]] = {
    "Volume.s3filesVolumeConfiguration": (
        "S3 Files volumes have no Kubernetes equivalent; use efsVolumeConfiguration "
        "(a shared ReadWriteMany volume) or dockerVolumeConfiguration instead"
    ),
}
"""``"BotocoreShape.member"`` -> reason shown to the user."""


def reason(member: str) -> str:
    """The documented reason for ``"Shape.member"``; KeyError if it is not in the table."""
    return UNSUPPORTED_MEMBERS[member]
