"""ECS JSON as people have it -> the custom resources that stand for it (``ecs-operator convert``).

Someone moving from ECS has JSON files: what they pass to ``--cli-input-json`` and what
``aws ecs describe-*`` printed. This module turns each of them into the ``ecs.operator.dev``
object it means, validated by the same models the operator uses, so a file that converts
cleanly is one the operator accepts. The form of each document is told by its members:

    register-task-definition input        {"family", "containerDefinitions", ...}  -> TaskDefinition
    describe-task-definition output       {"taskDefinition": {...}, "tags": [...]} -> TaskDefinition
    a bare containerDefinitions array     [{"name", "image", ...}, ...]            -> TaskDefinition
                                          (family from --family or the file name)
    create-service input                  {"serviceName", "taskDefinition", ...}   -> ECSService
    update-service input                  {"service": "<name>", "taskDefinition", ...} -> ECSService
                                          (convert_update_service.py; forceNewDeployment dropped, noted)
    describe-services / create-service    {"services": [...]} / {"service": {...}} -> one ECSService each
      output                              (read-only members dropped, clusterArn -> cluster, roleArn -> role)
    run-task input                        {"taskDefinition", "count", ...}         -> ECSTask
    create-cluster input                  {"clusterName", "capacityProviders", ...} -> ECSCluster
    describe-clusters / create-cluster    {"clusters": [...]} / {"cluster": {...}} -> one ECSCluster each
      output
    a CloudFormation / CDK template       {"Resources": {... AWS::ECS::* ...}}      -> one resource each
                                          (cloudformation/: intrinsics evaluated, --parameter)
    an ecs.operator.dev manifest          {"apiVersion", "kind", ...}              -> itself, validated
    any other Kubernetes object           (a Secret the tasks read)                -> itself, unchecked

``kind`` (``--kind``) settles the one real ambiguity: an object naming a ``taskDefinition`` is a
service when it has service-only members (``serviceName``, ``desiredCount``, ...), else a task.

Names. ``metadata.name`` is the family / serviceName / clusterName made a DNS-1123 label
(lowercase, other characters -> ``-``, at most 63 characters, a hash when cut); a service name
that would start with a digit gets ``service-`` in front (a Kubernetes Service name must start
with a letter). ECS's own name stays in the spec, which is what the operator looks objects up by.
A task has no name in ECS: it is named after its family (``-2``, ``-3``, ... when several are).

Revisions. On Kubernetes a family's revisions start again at 1, so ``family:7`` or a
task-definition ARN would wait for a revision that does not exist yet: references are reduced to
the family (follow the latest revision) and a note says so, unless ``keep_revisions``.

Every problem is reported at once, as ``<file>: <JSON path>: <message>``, the path being where
the member sits in that file. Pure: text in, dicts out; the CLI does the reading and writing.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import yaml

from .cloudformation import TemplateError, TemplateLoader, is_template, translate
from .convert_terraform import TerraformError, is_terraform, terraform_resources
from .convert_update_service import is_update_service, update_service_input
from .models import (
    READ_ONLY_MEMBERS,
    ECSClusterSpec,
    ECSServiceSpec,
    ECSTaskSpec,
    SpecError,
    TaskDefinitionSpec,
    parse_cluster,
    parse_service,
    parse_task,
    parse_task_definition,
    parse_task_definition_ref,
)
from .models.introspect import field_aliases
from .render.meta import API_VERSION
from .render.names import dns_label

__all__ = [
    "KINDS",
    "ConvertError",
    "ConvertOptions",
    "ConvertResult",
    "Converted",
    "Problem",
    "Source",
    "convert",
    "load_documents",
    "manifest_name",
    "to_yaml",
]

KINDS: Final[tuple[str, ...]] = ("ECSCluster", "TaskDefinition", "ECSService", "ECSTask")
"""The kinds convert produces, in the order they are printed (dependencies first)."""

SERVICE_READ_ONLY: Final[tuple[str, ...]] = (
    "serviceArn", "status", "runningCount", "pendingCount", "deployments", "events", "createdAt",
    "createdBy", "taskSets", "platformFamily", "currentServiceDeployment", "currentServiceRevisions",
    "resourceManagementType",
)  # fmt: skip
"""Members of ECS's Service output that CreateService does not take."""

