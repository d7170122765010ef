"""Deterministic names: Secrets from ARNs, ServiceAccounts from roles, PVCs, containers, ports."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecs_operator.render import names
from ecs_operator.render.names import NameMappingError, SecretRef

DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
IANA_SVC_NAME = re.compile(r"[a-z0-9]([a-z0-9]|-(?!-))*[a-z0-9]|[a-z]")
HASHED = re.compile(r"-[0-9a-f]{8}$")

SM = "arn:aws:secretsmanager:us-east-1:123456789012:secret:"
SSM = "arn:aws:ssm:us-east-1:123456789012:parameter"


@pytest.mark.parametrize(
    ("value_from", "secret", "key"),
    [
        (f"{SSM}/prod/db/password", "ssm-prod-db-password", "value"),
        ("/prod/db/password", "ssm-prod-db-password", "value"),
        (f"{SSM}/myparam", "ssm-myparam", "value"),
        (f"{SSM}/plain-name", "ssm-plain-name", "value"),
        (f"{SM}prod/db-AbCdEf:password::", "sm-prod-db", "password"),
        (f"{SM}prod/db-AbCdEf", "sm-prod-db", "value"),
        (f"{SM}prod/db-AbCdEf::", "sm-prod-db", "value"),
        (f"{SM}prod/db", "sm-prod-db", "value"),  # partial ARN: same Secret as the full one
        (f"{SM}app-a1b2c3:token::", "sm-app", "token"),
        (f"{SM}prod/db-secret", "sm-prod-db-secret", "value"),  # six lower-case letters: a name, not a suffix
        (f"{SM}prod/db-AbCdEf:key.with_dots-ok::", "sm-prod-db", "key.with_dots-ok"),
    ],
)
def test_secret_refs(value_from: str, secret: str, key: str) -> None:
    assert names.secret_ref(value_from) == SecretRef(value_from, secret, key)


def test_secret_versions_get_their_own_secret() -> None:
    current = names.secret_ref(f"{SM}prod/db-AbCdEf:password::")
    previous = names.secret_ref(f"{SM}prod/db-AbCdEf:password:AWSPREVIOUS:")
    pinned = names.secret_ref(f"{SM}prod/db-AbCdEf:password::0123-4567")
    assert previous.secret_name.startswith("sm-prod-db-") and HASHED.search(previous.secret_name)
    assert len({current.secret_name, previous.secret_name, pinned.secret_name}) == 3
    assert previous.key == pinned.key == "password"


def test_lossy_names_get_a_hash() -> None:
    upper = names.secret_ref(f"{SSM}/Prod/DB/Password")
    lower = names.secret_ref(f"{SSM}/prod/db/password")
    underscored = names.secret_ref(f"{SSM}/prod/db_password")
    assert upper.secret_name != lower.secret_name
    assert HASHED.search(upper.secret_name) and HASHED.search(underscored.secret_name)
    assert upper.secret_name.startswith("ssm-prod-db-password-")


def test_invalid_json_keys_are_made_valid() -> None:
    ref = names.secret_ref(f"{SM}prod/db-AbCdEf:my key/with:slash::")
    # the json-key cannot contain ':' in an ARN, so this is "my key/with" with stage "slash"
    assert re.fullmatch(r"[-._A-Za-z0-9]+", ref.key)


def test_long_names_are_cut_with_a_hash() -> None:
    parameter = "/" + "/".join(["segment"] * 60)
    ref = names.secret_ref(f"{SSM}{parameter}")
    assert len(ref.secret_name) <= 253 and HASHED.search(ref.secret_name)
    assert DNS_SUBDOMAIN.fullmatch(ref.secret_name)


@pytest.mark.parametrize(
    "value_from",
    [
        "arn:aws:s3:::bucket/key",
        f"{SM}",
        "arn:aws:ssm:us-east-1:1:document/x",
        "arn:aws:ssm:us-east-1:1:parameter/",
        "arn:aws",
    ],
)
def test_unmappable_secrets(value_from: str) -> None:
    with pytest.raises(NameMappingError):
        names.secret_ref(value_from)


def test_pull_secret_is_separate_from_the_opaque_secret() -> None:
    arn = f"{SM}ci/registry-AbCdEf"
    pull = names.pull_secret_ref(arn)
    assert pull == SecretRef(arn, "pull-sm-ci-registry", ".dockerconfigjson")
    assert pull.secret_name != names.secret_ref(arn).secret_name


@pytest.mark.parametrize(
    ("role", "account"),
    [
        ("arn:aws:iam::123:role/app-role", "ecs-task-role-app-role"),
        ("arn:aws:iam::123:role/service-role/app-role", "ecs-task-role-app-role"),
        ("arn:aws:iam::123:role/App-Role", "ecs-task-role-app-role"),  # IAM role names ignore case
        ("arn:aws-cn:iam::123:role/app-role", "ecs-task-role-app-role"),
        ("app-role", "ecs-task-role-app-role"),
    ],
)
def test_service_account_names(role: str, account: str) -> None:
    assert names.service_account_name(role) == account


def test_service_account_name_hashes_lossy_roles() -> None:
    name = names.service_account_name("arn:aws:iam::123:role/App_Role+Admin")
    assert name.startswith("ecs-task-role-app-role-admin-") and HASHED.search(name)
    with pytest.raises(NameMappingError):
        names.service_account_name("arn:aws:iam::123:user/bob")


def test_efs_claim_names() -> None:
    assert names.efs_claim_name("fs-12345678") == "efs-fs-12345678"
    assert names.efs_claim_name("fs-12345678", "/") == "efs-fs-12345678"
    assert names.efs_claim_name("fs-12345678", "") == "efs-fs-12345678"
    with_root = names.efs_claim_name("fs-12345678", "/data")
    with_ap = names.efs_claim_name("fs-12345678", None, "fsap-0123456789abcdef0")
    assert with_root.startswith("efs-fs-12345678-") and HASHED.search(with_root)
    assert with_ap.startswith("efs-fs-12345678-") and with_ap != with_root
    assert names.efs_claim_name("fs-12345678", "/data/") == with_root  # same directory
    claim = names.efs_claim("fs-12345678", "/data/", "")
    assert (claim.root_directory, claim.access_point_id, claim.claim_name) == ("/data", None, with_root)


def test_other_object_names() -> None:
    assert names.docker_volume_claim_name("pgdata") == "docker-volume-pgdata"
    assert HASHED.search(names.docker_volume_claim_name("pg_data"))
    assert names.config_map_name_for_env_file("arn:aws:s3:::bucket/envs/prod").startswith("s3-bucket-envs-prod")
    assert HASHED.search(names.config_map_name_for_env_file("arn:aws:s3:::bucket/app.env"))
    with pytest.raises(NameMappingError):
        names.config_map_name_for_env_file("arn:aws:s3:::bucket-only")


def test_container_names_are_unique_and_keep_clean_names() -> None:
    assert names.container_names(["web", "Web", "a_b", "a-b"]) == names.container_names(["web", "Web", "a_b", "a-b"])
    result = names.container_names(["Web", "web", "a_b", "a-b"])
    assert result[1] == "web" and result[3] == "a-b"
    assert result[0].startswith("web-") and result[2].startswith("a-b-")
    assert len(set(result)) == 4
    long = names.container_names(["x" * 100])[0]
    assert len(long) <= names.CONTAINER_NAME_MAX and HASHED.search(long)


@pytest.mark.parametrize(
    ("name", "port", "protocol", "expected"),
    [
        (None, 8080, "tcp", "tcp-8080"),
        (None, 53, "udp", "udp-53"),
        ("http", 80, "tcp", "http"),
        ("web-8080-tcp", 8080, "tcp", "web-8080-tcp"),
    ],
)
def test_port_names(name: str | None, port: int, protocol: str, expected: str) -> None:
    assert names.port_name(name, port, protocol) == expected


@given(st.text(min_size=1, max_size=80))
def test_port_names_are_always_valid(name: str) -> None:
    result = names.port_name(name, 8080)
    assert len(result) <= 15 and IANA_SVC_NAME.fullmatch(result) and re.search(r"[a-z]", result)


@given(st.lists(st.from_regex(r"[A-Za-z0-9_-]{1,255}", fullmatch=True), min_size=1, max_size=10))
def test_container_names_are_always_valid_and_unique(ecs_names: list[str]) -> None:
    result = names.container_names(ecs_names)
    assert len(set(result)) == len(result)
    for name in result:
        assert len(name) <= names.CONTAINER_NAME_MAX and DNS_LABEL.fullmatch(name)


@given(st.text(min_size=1, max_size=300))
def test_ssm_secret_names_are_always_valid(parameter: str) -> None:
    try:
        ref = names.secret_ref(f"{SSM}/{parameter}")
    except NameMappingError:
        return
    assert len(ref.secret_name) <= 253 and DNS_SUBDOMAIN.fullmatch(ref.secret_name)


def test_label_values() -> None:
    assert names.label_value("webserver") == "webserver"
    assert names.label_value("My_Family") == "My_Family"
    long = names.label_value("f" * 100)
    assert len(long) <= 63 and HASHED.search(long)
    assert names.group_label_value("service:web") == "service.web"
    assert names.group_label_value("family:etl") == "family.etl"
    assert names.group_label_value("service:my.app") != names.group_label_value("service.my:app")


def test_annotation_keys() -> None:
    assert names.annotation_key("ecs.operator.dev", "docker-label.web.com.example.team") == (
        "ecs.operator.dev/docker-label.web.com.example.team"
    )
    key = names.annotation_key("ecs.operator.dev", "tag.aws:cloudformation:stack-name")
    assert (
        re.fullmatch(r"ecs\.operator\.dev/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?", key)
        and len(key.split("/")[1]) <= 63
    )
