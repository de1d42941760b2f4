"""The runtime calls behind the generated clients' connect methods, by unique names.

``Pods(client).exec(...)`` is ``pod_exec(client, ...)``, ``AsyncPods(client).exec(...)`` is
``pod_exec_async(client, ...)``, and so on: the generated code imports these names (a method
named ``attach`` calling a function named ``attach`` would read as recursion). Use the
modules themselves in your own code: :mod:`kubetyped.exec`, :mod:`kubetyped.portforward`,
:mod:`kubetyped.proxy_subresource`.
"""

from __future__ import annotations

from .exec import AsyncExecSession, ExecResult, ExecSession
from .exec import attach as pod_attach
from .exec import attach_async as pod_attach_async
from .exec import run as pod_exec
from .exec import run_async as pod_exec_async
from .exec import start as pod_exec_stream
from .exec import start_async as pod_exec_stream_async
from .portforward import AsyncPortForwarder, PortForwarder
from .portforward import Protocol as PortForwardProtocol
from .proxy_subresource import proxy as proxy_request
from .proxy_subresource import proxy_async as proxy_request_async

__all__ = [
    "AsyncExecSession",
    "AsyncPortForwarder",
    "ExecResult",
    "ExecSession",
    "PortForwardProtocol",
    "PortForwarder",
    "pod_attach",
    "pod_attach_async",
    "pod_exec",
    "pod_exec_async",
    "pod_exec_stream",
    "pod_exec_stream_async",
    "proxy_request",
    "proxy_request_async",
]
