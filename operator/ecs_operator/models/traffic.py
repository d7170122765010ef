"""Operator extensions of ECSService for traffic: an ALB Ingress and the discovery Service's name.

ECS attaches a service to load balancers and Cloud Map through other AWS services (ELB, Cloud
Map) that already exist. On Kubernetes the operator creates their stand-ins, and two things
have no ECS field:

* ``ingress``: put an Application Load Balancer in front of one ``loadBalancers`` entry, as an
  Ingress of class ``alb`` for the AWS Load Balancer Controller (target type ``ip``).
* ``serviceDiscoveryName``: the name of the headless Service standing in for the Cloud Map
  service of ``serviceRegistries`` (a registry ARN carries an id, not a name).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from .base import ECSModel
from .errors import Issue
from .scalars import ContainerName, PortNumber, TextPattern

if TYPE_CHECKING:
    from .service import ECSServiceSpec

__all__ = ["DnsLabel", "ServiceIngress", "traffic_problems"]

DnsLabel = Annotated[
    str,
    TextPattern(
        r"^[a-z]([-a-z0-9]*[a-z0-9])?$",
        "must be a DNS label: lowercase letters, digits and '-', starting with a letter",
        63,
    ),
]


class ServiceIngress(ECSModel):
    """An ALB Ingress routing ``host`` + ``path`` to one load-balanced container port."""

    ecs_shape = ""
    ingress_class_name: str | None = Field(default=None, min_length=1, max_length=253)
    host: str | None = Field(default=None, min_length=1, max_length=253)
    path: str | None = Field(default=None, pattern=r"^/", max_length=1024)
    path_type: Literal["Prefix", "Exact", "ImplementationSpecific"] | None = None
    scheme: Literal["internet-facing", "internal"] | None = None
    container_name: ContainerName | None = None
    container_port: PortNumber | None = None
    annotations: dict[str, str] | None = None


def traffic_problems(spec: ECSServiceSpec) -> Iterator[Issue]:
    """Rules spanning ``ingress`` / ``serviceDiscoveryName`` and the ECS members they refer to."""
    ingress = spec.ingress
    balancers = spec.load_balancers or []
    if ingress is not None:
        if not balancers:
            # ingress and serviceDiscoveryName are this operator's extensions, so these rules are ours:
            # each points at the ECS member (loadBalancers, serviceRegistries) it builds on.
            yield Issue("ingress", "needs a loadBalancers entry to route to")
        elif (ingress.container_name is not None or ingress.container_port is not None) and not any(
            (ingress.container_name in (None, lb.container_name))
            and (ingress.container_port in (None, lb.container_port))
            for lb in balancers
        ):
            yield Issue("ingress", "containerName / containerPort must match one of loadBalancers")
    if spec.service_discovery_name is not None and not spec.service_registries:
        yield Issue("serviceDiscoveryName", "names the Service of serviceRegistries, which is not given")
