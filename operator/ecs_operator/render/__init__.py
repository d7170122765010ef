"""Pure functions from ECS models to Kubernetes manifests and statuses.

Nothing here does I/O, reads the clock or the environment, or imports kopf or a Kubernetes
client: the same input always renders the same output, which is what makes golden tests and
level-based reconciliation possible. Import the entry points from their modules
(:mod:`.pod`, :mod:`.query`, :mod:`.names`, ...); the most used are re-exported here.
"""

from __future__ import annotations

from .names import EfsClaim, SecretRef
from .pod import PodTemplateResult, render_pod_template
from .query import AffinityResult, QuerySyntaxError, to_affinity
from .warnings import RenderWarning

__all__ = [
    "AffinityResult",
    "EfsClaim",
    "PodTemplateResult",
    "QuerySyntaxError",
    "RenderWarning",
    "SecretRef",
    "render_pod_template",
    "to_affinity",
]
