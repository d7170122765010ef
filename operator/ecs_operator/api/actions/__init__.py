"""Every ECS action the API serves, by name; one module per resource.

Each module exports ``ACTIONS``, a table from the action name (``DescribeServices``) to its
handler. An action in botocore's ECS model that no module serves answers with
UnsupportedFeatureException naming it.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..context import Handler
from . import clusters, instances, services, tags, task_definitions, tasks

__all__ = ["ACTIONS"]

ACTIONS: Mapping[str, Handler] = {
    **clusters.ACTIONS,
    **task_definitions.ACTIONS,
    **services.ACTIONS,
    **tasks.ACTIONS,
    **instances.ACTIONS,
    **tags.ACTIONS,
}
