"""Deterministic Kubernetes names for ECS identifiers.

Kubernetes names are narrower than ECS names (DNS-1123: lowercase letters, digits and ``-``;
63 characters for labels, 253 for object names, 15 for port names), and the operator must find
the same object again on every reconcile, so every name here is a pure function of its input.

Rules shared by all functions:

* Text is lowercased and every run of other characters becomes one ``-``.
* When that loses information (upper case, ``_``, ``.``, ``--``, ...) or the result is too long,
  a short stable hash of the *original* text is appended (``-`` + 8 hex digits of SHA-256),
  so two different inputs do not end up sharing one name.
* ``/`` and ``-`` are treated as the same separator, so hierarchical names read naturally.
  The price: ``/prod/db/password`` and ``prod-db-password`` share a name. Region and account
  are not part of any name either: one namespace is expected to use one account and region.

Mapping (input -> Kubernetes name, Secret key):

* SSM ``arn:aws:ssm:us-east-1:123:parameter/prod/db/password`` -> Secret ``ssm-prod-db-password``,
  key ``value``; the bare parameter name ``/prod/db/password`` (same Region) maps the same way.
* Secrets Manager ``arn:aws:secretsmanager:us-east-1:123:secret:prod/db-AbCdEf:password::``
  -> Secret ``sm-prod-db``, key ``password``; without a json-key the key is ``value``;
  with a version stage or id (``...:password:AWSPREVIOUS:``) -> ``sm-prod-db-<hash>``.
* repositoryCredentials ``...:secret:ci/registry-AbCdEf`` -> Secret ``pull-sm-ci-registry``
  (type ``kubernetes.io/dockerconfigjson``, key ``.dockerconfigjson``).
* Task role ``arn:aws:iam::123:role/app-role`` -> ServiceAccount ``ecs-task-role-app-role``.
* EFS ``fs-12345678`` -> PVC ``efs-fs-12345678``; with a rootDirectory other than ``/`` or an
  accessPointId -> ``efs-fs-12345678-<hash>``.
* Shared Docker volume ``db_data`` -> PVC ``docker-volume-db-data-<hash>``.
* environmentFiles ``arn:aws:s3:::bucket/app.env`` -> ConfigMap ``s3-bucket-app-env-<hash>``.
* Task group ``service:web`` -> label value ``service.web``.

Secrets Manager appends ``-`` and six random characters to a secret's name in its full ARN.
A trailing ``-xxxxxx`` counts as that suffix only when the six characters are letters and digits
including at least one upper-case letter or digit (real suffixes almost always are), so a partial
ARN of ``db-secret`` keeps its whole name. A version stage or id selects different data, so it
adds a hash to the Secret name. Task role names are case-insensitive in IAM, so lowercasing
them loses nothing; a role's path is not part of its identity and is dropped.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .errors import RenderError

__all__ = [
    "EfsClaim",
    "NameMappingError",
    "SecretRef",
    "annotation_key",
    "config_map_name_for_env_file",
    "CONTAINER_NAME_MAX",
    "container_names",
    "dns_label",
    "docker_volume_claim_name",
    "efs_claim",
    "efs_claim_name",
    "group_label_value",
    "label_value",
    "port_name",
    "pull_secret_ref",
    "secret_ref",
    "service_account_name",
    "short_hash",
    "unique_names",
]

LABEL_MAX = 63
NAME_MAX = 253
PORT_NAME_MAX = 15
HASH_LENGTH = 8

_LOSSLESS_PATH = re.compile(r"[a-z0-9]+(?:[-/][a-z0-9]+)*")
_LOSSLESS_LABEL = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_LABEL_VALUE = re.compile(r"(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?")
_SECRET_KEY = re.compile(r"[-._A-Za-z0-9]+")
_SM_SUFFIX = re.compile(r"^(?P<name>.+)-(?P<suffix>[A-Za-z0-9]{6})$")


class NameMappingError(RenderError):
    """An ARN or name that cannot be mapped (wrong service, missing parts)."""


@dataclass(frozen=True)
class SecretRef:
    """A Kubernetes Secret key that stands in for one ECS secret ARN."""

    arn: str
    secret_name: str
    key: str


@dataclass(frozen=True)
class EfsClaim:
    """The PersistentVolumeClaim that stands in for one EFS file system (+ root dir / access point)."""

    file_system_id: str
    root_directory: str | None
    access_point_id: str | None
    claim_name: str


def short_hash(text: str, length: int = HASH_LENGTH) -> str:
    """First hex digits of SHA-256: stable across processes, unlike ``hash()``."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _fit(name: str, *, lossless: bool, source: str, max_length: int, hash_length: int = HASH_LENGTH) -> str:
    """Return ``name`` or, when information was lost or it is too long, ``name`` cut + ``-hash``."""
    if lossless and name and len(name) <= max_length:
        return name
    suffix = short_hash(source, hash_length)
    keep = max_length - len(suffix) - 1
    head = name[:keep].rstrip("-")
    return f"{head}-{suffix}" if head else suffix


