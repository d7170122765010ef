"""The validating admission webhook for the four kinds: observe, then :mod:`..plan.admission` decides.

kopf serves it (``kopf.on.validate``, :class:`.webhook_server.WebhookServer`); a refusal is a
``kopf.AdmissionError`` with HTTP 422 (Invalid, as the CRD schema's own refusals), so
``kubectl apply`` and ``--dry-run=server`` print the message status would show, and the ECS
API maps it to InvalidParameterException. Warnings go back as admission warnings (kubectl
prints them as ``Warning: ...``).

Failure policy ``Ignore`` (README "Admission"): while no operator answers, the API server
admits what the CRD schema and its CEL rules admit, and the reconcile reports the rest on
status as before. The webhooks are ``persistent``: a stopping operator leaves them registered,
so that rule (not an emptied configuration) is what applies while it is down. The checks only
read (caches first, then the API), so any replica can answer, paused peers included, and a
dry run has no side effects. A look-up that fails admits the object with a warning: the
reconcile checks it again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import kopf

from ..plan.admission import (
    Refused,
    WorkloadFacts,
    admit_cluster,
    admit_task_definition,
    admit_workload,
    spec_unchanged,
)
from ..plan.resolve import reference
from ..plan.task_definition import recorded_revision
from ..plan.types import Problem
from ..settings import WEBHOOK_PORT, Settings
from ..vocabulary import (
    GROUP,
    KIND_CLUSTER,
    KIND_SERVICE,
    KIND_TASK,
    KIND_TASK_DEFINITION,
    PLURALS,
    REVISION_LEDGER,
    VERSION,
)
from .clock import utcnow
from .context import OperatorContext, context_of
from .webhook_server import WebhookServer

__all__ = ["INVALID", "configure", "register"]

log = logging.getLogger("ecs_operator.admission")

INVALID = 422
"""The HTTP code of a refusal: what the API server answers for objects its schema refuses."""


async def validate(*, body: kopf.Body, warnings: list[str], memo: Any, resource: kopf.Resource, **kwargs: Any) -> None:
    """Refuse (AdmissionError) or admit, adding the warnings kubectl shows.

    Async, with the look-ups in a thread of their own: the operator's own metadata patches pass
    through here too, and must not queue behind kopf's handler threads.
    """
    old: kopf.Body | None = kwargs.get("old")
    operation: str | None = kwargs.get("operation")
    if operation == "UPDATE" and spec_unchanged(old, body):
        return
    kind = _kind_of(resource.plural)
    try:
        warnings.extend(await asyncio.to_thread(_check, context_of(memo), kind, body, old))
    except Refused as refused:
        raise kopf.AdmissionError(refused.message, code=INVALID) from refused
    except Exception as exc:  # fail open, as the failure policy does: the reconcile checks it again
        log.exception("admission check of %s %s failed", kind, body.get("metadata", {}).get("name"))
        warnings.append(f"ecs-operator could not check this {kind} at admission ({exc}); its status will tell")


def _check(ctx: OperatorContext, kind: str, body: Mapping[str, Any], old: Mapping[str, Any] | None) -> list[str]:
    if kind == KIND_TASK_DEFINITION:
        return admit_task_definition(body)
    if kind == KIND_CLUSTER:
        return admit_cluster(body)
    return admit_workload(kind, body, (old or {}).get("status") if old else None, _facts(ctx, body))


def _facts(ctx: OperatorContext, body: Mapping[str, Any]) -> WorkloadFacts:
    """What the spec refers to: its TaskDefinition, revisions and ledger entry, its cluster."""
    namespace = str(body["metadata"].get("namespace") or "default")
    spec = body.get("spec") or {}
    try:
        family, pinned = reference(str(spec.get("taskDefinition") or ""))
    except Problem:
        family, pinned = "", None  # admit_workload refuses the reference itself
    td = ctx.lookups.task_definition(namespace, family) if family else None
    revisions = ctx.lookups.revisions(td, pinned) if td else []
    if td is not None and pinned is not None and pinned not in {r.number for r in revisions}:
        # about to be refused: make sure the TaskDefinition is not newer than the watch cache's copy
        # (a spec change registers the revision named next, `kubectl apply` of both at once)
        td = ctx.lookups.get(KIND_TASK_DEFINITION, namespace, td["metadata"]["name"])
    recorded = 0
    if td is not None and not revisions:
        recorded = recorded_revision(ctx.kube.get_or_none("v1", "ConfigMap", namespace, REVISION_LEDGER), family)
    cluster = str(spec.get("cluster") or "default").rsplit("/", 1)[-1]
    return WorkloadFacts(
        task_definition=td,
        revisions=revisions,
        recorded=recorded,
        cluster=ctx.lookups.cluster(namespace, cluster),
        node_labels=ctx.lookups.node_labels,
        fargate_provisioner=ctx.settings.fargate_provisioner,
        now=utcnow(),
    )


def _kind_of(plural: str) -> str:
    return next(k for k in (KIND_CLUSTER, KIND_SERVICE, KIND_TASK, KIND_TASK_DEFINITION) if PLURALS[k] == plural)


def configure(settings: kopf.OperatorSettings, ours: Settings) -> None:
    """kopf's webhook server and (on the local cluster) its managed configuration, from our Settings."""
    if not ours.webhook_enabled:
        return
    cert_dir = ours.webhook_cert_dir
    settings.admission.server = WebhookServer(
        addr=ours.webhook_address or "0.0.0.0",  # in a pod: the Service reaches it
        port=WEBHOOK_PORT if ours.webhook_port is None else (ours.webhook_port or None),  # None: a free port
        certfile=f"{cert_dir}/tls.crt" if cert_dir else None,
        pkeyfile=f"{cert_dir}/tls.key" if cert_dir else None,
    )
    settings.admission.managed = ours.webhook_configuration


def register(registry: kopf.OperatorRegistry) -> None:
    for kind in (KIND_CLUSTER, KIND_TASK_DEFINITION, KIND_SERVICE, KIND_TASK):
        kopf.on.validate(
            GROUP,
            VERSION,
            PLURALS[kind],
            id=f"validate-{PLURALS[kind]}",
            operations=["CREATE", "UPDATE"],
            ignore_failures=True,  # failurePolicy: Ignore
            persistent=True,  # kept registered when the operator stops: the failure policy decides then
            side_effects=False,  # sideEffects: None, so dry runs are checked too
            registry=registry,
        )(validate)
