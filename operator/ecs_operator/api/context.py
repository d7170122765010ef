"""What an action handler is given: the call, the caller's namespace, caches and a client.

Handlers are plain synchronous functions ``(Call) -> response dict``, run on a worker thread,
so they read the watch caches and write through :class:`~ecs_operator.kube.Kube` without
async plumbing. ``call.kube`` acts as the key's ServiceAccount (impersonation);
``call.caches`` are shared by all callers, so a handler reads only ``call.namespace``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..kube import Kube
from .arns import Arns
from .caches import ApiCaches
from .params import Params

__all__ = ["Call", "Handler", "Response"]

Response = dict[str, Any]


@dataclass
class Call:
    action: str
    params: Params
    namespace: str
    arns: Arns
    caches: ApiCaches
    kube: Kube
    now: datetime
    access_key_id: str = ""

    @property
    def body(self) -> Mapping[str, Any]:
        return self.params.body


Handler = Callable[[Call], Response]