def dns_label(text: str, max_length: int = LABEL_MAX) -> str:
    """Sanitise to a DNS-1123 label, hashing only when too long (or empty).

    Used where the original is kept elsewhere (container names: an annotation keeps the ECS
    name) and collisions are resolved by :func:`unique_names`.
    """
    return _fit(_slug(text), lossless=True, source=text, max_length=max_length)


def unique_names(originals: Sequence[str], max_length: int = LABEL_MAX, taken: Iterable[str] = ()) -> list[str]:
    """Sanitise each name; where two collide (or hit ``taken``), hash the ones that changed.

    A name that survives sanitising unchanged keeps it whatever else is in the task definition
    (``web`` stays ``web`` next to ``Web``, which becomes ``web-<hash>``), so the result does not
    depend on order.
    """
    plain = [dns_label(o, max_length) for o in originals]
    counts: dict[str, int] = {}
    for name in plain:
        counts[name] = counts.get(name, 0) + 1
    used = set(taken)
    out: list[str] = []
    for original, sanitised in zip(originals, plain, strict=True):
        name = sanitised
        if name in used or (counts[name] > 1 and name != original):
            base = name[: max_length - HASH_LENGTH - 1].rstrip("-")
            candidate, bump = f"{base}-{short_hash(original)}", 0
            while candidate in used:  # identical originals still get distinct names
                bump += 1
                candidate = f"{base}-{short_hash(f'{original}#{bump}')}"
            name = candidate
        used.add(name)
        out.append(name)
    return out


CONTAINER_NAME_MAX = 48
"""Shorter than a label (63) so ``container-name.<name>`` still fits an annotation key name."""


def container_names(ecs_names: Sequence[str]) -> list[str]:
    """Kubernetes container names for a task definition's containers, unique within the pod.

    At most :data:`CONTAINER_NAME_MAX` characters, so the annotation keeping the ECS name
    (``ecs.operator.dev/container-name.<name>``) never needs a hash.
    """
    return unique_names(ecs_names, CONTAINER_NAME_MAX)


def port_name(name: str | None, container_port: int, protocol: str = "tcp") -> str:
    """An IANA service name (<= 15 chars, a-z0-9 and single ``-``, at least one letter).

    ECS port names (Service Connect) are kept when valid; otherwise ``<protocol>-<port>``.
    """
    if not name:
        return f"{protocol.lower()}-{container_port}"
    slug = _slug(name)
    lossless = slug == name and bool(re.search(r"[a-z]", slug))
    if not re.search(r"[a-z]", slug):
        slug = f"p-{slug}" if slug else "p"
    if lossless and len(slug) <= PORT_NAME_MAX:
        return slug
    suffix = short_hash(name, 4)
    head = slug[: PORT_NAME_MAX - 5].rstrip("-")
    return f"{head}-{suffix}" if re.search(r"[a-z]", head) else f"p-{suffix}"


