"""YAML with CloudFormation's short-form intrinsic tags (``!Ref``, ``!Sub``, ``!GetAtt``, ...).

A template written by hand is usually YAML with the short forms; PyYAML's safe loader refuses
the tags, so each is read here as the long form it abbreviates (``!Ref X`` -> ``{"Ref": "X"}``,
``!GetAtt A.B`` -> ``{"Fn::GetAtt": ["A", "B"]}``), which is what a JSON template holds and what
the resolver evaluates. The tag list is the one the intrinsic-function reference documents:
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html
"""

from __future__ import annotations

import functools
from typing import Any, Final

import yaml

__all__ = ["TemplateLoader", "SHORT_FORMS"]

SHORT_FORMS: Final[dict[str, str]] = {
    "Ref": "Ref",
    "Condition": "Condition",
    **{
        name: f"Fn::{name}"
        for name in (
            "Base64", "Cidr", "Equals", "FindInMap", "GetAtt", "GetAZs", "ImportValue", "Join", "Select",
            "Split", "Sub", "Transform", "And", "If", "Not", "Or", "Length", "ToJsonString",
        )
    },
}  # fmt: skip
"""Short tag (without ``!``) -> the long-form key it stands for."""


class TemplateLoader(yaml.SafeLoader):
    """SafeLoader plus the short-form tags: every tagged node becomes its long form."""


def _construct(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    key = SHORT_FORMS[tag_suffix]
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if key == "Fn::GetAtt":
            # ``!GetAtt Res.Attr``: the first dot splits; an attribute may hold dots itself
            # (``!GetAtt Db.Endpoint.Address``).
            resource, _, attribute = str(value).partition(".")
            value = [resource, attribute]
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {key: value}


def _register() -> None:
    for short in SHORT_FORMS:
        TemplateLoader.add_constructor(f"!{short}", functools.partial(_tagged, short))


def _tagged(short: str, loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
    return _construct(loader, short, node)


_register()
