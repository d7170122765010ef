"""AWS Signature Version 4, verified on the server side.

Every ECS request is signed by the client (AWS CLI, boto3, the SDKs) with its secret key; the
server recomputes the signature from the request and compares. The algorithm is AWS's:
canonical request -> string to sign -> HMAC chain over date, region and service
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html).
A request is refused when it is unsigned, names an unknown key, is scoped to another service or
region, is more than five minutes off the server's clock, or its signature differs.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, quote

from .errors import InvalidSignatureException, MissingAuthenticationTokenException, UnrecognizedClientException

__all__ = ["ALGORITHM", "MAX_SKEW", "Credentials", "SignedRequest", "verify", "claimed_key_id", "sign"]

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW = timedelta(minutes=5)
SERVICE = "ecs"
_AUTH = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+)\s*,\s*"
    r"SignedHeaders=(?P<headers>[^,\s]+)\s*,\s*Signature=(?P<signature>[0-9a-f]{64})\s*$"
)
_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str


@dataclass(frozen=True)
class SignedRequest:
    """What the signature covers: method, path, query, headers (any case) and the raw body."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes


def claimed_key_id(request: SignedRequest) -> str | None:
    """The access key id ``request``'s Authorization header names, unverified (None: no such header)."""
    authorization = {k.lower(): v for k, v in request.headers.items()}.get("authorization") or ""
    match = _AUTH.match(authorization.strip())
    return match["credential"].split("/")[0] if match else None


def verify(
    request: SignedRequest,
    secret_for: Callable[[str], str | None],
    region: str,
    now: datetime,
) -> str:
    """The access key id that signed ``request``, or the AuthError ECS answers with."""
    headers = {k.lower(): v for k, v in request.headers.items()}
    authorization = headers.get("authorization")
    if not authorization:
        raise MissingAuthenticationTokenException()
    match = _AUTH.match(authorization.strip())
    if match is None:
        raise InvalidSignatureException(
            f"Authorization header requires {ALGORITHM} with Credential, SignedHeaders and Signature."
        )
    parts = match["credential"].split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise InvalidSignatureException("Credential should be scoped to a valid region, not '...'.")
    key_id, day, scope_region, service, _ = parts
    if service != SERVICE:
        raise InvalidSignatureException(f"Credential should be scoped to correct service: '{SERVICE}'.")
    if scope_region != region:
        raise InvalidSignatureException(f"Credential should be scoped to a valid region, not '{scope_region}'.")
    secret = secret_for(key_id)
    if secret is None:
        raise UnrecognizedClientException()
    signed = match["headers"].split(";")
    if "host" not in signed:
        raise InvalidSignatureException("'Host' must be a 'SignedHeader' in the AWS Authorization.")
    stamp = headers.get("x-amz-date")
    if not stamp or "x-amz-date" not in signed:
        raise InvalidSignatureException("'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.")
    when = _parse_stamp(stamp)
    if when.strftime("%Y%m%d") != day:
        raise InvalidSignatureException(
            f"Date in Credential scope does not match YYYYMMDD from ISO-8601 "
            f"version of date from HTTP: '{day}' != '{when:%Y%m%d}'"
        )
    if abs(now - when) > MAX_SKEW:
        raise InvalidSignatureException(
            f"Signature expired: {stamp} is now earlier than {(now - MAX_SKEW):%Y%m%dT%H%M%SZ} "
            f"({now:%Y%m%dT%H%M%SZ} - 5 min.)"
            if when < now
            else f"Signature not yet current: {stamp} is still later than {(now + MAX_SKEW):%Y%m%dT%H%M%SZ} "
            f"({now:%Y%m%dT%H%M%SZ} + 5 min.)"
        )
    payload_hash = hashlib.sha256(request.body).hexdigest()
    claimed = headers.get("x-amz-content-sha256")
    if claimed is not None and claimed != payload_hash:
        raise InvalidSignatureException("The provided 'x-amz-content-sha256' header does not match what was computed.")
    missing = [name for name in signed if name not in headers]
    if missing:
        raise InvalidSignatureException(f"Signed header {missing[0]!r} is not in the request.")
    expected = _signature(
        request, headers, signed, payload_hash, stamp, f"{day}/{region}/{SERVICE}/aws4_request", secret
    )
    if not hmac.compare_digest(expected, match["signature"]):
        raise InvalidSignatureException(_MISMATCH)
    return key_id


def sign(
    request: SignedRequest, credentials: Credentials, region: str, now: datetime, service: str = SERVICE
) -> dict[str, str]:
    """Headers that sign ``request`` (for tests, the benchmark's clients and ``ecs-operator import``):
    x-amz-date, Authorization. ``service`` is the signing name of the API called (``ecs`` unless
    told: ``application-autoscaling``, ``events``); ``verify`` accepts only ``ecs``."""
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    headers = {k.lower(): v for k, v in request.headers.items()}
    headers["x-amz-date"] = stamp
    signed = sorted(headers)
    payload_hash = hashlib.sha256(request.body).hexdigest()
    scope = f"{stamp[:8]}/{region}/{service}/aws4_request"
    signature = _signature(request, headers, signed, payload_hash, stamp, scope, credentials.secret_access_key)
    authorization = (
        f"{ALGORITHM} Credential={credentials.access_key_id}/{scope}, "
        f"SignedHeaders={';'.join(signed)}, Signature={signature}"
    )
    return {"X-Amz-Date": stamp, "Authorization": authorization}


def _signature(
    request: SignedRequest,
    headers: Mapping[str, str],
    signed: list[str],
    payload_hash: str,
    stamp: str,
    scope: str,
    secret: str,
) -> str:
    canonical_headers = "".join(f"{name}:{_trim(headers[name])}\n" for name in signed)
    canonical = "\n".join(
        [
            request.method.upper(),
            _canonical_path(request.path),
            _canonical_query(request.query),
            canonical_headers,
            ";".join(signed),
            payload_hash,
        ]
    )
    to_sign = "\n".join([ALGORITHM, stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    day, region, service, terminator = scope.split("/")
    key = _hmac(f"AWS4{secret}".encode(), day)
    for part in (region, service, terminator):
        key = _hmac(key, part)
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def _trim(value: str) -> str:
    return " ".join(value.strip().split())


def _canonical_path(path: str) -> str:
    return quote(path or "/", safe="/-_.~")


def _canonical_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    return "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(pairs))


def _parse_stamp(stamp: str) -> datetime:
    try:
        return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError as exc:
        raise InvalidSignatureException(f"X-Amz-Date {stamp!r} is not an ISO-8601 basic timestamp.") from exc