SERVICE_RENAMES: Final[dict[str, str]] = {"clusterArn": "cluster", "roleArn": "role"}
"""Service output member -> the CreateService member that takes the same value."""

LIFTED_FROM_PRIMARY: Final[tuple[str, ...]] = ("serviceConnectConfiguration", "volumeConfigurations")
"""Service settings ECS reports only on the PRIMARY deployment of describe-services output."""

CLUSTER_READ_ONLY: Final[tuple[str, ...]] = (
    "clusterArn", "status", "registeredContainerInstancesCount", "runningTasksCount", "pendingTasksCount",
    "activeServicesCount", "statistics", "attachments", "attachmentsStatus",
)  # fmt: skip
"""Members of ECS's Cluster output that CreateCluster does not take."""

_SERVICE_MEMBERS = frozenset(field_aliases(ECSServiceSpec))
_TASK_MEMBERS = frozenset(field_aliases(ECSTaskSpec))
_CLUSTER_MEMBERS = frozenset(field_aliases(ECSClusterSpec))
_SERVICE_ONLY = _SERVICE_MEMBERS - _TASK_MEMBERS
_CONTAINER_HINTS = frozenset({"name", "image"})
_FAMILY_CHARS = re.compile(r"[^A-Za-z0-9_-]+")
_HEAD = re.compile(r"[.\[]")
Spec = TaskDefinitionSpec | ECSServiceSpec | ECSTaskSpec | ECSClusterSpec
"""The spec model of one converted resource."""

_PARSERS: Final[dict[str, Callable[[Mapping[str, Any]], Spec]]] = {
    "TaskDefinition": parse_task_definition,
    "ECSService": parse_service,
    "ECSTask": parse_task,
    "ECSCluster": parse_cluster,
}
_NAME_MEMBER: Final[dict[str, str]] = {
    "TaskDefinition": "family",
    "ECSService": "serviceName",
    "ECSCluster": "clusterName",
}


@dataclass(frozen=True)
class Source:
    """One input: ``name`` is what messages call it (the path as given, or ``<stdin>``)."""

    name: str
    text: str
    stem: str | None = None  # file name without extension: the family of a bare containerDefinitions array


@dataclass(frozen=True)
class Problem:
    """Why an input cannot be converted: where (file, JSON path) and what."""

    source: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.path}: {self.message}" if self.path else f"{self.source}: {self.message}"


