"""kopf wiring. Importing this package registers every handler with kopf's default registry.

Event handlers that only update a cache or schedule a reconcile are `async`: they run on
kopf's event loop without a trip through its thread pool, which matters at thousands of
pod events. Handlers that call the API are plain functions and run in kopf's executor.
"""

from . import applier, clusters, fargate, services, settings, taskdefinitions, tasks

__all__ = ["applier", "clusters", "fargate", "services", "settings", "taskdefinitions", "tasks"]
