"""CloudFormation and CDK-synthesized templates as ECS input, for ``ecs-operator convert``.

``yaml_tags`` reads YAML with the short-form intrinsics, ``intrinsics`` evaluates a template's
values, ``properties`` renames CloudFormation properties to ECS members, and ``template`` puts
them together. Pure: a parsed document in, ECS documents and template-path messages out.
"""

from __future__ import annotations

from .intrinsics import TemplateIssue
from .template import Resource, TemplateError, Translated, is_template, translate
from .yaml_tags import TemplateLoader

__all__ = ["Resource", "TemplateError", "TemplateIssue", "TemplateLoader", "Translated", "is_template", "translate"]
