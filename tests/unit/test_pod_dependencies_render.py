"""Pure parts of a task's outside needs: secrets gate, EFS/Docker claims and volumes, task-role accounts."""

from __future__ import annotations

from datetime import UTC

import pytest

from ecs_operator.models import SpecError, parse_cluster, parse_task_definition
from ecs_operator.render.identity import build_service_account, owner_field_manager
from ecs_operator.render.names import EfsClaim, SecretRef, efs_claim
from ecs_operator.render.pod import render_pod_template
from ecs_operator.render.secrets import (
    RESOURCES_GATE,
    Missing,
    config_map_problems,
    has_gate,
    missing_for_pod,
    pod_needs,
    secret_problems,
    without_gate,
)
from ecs_operator.render.storage import (
    build_docker_volume,
    build_efs_volume,
    docker_claim_manifest,
    efs_claim_manifest,
    efs_volume_handle,
    storage_plan,
    volume_name,
)
from ecs_operator.render.volumes import DockerVolumeClaim

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf:password::"
OWNER = {
    "apiVersion": "ecs.operator.dev/v1alpha1",
    "kind": "ECSService",
    "metadata": {"name": "web", "namespace": "shop", "uid": "u-1"},
}


def _td(**container: object) -> object:
    return parse_task_definition(
        {"family": "f", "containerDefinitions": [{"name": "app", "image": "nginx", "memory": 64, **container}]}
    )


def test_pods_reading_secrets_are_gated_and_others_are_not() -> None:
    gated = render_pod_template(_td(secrets=[{"name": "P", "valueFrom": ARN}]), family="f", revision=1)
    assert gated.template["spec"]["schedulingGates"] == [{"name": RESOURCES_GATE}]
    plain = render_pod_template(_td(), family="f", revision=1)
    assert "schedulingGates" not in plain.template["spec"]


def test_pod_needs_reads_env_env_from_pull_secrets_and_volumes() -> None:
    spec = {
        "containers": [
            {
                "name": "a",
                "env": [
                    {"name": "X", "valueFrom": {"secretKeyRef": {"name": "s1", "key": "k"}}},
                    {"name": "Y", "valueFrom": {"secretKeyRef": {"name": "s2", "key": "k", "optional": True}}},
                    {"name": "Z", "valueFrom": {"configMapKeyRef": {"name": "c1", "key": "k"}}},
                ],
                "envFrom": [{"configMapRef": {"name": "c2"}}, {"secretRef": {"name": "s3"}}],
            }
        ],
        "imagePullSecrets": [{"name": "pull"}],
        "volumes": [{"name": "v", "secret": {"secretName": "s4"}}],
    }
    needs = pod_needs(spec)
    assert needs.secret_keys == (("s1", "k"), ("s3", None), ("pull", ".dockerconfigjson"), ("s4", None))
    assert needs.config_maps == ("c1", "c2")
    secrets = {"s1": {"data": {"other": "eA=="}}, "s3": {"data": {}}, "pull": None, "s4": {}}
    assert missing_for_pod(needs, secrets, {"c1": {}, "c2": None}) == [
        Missing("Secret", "s1", "k"),
        Missing("Secret", "pull", ".dockerconfigjson"),
        Missing("ConfigMap", "c2"),
    ]
    assert str(Missing("Secret", "s1", "k")) == "Secret s1 key k"


def test_gate_helpers_keep_other_controllers_gates() -> None:
    pod = {"spec": {"schedulingGates": [{"name": "other.io/gate"}, {"name": RESOURCES_GATE}]}}
    assert has_gate(pod) and without_gate(pod) == [{"name": "other.io/gate"}]
    assert not has_gate({"spec": {}})


def test_secret_problems_name_the_arn_secret_and_key() -> None:
    ref = SecretRef(ARN, "sm-prod-db", "password")
    (missing,) = secret_problems([ref], {"sm-prod-db": None}, "shop")
    assert missing == (
        f"ResourceInitializationError: unable to pull secrets or registry auth: {ARN}: "
        "Secret shop/sm-prod-db not found (key password)"
    )
    (no_key,) = secret_problems([ref], {"sm-prod-db": {"data": {"user": "eA=="}}}, "shop")
    assert no_key.endswith("key password not found in Secret shop/sm-prod-db")
    assert secret_problems([ref], {"sm-prod-db": {"data": {"password": "eA=="}}}, "shop") == []
    assert config_map_problems(["s3-env"], {"s3-env": None}, "shop") == [
        "ResourceInitializationError: failed to download env files: ConfigMap shop/s3-env not found"
    ]


@pytest.mark.parametrize(
    ("claim", "handle"),
    [
        (efs_claim("fs-1"), "fs-1"),
        (efs_claim("fs-1", "/data/"), "fs-1:/data"),
        (efs_claim("fs-1", None, "fsap-9"), "fs-1::fsap-9"),
    ],
)
def test_efs_volume_handle(claim: EfsClaim, handle: str) -> None:
    assert efs_volume_handle(claim) == handle


