"""render_pod_template behaviours the golden files do not make obvious, and render's purity."""

from __future__ import annotations

import ast
import copy
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_render_golden import parse_spec

import ecs_operator.render as render_package
from ecs_operator.render.container import escape_expansion, rewrite_image
from ecs_operator.render.dependencies import DependencyCycleError, plan_start_order
from ecs_operator.render.pod import ESSENTIAL_CONTAINERS_ANNOTATION, render_pod_template
from ecs_operator.render.query import QuerySyntaxError

SEED = {
    "family": "webserver",
    "containerDefinitions": [{"name": "web", "image": "nginx", "memory": "100", "cpu": "99"}],
    "requiresCompatibilities": ["FARGATE"],
    "networkMode": "awsvpc",
    "memory": "512",
    "cpu": "256",
}


def td(**changes: Any) -> Any:
    data = copy.deepcopy(SEED)
    data.update(changes)
    return parse_spec(data)


def container(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "image": "busybox", "memory": 32, **extra}


def test_seed_example() -> None:
    result = render_pod_template(td(), family="webserver", revision=1)
    spec = result.template["spec"]
    assert result.warnings == []
    assert result.template["metadata"]["labels"] == {
        "app.kubernetes.io/name": "webserver",
        "app.kubernetes.io/managed-by": "ecs-operator",
        "app.kubernetes.io/part-of": "ecs-operator",
        "ecs.operator.dev/family": "webserver",
        "ecs.operator.dev/revision": "1",
    }
    assert spec["containers"] == [
        {
            "name": "web",
            "image": "nginx",
            "resources": {"requests": {"cpu": "97m", "memory": "100Mi"}, "limits": {"memory": "100Mi"}},
        }
    ]
    assert spec["resources"] == {
        "requests": {"cpu": "250m", "memory": "512Mi"},
        "limits": {"cpu": "250m", "memory": "512Mi"},
    }
    assert "restartPolicy" not in spec


def test_restart_policy_and_task_group_come_from_the_caller() -> None:
    result = render_pod_template(
        td(), family="webserver", revision=7, restart_policy="Never", task_group="family:webserver"
    )
    assert result.template["spec"]["restartPolicy"] == "Never"
    labels = result.template["metadata"]["labels"]
    assert labels["ecs.operator.dev/group"] == "family.webserver"
    assert labels["ecs.operator.dev/revision"] == "7"


def test_liveness_only_for_essential_containers_of_services() -> None:
    check = {"command": ["CMD", "true"]}
    spec = td(
        containerDefinitions=[container("a", healthCheck=check), container("b", essential=False, healthCheck=check)]
    )
    service = render_pod_template(spec, family="f", revision=1, for_service=True).template["spec"]["containers"]
    task = render_pod_template(spec, family="f", revision=1, for_service=False).template["spec"]["containers"]
    assert "livenessProbe" in service[0] and "livenessProbe" not in service[1]
    assert all("livenessProbe" not in c for c in task)
    assert all("readinessProbe" in c for c in service + task)


def test_essential_containers_annotation_skips_init_containers() -> None:
    spec = td(
        containerDefinitions=[
            container(
                "app",
                dependsOn=[
                    {"containerName": "init", "condition": "SUCCESS"},
                    {"containerName": "proxy", "condition": "START"},
                ],
            ),
            container("init", essential=False),
            container("proxy"),
            container("helper", essential=False),
        ]
    )
    result = render_pod_template(spec, family="f", revision=1)
    assert result.template["metadata"]["annotations"][ESSENTIAL_CONTAINERS_ANNOTATION] == "app,proxy"
    init = result.template["spec"]["initContainers"]
    assert [c["name"] for c in init] == ["init", "proxy"]
    assert "restartPolicy" not in init[0] and init[1]["restartPolicy"] == "Always"
    assert [c["name"] for c in result.template["spec"]["containers"]] == ["app", "helper"]


def test_stop_timeout_is_the_longest() -> None:
    spec = td(containerDefinitions=[container("a", stopTimeout=10), container("b", stopTimeout=90), container("c")])
    assert render_pod_template(spec, family="f", revision=1).template["spec"]["terminationGracePeriodSeconds"] == 90


def test_task_role_gives_a_service_account() -> None:
    result = render_pod_template(td(taskRoleArn="arn:aws:iam::1:role/app-role"), family="f", revision=1)
    assert result.service_account == "ecs-task-role-app-role"
    assert result.template["spec"]["serviceAccountName"] == "ecs-task-role-app-role"
    assert result.template["spec"]["automountServiceAccountToken"] is True
    without = render_pod_template(td(), family="f", revision=1)
    assert without.service_account is None
    assert without.template["spec"]["automountServiceAccountToken"] is False


