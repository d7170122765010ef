"""The ECS API (AWS JSON 1.1) in front of the cluster: the AWS CLI, boto3 and the SDKs deploy to it.

A second adapter beside handlers/ (DESIGN.md): calls become reads of watch caches and writes
of the same custom resources kubectl applies, validated by the same models. It never talks to
kopf; only kube/ talks to the API server.
"""

from __future__ import annotations

from .arns import Arns
from .caches import ApiCaches
from .server import ApiServer, serve

__all__ = ["Arns", "ApiCaches", "ApiServer", "serve"]
