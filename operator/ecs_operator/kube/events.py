"""Kubernetes Events about our objects, so `kubectl describe` tells the ECS story too."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from collections.abc import Mapping
from typing import Any

from ..logs import about
from .client import Kube
from .errors import KubeError

__all__ = ["post_event"]

COMPONENT = "ecs-operator"

log = logging.getLogger("ecs_operator.events")


def post_event(kube: Kube, regarding: Mapping[str, Any], *, reason: str, message: str, warning: bool = False) -> None:
    """Best effort: an Event that cannot be written must never fail a reconcile.

    Each one is also the operator's log line about it: ECS's own words, one per event.
    """
    meta = regarding["metadata"]
    kind = str(regarding.get("kind") or "")
    log.log(
        logging.WARNING if warning else logging.INFO,
        "%s %s/%s: %s",
        kind,
        meta.get("namespace"),
        meta["name"],
        message,
        extra=about(kind, meta.get("namespace"), meta["name"], reason),
    )
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    digest = hashlib.sha1(f"{meta.get('uid')}{reason}{message}{time.time_ns()}".encode()).hexdigest()[:10]
    body = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{meta['name']}.{digest}", "namespace": meta.get("namespace") or "default"},
        "involvedObject": {
            "apiVersion": regarding.get("apiVersion"),
            "kind": regarding.get("kind"),
            "name": meta["name"],
            "namespace": meta.get("namespace"),
            "uid": meta.get("uid"),
        },
        "reason": reason,
        "message": message[:1000],
        "type": "Warning" if warning else "Normal",
        "source": {"component": COMPONENT},
        "reportingComponent": COMPONENT,
        "reportingInstance": COMPONENT,
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 1,
    }
    with contextlib.suppress(KubeError):
        kube.create(body)
