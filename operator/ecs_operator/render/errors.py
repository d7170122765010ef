"""The one base of every error rendering can raise: a spec that cannot become Kubernetes objects.

    RenderError (ValueError)
    ├── CapacityProviderError   capacity providers, Fargate sizes     (render.capacity)
    │   └── FargateSizeError
    ├── DependencyCycleError    dependsOn cycles                      (render.dependencies)
    ├── NameMappingError        names Kubernetes cannot take          (render.names)
    ├── QueryError              memberOf expressions                  (render.query)
    └── ScheduleError           rate()/cron() schedules, time zones   (render.schedule)

Handlers report any of them (and models.SpecError) as the object's InvalidSpec problem.
"""

from __future__ import annotations

__all__ = ["RenderError"]


class RenderError(ValueError):
    """A spec the models accept but rendering cannot honour; the message names the field."""
