"""kubetyped: a typed Kubernetes client.

``Client``/``AsyncClient`` talk to a cluster the way kubectl does; the generated bindings
(``kubetyped.k8s``) give typed models and per-resource clients. Names are loaded on first
use, so importing a generated module never pays for the HTTP stack.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._base_errors import ConfigError, KubetypedError
    from .client import AsyncClient, Client
    from .config import ClusterConfig, load_config
    from .errors import (
        AlreadyExists,
        ApiError,
        BadRequest,
        Conflict,
        DecodeError,
        Forbidden,
        Gone,
        Invalid,
        InvalidRequest,
        MethodNotAllowed,
        NotFound,
        ResponseTooLarge,
        ServerError,
        ServerTimeout,
        ServiceUnavailable,
        TooManyRequests,
        TransportError,
        Unauthorized,
    )
    from .informer import AsyncInformer, Informer
    from .request import ApiRequest, OrStatus, PatchType
    from .resource import AsyncResourceClient, ResourceClient, ResourceInfo
    from .retry import RetryPolicy
    from .status import Status
    from .watch import WatchEvent

_WHERE = {
    "Client": "client",
    "AsyncClient": "client",
    "ClusterConfig": "config",
    "Informer": "informer",
    "AsyncInformer": "informer",
    "load_config": "config",
    "KubetypedError": "_base_errors",
    "ConfigError": "_base_errors",
    "ApiRequest": "request",
    "OrStatus": "request",
    "PatchType": "request",
    "ResourceClient": "resource",
    "AsyncResourceClient": "resource",
    "ResourceInfo": "resource",
    "RetryPolicy": "retry",
    "Status": "status",
    "WatchEvent": "watch",
    **{
        name: "errors"
        for name in (
            "AlreadyExists",
            "ApiError",
            "BadRequest",
            "Conflict",
            "DecodeError",
            "Forbidden",
            "Gone",
            "Invalid",
            "InvalidRequest",
            "MethodNotAllowed",
            "NotFound",
            "ResponseTooLarge",
            "ServerError",
            "ServerTimeout",
            "ServiceUnavailable",
            "TooManyRequests",
            "TransportError",
            "Unauthorized",
        )
    },
}

__all__ = [
    "AlreadyExists",
    "ApiError",
    "ApiRequest",
    "AsyncClient",
    "AsyncInformer",
    "AsyncResourceClient",
    "BadRequest",
    "Client",
    "ClusterConfig",
    "ConfigError",
    "Conflict",
    "DecodeError",
    "Forbidden",
    "Gone",
    "Informer",
    "Invalid",
    "InvalidRequest",
    "KubetypedError",
    "MethodNotAllowed",
    "NotFound",
    "OrStatus",
    "PatchType",
    "ResourceClient",
    "ResourceInfo",
    "ResponseTooLarge",
    "RetryPolicy",
    "ServerError",
    "ServerTimeout",
    "ServiceUnavailable",
    "Status",
    "TooManyRequests",
    "TransportError",
    "Unauthorized",
    "WatchEvent",
    "load_config",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'kubetyped' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
