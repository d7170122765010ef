"""kopf wiring. Importing this package registers every handler with kopf's default registry."""

from . import applier, clusters, fargate, services, settings, taskdefinitions, tasks  # noqa: F401  (registration side effects)

__all__ = ["applier", "clusters", "fargate", "services", "settings", "taskdefinitions", "tasks"]
