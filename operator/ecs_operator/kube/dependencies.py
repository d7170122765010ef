"""What a rendered task needs outside its own pod, made to exist (or reported) before it runs.

Every reconcile that renders a pod template (ECSService, ECSTask) calls
:meth:`PodDependencies.apply_pod_dependencies` after rendering and
:meth:`PodDependencies.release_pods` on the pods it sees:

* the task role's ServiceAccount (:mod:`..render.identity`), applied with the owner's own field
  manager so several owners share it through a merged ownerReferences list; an owner that moved
  to another role gives up its reference once none of its pods use the old account;
* the ReadWriteMany claim of each EFS volume and, for static provisioning, the PersistentVolume
  pre-bound to it (:mod:`..render.storage`); claims are never owned and never deleted here;
* the claim (and node-local volume) of each ``shared`` Docker volume;
* Secrets and ConfigMaps are the user's data: never created, only checked. Each missing ARN /
  Secret / key comes back as a problem worded like ECS's ``ResourceInitializationError``.

Pods reading Secrets or ConfigMaps are created behind a scheduling gate (:mod:`..render.secrets`);
:meth:`~PodDependencies.release_pods` lifts it from each pod once everything the pod reads exists. When a
Secret or ConfigMap that an owner waits for appears (:meth:`~PodDependencies.resource_event`), the owner
is reconciled again at once, so creating the Secret is all it takes to start the task.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from ..models import SpecError, parse_cluster
from ..models.references import cluster_name
from ..render.identity import COMPONENT as ROLE_COMPONENT
from ..render.identity import build_service_account, owner_field_manager
from ..render.pod import PodTemplateResult
from ..render.revision import spec_digest
from ..render.secrets import (
    config_map_problems,
    has_gate,
    missing_for_pod,
    missing_refs,
    pod_needs,
    secret_problems,
    without_gate,
)
from ..render.storage import (
    StoragePlan,
    build_docker_volume,
    build_efs_volume,
    docker_claim_manifest,
    efs_claim_manifest,
    efs_volume_handle,
    storage_plan,
)
from ..vocabulary import API_VERSION
from .client import Kube
from .errors import KubeError

__all__ = ["PodDependencies", "RECHECK_SECONDS"]

log = logging.getLogger("ecs_operator.dependencies")

RECHECK_SECONDS = 60.0
"""Objects verified recently (an applied ServiceAccount, a Bound claim) are not read again sooner."""

Obj = dict[str, Any]
OwnerKey = tuple[str, str]  # (kind, name)


class PodDependencies:
    """What tasks need outside their pods; remembers recent checks and who waits for what."""

    def __init__(self, kube: Kube, on_available: Callable[[str, str, str], None]) -> None:
        """``on_available(owner_kind, namespace, owner_name)`` re-reconciles an owner whose wait is over."""
        self._kube = kube
        self._on_available = on_available
        self._lock = threading.Lock()
        self._verified: dict[tuple[str, ...], tuple[str, float]] = {}  # object key -> (digest, when)
        self._waiting: dict[tuple[str, str, str], set[OwnerKey]] = {}  # (namespace, kind, name) -> owners
        self._present: dict[tuple[str, str, str], tuple[frozenset[str], float]] = {}  # Secret/ConfigMap keys
        self._roles: dict[tuple[str, str, str], str | None] = {}  # owner -> the task-role account it used last
        self._stale_accounts: set[tuple[str, str, str]] = set()  # owners with an old role's account in use

    def is_awaited(self, kind: str, namespace: str, name: str) -> bool:
        """Does some owner wait for this Secret/ConfigMap?"""
        with self._lock:
            return (namespace, kind, name) in self._waiting

    def apply_pod_dependencies(
        self, owner: Mapping[str, Any], pod: PodTemplateResult, *, cluster_spec: Any = None
    ) -> list[str]:
        """Make what ``pod`` needs exist; return what is still missing, in words (empty: all there).

        ``owner`` is the ECSService / ECSTask body; ``cluster_spec`` its ECSClusterSpec when the
        caller has it (else it is read from ``owner.spec.cluster``; only EFS needs it).
        """
        client = self._kube
        namespace = owner["metadata"]["namespace"]
        problems: list[str] = []
        self._service_account(client, owner, pod)
        if pod.efs_claims:
            plan = self._storage_plan(client, owner, cluster_spec)
            for claim in pod.efs_claims:
                problems.extend(
                    self._ensure_claim(
                        client,
                        namespace,
                        efs_claim_manifest(namespace, claim, plan),
                        build_efs_volume(namespace, claim, plan),
                        what=f"EFS {efs_volume_handle(claim)}",
                    )
                )
        for docker in pod.docker_volume_claims:
            if docker.autoprovision:
                problems.extend(
                    self._ensure_claim(
                        client,
                        namespace,
                        docker_claim_manifest(namespace, docker),
                        build_docker_volume(namespace, docker),
                        what=f"docker volume {docker.volume_name}",
                    )
                )
            elif client.get_or_none("v1", "PersistentVolumeClaim", namespace, docker.claim_name) is None:
                problems.append(
                    f"docker volume {docker.volume_name} is not autoprovisioned and its "
                    f"PersistentVolumeClaim {namespace}/{docker.claim_name} does not exist"
                )
        required: dict[str, set[str]] = {}
        for ref in pod.secret_refs:
            required.setdefault(ref.secret_name, set()).add(ref.key)
        secrets = self._read_all(client, namespace, "Secret", list(required), required)
        config_maps = self._read_all(client, namespace, "ConfigMap", pod.config_maps)
        problems.extend(secret_problems(pod.secret_refs, secrets, namespace))
        problems.extend(config_map_problems(pod.config_maps, config_maps, namespace))
        waiting = [("Secret", r.secret_name) for r in missing_refs(pod.secret_refs, secrets)]
        waiting += [("ConfigMap", n) for n, c in config_maps.items() if c is None]
        self._wait_for(owner, namespace, waiting)
        return problems

    def release_pods(self, owner: Mapping[str, Any], pods: list[Obj]) -> list[str]:
        """Lift the resources gate from each pod whose Secrets/ConfigMaps all exist.

        Returns, for pods still held, what each one waits for (``pod: Secret x key y, ...``).
        """
        client = self._kube
        namespace = owner["metadata"]["namespace"]
        cache: dict[tuple[str, str], Obj | None] = {}
        held: list[str] = []
        for pod in pods:
            if not has_gate(pod) or pod["metadata"].get("deletionTimestamp"):
                continue
            needs = pod_needs(pod.get("spec") or {})
            secrets = {n: self._cached(client, cache, namespace, "Secret", n) for n, _ in needs.secret_keys}
            config_maps = {n: self._cached(client, cache, namespace, "ConfigMap", n) for n in needs.config_maps}
            missing = missing_for_pod(needs, secrets, config_maps)
            name = pod["metadata"]["name"]
            if missing:
                held.append(f"{name}: {', '.join(str(m) for m in missing)}")
                self._wait_for(owner, namespace, [(m.kind, m.name) for m in missing])
                continue
            patch = {
                "metadata": {"resourceVersion": pod["metadata"].get("resourceVersion")},
                "spec": {"schedulingGates": without_gate(pod) or None},
            }
            try:
                client.patch("v1", "Pod", namespace, name, patch)
            except KubeError as exc:  # changed or gone meanwhile: its next event brings us back
                log.debug("pod %s/%s: gate not lifted: %s", namespace, name, exc)
        return held

    # -- service accounts ---------------------------------------------------------------------------

    def _service_account(self, client: Kube, owner: Mapping[str, Any], pod: PodTemplateResult) -> None:
        namespace = owner["metadata"]["namespace"]
        manager = owner_field_manager(owner)
        owner_key = (namespace, str(owner["kind"]), owner["metadata"]["uid"])
        keep = pod.service_account if pod.task_role_arn else None
        if keep and pod.task_role_arn:
            account = build_service_account(owner, keep, pod.task_role_arn)
            key = ("ServiceAccount", namespace, keep, manager)
            digest = spec_digest(account)
            if not self._recent(key, digest):
                client.apply(account, field_manager=manager)
                self._remember(key, digest)
        # On first sight (this process) and after a role change, give up the accounts of other roles;
        # keep trying while tasks of the old role still run with one.
        if owner_key not in self._roles or self._roles[owner_key] != keep or owner_key in self._stale_accounts:
            if self._release_stale_accounts(client, owner, keep, manager):
                self._stale_accounts.discard(owner_key)
            else:
                self._stale_accounts.add(owner_key)
        self._roles[owner_key] = keep

    def _release_stale_accounts(self, client: Kube, owner: Mapping[str, Any], keep: str | None, manager: str) -> bool:
        """Drop this owner's reference from task-role accounts other than ``keep``; True when done."""
        namespace = owner["metadata"]["namespace"]
        uid = owner["metadata"]["uid"]
        done = True
        for account in client.list(
            "v1", "ServiceAccount", namespace, labels={"app.kubernetes.io/component": ROLE_COMPONENT}
        ):
            name = account["metadata"]["name"]
            refs = account["metadata"].get("ownerReferences", [])
            if name == keep or not any(r.get("uid") == uid for r in refs):
                continue
            if len(refs) > 1:
                client.apply(
                    {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": namespace}},
                    field_manager=manager,
                )
                continue
            if client.list("v1", "Pod", namespace, field_selector=f"spec.serviceAccountName={name}"):
                done = False  # tasks of the old role still run with it
                continue
            client.delete("v1", "ServiceAccount", namespace, name, uid=account["metadata"]["uid"])
        return done

    # -- storage ------------------------------------------------------------------------------------

    def _storage_plan(self, client: Kube, owner: Mapping[str, Any], cluster_spec: Any) -> StoragePlan:
        if cluster_spec is None:
            cluster_spec = self._cluster_spec(client, owner)
        config = getattr(cluster_spec, "efs_storage", None)
        default_class = None
        if getattr(config, "provisioning", None) is None and not getattr(config, "storage_class_name", None):
            default_class = self._default_storage_class(client)
        return storage_plan(config, default_class=default_class)

    def _cluster_spec(self, client: Kube, owner: Mapping[str, Any]) -> Any:
        namespace = owner["metadata"]["namespace"]
        wanted = cluster_name(str((owner.get("spec") or {}).get("cluster") or "default"))
        found = client.get_or_none(API_VERSION, "ECSCluster", namespace, wanted)
        if found is None or (found.get("spec") or {}).get("clusterName") not in (None, wanted):
            found = next(
                (
                    c
                    for c in client.list(API_VERSION, "ECSCluster", namespace)
                    if ((c.get("spec") or {}).get("clusterName") or c["metadata"]["name"]) == wanted
                ),
                None,
            )
        if found is None:
            return None
        try:
            return parse_cluster(found.get("spec") or {})
        except SpecError:
            return None  # the cluster's own status reports it; storage falls back to the defaults

    def _default_storage_class(self, client: Kube) -> str | None:
        for item in client.list("storage.k8s.io/v1", "StorageClass"):
            annotations = item["metadata"].get("annotations") or {}
            if annotations.get("storageclass.kubernetes.io/is-default-class") == "true":
                return str(item["metadata"]["name"])
        return None

    def _ensure_claim(self, client: Kube, namespace: str, claim: Obj, volume: Obj | None, *, what: str) -> list[str]:
        """Create the claim (and its static volume) when missing; an existing claim is used as it is."""
        name = claim["metadata"]["name"]
        key = ("PersistentVolumeClaim", namespace, name)
        if self._recent(key, "Bound"):
            return []
        existing = client.get_or_none("v1", "PersistentVolumeClaim", namespace, name)
        if existing is not None and existing["metadata"].get("deletionTimestamp"):
            return [f"{what}: PersistentVolumeClaim {namespace}/{name} is being deleted; tasks using it wait"]
        if volume is not None and (
            existing is None or existing["spec"].get("volumeName") == volume["metadata"]["name"]
        ):
            self._ensure_volume(client, volume, existing)
        if existing is None:
            existing = client.apply(claim)
        phase = (existing.get("status") or {}).get("phase")
        if phase == "Bound":
            self._remember(key, "Bound")
        elif phase == "Lost":
            return [
                f"{what}: PersistentVolumeClaim {namespace}/{name} lost its volume {existing['spec'].get('volumeName')}"
            ]
        return []

    def _ensure_volume(self, client: Kube, volume: Obj, claim: Obj | None) -> None:
        """Create the static volume when missing; re-offer a Released one to a re-created claim."""
        name = volume["metadata"]["name"]
        existing = client.get_or_none("v1", "PersistentVolume", None, name)
        if existing is None:
            client.apply(volume)
            return
        ref = existing["spec"].get("claimRef") or {}
        claim_uid = claim["metadata"]["uid"] if claim is not None else None
        if ref.get("uid") and ref.get("uid") != claim_uid:
            # The claim it was bound to is gone (a user deleted it): the data stays, and the volume
            # is offered to the claim of the same name again.
            client.patch(
                "v1", "PersistentVolume", None, name, {"spec": {"claimRef": {"uid": None, "resourceVersion": None}}}
            )

    # -- secrets and config maps ------------------------------------------------------------------------

    def _read_all(
        self, client: Kube, namespace: str, kind: str, names: list[str], required: Mapping[str, set[str]] | None = None
    ) -> dict[str, Obj | None]:
        """Read each Secret/ConfigMap; one seen recently with every ``required`` key is not read again."""
        found: dict[str, Obj | None] = {}
        for name in dict.fromkeys(names):
            key = (kind, namespace, name)
            with self._lock:
                known = self._present.get(key)
            if (
                known is not None
                and time.monotonic() - known[1] < RECHECK_SECONDS
                and (required or {}).get(name, set()) <= known[0]
            ):
                found[name] = {"data": dict.fromkeys(known[0], "")}
                continue
            obj = client.get_or_none("v1", kind, namespace, name)
            found[name] = obj
            if obj is not None:
                with self._lock:
                    self._present[key] = (frozenset(obj.get("data") or {}), time.monotonic())
        return found

    def _cached(
        self, client: Kube, cache: dict[tuple[str, str], Obj | None], namespace: str, kind: str, name: str
    ) -> Obj | None:
        if (kind, name) not in cache:
            cache[(kind, name)] = client.get_or_none("v1", kind, namespace, name)
        return cache[(kind, name)]

    def _wait_for(self, owner: Mapping[str, Any], namespace: str, items: list[tuple[str, str]]) -> None:
        who = (str(owner["kind"]), owner["metadata"]["name"])
        with self._lock:
            for kind, name in items:
                self._waiting.setdefault((namespace, kind, name), set()).add(who)

    def resource_event(self, kind: str, event_type: str | None, namespace: str, name: str) -> None:
        """A Secret/ConfigMap was created or changed: forget what we knew and wake its waiting owners."""
        if event_type == "DELETED":
            return
        with self._lock:
            self._present.pop((kind, namespace, name), None)
            owners = self._waiting.pop((namespace, kind, name), set())
        for owner_kind, owner_name in sorted(owners):
            self._on_available(owner_kind, namespace, owner_name)

    # -- memory of recent checks ----------------------------------------------------------------------

    def _recent(self, key: tuple[str, ...], digest: str) -> bool:
        with self._lock:
            known = self._verified.get(key)
        return known is not None and known[0] == digest and time.monotonic() - known[1] < RECHECK_SECONDS

    def _remember(self, key: tuple[str, ...], digest: str) -> None:
        with self._lock:
            self._verified[key] = (digest, time.monotonic())

    def forget(self, kind: str, namespace: str, name: str) -> None:
        """Drop memory of one object (tests, or a handler that knows it changed)."""
        with self._lock:
            for key in [k for k in self._verified if k[:3] == (kind, namespace, name)]:
                del self._verified[key]
