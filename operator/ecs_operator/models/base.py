"""The one pydantic configuration every ECS shape shares.

ECS spells its members in camelCase with a few irregular capitals (``enableECSManagedTags``,
``sizeInGiB``); Python code uses snake_case. Aliases are generated with ``to_camel`` and the
irregular ones are given explicitly, so a pasted ECS document validates as-is and dumps back
with ECS's spelling. Unknown members are errors, never silently dropped: they are typos or ECS
features we have not modelled.

A member given as ``null`` is a member not given. ECS's console shows a task definition's JSON
with every unset member as ``null`` (``"memoryReservation": null``, ``"linuxParameters": null``),
and that JSON is what people copy into files, Terraform's ``container_definitions`` and here;
Kubernetes prunes such nulls from a custom resource too (structural schemas without ``nullable``).

Rules that span several members live in ``problems()``, yielding Issues with paths relative to
the shape. They run once the whole document has the right structure: the document model
(``is_document``) walks every nested shape and raises all problems as one SpecError, so a user
sees every mistake at once instead of one per attempt.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic.alias_generators import to_camel

from .errors import Issue, SpecError

__all__ = ["ECSModel", "UNSUPPORTED_MARK", "unsupported_field"]

UNSUPPORTED_MARK = "x-ecs-unsupported"
"""JSON-schema key carrying the reason a member is rejected; the CRD generator reads it too."""


class ECSModel(BaseModel):
    """Base of every ECS shape: camelCase aliases, strict about unknown members."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        serialize_by_alias=True,
        extra="forbid",
    )

    ecs_shape: ClassVar[str] = ""
    """botocore shape this model mirrors (defaults to the class name)."""

    is_document: ClassVar[bool] = False
    """A whole ECS input (a CR spec): validating it checks the rules of every nested shape, so
    one pass reports every problem. Nested shapes validated alone skip those rules; call
    ``all_problems()`` for them."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "ecs_shape" not in cls.__dict__:
            cls.ecs_shape = cls.__name__

    @model_validator(mode="before")
    @classmethod
    def _null_is_absent(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and any(value is None for value in data.values()):
            return {key: value for key, value in data.items() if value is not None}
        return data

    @field_validator("*", mode="before")
    @classmethod
    def _reject_unsupported(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        extra = field.json_schema_extra if field is not None else None
        if isinstance(extra, dict) and UNSUPPORTED_MARK in extra:
            raise ValueError(f"not supported: {extra[UNSUPPORTED_MARK]}")
        return value

    @model_validator(mode="after")
    def _check_problems(self) -> Self:
        if self.is_document:
            issues = list(self.all_problems())
            if issues:
                raise SpecError(issues)
        return self

    def problems(self) -> Iterator[Issue]:
        """Cross-member rules of this shape alone; paths relative to it. None by default."""
        return iter(())

    def all_problems(self) -> Iterator[Issue]:
        """``problems()`` of every nested shape (paths prefixed), then this shape's own."""
        for name, info in type(self).model_fields.items():
            value = getattr(self, name)
            alias = info.alias or name
            for suffix, child in _children(value):
                for issue in child.all_problems():
                    yield Issue(f"{alias}{suffix}{_sep(issue.path)}", issue.message)
        yield from self.problems()

    def dump(self) -> dict[str, Any]:
        """The document as the user wrote it: ECS spelling, only the members that were set."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)

    def is_set(self, name: str) -> bool:
        """Whether the user gave member ``name`` (python spelling), as opposed to its default."""
        return name in self.model_fields_set


def unsupported_field(reason: str, alias: str | None = None) -> Any:
    """A member ECS has but we reject: declared so the error names it and explains why."""
    return Field(default=None, alias=alias, exclude=True, json_schema_extra={UNSUPPORTED_MARK: reason})


def _children(value: object) -> Iterator[tuple[str, ECSModel]]:
    """Nested shapes in a member's value, with their path suffix (``""``, ``[0]``, ``.key``)."""
    if isinstance(value, ECSModel):
        yield "", value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, ECSModel):
                yield f"[{index}]", item
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, ECSModel):
                yield f".{key}", item


def _sep(path: str) -> str:
    if not path or path.startswith("["):
        return path
    return f".{path}"