class ConvertError(ValueError):
    """One or more inputs cannot be converted; ``problems`` lists every one."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class ConvertOptions:
    """``namespace``: metadata.namespace of every object (None: leave it to kubectl).
    ``family``: family of inputs that have none (a bare containerDefinitions array).
    ``kind``: what an ambiguous object is (ECSService or ECSTask; any of KINDS is accepted).
    ``keep_revisions``: keep ``family:N`` and ARNs in references as written.
    ``parameters``: CloudFormation template parameters (and AWS::Region, ...) as ``(name, value)``."""

    namespace: str | None = None
    family: str | None = None
    kind: str | None = None
    keep_revisions: bool = False
    parameters: tuple[tuple[str, str], ...] = ()


@dataclass
class Converted:
    """One object, where it came from (``file`` or ``file (document 2)``) and its spec model
    (None for a Kubernetes object that is not an ECS resource: passed through as it is)."""

    manifest: dict[str, Any]
    source: str
    spec: Spec | None = None

    @property
    def kind(self) -> str:
        return str(self.manifest["kind"])

    @property
    def name(self) -> str:
        return str(self.manifest["metadata"]["name"])

    @property
    def namespace(self) -> str | None:
        namespace: str | None = self.manifest["metadata"].get("namespace")
        return namespace


@dataclass
class ConvertResult:
    """The resources in print order, and notes for the user (decisions convert made for them)."""

    items: list[Converted] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def manifests(self) -> list[dict[str, Any]]:
        return [item.manifest for item in self.items]


# -- reading -----------------------------------------------------------------------------------


def load_documents(source: Source) -> list[tuple[str, Any]]:
    """The documents of one input as ``(label, data)``: JSON, or YAML with ``---`` separators.

    The label is the source name, with ``(document N)`` when a YAML stream has several.
    """
    text = source.text
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped:
        raise ConvertError([Problem(source.name, "", "is empty")])
    json_error: json.JSONDecodeError | None = None
    if stripped[0] in "{[":
        try:
            return [(source.name, json.loads(stripped))]
        except json.JSONDecodeError as exc:
            json_error = exc  # maybe YAML in flow style, or JSON documents separated by ---
    try:
        # SafeLoader plus CloudFormation's short-form tags (!Ref, !Sub, ...), read as their long form.
        documents = [doc for doc in yaml.load_all(stripped, Loader=TemplateLoader) if doc is not None]
    except yaml.YAMLError as exc:
        if json_error is not None:
            where = f"line {json_error.lineno}, column {json_error.colno}"
            raise ConvertError([Problem(source.name, "", f"invalid JSON at {where}: {json_error.msg}")]) from None
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConvertError([Problem(source.name, "", f"invalid YAML{where}: {problem}")]) from None
    if not documents:
        raise ConvertError([Problem(source.name, "", "has no documents")])
    if len(documents) == 1:
        return [(source.name, documents[0])]
    return [(f"{source.name} (document {index})", doc) for index, doc in enumerate(documents, 1)]


# -- converting --------------------------------------------------------------------------------


def convert(sources: Sequence[Source], options: ConvertOptions = ConvertOptions()) -> ConvertResult:
    """Every document of every source as a validated custom resource; ConvertError lists all problems."""
    if options.kind is not None and options.kind not in KINDS:
        raise ConvertError([Problem("--kind", "", f"must be one of {', '.join(KINDS)}")])
    problems: list[Problem] = []
    result = ConvertResult()
    for source in sources:
        try:
            documents = load_documents(source)
        except ConvertError as exc:
            problems.extend(exc.problems)
            continue
        for label, data in documents:
            try:
                items, notes = _convert_document(data, label, source, options)
            except ConvertError as exc:
                problems.extend(exc.problems)
                continue
            result.items.extend(items)
            result.notes.extend(notes)
    problems.extend(_name_problems(result.items))
    if problems:
        raise ConvertError(problems)
    # Other Kubernetes objects (Secrets, ConfigMaps) first, then dependencies before their users;
    # the sort is stable, so input order holds within a kind.
    result.items.sort(key=lambda item: KINDS.index(item.kind) + 1 if item.kind in KINDS else 0)
    return result


@dataclass(frozen=True)
class _Body:
    """One resource found in a document: its kind, its spec as written, and how to report paths."""

    kind: str
    spec: dict[str, Any]
    prefix: str = ""  # where the spec sits in the file (``taskDefinition``, ``services[0]``)
    renames: Mapping[str, str] = field(default_factory=dict)  # spec member -> the member's name in the file
    strip: str = ""  # leading spec path that is not in the file (a bare array has no containerDefinitions)
    locate: Callable[[str], str] | None = None  # spec path -> path in the file, when it is not just a prefix


def _convert_document(
    data: Any, label: str, source: Source, options: ConvertOptions
) -> tuple[list[Converted], list[str]]:
    if isinstance(data, Mapping) and "apiVersion" in data and "kind" in data:
        return [_passthrough(data, label, options)], []
    bodies, notes = _bodies(data, label, source, options)
    problems: list[Problem] = []
    items: list[Converted] = []
    for body in bodies:
        try:
            spec = _validate(body, label)
        except ConvertError as exc:
            problems.extend(exc.problems)
            continue
        spec_dict = _finish(body, label, options, notes)
        name = manifest_name(body.kind, _ecs_name(body.kind, spec_dict))
        items.append(Converted(_manifest(body.kind, name, spec_dict, options.namespace), label, spec))
    if problems:
        raise ConvertError(problems)
    return items, notes


def _bodies(data: Any, label: str, source: Source, options: ConvertOptions) -> tuple[list[_Body], list[str]]:
    """The resources a document holds, by its form."""
    notes: list[str] = []
    if isinstance(data, list):
        return [_container_definitions(data, label, source, options)], notes
    if not isinstance(data, Mapping):
        raise ConvertError(
            [Problem(label, "", f"must be a JSON object or a containerDefinitions array, got {type(data).__name__}")]
        )
    if is_terraform(data):
        return _terraform_bodies(data, label, notes), notes
    if is_template(data):
        return _template_bodies(data, label, source, options, notes), notes
    if "containerDefinitions" in data:
        spec = dict(data)
        if options.family and "family" not in spec:
            spec["family"] = options.family
        return [_Body("TaskDefinition", _without(spec, READ_ONLY_MEMBERS))], notes
    if isinstance(data.get("taskDefinition"), Mapping):  # describe-task-definition / register output
        spec = _without(data["taskDefinition"], READ_ONLY_MEMBERS)
        if data.get("tags") and "tags" not in spec:
            spec["tags"] = data["tags"]
        return [_Body("TaskDefinition", spec, prefix="taskDefinition")], notes
    if is_update_service(data):
        update = update_service_input(data)
        notes.extend(f"{label}: {note}" for note in update.notes)
        return [_Body("ECSService", update.spec, renames=update.renames)], notes
    for wrapper, single, kind in (("services", "service", "ECSService"), ("clusters", "cluster", "ECSCluster")):
        if isinstance(data.get(wrapper), list) or isinstance(data.get(single), Mapping):
            return _outputs(data, label, wrapper, single, kind, notes), notes
    guessed = _guess_kind(data, options.kind)
    if guessed is None:
        raise ConvertError(
            [
                Problem(
                    label,
                    "",
                    "cannot tell which ECS input this is: expected register-task-definition, "
                    "create-service, run-task or create-cluster input (or describe-* output); "
                    "use --kind to say",
                )
            ]
        )
    return [_Body(guessed, dict(data))], notes


def _terraform_bodies(data: Mapping[str, Any], label: str, notes: list[str]) -> list[_Body]:
    """Terraform state or ``terraform show -json`` output (convert_terraform.py)."""
    try:
        resources, found_notes = terraform_resources(data)
    except TerraformError as exc:
        raise ConvertError(Problem(label, issue.path, issue.message) for issue in exc.issues) from None
    notes.extend(f"{label}: {note}" for note in found_notes)
    return [_Body(r.kind, r.spec, locate=r.locate) for r in resources]


def _template_bodies(
    data: Mapping[str, Any], label: str, source: Source, options: ConvertOptions, notes: list[str]
) -> list[_Body]:
    """A CloudFormation or CDK-synthesized template (cloudformation/): its ECS resources."""
    try:
        translated = translate(data, dict(options.parameters), (source.stem or "stack").removesuffix(".template"))
    except TemplateError as exc:
        raise ConvertError(Problem(label, issue.path, issue.message) for issue in exc.issues) from None
    notes.extend(str(Problem(label, issue.path, issue.message)) for issue in translated.warnings)
    return [_Body(r.kind, r.spec, locate=r.locate) for r in translated.resources]


def _guess_kind(data: Mapping[str, Any], forced: str | None) -> str | None:
    if forced is not None:
        return forced
    members = set(data)
    if "taskDefinition" in data:
        return "ECSService" if members & _SERVICE_ONLY else "ECSTask"
    if "clusterName" in data or (members and members <= _CLUSTER_MEMBERS):
        return "ECSCluster"
    return None


def _container_definitions(data: list[Any], label: str, source: Source, options: ConvertOptions) -> _Body:
    if not data or not all(isinstance(item, Mapping) and _CONTAINER_HINTS & set(item) for item in data):
        raise ConvertError(
            [Problem(label, "", "a JSON array must be a containerDefinitions array (objects with name and image)")]
        )
    family = options.family or _family_from_stem(source.stem)
    if not family:
        raise ConvertError(
            [
                Problem(
                    label,
                    "",
                    "a bare containerDefinitions array needs a family: "
                    "pass --family (there is no file name to take it from)",
                )
            ]
        )
    return _Body("TaskDefinition", {"family": family, "containerDefinitions": list(data)}, strip="containerDefinitions")


def _family_from_stem(stem: str | None) -> str:
    return _FAMILY_CHARS.sub("-", stem or "").strip("-")[:255]


def _outputs(
    data: Mapping[str, Any], label: str, wrapper: str, single: str, kind: str, notes: list[str]
) -> list[_Body]:
    """describe-services / describe-clusters output (or create-* output): one resource each."""
    if isinstance(data.get(single), Mapping):
        entries: list[tuple[str, Any]] = [(single, data[single])]
    else:
        entries = [(f"{wrapper}[{index}]", entry) for index, entry in enumerate(data[wrapper])]
    if data.get("failures"):
        notes.append(
            f"{label}: failures: {len(data['failures'])} entries ignored (they describe resources ECS did not find)"
        )
    bodies = []
    problems = []
    for prefix, entry in entries:
        if not isinstance(entry, Mapping):
            problems.append(Problem(label, prefix, "must be an object"))
            continue
        if kind == "ECSService":
            bodies.append(_service_output(entry, prefix))
        else:
            bodies.append(_Body(kind, _without(entry, CLUSTER_READ_ONLY), prefix=prefix))
    if problems:
        raise ConvertError(problems)
    return bodies


def _service_output(entry: Mapping[str, Any], prefix: str) -> _Body:
    spec = {SERVICE_RENAMES.get(key, key): value for key, value in entry.items() if key not in SERVICE_READ_ONLY}
    primary = next(
        (d for d in entry.get("deployments") or () if isinstance(d, Mapping) and d.get("status") == "PRIMARY"), None
    )
    for member in LIFTED_FROM_PRIMARY:
        if primary is not None and primary.get(member) and member not in spec:
            spec[member] = primary[member]
    if spec.get("schedulingStrategy") == "DAEMON":
        spec.pop("desiredCount", None)  # ECS reports one per instance; a DAEMON service does not set it
    renames = {new: old for old, new in SERVICE_RENAMES.items() if old in entry}
    for member in LIFTED_FROM_PRIMARY:
        if member not in entry and member in spec:
            index = list(entry["deployments"]).index(primary)
            renames[member] = f"deployments[{index}].{member}"
    return _Body("ECSService", spec, prefix=prefix, renames=renames)


def _validate(body: _Body, label: str) -> Spec:
    problems: list[Problem] = []
    if body.kind == "ECSService" and "serviceName" not in body.spec:
        problems.append(
            Problem(label, _file_path(body, "serviceName"), "is required (the ECSService is named after it)")
        )
    try:
        spec = _PARSERS[body.kind](body.spec)
    except SpecError as exc:
        problems.extend(Problem(label, _file_path(body, issue.path), issue.message) for issue in exc.issues)
    if problems:
        raise ConvertError(problems)
    return spec


def _file_path(body: _Body, path: str) -> str:
    """A spec-relative issue path as the path in the file."""
    if body.locate is not None:
        return body.locate(path)
    if body.strip and path.startswith(body.strip):
        path = path[len(body.strip) :]
    head = _HEAD.split(path, maxsplit=1)[0]  # up to the first '.' or '['
    rest = path[len(head) :]
    if head in body.renames:
        path = body.renames[head] + rest
    if not body.prefix:
        return path
    if not path:
        return body.prefix
    return f"{body.prefix}{path}" if path.startswith("[") else f"{body.prefix}.{path}"


def _finish(body: _Body, label: str, options: ConvertOptions, notes: list[str]) -> dict[str, Any]:
    """The spec as it goes into the manifest: references made to work on Kubernetes."""
    spec = copy.deepcopy(body.spec)
    cluster = spec.get("cluster")
    if isinstance(cluster, str) and cluster.startswith("arn:"):
        spec["cluster"] = cluster.rsplit("/", 1)[-1]
    reference = spec.get("taskDefinition")
    if body.kind in ("ECSService", "ECSTask") and isinstance(reference, str) and not options.keep_revisions:
        family = parse_task_definition_ref(reference).family
        if family != reference:
            spec["taskDefinition"] = family
            notes.append(
                f"{label}: {_file_path(body, 'taskDefinition')}: {reference!r} became {family!r}: "
                "revisions start again at 1 on Kubernetes, so it follows the family's latest revision "
                "(--keep-revisions keeps the reference as written)"
            )
    return spec


def _ecs_name(kind: str, spec: Mapping[str, Any]) -> str:
    if kind == "ECSTask":
        return parse_task_definition_ref(str(spec["taskDefinition"])).family
    return str(spec.get(_NAME_MEMBER[kind]) or "default")  # an unnamed cluster is ECS's `default`


def manifest_name(kind: str, ecs_name: str) -> str:
    """``metadata.name`` for an ECS name: a DNS-1123 label (see the module docstring)."""
    name = dns_label(ecs_name)
    if kind == "ECSService" and name[:1].isdigit():
        name = dns_label(f"service-{name}")
    return name


def _manifest(kind: str, name: str, spec: dict[str, Any], namespace: str | None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": metadata, "spec": spec}


def _passthrough(data: Mapping[str, Any], label: str, options: ConvertOptions) -> Converted:
    """An ecs.operator.dev manifest: validated, kept as written (namespace from --namespace when absent)."""
    kind = data.get("kind")
    manifest = copy.deepcopy(dict(data))
    metadata = manifest.setdefault("metadata", {})
    if not isinstance(metadata, dict):
        raise ConvertError([Problem(label, "metadata", "must be an object")])
    if (
        str(data.get("apiVersion")).startswith(f"{API_VERSION.split('/')[0]}/")
        and data.get("apiVersion") != API_VERSION
    ):
        raise ConvertError([Problem(label, "apiVersion", f"must be {API_VERSION}")])
    if data.get("apiVersion") != API_VERSION or kind not in _PARSERS:
        # Another Kubernetes object next to the ECS ones (a Secret the tasks read): kept as it is.
        if not isinstance(kind, str) or not kind or not metadata.get("name"):
            raise ConvertError([Problem(label, "", "a Kubernetes object needs apiVersion, kind and metadata.name")])
        _set_namespace(manifest, label, options)
        return Converted(manifest, label)
    try:
        spec = _PARSERS[str(kind)](manifest)
    except SpecError as exc:
        raise ConvertError(
            [
                Problem(
                    label,
                    _join("spec", issue.path) if issue.path not in ("kind", "spec") else issue.path,
                    issue.message,
                )
                for issue in exc.issues
            ]
        ) from None
    if not metadata.get("name"):
        spec_dict = manifest.get("spec") or {}
        if kind == "ECSService" and "serviceName" not in spec_dict:
            raise ConvertError([Problem(label, "metadata.name", "is required")])
        metadata["name"] = manifest_name(str(kind), _ecs_name(str(kind), spec_dict))
    _set_namespace(manifest, label, options)
    return Converted(manifest, label, spec)


def _set_namespace(manifest: dict[str, Any], label: str, options: ConvertOptions) -> None:
    metadata = manifest["metadata"]
    if options.namespace:
        if metadata.get("namespace") not in (None, options.namespace):
            raise ConvertError(
                [
                    Problem(
                        label,
                        "metadata.namespace",
                        f"is {metadata['namespace']!r} but --namespace says {options.namespace!r}",
                    )
                ]
            )
        metadata["namespace"] = options.namespace


def _join(prefix: str, path: str) -> str:
    if not path:
        return prefix
    return f"{prefix}{path}" if path.startswith("[") else f"{prefix}.{path}"


def _without(data: Mapping[str, Any], members: Iterable[str]) -> dict[str, Any]:
    drop = set(members)
    return {key: value for key, value in data.items() if key not in drop}


def _name_problems(items: list[Converted]) -> list[Problem]:
    """Two resources of one kind may not share a name; tasks (unnamed in ECS) are numbered instead."""
    problems: list[Problem] = []
    seen: dict[tuple[str, str | None, str], Converted] = {}
    for item in items:
        key = (item.kind, item.namespace, item.name)
        if key in seen and item.kind == "ECSTask":
            base = item.name
            number = 2
            while (item.kind, item.namespace, f"{base[:60]}-{number}") in seen:
                number += 1
            item.manifest["metadata"]["name"] = f"{base[:60]}-{number}"
            key = (item.kind, item.namespace, item.name)
        elif key in seen:
            first = seen[key]
            problems.append(
                Problem(
                    item.source,
                    "",
                    f"{item.kind} {item.name!r} is also defined by {first.source}; "
                    "each family, service and cluster may appear once",
                )
            )
            continue
        seen[key] = item
    return problems


# -- writing -----------------------------------------------------------------------------------


def to_yaml(manifests: Iterable[Mapping[str, Any]], comments: Iterable[str | None] | None = None) -> str:
    """A multi-document YAML stream (``---`` before each document), optionally a comment atop each."""
    chunks = []
    notes = list(comments) if comments is not None else None
    for index, manifest in enumerate(manifests):
        comment = notes[index] if notes is not None and index < len(notes) else None
        header = f"# {comment}\n" if comment else ""
        body = yaml.safe_dump(
            dict(manifest), sort_keys=False, default_flow_style=False, width=100000, allow_unicode=True
        )
        chunks.append(f"---\n{header}{body}")
    return "".join(chunks)
