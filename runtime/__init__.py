"""kubetyped: a typed Kubernetes client.

``Client``/``AsyncClient`` talk to a cluster the way kubectl does; the generated bindings
(``kubetyped.k8s``) give typed models and per-resource clients. Names are loaded on first
use, so importing a generated module never pays for the HTTP stack.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .client import AsyncClient as AsyncClient
    from .client import Client as Client
    from .cluster import ClusterConfig as ClusterConfig
    from .config import load_config as load_config
    from .errors import *  # noqa: F403  # every exception: errors.__all__ is the one list
    from .exec import ExecError as ExecError
    from .exec import ExecResult as ExecResult
    from .exec import NonZeroExit as NonZeroExit
    from .informer import AsyncInformer as AsyncInformer
    from .informer import Informer as Informer
    from .paths import ResourceInfo as ResourceInfo
    from .portforward import ForwardError as ForwardError
    from .request import ApiRequest as ApiRequest
    from .request import OrStatus as OrStatus
    from .request import PatchType as PatchType
    from .resource import AsyncResourceClient as AsyncResourceClient
    from .resource import ResourceClient as ResourceClient
    from .retry import RetryPolicy as RetryPolicy
    from .status import Status as Status
    from .watch import WatchEvent as WatchEvent
    from .websocket import WebSocketError as WebSocketError

# Where each public name lives (tests/unit/test_exports.py checks the list above against it).
# The exceptions are not listed here: every name in ``kubetyped.errors.__all__`` is public.
_WHERE = {
    "Client": "client",
    "AsyncClient": "client",
    "ClusterConfig": "cluster",
    "load_config": "config",
    "Informer": "informer",
    "AsyncInformer": "informer",
    "ApiRequest": "request",
    "OrStatus": "request",
    "PatchType": "request",
    "ResourceClient": "resource",
    "AsyncResourceClient": "resource",
    "ResourceInfo": "paths",
    "RetryPolicy": "retry",
    "Status": "status",
    "WatchEvent": "watch",
    "ExecResult": "exec",
    "ExecError": "exec",
    "NonZeroExit": "exec",
    "ForwardError": "portforward",
    "WebSocketError": "websocket",
}


def _errors() -> list[str]:
    names: list[str] = importlib.import_module(".errors", __name__).__all__
    return names


def __getattr__(name: str) -> Any:
    if name == "__all__":
        value: Any = sorted([*_WHERE, *_errors()])
    elif name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    elif not name.startswith("_") and name in _errors():
        value = getattr(importlib.import_module(".errors", __name__), name)
    else:
        raise AttributeError(f"module 'kubetyped' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE) | set(_errors()))
