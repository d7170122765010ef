"""What a task must read before it starts, and the scheduling gate that holds it until then.

ECS fetches a task's secrets (SSM parameters, Secrets Manager secrets, registry credentials) and
environment files before it starts any container. When one is missing no container starts and
the task stops with ``ResourceInitializationError``. Kubernetes behaves differently: the pod is
scheduled and its container waits in ``CreateContainerConfigError`` (and simulated nodes, kwok,
do not look at Secrets at all). To keep ECS's "nothing starts" behaviour everywhere, a pod
template that reads Secrets or ConfigMaps carries the scheduling gate :data:`RESOURCES_GATE`;
the operator removes it from each pod once every Secret key and ConfigMap the pod reads exists.
Until then the pod is ``Pending`` (``SchedulingGated``) and its owner's status names the ARN,
the Secret and the key that are missing.

Everything here is pure: the handlers read the Secrets and ConfigMaps and pass them in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..vocabulary import SCHEDULING_GATE_RESOURCES
from .names import SecretRef

__all__ = [
    "RESOURCES_GATE",
    "Missing",
    "PodNeeds",
    "gate_template",
    "has_gate",
    "missing_for_pod",
    "missing_refs",
    "pod_needs",
    "secret_problems",
    "config_map_problems",
    "without_gate",
]

RESOURCES_GATE = SCHEDULING_GATE_RESOURCES
ERROR_PREFIX = "ResourceInitializationError: unable to pull secrets or registry auth"

Obj = Mapping[str, Any]


@dataclass(frozen=True)
class PodNeeds:
    """Secret keys (key None: the Secret as a whole) and ConfigMaps one pod reads."""

    secret_keys: tuple[tuple[str, str | None], ...] = ()
    config_maps: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.secret_keys or self.config_maps)


def gate_template(template: dict[str, Any]) -> None:
    """Add :data:`RESOURCES_GATE` to a pod template (in place) when the pod reads Secrets/ConfigMaps."""
    if not pod_needs(template.get("spec") or {}):
        return
    spec = template.setdefault("spec", {})
    gates = [g for g in spec.get("schedulingGates", []) if g.get("name") != RESOURCES_GATE]
    spec["schedulingGates"] = [*gates, {"name": RESOURCES_GATE}]


def pod_needs(spec: Obj) -> PodNeeds:
    """Read the pod spec: required secretKeyRefs, envFrom Secrets/ConfigMaps, pull secrets, volumes."""
    secret_keys: list[tuple[str, str | None]] = []
    config_maps: list[str] = []

    def add_secret(name: str, key: str | None) -> None:
        if (name, key) not in secret_keys:
            secret_keys.append((name, key))

    def add_config_map(name: str) -> None:
        if name not in config_maps:
            config_maps.append(name)

    containers = [*spec.get("initContainers", []), *spec.get("containers", [])]
    for container in containers:
        for env in container.get("env", []):
            source = env.get("valueFrom") or {}
            secret = source.get("secretKeyRef")
            if secret and not secret.get("optional"):
                add_secret(secret["name"], secret.get("key"))
            config = source.get("configMapKeyRef")
            if config and not config.get("optional"):
                add_config_map(config["name"])
        for env_from in container.get("envFrom", []):
            secret = env_from.get("secretRef")
            if secret and not secret.get("optional"):
                add_secret(secret["name"], None)
            config = env_from.get("configMapRef")
            if config and not config.get("optional"):
                add_config_map(config["name"])
    for pull in spec.get("imagePullSecrets", []):
        if pull.get("name"):
            add_secret(pull["name"], ".dockerconfigjson")
    for volume in spec.get("volumes", []):
        secret = volume.get("secret")
        if secret and not secret.get("optional"):
            add_secret(secret["secretName"], None)
        config = volume.get("configMap")
        if config and not config.get("optional"):
            add_config_map(config["name"])
    return PodNeeds(tuple(secret_keys), tuple(config_maps))


def _has_key(secret: Obj | None, key: str | None) -> bool:
    if secret is None:
        return False
    if key is None:
        return True
    return key in (secret.get("data") or {}) or key in (secret.get("stringData") or {})


@dataclass(frozen=True)
class Missing:
    """A Secret (key) or ConfigMap a pod reads and that does not exist."""

    kind: str  # Secret | ConfigMap
    name: str
    key: str | None = None

    def __str__(self) -> str:
        return f"{self.kind} {self.name}" + (f" key {self.key}" if self.key else "")


def missing_for_pod(
    needs: PodNeeds, secrets: Mapping[str, Obj | None], config_maps: Mapping[str, Obj | None]
) -> list[Missing]:
    """What of ``needs`` is absent, given the Secrets/ConfigMaps read (None: not found)."""
    missing = [Missing("Secret", name, key) for name, key in needs.secret_keys if not _has_key(secrets.get(name), key)]
    missing += [Missing("ConfigMap", name) for name in needs.config_maps if config_maps.get(name) is None]
    return missing


def missing_refs(refs: Sequence[SecretRef], secrets: Mapping[str, Obj | None]) -> list[SecretRef]:
    """The secret ARNs whose Secret or key does not exist."""
    return [ref for ref in refs if not _has_key(secrets.get(ref.secret_name), ref.key)]


def has_gate(pod: Obj) -> bool:
    return any(g.get("name") == RESOURCES_GATE for g in (pod.get("spec") or {}).get("schedulingGates", []))


def without_gate(pod: Obj) -> list[dict[str, Any]]:
    """The pod's scheduling gates minus ours (other controllers' gates stay)."""
    return [dict(g) for g in (pod.get("spec") or {}).get("schedulingGates", []) if g.get("name") != RESOURCES_GATE]


def secret_problems(refs: Sequence[SecretRef], secrets: Mapping[str, Obj | None], namespace: str) -> list[str]:
    """ECS-worded messages for every secret ARN whose Secret or key is missing."""
    problems = []
    for ref in missing_refs(refs, secrets):
        if secrets.get(ref.secret_name) is None:
            why = f"Secret {namespace}/{ref.secret_name} not found (key {ref.key})"
        else:
            why = f"key {ref.key} not found in Secret {namespace}/{ref.secret_name}"
        problems.append(f"{ERROR_PREFIX}: {ref.arn}: {why}")
    return problems


def config_map_problems(names: Iterable[str], config_maps: Mapping[str, Obj | None], namespace: str) -> list[str]:
    """Messages for environment files whose ConfigMap is missing."""
    return [
        f"ResourceInitializationError: failed to download env files: ConfigMap {namespace}/{name} not found"
        for name in names
        if config_maps.get(name) is None
    ]
