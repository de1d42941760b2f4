"""The connect methods of the generated clients (exec, attach, port-forward, proxy), decided
in the IR from the embedded v1.36 spec and rendered by the client template."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from kubetyped.codegen.ir import ConnectCall, MethodDef, ModuleId, NamedType, ResourceDef
from kubetyped.codegen.load import load_spec
from kubetyped.codegen.parse import parse_spec
from kubetyped.k8s.core.v1 import AsyncNodes, AsyncPods, AsyncServices, Nodes, Pods, Services

GENERATED = Path(__file__).resolve().parents[2] / "generated"


@pytest.fixture(scope="module")
def core() -> dict[str, ResourceDef]:
    spec, source = load_spec(None)
    module = parse_spec(spec, source).modules[ModuleId("core", "v1")]
    return {r.plural: r for r in module.resources}


def connects(resource: ResourceDef) -> dict[str, MethodDef]:
    return {m.name: m for m in resource.methods if m.mode == "connect"}


def test_pods_services_and_nodes_get_their_connect_methods(core: dict[str, ResourceDef]) -> None:
    pods = connects(core["pods"])
    assert set(pods) == {"attach", "exec", "exec_stream", "port_forward", "proxy"}
    assert set(connects(core["services"])) == {"proxy"}
    assert set(connects(core["nodes"])) == {"proxy"}
    assert all(m.connect is not None for m in pods.values())
    exec_ = pods["exec"]
    assert exec_.connect == ConnectCall(
        NamedType("kubetyped.connect", "pod_exec"),
        NamedType("kubetyped.connect", "pod_exec_async"),
    )
    assert [p.name for p in exec_.params if p.positional] == ["name", "command"]
    assert exec_.request.subresource == "exec" and exec_.request.methods == ("GET", "POST")
    forward = pods["port_forward"].connect
    assert forward is not None and not forward.awaited  # a context manager, not a coroutine
    proxy = connects(core["services"])["proxy"].connect
    assert proxy is not None and proxy.fixed == ("services",)
    # nodes are cluster-scoped: no namespace parameter
    assert "namespace" not in {p.name for p in connects(core["nodes"])["proxy"].params}


def test_rendered_signatures_match_the_runtime() -> None:
    from kubetyped import exec as kexec
    from kubetyped import portforward, proxy_subresource

    pairs = [
        (Pods.exec, kexec.run),
        (Pods.exec_stream, kexec.start),
        (Pods.attach, kexec.attach),
        (AsyncPods.exec, kexec.run_async),
        (AsyncPods.exec_stream, kexec.start_async),
        (AsyncPods.attach, kexec.attach_async),
        (Pods.port_forward, portforward.PortForwarder),
        (AsyncPods.port_forward, portforward.AsyncPortForwarder),
        (Pods.proxy, proxy_subresource.proxy),
        (Services.proxy, proxy_subresource.proxy),
        (Nodes.proxy, proxy_subresource.proxy),
        (AsyncServices.proxy, proxy_subresource.proxy_async),
        (AsyncNodes.proxy, proxy_subresource.proxy_async),
    ]
    for method, runtime in pairs:
        ours = set(inspect.signature(method).parameters) - {"self"}
        theirs = set(inspect.signature(runtime).parameters) - {"client", "resource"}
        # Every argument of the method reaches the runtime; the runtime's extras are
        # either set by the method (``resource``) or offered by the module only.
        assert ours <= theirs, (method, ours - theirs)
        assert inspect.iscoroutinefunction(method) == inspect.iscoroutinefunction(runtime)


def test_rendered_code_calls_the_runtime_by_keyword() -> None:
    clients = (GENERATED / "core" / "_v1_clients.py").read_text()
    assert "        return await pod_exec_async(\n            self.client,\n" in clients
    assert (
        '        return proxy_request(\n            self.client,\n            "nodes",\n' in clients
    )
    assert "    def port_forward(\n" in clients and "    async def port_forward(" not in clients
