"""Service Connect: named endpoints other services reach by a short DNS name.

Rendered as Kubernetes Services named by ``discoveryName`` / ``clientAliases[].dnsName`` that
point at the task definition's named port mappings (``portName``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool

from .base import ECSModel
from .common import LogConfiguration
from .scalars import IntOrString, PortNumber

__all__ = [
    "ServiceConnectAccessLogConfiguration",
    "ServiceConnectClientAlias",
    "ServiceConnectConfiguration",
    "ServiceConnectContainerConfiguration",
    "ServiceConnectService",
    "ServiceConnectTestTrafficHeaderMatchRules",
    "ServiceConnectTestTrafficHeaderRules",
    "ServiceConnectTestTrafficRules",
    "ServiceConnectTlsCertificateAuthority",
    "ServiceConnectTlsConfiguration",
    "TimeoutConfiguration",
]

Duration = Annotated[int, IntOrString(ge=0, le=2147483647, unit="seconds")]


class ServiceConnectTestTrafficHeaderMatchRules(ECSModel):
    """Match a header value exactly."""

    exact: str


class ServiceConnectTestTrafficHeaderRules(ECSModel):
    """Route test traffic by a request header."""

    name: str = Field(min_length=1)
    value: ServiceConnectTestTrafficHeaderMatchRules | None = None


class ServiceConnectTestTrafficRules(ECSModel):
    """Which requests count as test traffic during a blue/green deployment."""

    header: ServiceConnectTestTrafficHeaderRules


class ServiceConnectClientAlias(ECSModel):
    """The port (and DNS name) clients use."""

    port: PortNumber
    dns_name: str | None = Field(default=None, max_length=253)
    test_traffic_rules: ServiceConnectTestTrafficRules | None = None


class TimeoutConfiguration(ECSModel):
    """Idle and per-request timeouts of the proxy."""

    idle_timeout_seconds: Duration | None = None
    per_request_timeout_seconds: Duration | None = None


class ServiceConnectTlsCertificateAuthority(ECSModel):
    """The private CA that issues Service Connect certificates."""

    aws_pca_authority_arn: str | None = None


class ServiceConnectTlsConfiguration(ECSModel):
    """TLS between Service Connect proxies (reported)."""

    issuer_certificate_authority: ServiceConnectTlsCertificateAuthority
    kms_key: str | None = None
    role_arn: str | None = None


class ServiceConnectService(ECSModel):
    """One endpoint: a named port mapping published under a discovery name."""

    port_name: str = Field(min_length=1, max_length=64)
    discovery_name: str | None = Field(default=None, max_length=64)
    client_aliases: list[ServiceConnectClientAlias] | None = Field(default=None, max_length=10)
    ingress_port_override: PortNumber | None = None
    timeout: TimeoutConfiguration | None = None
    tls: ServiceConnectTlsConfiguration | None = None


class ServiceConnectAccessLogConfiguration(ECSModel):
    """Proxy access logs (reported)."""

    format: Literal["TEXT", "JSON"]
    include_query_parameters: Literal["DISABLED", "ENABLED"] | None = None


class ServiceConnectContainerConfiguration(ECSModel):
    """Log level of the Service Connect proxy container."""

    log_level: Literal["debug", "info"] | None = None


class ServiceConnectConfiguration(ECSModel):
    """Service Connect for one service."""

    enabled: StrictBool
    namespace: str | None = None
    services: list[ServiceConnectService] | None = Field(default=None, max_length=20)
    log_configuration: LogConfiguration | None = None
    access_log_configuration: ServiceConnectAccessLogConfiguration | None = None
    container_configurations: list[ServiceConnectContainerConfiguration] | None = None
