"""Evaluating a template's intrinsic functions, Parameters, Mappings and Conditions.

Everything CloudFormation would know before it creates a resource is computed here: parameter
values (the Default or ``--parameter``), pseudo parameters, Conditions, ``Fn::Sub``,
``Fn::Join``, ``Fn::Select``, ... (reference:
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html).
What only exists once a stack is created (the ARN of an IAM role, a target group, a log group) is
kept as a readable placeholder (``${TargetGroup}``, ``${TaskRole.Arn}``) and reported with the
template path, so the user knows which values to fill in. References to the ECS resources the
converter turns into custom resources are answered by ``names``: a task definition's family,
a cluster's or a service's name, which is how the converted objects refer to each other.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = ["NO_VALUE", "PSEUDO_DEFAULTS", "Resolver", "TemplateIssue", "pseudo_parameters"]

NO_VALUE: Final = object()
"""``Ref: AWS::NoValue``: the property (or list item) it stands in is removed."""

PSEUDO_DEFAULTS: Final[dict[str, str]] = {
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
}
"""Pseudo parameters a template may use that only a real stack knows; ``--parameter`` sets them."""

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_CONDITION_FUNCTIONS: Final = frozenset({"Fn::And", "Fn::Or", "Fn::Not", "Fn::Equals", "Condition"})


@dataclass(frozen=True)
class TemplateIssue:
    """A problem or a warning at a template path (``Resources.Web.Properties.Cpu``)."""

    path: str
    message: str


def pseudo_parameters(given: Mapping[str, str], stack_name: str) -> dict[str, Any]:
    """AWS::* values: ``given`` (from ``--parameter AWS::Region=...``) over the defaults.

    Partition and URL suffix follow the region, as CloudFormation's do:
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/pseudo-parameter-reference.html
    """
    region = given.get("AWS::Region", PSEUDO_DEFAULTS["AWS::Region"])
    account = given.get("AWS::AccountId", PSEUDO_DEFAULTS["AWS::AccountId"])
    if region.startswith("cn-"):
        partition, suffix = "aws-cn", "amazonaws.com.cn"
    elif region.startswith("us-gov-"):
        partition, suffix = "aws-us-gov", "amazonaws.com"
    else:
        partition, suffix = "aws", "amazonaws.com"
    stack = given.get("AWS::StackName", stack_name)
    values: dict[str, Any] = {
        "AWS::Region": region,
        "AWS::AccountId": account,
        "AWS::StackName": stack,
        "AWS::Partition": given.get("AWS::Partition", partition),
        "AWS::URLSuffix": given.get("AWS::URLSuffix", suffix),
        "AWS::StackId": given.get(
            "AWS::StackId", f"arn:{partition}:cloudformation:{region}:{account}:stack/{stack}/00000000"
        ),
        "AWS::NotificationARNs": [],
    }
    return values


@dataclass
class Resolver:
    """Evaluates values of one template. ``names(logical_id, attribute)`` answers references to
    the ECS resources being converted (None: not one of them); problems and warnings collect."""

    parameters: Mapping[str, Any]
    pseudo: Mapping[str, Any]
    mappings: Mapping[str, Any]
    conditions: Mapping[str, Any]
    resource_types: Mapping[str, str]
    names: Callable[[str, str | None], str | None]
    absent: Mapping[str, str] = field(default_factory=dict)  # resources left out by a Condition -> why
    problems: list[TemplateIssue] = field(default_factory=list)
    warnings: list[TemplateIssue] = field(default_factory=list)
    used: set[str] = field(default_factory=set)  # pseudo parameters the template read
    _condition_values: dict[str, bool] = field(default_factory=dict)
    _evaluating: set[str] = field(default_factory=set)

    # -- values ----------------------------------------------------------------------------

    def resolve(self, value: Any, path: str) -> Any:
        """``value`` with every intrinsic function evaluated; NO_VALUE where AWS::NoValue was."""
        if isinstance(value, Mapping):
            function = _function(value)
            if function is not None:
                return self._call(function, value[function], path)
            out = {}
            for key, item in value.items():
                resolved = self.resolve(item, _join(path, str(key)))
                if resolved is not NO_VALUE:
                    out[key] = resolved
            return out
        if isinstance(value, list):
            items = [self.resolve(item, f"{path}[{index}]") for index, item in enumerate(value)]
            return [item for item in items if item is not NO_VALUE]
        return value

    def _call(self, function: str, argument: Any, path: str) -> Any:
        where = _join(path, function)
        if function == "Ref":
            return self._ref(argument, path)
        if function == "Fn::GetAtt":
            return self._get_att(argument, path)
        if function == "Fn::If":
            if not (isinstance(argument, list) and len(argument) == 3):
                return self._problem(where, "takes [condition name, value if true, value if false]")
            chosen = 1 if self.condition(argument[0], where) else 2
            return self.resolve(argument[chosen], f"{where}[{chosen}]")
        if function in _CONDITION_FUNCTIONS:
            return self._condition_function(function, argument, path)
        if function == "Fn::Sub":
            return self._sub(argument, where)
        if function == "Fn::Join":
            if not (isinstance(argument, list) and len(argument) == 2):
                return self._problem(where, "takes [delimiter, [values]]")
            delimiter = self.resolve(argument[0], f"{where}[0]")
            items = self.resolve(argument[1], f"{where}[1]")
            if not isinstance(items, list):
                return self._problem(f"{where}[1]", "must be a list")
            return str(delimiter).join(_text(item) for item in items)
        if function == "Fn::Select":
            if not (isinstance(argument, list) and len(argument) == 2):
                return self._problem(where, "takes [index, [values]]")
            index = self.resolve(argument[0], f"{where}[0]")
            items = self.resolve(argument[1], f"{where}[1]")
            if not isinstance(items, list) or not str(index).isdigit() or int(index) >= len(items):
                return self._problem(where, f"index {index!r} is not in the list {items!r}")
            return items[int(index)]
        if function == "Fn::Split":
            if not (isinstance(argument, list) and len(argument) == 2):
                return self._problem(where, "takes [delimiter, string]")
            delimiter = self.resolve(argument[0], f"{where}[0]")
            text = self.resolve(argument[1], f"{where}[1]")
            return _text(text).split(str(delimiter))
        if function == "Fn::FindInMap":
            return self._find_in_map(argument, where)
        if function == "Fn::Base64":
            return base64.b64encode(_text(self.resolve(argument, where)).encode()).decode()
        if function == "Fn::GetAZs":
            region = self.resolve(argument, where) or self.pseudo["AWS::Region"]
            # A real stack asks EC2; the usual first three zones stand in for them.
            return [f"{region}{letter}" for letter in "abc"]
        if function == "Fn::Cidr":
            return self._cidr(argument, where)
        if function == "Fn::ImportValue":
            name = self.resolve(argument, where)
            return self._placeholder(
                path, f"Fn::ImportValue {name}", f"ImportValue:{name}", "is another stack's export"
            )
        if function == "Fn::Length":
            items = self.resolve(argument, where)
            return len(items) if isinstance(items, list) else self._problem(where, "must be a list")
        if function == "Fn::ToJsonString":
            return json.dumps(self.resolve(argument, where), separators=(",", ":"))
        return self._problem(where, f"{function} cannot be evaluated without deploying the template")

    def _ref(self, name: Any, path: str) -> Any:
        if not isinstance(name, str):
            return self._problem(_join(path, "Ref"), "must name a parameter, a resource or a pseudo parameter")
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.pseudo:
            self.used.add(name)
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.absent:
            return self._problem(
                _join(path, "Ref"), f"{name} is left out ({self.absent[name]}): nothing can refer to it"
            )
        converted = self.names(name, None)
        if converted is not None:
            return converted
        if name in self.resource_types:
            return self._placeholder(path, f"!Ref {name}", name, self._not_ecs(name))
        return self._problem(_join(path, "Ref"), f"{name!r} is not a parameter, resource or pseudo parameter")

    def _get_att(self, argument: Any, path: str) -> Any:
        where = _join(path, "Fn::GetAtt")
        if isinstance(argument, str):
            argument = argument.split(".", 1)
        if not (isinstance(argument, list) and len(argument) == 2):
            return self._problem(where, "takes [resource, attribute] or 'Resource.Attribute'")
        resource, attribute = (self.resolve(part, where) for part in argument)
        resource, attribute = str(resource), str(attribute)
        if resource not in self.resource_types:
            return self._problem(where, f"{resource!r} is not a resource of this template")
        if resource in self.absent:
            return self._problem(where, f"{resource} is left out ({self.absent[resource]}): nothing can refer to it")
        converted = self.names(resource, attribute)
        if converted is not None:
            return converted
        return self._placeholder(
            path, f"!GetAtt {resource}.{attribute}", f"{resource}.{attribute}", self._not_ecs(resource)
        )

    def _sub(self, argument: Any, where: str) -> Any:
        variables: Mapping[str, Any] = {}
        if isinstance(argument, list):
            if len(argument) != 2 or not isinstance(argument[1], Mapping):
                return self._problem(where, "takes a string or [string, {variable: value}]")
            argument, variables = argument[0], argument[1]
        if not isinstance(argument, str):
            return self._problem(where, "must be a string")

        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):  # ${!Literal} is the literal text ${Literal}
                return "${" + name[1:] + "}"
            if name in variables:
                return _text(self.resolve(variables[name], f"{where}[1].{name}"))
            if name in self.pseudo or name in self.parameters or "." not in name:
                return _text(self._ref(name, where))
            resource, attribute = name.split(".", 1)
            return _text(self._get_att([resource, attribute], where))

        return _SUB_VARIABLE.sub(one, argument)

    def _find_in_map(self, argument: Any, where: str) -> Any:
        if not (isinstance(argument, list) and len(argument) in (3, 4)):
            return self._problem(where, "takes [map name, top-level key, second-level key]")
        keys = [_text(self.resolve(part, f"{where}[{index}]")) for index, part in enumerate(argument[:3])]
        found: Any = self.mappings
        for depth, key in enumerate(keys):
            if not isinstance(found, Mapping) or key not in found:
                return self._problem(where, f"Mappings has no {'.'.join(keys[: depth + 1])}")
            found = found[key]
        return self.resolve(found, f"Mappings.{'.'.join(keys)}")

    def _cidr(self, argument: Any, where: str) -> Any:
        if not (isinstance(argument, list) and len(argument) == 3):
            return self._problem(where, "takes [ip block, count, cidr bits]")
        block, count, bits = (self.resolve(part, f"{where}[{index}]") for index, part in enumerate(argument))
        try:
            network = ipaddress.ip_network(str(block), strict=False)
            prefix = network.max_prefixlen - int(bits)
            subnets = [
                str(subnet) for _, subnet in zip(range(int(count)), network.subnets(new_prefix=prefix), strict=False)
            ]
        except ValueError as exc:
            return self._problem(where, str(exc))
        return subnets

    # -- conditions ------------------------------------------------------------------------

    def condition(self, name: Any, path: str) -> bool:
        """The value of the Condition ``name``, evaluated once."""
        if not isinstance(name, str) or name not in self.conditions:
            self._problem(path, f"{name!r} is not a condition of this template")
            return False
        if name in self._condition_values:
            return self._condition_values[name]
        if name in self._evaluating:
            self._problem(f"Conditions.{name}", "refers to itself")
            return False
        self._evaluating.add(name)
        value = self._truth(self._operand(self.conditions[name], f"Conditions.{name}"), f"Conditions.{name}")
        self._evaluating.discard(name)
        self._condition_values[name] = value
        return value

    def _condition_function(self, function: str, argument: Any, path: str) -> Any:
        where = _join(path, function)
        if function == "Condition":
            return self.condition(argument, where)
        if function == "Fn::Equals":
            if not (isinstance(argument, list) and len(argument) == 2):
                return self._problem(where, "takes [value, value]")
            first, second = (self.resolve(part, f"{where}[{i}]") for i, part in enumerate(argument))
            return _text(first) == _text(second)
        parts = argument if isinstance(argument, list) else [argument]
        values = [self._truth(self._operand(part, f"{where}[{i}]"), f"{where}[{i}]") for i, part in enumerate(parts)]
        if function == "Fn::Not":
            if len(values) != 1:
                return self._problem(where, "takes one condition")
            return not values[0]
        return all(values) if function == "Fn::And" else any(values)

    def _operand(self, part: Any, path: str) -> Any:
        # Inside And/Or/Not a {"Condition": name} is the condition function, not a property.
        if isinstance(part, Mapping) and set(part) == {"Condition"}:
            return self.condition(part["Condition"], path)
        return self.resolve(part, path)

    def _truth(self, value: Any, path: str) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        self._problem(path, f"must evaluate to true or false, got {value!r}")
        return False

    # -- reporting -------------------------------------------------------------------------

    def _not_ecs(self, logical_id: str) -> str:
        return f"is not an ECS resource ({self.resource_types[logical_id]})"

    def _placeholder(self, path: str, written: str, name: str, why: str) -> str:
        text = "${" + name + "}"
        self.warnings.append(TemplateIssue(path, f'{written} {why}; kept as "{text}"'))
        return text

    def _problem(self, path: str, message: str) -> str:
        self.problems.append(TemplateIssue(path, message))
        return ""


def _function(value: Mapping[str, Any]) -> str | None:
    if len(value) != 1:
        return None
    (key,) = value
    return str(key) if key == "Ref" or str(key).startswith("Fn::") else None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value) if isinstance(value, (list, dict)) else str(value)


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key
