"""Task networking that is more than the pod network: networkMode none, awsvpc security groups.

* ``networkMode: none``: a pod always has an interface, so the task's pods get a NetworkPolicy
  that allows no traffic in or out (enforced where the cluster's network plugin enforces
  NetworkPolicies).
* ``networkConfiguration.awsvpcConfiguration.securityGroups``: on EKS with the VPC resource
  controller, a SecurityGroupPolicy (``vpcresources.k8s.aws/v1beta1``) gives the pods those
  security groups; elsewhere the groups are reported as not applied.
* ``subnets`` and ``assignPublicIp`` are decided by the cluster's pod network: reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..models.common import NetworkConfiguration
from . import names
from .meta import owner_reference, standard_labels
from .warnings import RenderWarning

__all__ = ["SECURITY_GROUP_POLICY_API", "NetworkRender", "OptionalObject", "render_network"]

SECURITY_GROUP_POLICY_API = ("vpcresources.k8s.aws/v1beta1", "securitygrouppolicies")


@dataclass(frozen=True)
class OptionalObject:
    """An object of an add-on API (a CRD): applied when the cluster serves it, else ``missing`` is reported."""

    api_version: str
    plural: str
    object: dict[str, Any]
    missing: RenderWarning


@dataclass
class NetworkRender:
    objects: list[dict[str, Any]] = field(default_factory=list)
    optional: list[OptionalObject] = field(default_factory=list)
    warnings: list[RenderWarning] = field(default_factory=list)


def render_network(
    owner: Mapping[str, Any],
    *,
    selector: Mapping[str, str],
    network_mode: str | None,
    network_configuration: NetworkConfiguration | None,
    labels: Mapping[str, str] | None = None,
) -> NetworkRender:
    """Objects for the pods matching ``selector`` (the owner's tasks), owned by ``owner``."""
    out = NetworkRender()
    name = owner["metadata"]["name"]
    metadata_labels = standard_labels(name, "network", labels)

    def metadata(object_name: str) -> dict[str, Any]:
        return {
            "name": object_name,
            "namespace": owner["metadata"]["namespace"],
            "labels": dict(metadata_labels),
            "ownerReferences": [owner_reference(owner)],
        }

    if network_mode == "none":
        out.objects.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": metadata(names.dns_label(f"{name}-network-none")),
                "spec": {"podSelector": {"matchLabels": dict(selector)}, "policyTypes": ["Ingress", "Egress"]},
            }
        )
    vpc = network_configuration.awsvpc_configuration if network_configuration is not None else None
    if vpc is None:
        return out
    where = "networkConfiguration.awsvpcConfiguration"
    if vpc.subnets:
        out.warnings.append(
            RenderWarning(
                f"{where}.subnets",
                "pods take addresses from the cluster's pod network; subnets are not selected",
                "approximated",
            )
        )
    if vpc.assign_public_ip == "ENABLED":
        out.warnings.append(
            RenderWarning(
                f"{where}.assignPublicIp",
                "pods get no public IP addresses; use a load balancer or an Ingress",
                "unsupported",
            )
        )
    if vpc.security_groups:
        if network_mode not in (None, "awsvpc"):
            out.warnings.append(
                RenderWarning(f"{where}.securityGroups", "security groups apply to awsvpc tasks only", "unsupported")
            )
            return out
        policy = {
            "apiVersion": SECURITY_GROUP_POLICY_API[0],
            "kind": "SecurityGroupPolicy",
            "metadata": metadata(name),
            "spec": {
                "podSelector": {"matchLabels": dict(selector)},
                "securityGroups": {"groupIds": list(vpc.security_groups)},
            },
        }
        missing = RenderWarning(
            f"{where}.securityGroups",
            "security groups for pods need the VPC resource controller (SecurityGroupPolicy API), "
            f"which is not installed; {', '.join(vpc.security_groups)} not applied",
            "unsupported",
        )
        out.optional.append(OptionalObject(*SECURITY_GROUP_POLICY_API, policy, missing))
    return out