def label_value(text: str) -> str:
    """A valid label value (<= 63, alphanumeric ends, ``-_.`` inside): kept when already valid."""
    if len(text) <= LABEL_MAX and _LABEL_VALUE.fullmatch(text):
        return text
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-_.")
    return _fit(cleaned, lossless=False, source=text, max_length=LABEL_MAX)


def group_label_value(group: str) -> str:
    """Label value for an ECS task group: ``service:web`` -> ``service.web``.

    ``:`` becomes ``.`` (groups are ``service:<name>`` or ``family:<name>`` by default); any other
    change, or a ``.`` already present, appends a hash so two groups never share a value.
    """
    candidate = group.replace(":", ".")
    if "." not in group and len(candidate) <= LABEL_MAX and _LABEL_VALUE.fullmatch(candidate):
        return candidate
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", candidate).strip("-_.")
    return _fit(cleaned, lossless=False, source=group, max_length=LABEL_MAX)


def annotation_key(prefix: str, name: str) -> str:
    """``<prefix>/<name>`` with ``name`` made a valid qualified name (<= 63, hash when changed)."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("-_.")
    lossless = cleaned == name and len(name) <= LABEL_MAX
    return f"{prefix}/{_fit(cleaned, lossless=lossless, source=name, max_length=LABEL_MAX)}"


def _arn_parts(arn: str) -> list[str]:
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn":
        raise NameMappingError(f"not an ARN: {arn!r}")
    return parts


def _ssm_ref(arn: str, parameter: str) -> SecretRef:
    body = parameter.lstrip("/")
    if not body:
        raise NameMappingError(f"SSM parameter without a name: {arn!r}")
    lossless = bool(_LOSSLESS_PATH.fullmatch(body))
    name = _fit("ssm-" + _slug(body), lossless=lossless, source=parameter, max_length=NAME_MAX)
    return SecretRef(arn=arn, secret_name=name, key="value")


def _secret_key(key: str) -> str:
    if len(key) <= NAME_MAX and _SECRET_KEY.fullmatch(key):
        return key
    cleaned = re.sub(r"[^-._A-Za-z0-9]+", "_", key)
    return _fit(cleaned, lossless=False, source=key, max_length=NAME_MAX)


def _strip_random_suffix(name: str) -> str:
    match = _SM_SUFFIX.match(name)
    if match and re.search(r"[A-Z0-9]", match["suffix"]):
        return match["name"]
    return name


def secret_ref(value_from: str) -> SecretRef:
    """The Secret and key for an ECS ``secrets[].valueFrom`` (SSM or Secrets Manager)."""
    if not value_from.startswith("arn:"):
        # ECS accepts a bare SSM parameter name when the parameter is in the task's Region.
        return _ssm_ref(value_from, value_from)
    parts = _arn_parts(value_from)
    service = parts[2]
    resource = ":".join(parts[5:])
    if service == "ssm":
        if not resource.startswith("parameter/"):
            raise NameMappingError(f"SSM ARN is not a parameter: {value_from!r}")
        parameter = resource[len("parameter") :]
        return _ssm_ref(value_from, parameter)
    if service == "secretsmanager":
        if parts[5] != "secret" or len(parts) < 7 or not parts[6]:
            raise NameMappingError(f"Secrets Manager ARN is not a secret: {value_from!r}")
        secret = _strip_random_suffix(parts[6])
        json_key = parts[7] if len(parts) > 7 else ""
        stage = parts[8] if len(parts) > 8 else ""
        version = parts[9] if len(parts) > 9 else ""
        lossless = bool(_LOSSLESS_PATH.fullmatch(secret)) and not (stage or version)
        source = f"{secret}:{stage}:{version}" if (stage or version) else secret
        name = _fit("sm-" + _slug(secret), lossless=lossless, source=source, max_length=NAME_MAX)
        return SecretRef(arn=value_from, secret_name=name, key=_secret_key(json_key) if json_key else "value")
    raise NameMappingError(
        f"secrets must come from SSM Parameter Store or Secrets Manager, not {service!r}: {value_from!r}"
    )


def pull_secret_ref(credentials_parameter: str) -> SecretRef:
    """The ``kubernetes.io/dockerconfigjson`` Secret for ``repositoryCredentials``.

    Kept apart from the Opaque Secret of the same ARN (``pull-`` prefix): a Secret has one type.
    """
    base = secret_ref(credentials_parameter)
    name = _fit("pull-" + base.secret_name, lossless=True, source=base.secret_name, max_length=NAME_MAX)
    return SecretRef(arn=credentials_parameter, secret_name=name, key=".dockerconfigjson")


def service_account_name(task_role_arn: str) -> str:
    """``arn:aws:iam::123:role/app-role`` -> ``ecs-task-role-app-role`` (short role names accepted)."""
    if task_role_arn.startswith("arn:"):
        parts = _arn_parts(task_role_arn)
        resource = ":".join(parts[5:])
        if parts[2] != "iam" or not resource.startswith("role/"):
            raise NameMappingError(f"taskRoleArn is not an IAM role ARN: {task_role_arn!r}")
        role = resource.rsplit("/", 1)[-1]
    else:
        role = task_role_arn.rsplit("/", 1)[-1]
    if not role:
        raise NameMappingError(f"taskRoleArn without a role name: {task_role_arn!r}")
    lowered = role.lower()  # IAM role names are case-insensitive
    lossless = bool(_LOSSLESS_LABEL.fullmatch(lowered))
    return _fit("ecs-task-role-" + _slug(lowered), lossless=lossless, source=lowered, max_length=NAME_MAX)


def _normal_root(root_directory: str | None) -> str | None:
    if root_directory is None:
        return None
    stripped = "/" + root_directory.strip("/")
    return None if stripped == "/" else stripped


def efs_claim_name(file_system_id: str, root_directory: str | None = None, access_point_id: str | None = None) -> str:
    """PVC name for an EFS volume: ``efs-<fs id>``, plus a hash when a sub-tree is selected.

    ``rootDirectory`` ``/`` (the ECS default) is the same as none.
    """
    root = _normal_root(root_directory)
    base = "efs-" + _slug(file_system_id)
    lossless = bool(re.fullmatch(r"fs-[0-9a-f]+", file_system_id))
    if root is None and not access_point_id:
        return _fit(base, lossless=lossless, source=file_system_id, max_length=NAME_MAX)
    source = f"{file_system_id}|{root or '/'}|{access_point_id or ''}"
    return _fit(base, lossless=False, source=source, max_length=NAME_MAX)


def efs_claim(file_system_id: str, root_directory: str | None = None, access_point_id: str | None = None) -> EfsClaim:
    """The :class:`EfsClaim` (normalised root directory + claim name) for one EFS volume."""
    return EfsClaim(
        file_system_id=file_system_id,
        root_directory=_normal_root(root_directory),
        access_point_id=access_point_id or None,
        claim_name=efs_claim_name(file_system_id, root_directory, access_point_id),
    )


def docker_volume_claim_name(volume_name: str) -> str:
    """PVC for a ``shared`` + ``autoprovision`` Docker volume: one per volume name per namespace."""
    lossless = bool(_LOSSLESS_LABEL.fullmatch(volume_name))
    return _fit("docker-volume-" + _slug(volume_name), lossless=lossless, source=volume_name, max_length=NAME_MAX)


def config_map_name_for_env_file(s3_arn: str) -> str:
    """ConfigMap standing in for an ``environmentFiles`` S3 object (``arn:aws:s3:::bucket/key``)."""
    parts = _arn_parts(s3_arn)
    if parts[2] != "s3":
        raise NameMappingError(f"environment files must be S3 object ARNs: {s3_arn!r}")
    resource = ":".join(parts[5:])
    if "/" not in resource:
        raise NameMappingError(f"S3 ARN without an object key: {s3_arn!r}")
    lossless = bool(_LOSSLESS_PATH.fullmatch(resource))
    return _fit("s3-" + _slug(resource), lossless=lossless, source=resource, max_length=NAME_MAX)
