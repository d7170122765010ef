"""ListContainerInstances filter: cluster query language expressions evaluated on container instances."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_operator.api.errors import InvalidParameterException
from ecs_operator.api.instance_filter import instance_filter, matches

INSTANCE: dict[str, Any] = {
    "ec2InstanceId": "i-0d00000000000000",
    "runningTasksCount": 3,
    "agentConnected": True,
    "versionInfo": {"agentVersion": "v1.36.3"},
    "registeredAt": 1796190742.0,  # 2026-12-02T05:52:22Z
    "attributes": [
        {"name": "ecs.instance-type", "value": "m5.xlarge"},
        {"name": "ecs.availability-zone", "value": "us-east-1a"},
        {"name": "eks.amazonaws.com/nodegroup", "value": "ng-ondemand"},
    ],
}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("attribute:ecs.instance-type == m5.xlarge", True),
        ("attribute:ecs.instance-type == t3.large", False),
        ("attribute:ecs.instance-type =~ m5.*", True),
        ("attribute:ecs.instance-type =~ m5", False),  # the whole value must match
        ("attribute:ecs.instance-type !~ t3.*", True),
        ("attribute:ecs.availability-zone in [us-east-1a, us-east-1b]", True),
        ("attribute:ecs.availability-zone !in [us-east-1a]", False),
        ("attribute:eks.amazonaws.com/nodegroup exists", True),
        ("attribute:gpu exists", False),
        ("attribute:gpu !exists", True),
        ("attribute:gpu != yes", True),
        ("runningTasksCount > 2", True),
        ("runningTasksCount >= 4", False),
        ("runningTasksCount < 10", True),  # numbers compare as numbers, not text
        ("agentConnected == true", True),
        ("agentVersion == v1.36.3", True),
        ("registeredAt < 2027-01-01", True),
        ("ec2InstanceId == i-0d00000000000000 and runningTasksCount > 5", False),
        ("ec2InstanceId == i-0d00000000000000 or runningTasksCount > 5", True),
        ("not (attribute:ecs.instance-type == m5.xlarge)", False),
    ],
)
def test_filter_expressions(expression: str, expected: bool) -> None:
    assert matches(instance_filter(expression), INSTANCE) is expected


@pytest.mark.parametrize(
    "expression",
    ["attribute:ecs.instance-type ==", "(runningTasksCount > 1", "task:group == service:web", "attribute:a =~ '['"],
)
def test_bad_filters_are_invalid_parameters(expression: str) -> None:
    with pytest.raises(InvalidParameterException):
        matches(instance_filter(expression), INSTANCE)
