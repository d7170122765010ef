"""ECS's errors, as the wire protocol carries them.

EcsError                               HTTP 400 unless noted; ``__type`` is the class name
├── ClientException                    the caller did something ECS refuses
├── InvalidParameterException          a member has a value ECS refuses
├── ClusterNotFoundException / ServiceNotFoundException / ServiceNotActiveException /
│   ServiceDeploymentNotFoundException / ResourceNotFoundException / ResourceInUseException /
│   ClusterContainsServicesException / ClusterContainsTasksException / LimitExceededException /
│   UnsupportedFeatureException / AccessDeniedException / ConflictException
├── SerializationException             the body is not JSON, or a member has the wrong type
├── UnknownOperationException          X-Amz-Target names no action
├── AuthError                          HTTP 403, raised before any object is touched
│   ├── MissingAuthenticationTokenException
│   ├── UnrecognizedClientException    unknown access key
│   └── InvalidSignatureException      bad signature, wrong scope, stale date
├── RequestEntityTooLargeException     HTTP 413: the body is over the size limit
└── ServerException                    HTTP 500: the cluster is unreachable, or a bug of ours

The AWS JSON 1.1 protocol answers an error with its type in ``__type`` and the text in
``message``; clients map ``__type`` to a modeled exception
(https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html).
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "EcsError",
    "ClientException",
    "InvalidParameterException",
    "ClusterNotFoundException",
    "ServiceNotFoundException",
    "ServiceNotActiveException",
    "ServiceDeploymentNotFoundException",
    "ResourceNotFoundException",
    "ResourceInUseException",
    "ClusterContainsServicesException",
    "ClusterContainsTasksException",
    "LimitExceededException",
    "UnsupportedFeatureException",
    "AccessDeniedException",
    "ConflictException",
    "SerializationException",
    "UnknownOperationException",
    "AuthError",
    "MissingAuthenticationTokenException",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "ServerException",
    "RequestEntityTooLargeException",
]


class EcsError(Exception):
    """An answer of ECS's own: HTTP status, ``__type`` and message."""

    status: ClassVar[int] = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def type_name(self) -> str:
        return type(self).__name__

    def body(self) -> dict[str, Any]:
        return {"__type": self.type_name, "message": self.message}


class ClientException(EcsError):
    pass


class InvalidParameterException(EcsError):
    pass


class ClusterNotFoundException(EcsError):
    def __init__(self, message: str = "Cluster not found.") -> None:
        super().__init__(message)


class ServiceNotFoundException(EcsError):
    def __init__(self, message: str = "Service not found.") -> None:
        super().__init__(message)


class ServiceNotActiveException(EcsError):
    def __init__(self, message: str = "Service was not ACTIVE.") -> None:
        super().__init__(message)


class ServiceDeploymentNotFoundException(EcsError):
    pass


class ResourceNotFoundException(EcsError):
    pass


class ResourceInUseException(EcsError):
    pass


class ClusterContainsServicesException(EcsError):
    pass


class ClusterContainsTasksException(EcsError):
    pass


class LimitExceededException(EcsError):
    pass


class UnsupportedFeatureException(EcsError):
    pass


class AccessDeniedException(EcsError):
    pass


class ConflictException(EcsError):
    pass


class SerializationException(EcsError):
    pass


class UnknownOperationException(EcsError):
    pass


class AuthError(EcsError):
    status = 403


class MissingAuthenticationTokenException(AuthError):
    def __init__(self, message: str = "Missing Authentication Token") -> None:
        super().__init__(message)


class UnrecognizedClientException(AuthError):
    def __init__(self, message: str = "The security token included in the request is invalid.") -> None:
        super().__init__(message)


class InvalidSignatureException(AuthError):
    pass


class ServerException(EcsError):
    status = 500


class RequestEntityTooLargeException(EcsError):
    status = 413