def test_overrides_are_applied() -> None:
    spec = td(
        containerDefinitions=[container("app", environment=[{"name": "A", "value": "1"}, {"name": "B", "value": "2"}])]
    )
    result = render_pod_template(
        spec,
        family="f",
        revision=1,
        overrides={
            "containerOverrides": [{"name": "app", "command": ["x"], "environment": [{"name": "B", "value": "3"}]}]
        },
    )
    (app,) = result.template["spec"]["containers"]
    assert app["args"] == ["x"]
    assert app["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "3"}]


def test_malformed_member_of_is_an_error() -> None:
    spec = td(placementConstraints=[{"type": "memberOf", "expression": "attribute:a = 1"}])
    with pytest.raises(QuerySyntaxError):
        render_pod_template(spec, family="f", revision=1)


def test_rendering_does_not_change_the_input() -> None:
    spec = td(containerDefinitions=[container("app", environment=[{"name": "A", "value": "1"}])])
    before = spec.model_dump()
    render_pod_template(spec, family="f", revision=1, overrides={"cpu": "512", "memory": "1024"})
    assert spec.model_dump() == before


def _ns(
    name: str, depends: list[tuple[str, str]] = (), essential: bool = True, health: bool = False
) -> SimpleNamespace:  # type: ignore[assignment]
    return SimpleNamespace(
        name=name,
        essential=essential,
        health_check=object() if health else None,
        depends_on=[SimpleNamespace(container_name=t, condition=c) for t, c in depends],
    )


def test_dependency_cycles_are_errors() -> None:
    with pytest.raises(DependencyCycleError, match="a, b"):
        plan_start_order([_ns("a", [("b", "START")]), _ns("b", [("a", "START")]), _ns("c", [("a", "START")])])
    with pytest.raises(DependencyCycleError):
        plan_start_order([_ns("a", [("a", "START")])])


def test_start_order_is_topological_with_definition_order_for_ties() -> None:
    plan = plan_start_order(
        [
            _ns("main", [("d", "START"), ("c", "SUCCESS")]),
            _ns("b"),
            _ns("c", [("d", "HEALTHY")], essential=False),
            _ns("d", [("e", "START")], health=True),
            _ns("e"),
        ]
    )
    assert plan.init_order == [4, 3, 2]
    assert plan.main_order == [0, 1]
    assert plan.roles == ["main", "main", "init", "sidecar", "sidecar"]
    assert plan.healthy_targets == {3}


def test_healthy_without_health_check_is_reported() -> None:
    plan = plan_start_order([_ns("a", [("b", "HEALTHY")]), _ns("b")])
    assert plan.healthy_targets == set()
    assert [w.kind for w in plan.warnings] == ["approximated"]


def test_image_registry_rewrite_prefers_the_longest_prefix() -> None:
    mapping = {
        "123.dkr.ecr.us-east-1.amazonaws.com/": "mirror/",
        "123.dkr.ecr.us-east-1.amazonaws.com/team/": "team-mirror/",
    }
    assert rewrite_image("123.dkr.ecr.us-east-1.amazonaws.com/team/app:1", mapping) == "team-mirror/app:1"
    assert rewrite_image("123.dkr.ecr.us-east-1.amazonaws.com/app:1", mapping) == "mirror/app:1"
    assert rewrite_image("nginx", mapping) == "nginx"


def _kubernetes_expand(text: str, variables: dict[str, str]) -> str:
    """Kubernetes' $(VAR) expansion (k8s.io/kubernetes third_party/forked/golang/expansion)."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "$" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "$":
                out.append("$")
                i += 2
                continue
            if nxt == "(":
                end = text.find(")", i + 2)
                if end >= 0:
                    name = text[i + 2 : end]
                    out.append(variables.get(name, f"$({name})"))
                    i = end + 1
                    continue
        out.append(text[i])
        i += 1
    return "".join(out)


@given(st.text(alphabet=st.sampled_from(list("$()AB x")), max_size=30))
def test_escaped_strings_survive_kubernetes_expansion(text: str) -> None:
    assert _kubernetes_expand(escape_expansion(text), {"A": "expanded", "B": "other"}) == text


# --- purity ---------------------------------------------------------------------------------------

MINE = (
    "__init__.py", "container.py", "coverage.py", "dependencies.py", "names.py", "overrides.py", "pod.py",
    "probes.py", "query.py", "resources.py", "serialize.py", "volumes.py", "warnings.py",
)  # fmt: skip
ALLOWED_TOP_LEVEL = {
    "__future__",
    "collections",
    "dataclasses",
    "hashlib",
    "json",
    "math",
    "re",
    "typing",
    "yaml",
    "ecs_operator",
}
FORBIDDEN_NAMES = {"environ", "getenv", "open", "time", "now", "utcnow", "today", "random", "urandom", "uuid4"}


@pytest.mark.parametrize("module", MINE)
def test_render_modules_are_pure(module: str) -> None:
    path = Path(render_package.__file__).parent / module
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                assert alias.name.split(".")[0] in ALLOWED_TOP_LEVEL, f"{module} imports {alias.name}"
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            top = (node.module or "").split(".")[0]
            assert top in ALLOWED_TOP_LEVEL, f"{module} imports from {node.module}"
            if top == "ecs_operator":
                assert node.module.startswith(("ecs_operator.models", "ecs_operator.render")), node.module
        elif isinstance(node, (ast.Name, ast.Attribute)):
            name = node.id if isinstance(node, ast.Name) else node.attr
            assert name not in FORBIDDEN_NAMES, f"{module} uses {name} (render must not do I/O or read the clock)"


def test_task_size_without_pod_level_resources() -> None:
    result = render_pod_template(td(), family="webserver", revision=1, pod_level_resources=False)
    spec = result.template["spec"]
    assert "resources" not in spec
    assert spec["containers"][0]["resources"] == {
        "requests": {"cpu": "97m", "memory": "100Mi"},
        "limits": {"cpu": "250m", "memory": "100Mi"},
    }
    assert [w.kind for w in result.warnings] == ["approximated"]
