"""``aws ecs update-service --cli-input-json`` input -> the CreateService members of an ECSService.

UpdateService names the service ``service`` (CreateService says ``serviceName``; a service ARN
gives its name, and its cluster when ``cluster`` is not given) and takes the
members it changes; everything else it takes is a CreateService member of the same name and shape
(https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html). An ECSService
states the whole service, so the converted spec is what the document says: ``taskDefinition`` and
``desiredCount`` must be in it, as they must for CreateService (the models say so, at ``service``'s
paths).

``forceNewDeployment`` has no spec member: it is an action, not a setting. The ECS API records it
as a fresh token in the ``force-new-deployment`` annotation; a converted manifest is applied again
and again (and diffed in Git), so convert cannot mint a token that means "once". It drops the
member and its note says how to force a deployment of the applied service.

Pure: a mapping in, a mapping out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from .vocabulary import ANNOTATION_FORCE_DEPLOYMENT

__all__ = ["UpdateServiceInput", "is_update_service", "update_service_input"]

SERVICE_MEMBER: Final = "service"
"""UpdateService's name for CreateService's ``serviceName``."""

FORCE_MEMBER: Final = "forceNewDeployment"


@dataclass(frozen=True)
class UpdateServiceInput:
    """The CreateService-shaped spec, spec member -> member name in the file, and notes."""

    spec: dict[str, Any]
    renames: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _service_name(value: str, data: Mapping[str, Any], spec: dict[str, Any]) -> str:
    """The service's name; an ARN (``arn:...:service/<cluster>/<name>``) gives its name, and its cluster
    when the document names none."""
    if not value.startswith("arn:") or "/" not in value:
        return value
    parts = value.split(":", 5)[-1].split("/")
    if len(parts) == 3 and "cluster" not in data:
        spec["cluster"] = parts[1]
    return parts[-1]


def is_update_service(data: Mapping[str, Any]) -> bool:
    """UpdateService input names its service with a string ``service`` (describe-services and
    create-service output carry a ``service`` object instead)."""
    return isinstance(data.get(SERVICE_MEMBER), str)


def update_service_input(data: Mapping[str, Any]) -> UpdateServiceInput:
    """The ECSService spec an update-service document stands for."""
    spec: dict[str, Any] = {}
    notes: list[str] = []
    for key, value in data.items():
        if key == SERVICE_MEMBER:
            spec["serviceName"] = _service_name(value, data, spec)
        elif key == FORCE_MEMBER:
            if value is not False:
                notes.append(
                    f"{FORCE_MEMBER}: dropped (an ECSService has no such member; applying the manifest rolls "
                    "out what changed). To force a new deployment of the applied service, set the "
                    f"{ANNOTATION_FORCE_DEPLOYMENT} annotation to a new value (kubectl annotate ... --overwrite) "
                    "or call UpdateService with forceNewDeployment on the operator's ECS API"
                )
        else:
            spec[key] = value
    renames = {"serviceName": SERVICE_MEMBER} if SERVICE_MEMBER in data else {}
    return UpdateServiceInput(spec, renames, notes)
