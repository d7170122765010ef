"""`ecs-operator import`'s pure pieces: endpoint resolution and signing under each API's name."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ecs_operator.account_import import APIS, AwsError, credentials_from_env, resolve_endpoint
from ecs_operator.api.errors import InvalidSignatureException
from ecs_operator.api.sigv4 import Credentials, SignedRequest, sign, verify

NOW = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
KEYS = Credentials("AKIDEXAMPLE", "secret")


def _request() -> SignedRequest:
    headers = {"host": "127.0.0.1:4566", "x-amz-target": "AWSEvents.ListRules"}
    return SignedRequest("POST", "/", "", headers, b"{}")


def test_endpoint_order_is_flag_then_api_variable_then_global_then_public() -> None:
    events = APIS["events"]
    env = {"AWS_ENDPOINT_URL": "http://all:1", "AWS_ENDPOINT_URL_EVENTBRIDGE": "http://events:2"}
    assert resolve_endpoint(events, "eu-west-1", "http://flag:3", env) == "http://flag:3"
    assert resolve_endpoint(events, "eu-west-1", None, env) == "http://events:2"
    assert resolve_endpoint(APIS["ecs"], "eu-west-1", None, env) == "http://all:1"
    assert resolve_endpoint(APIS["application-autoscaling"], "eu-west-1", None, {}) == (
        "https://application-autoscaling.eu-west-1.amazonaws.com"
    )


def test_signing_defaults_to_ecs_which_the_api_server_verifies() -> None:
    request = _request()
    signed = SignedRequest(
        request.method,
        request.path,
        request.query,
        {**request.headers, **sign(request, KEYS, "eu-west-1", NOW)},
        request.body,
    )
    assert verify(signed, {"AKIDEXAMPLE": "secret"}.get, "eu-west-1", NOW) == "AKIDEXAMPLE"


def test_another_signing_name_is_in_the_scope_and_the_ecs_api_refuses_it() -> None:
    request = _request()
    headers = sign(request, KEYS, "eu-west-1", NOW, service="events")
    assert "/eu-west-1/events/aws4_request" in headers["Authorization"]
    signed = SignedRequest(request.method, request.path, request.query, {**request.headers, **headers}, request.body)
    with pytest.raises(InvalidSignatureException):
        verify(signed, {"AKIDEXAMPLE": "secret"}.get, "eu-west-1", NOW)


def test_credentials_come_from_the_standard_variables() -> None:
    keys, token = credentials_from_env(
        {"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b", "AWS_SESSION_TOKEN": "t"}
    )
    assert (keys.access_key_id, keys.secret_access_key, token) == ("a", "b", "t")
    with pytest.raises(AwsError, match="AWS_SECRET_ACCESS_KEY"):
        credentials_from_env({"AWS_ACCESS_KEY_ID": "a"})