def test_storage_plan_defaults() -> None:
    assert storage_plan(None, default_class=None).provisioning == "STATIC_CSI"
    assert storage_plan(None, default_class="gp3").provisioning == "DYNAMIC"
    config = parse_cluster({"efsStorage": {"storageClassName": "efs-sc"}}).efs_storage
    plan = storage_plan(config, default_class=None)
    assert (plan.provisioning, plan.storage_class_name) == ("DYNAMIC", "efs-sc")
    config = parse_cluster(
        {"efsStorage": {"provisioning": "STATIC_HOST_PATH", "hostPathRoot": "/mnt/efs/", "capacity": "1Ti"}}
    ).efs_storage
    plan = storage_plan(config, default_class="gp3")
    assert (plan.provisioning, plan.host_path_root, plan.capacity) == ("STATIC_HOST_PATH", "/mnt/efs", "1Ti")


def test_efs_storage_rules() -> None:
    with pytest.raises(SpecError, match="hostPathRoot"):
        parse_cluster({"efsStorage": {"hostPathRoot": "/x"}})
    with pytest.raises(SpecError, match="quantity"):
        parse_cluster({"efsStorage": {"capacity": "lots"}})


def test_static_efs_claim_is_pre_bound_unowned_and_retained() -> None:
    claim = efs_claim("fs-1", "/data")
    plan = storage_plan(None, default_class=None)
    pvc = efs_claim_manifest("shop", claim, plan)
    pv = build_efs_volume("shop", claim, plan)
    assert pv is not None
    assert "ownerReferences" not in pvc["metadata"]
    assert pvc["spec"] == {
        "accessModes": ["ReadWriteMany"],
        "resources": {"requests": {"storage": "5Gi"}},
        "storageClassName": "",
        "volumeName": volume_name("shop", claim.claim_name),
    }
    assert pv["metadata"]["name"] == pvc["spec"]["volumeName"]
    assert pv["spec"]["claimRef"] == {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "namespace": "shop",
        "name": claim.claim_name,
    }
    assert pv["spec"]["csi"] == {"driver": "efs.csi.aws.com", "volumeHandle": "fs-1:/data"}
    assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain"


def test_dynamic_efs_claim_names_its_class_and_has_no_volume() -> None:
    plan = storage_plan(None, default_class="standard")
    claim = efs_claim("fs-1")
    assert "storageClassName" not in efs_claim_manifest("shop", claim, plan)["spec"]  # the default class
    assert build_efs_volume("shop", claim, plan) is None


def test_docker_volume_is_node_local() -> None:
    claim = DockerVolumeClaim("db_data", "docker-volume-db-data-1234", True)
    pv = build_docker_volume("shop", claim)
    assert pv["spec"]["hostPath"] == {
        "path": "/var/lib/ecs-operator/docker-volumes/shop/docker-volume-db-data-1234",
        "type": "DirectoryOrCreate",
    }
    assert docker_claim_manifest("shop", claim)["spec"]["volumeName"] == pv["metadata"]["name"]


def test_volume_names_are_per_namespace() -> None:
    assert volume_name("a", "efs-fs-1") != volume_name("b", "efs-fs-1")
    assert len(volume_name("n" * 63, "efs-" + "f" * 240)) <= 253


def test_task_role_account_is_owned_without_controller_and_per_owner_manager() -> None:
    account = build_service_account(OWNER, "ecs-task-role-app", "arn:aws:iam::1:role/app")
    assert account["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/app"}
    (ref,) = account["metadata"]["ownerReferences"]
    assert ref["uid"] == "u-1" and ref["controller"] is False
    assert owner_field_manager(OWNER) == "ecs-operator/ecsservice/u-1"
    pod = render_pod_template(_td(), family="f", revision=1)
    assert pod.task_role_arn is None
    role = parse_task_definition(
        {
            "family": "f",
            "taskRoleArn": "arn:aws:iam::1:role/App",
            "containerDefinitions": [{"name": "a", "image": "i", "memory": 64}],
        }
    )
    rendered = render_pod_template(role, family="f", revision=1)
    assert (rendered.service_account, rendered.task_role_arn) == ("ecs-task-role-app", "arn:aws:iam::1:role/App")


def test_a_task_held_for_its_secrets_fails_to_start_with_resource_initialization_error() -> None:
    from datetime import datetime

    from ecs_operator.plan.lifecycle import task_stop

    pod = {
        "metadata": {"creationTimestamp": "2026-01-01T00:00:00Z"},
        "status": {"phase": "Pending"},
        "spec": {"schedulingGates": [{"name": RESOURCES_GATE}]},
    }
    now = datetime(2026, 1, 1, 0, 10, tzinfo=UTC)
    failure = task_stop(pod, now=now, start_timeout=300)
    assert failure is not None and failure.stop_code == "TaskFailedToStart"
    assert failure.reason.startswith("ResourceInitializationError")
    assert task_stop(pod, now=now, start_timeout=3600) is None
