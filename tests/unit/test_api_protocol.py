"""Pure pieces of the ECS API: SigV4, paging, typed members, the action list, the watch index."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ecs_operator.api.errors import (
    InvalidParameterException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    SerializationException,
    UnknownOperationException,
    UnrecognizedClientException,
)
from ecs_operator.api.operations import ECS_ACTIONS, TARGET_PREFIX
from ecs_operator.api.paging import page
from ecs_operator.api.params import Params
from ecs_operator.api.protocol import action_of, decode_body, epoch
from ecs_operator.api.sigv4 import Credentials, SignedRequest, sign, verify
from ecs_operator.kube.informer import Index

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from botocore_model import load_ecs_model

NOW = datetime(2026, 12, 2, 6, 0, 0, tzinfo=UTC)
KEY = Credentials("AKIAEXAMPLE000000001", "c2VjcmV0LXNlY3JldC1zZWNyZXQ=")
BODY = b'{"cluster":"prod"}'


def _request(body: bytes = BODY, **extra: str) -> SignedRequest:
    headers = {"Host": "ecs.local:4566", "Content-Type": "application/x-amz-json-1.1", **extra}
    headers["X-Amz-Target"] = f"{TARGET_PREFIX}.ListServices"
    return SignedRequest("POST", "/", "", headers, body)


def _signed(request: SignedRequest, when: datetime = NOW, key: Credentials = KEY) -> SignedRequest:
    headers = {**request.headers, **sign(request, key, "us-east-1", when)}
    return SignedRequest(request.method, request.path, request.query, headers, request.body)


def _secret(key_id: str) -> str | None:
    return KEY.secret_access_key if key_id == KEY.access_key_id else None


def test_a_signed_request_verifies_to_its_key() -> None:
    assert verify(_signed(_request()), _secret, "us-east-1", NOW) == KEY.access_key_id


def test_header_case_and_spacing_do_not_change_the_signature() -> None:
    signed = _signed(_request())
    shouted = {
        k.upper() if k != "Authorization" else k: f"  {v}  " if k == "Content-Type" else v
        for k, v in signed.headers.items()
    }
    assert verify(SignedRequest("POST", "/", "", shouted, BODY), _secret, "us-east-1", NOW) == KEY.access_key_id


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (
            lambda r: SignedRequest(r.method, r.path, r.query, r.headers, b'{"cluster":"dev"}'),
            InvalidSignatureException,
        ),
        (lambda r: SignedRequest(r.method, "/other", r.query, r.headers, r.body), InvalidSignatureException),
        (
            lambda r: SignedRequest(
                r.method, r.path, r.query, {**r.headers, "X-Amz-Target": f"{TARGET_PREFIX}.DeleteService"}, r.body
            ),
            InvalidSignatureException,
        ),
        (
            lambda r: SignedRequest(
                r.method, r.path, r.query, {k: v for k, v in r.headers.items() if k != "Authorization"}, r.body
            ),
            MissingAuthenticationTokenException,
        ),
    ],
    ids=["body", "path", "signed-header", "unsigned"],
)
def test_any_change_to_what_was_signed_is_refused(change, error) -> None:
    with pytest.raises(error):
        verify(change(_signed(_request())), _secret, "us-east-1", NOW)


def test_unknown_key_and_wrong_secret() -> None:
    with pytest.raises(UnrecognizedClientException):
        verify(_signed(_request(), key=Credentials("AKIAOTHER00000000000", "x")), _secret, "us-east-1", NOW)
    with pytest.raises(InvalidSignatureException, match="does not match"):
        verify(_signed(_request(), key=Credentials(KEY.access_key_id, "wrong")), _secret, "us-east-1", NOW)


def test_clock_skew_of_five_minutes_is_the_limit() -> None:
    for skew, accepted in ((timedelta(minutes=4, seconds=59), True), (timedelta(minutes=5, seconds=1), False)):
        for sign_ in (1, -1):
            signed = _signed(_request(), when=NOW + sign_ * skew)
            if accepted:
                assert verify(signed, _secret, "us-east-1", NOW)
            else:
                with pytest.raises(InvalidSignatureException, match=r"Signature (expired|not yet current)"):
                    verify(signed, _secret, "us-east-1", NOW)


def test_scope_must_be_this_region_and_ecs() -> None:
    with pytest.raises(InvalidSignatureException, match="not 'us-east-1'"):
        verify(_signed(_request()), _secret, "eu-west-1", NOW)


def test_payload_hash_header_must_match_the_body() -> None:
    request = _request(**{"x-amz-content-sha256": "0" * 64})
    with pytest.raises(InvalidSignatureException, match="x-amz-content-sha256"):
        verify(_signed(request), _secret, "us-east-1", NOW)


def test_target_and_body_decoding() -> None:
    assert action_of(f"{TARGET_PREFIX}.DescribeServices") == "DescribeServices"
    for bad in (None, "", "DynamoDB_20120810.GetItem", f"{TARGET_PREFIX}."):
        with pytest.raises(UnknownOperationException):
            action_of(bad)
    assert decode_body(b"") == {}
    for bad in (b"{", b"[]", b'"x"', b"\xff\xfe"):
        with pytest.raises(SerializationException):
            decode_body(bad)


def test_epoch_seconds_from_kubernetes_timestamps() -> None:
    assert epoch("2026-12-02T06:00:00Z") == NOW.timestamp()
    assert epoch(None) is None and epoch("not a time") is None


def test_paging_walks_every_key_once_and_survives_inserts() -> None:
    keys = [f"arn:k/{i:03d}" for i in range(25)]
    seen: list[str] = []
    token = None
    while True:
        chunk, token = page(keys, {"maxResults": 10, "nextToken": token}, default=100)
        seen += chunk
        if token is None:
            break
        keys.insert(0, "arn:k/000-new")  # an item added before the boundary does not repeat others
    assert seen == sorted(f"arn:k/{i:03d}" for i in range(25))


@pytest.mark.parametrize("bad", [{"maxResults": 0}, {"maxResults": 101}, {"maxResults": True}, {"nextToken": "??"}])
def test_paging_refuses_bad_limits_and_tokens(bad) -> None:
    with pytest.raises(InvalidParameterException):
        page(["a"], bad, default=10)


def test_params_type_errors_name_the_member() -> None:
    params = Params({"desiredCount": "2", "cluster": 3, "include": ["TAGS", 1], "force": "yes"})
    with pytest.raises(SerializationException, match="desiredCount"):
        params.integer("desiredCount")
    with pytest.raises(SerializationException, match="'cluster'"):
        params.string("cluster")
    with pytest.raises(SerializationException, match=r"include\.2"):
        params.strings("include")
    with pytest.raises(SerializationException, match="force"):
        params.boolean("force")
    with pytest.raises(InvalidParameterException, match="serviceName"):
        Params({}).require("serviceName")
    with pytest.raises(InvalidParameterException, match="desiredCount"):
        Params({"desiredCount": -1}).integer("desiredCount", low=0)


def test_action_list_is_botocores() -> None:
    model = load_ecs_model()
    assert set(model["operations"]) == ECS_ACTIONS
    assert model["metadata"]["targetPrefix"] == TARGET_PREFIX


def _obj(name: str, version: int, namespace: str = "ns") -> dict:
    return {"metadata": {"name": name, "namespace": namespace, "resourceVersion": str(version)}}


def test_index_keeps_the_newest_copy_and_honours_deletes() -> None:
    index = Index()
    index.remember(_obj("a", 10))
    index.observe("MODIFIED", _obj("a", 9))  # a watch event older than our own write
    assert index.get("ns", "a")["metadata"]["resourceVersion"] == "10"
    index.observe("DELETED", _obj("a", 11))
    index.observe("MODIFIED", _obj("a", 10))  # stale after the delete
    assert index.get("ns", "a") is None
    index.observe("ADDED", _obj("a", 12))
    assert index.get("ns", "a") is not None
    assert [o["metadata"]["name"] for o in index.in_namespace("ns")] == ["a"] and index.in_namespace("x") == []


def test_index_secondary_keys_follow_every_change() -> None:
    index = Index({"cluster": lambda o: o["spec"].get("cluster", "default")})

    def svc(name: str, cluster: str, version: int) -> dict:
        return {**_obj(name, version), "spec": {"cluster": cluster}}

    index.observe("ADDED", svc("a", "prod", 1))
    index.observe("ADDED", svc("b", "prod", 2))
    assert sorted(o["metadata"]["name"] for o in index.by("cluster", "ns", "prod")) == ["a", "b"]
    index.observe("MODIFIED", svc("a", "dev", 3))  # moved: no longer under its old key
    assert [o["metadata"]["name"] for o in index.by("cluster", "ns", "prod")] == ["b"]
    assert [o["metadata"]["name"] for o in index.by("cluster", "ns", "dev")] == ["a"]
    index.observe("DELETED", svc("b", "prod", 4))
    assert index.by("cluster", "ns", "prod") == [] and index.by("cluster", "other", "dev") == []
    index.replace([svc("c", "dev", 5)])
    assert [o["metadata"]["name"] for o in index.by("cluster", "ns", "dev")] == ["c"]
