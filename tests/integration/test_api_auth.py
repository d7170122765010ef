"""The ECS API's front door: SigV4, keys confined to a namespace, protocol errors; never a 5xx."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

from ecs_api import TARGET, EcsClient, create_key

from ecs_operator.api.keys import DEFAULT_KEYS_NAMESPACE, secret_name
from ecs_operator.api.sigv4 import Credentials, SignedRequest, sign


def _signed_at(ecs: EcsClient, when: datetime, action: str = "ListClusters") -> dict[str, str]:
    host = ecs.endpoint.split("://", 1)[1]
    headers = {"Host": host, "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"{TARGET}.{action}"}
    headers.update(sign(SignedRequest("POST", "/", "", headers, b"{}"), ecs.credentials, ecs.region, when))
    return headers


def test_unsigned_request_is_refused(ecs: EcsClient) -> None:
    answer = ecs.raw("ListClusters", b"{}", signed=False)
    assert (answer.status, answer.error) == (403, "MissingAuthenticationTokenException")


def test_unknown_key_is_refused(ecs: EcsClient) -> None:
    stranger = EcsClient(ecs.endpoint, Credentials("AKIAUNKNOWN000000000", "secret"), ecs.namespace)
    answer = stranger.call("ListClusters")
    assert (answer.status, answer.error) == (403, "UnrecognizedClientException")


def test_wrong_secret_is_refused(ecs: EcsClient) -> None:
    forger = EcsClient(ecs.endpoint, Credentials(ecs.credentials.access_key_id, "not-the-secret"), ecs.namespace)
    answer = forger.call("ListClusters")
    assert (answer.status, answer.error) == (403, "InvalidSignatureException")
    assert "signature we calculated does not match" in answer.body["message"]


def test_tampered_body_is_refused(ecs: EcsClient) -> None:
    headers = _signed_at(ecs, datetime.now(UTC))
    answer = ecs.raw("ListClusters", json.dumps({"maxResults": 1}).encode(), headers=headers, signed=False)
    assert (answer.status, answer.error) == (403, "InvalidSignatureException")


def test_stale_and_future_signatures_are_refused(ecs: EcsClient) -> None:
    for skew in (timedelta(minutes=-6), timedelta(minutes=6)):
        headers = _signed_at(ecs, datetime.now(UTC) + skew)
        answer = ecs.raw("ListClusters", b"{}", headers=headers, signed=False)
        assert (answer.status, answer.error) == (403, "InvalidSignatureException"), skew
        assert "Signature" in answer.body["message"]


def test_signature_within_skew_is_accepted(ecs: EcsClient) -> None:
    headers = _signed_at(ecs, datetime.now(UTC) - timedelta(minutes=4))
    answer = ecs.raw("ListClusters", b"{}", headers=headers, signed=False)
    assert answer.status != 403, answer.body


def test_wrong_region_scope_is_refused(ecs: EcsClient) -> None:
    elsewhere = EcsClient(ecs.endpoint, ecs.credentials, ecs.namespace, region="eu-west-1")
    answer = elsewhere.call("ListClusters")
    assert (answer.status, answer.error) == (403, "InvalidSignatureException")
    assert "eu-west-1" in answer.body["message"]


def test_protocol_errors_are_ecs_errors(ecs: EcsClient) -> None:
    assert ecs.call("NoSuchAction").error == "UnknownOperationException"
    assert ecs.raw("ListClusters", b"{not json").error == "SerializationException"
    assert ecs.raw("ListClusters", b"[1, 2]").error == "SerializationException"
    assert ecs.call("ListClusters", {"maxResults": "ten"}).error in (
        "SerializationException",
        "InvalidParameterException",
    )


def test_oversized_body_is_refused_and_server_keeps_serving(ecs: EcsClient, ecs_api) -> None:
    answer = ecs.raw("RegisterTaskDefinition", b"{" + b" " * (1024 * 1024 + 10) + b"}")
    assert answer.status == 413
    assert answer.body["__type"] == "RequestEntityTooLargeException"
    assert ecs_api.healthy()


def test_action_ecs_has_but_this_server_does_not(ecs: EcsClient) -> None:
    answer = ecs.call("SubmitAttachmentStateChanges")
    assert (answer.status, answer.error) == (400, "UnsupportedFeatureException")
    assert "SubmitAttachmentStateChanges" in answer.body["message"]


def test_api_key_create_prints_two_lines_that_sign(ecs: EcsClient, cluster, namespace: str) -> None:
    credentials = create_key(cluster.kubeconfig, namespace, via_cli=True)
    assert credentials.access_key_id.startswith("AKIA") and len(credentials.access_key_id) == 20
    answer = EcsClient(ecs.endpoint, credentials, namespace).call("ListClusters")
    assert answer.status == 200, answer.body


def test_new_key_signs_at_once_and_a_deleted_key_is_refused(ecs: EcsClient, cluster, namespace: str) -> None:
    # Pipelines use a key the moment `api-key create` returns, before the API server's watch has it.
    for _ in range(5):
        credentials = create_key(cluster.kubeconfig, namespace)
        answer = EcsClient(ecs.endpoint, credentials, namespace).call("ListClusters")
        assert answer.status == 200, answer.body
    cluster.kubectl("delete", "secret", "-n", DEFAULT_KEYS_NAMESPACE, secret_name(credentials.access_key_id))
    deadline = time.monotonic() + 15
    revoked = EcsClient(ecs.endpoint, credentials, namespace)
    while revoked.call("ListClusters").status == 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    answer = revoked.call("ListClusters")
    assert (answer.status, answer.error) == (403, "UnrecognizedClientException")


def test_answers_carry_a_request_id_and_the_server_time(ecs: EcsClient) -> None:
    """x-amzn-RequestId as ECS sends it; Server-Timing so a client can tell handling from queueing."""
    for answer in (ecs.call("ListClusters"), ecs.call("DescribeServices", {"services": []})):
        assert len(answer.headers.get("x-amzn-RequestId", "")) == 36, answer.headers
        name, duration = answer.headers["Server-Timing"].split(";dur=")
        assert name == "handler" and 0 <= float(duration) < 30_000, answer.headers
    assert answer.status == 400 and answer.headers.get("x-amzn-ErrorType") == answer.error
