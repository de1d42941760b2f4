"""pods/proxy, services/proxy and nodes/proxy through the real kube-apiserver.

The API server refuses loopback targets for proxying, so the target here is an HTTP server
of the test bound to this machine's non-loopback address (the pod's ``status.podIP``, and
the service's EndpointSlice). The test kubelet itself listens on loopback only (it runs any
command it is asked to), so nodes/proxy shows the server's refusal of that address.
"""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from _support import unique
from kubetyped import AsyncClient, Client
from kubetyped.errors import BadRequest, Forbidden, InvalidRequest, NotFound, ServiceUnavailable
from kubetyped.proxy_subresource import proxy, proxy_async, proxy_path
from kubetyped.testing import ApiServer, TestKubelet

pytestmark = pytest.mark.e2e


def _global_address() -> str | None:
    # Which source address would reach a non-local network (no packet is sent).
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))
        except OSError:
            return None
        address: str = s.getsockname()[0]
    return None if address.startswith("127.") or address == "0.0.0.0" else address


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self._answer(b"")

    def do_POST(self) -> None:
        self._answer(self.rfile.read(int(self.headers.get("Content-Length", "0"))))

    def _answer(self, body: bytes) -> None:
        code = 404 if self.path.startswith("/missing") else 200
        text = f"{self.command} {self.path} {self.headers.get('X-Test', '')}".encode() + body
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def target() -> Iterator[tuple[str, int]]:
    address = _global_address()
    if address is None:
        pytest.skip(
            "this machine has no non-loopback IPv4 address; the API server refuses to proxy to loopback"
        )
    server = http.server.ThreadingHTTPServer((address, 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield address, server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def proxied(
    apiserver: ApiServer, test_kubelet: TestKubelet, target: tuple[str, int]
) -> Iterator[str]:
    """A namespace with pod ``web`` (podIP: the target's address) and service ``web``."""
    address, port = target
    namespace = unique("proxy")
    with Client(kubeconfig=apiserver.kubeconfig_path) as client:
        client.request("POST", "/api/v1/namespaces", json={"metadata": {"name": namespace}})
        client.request(
            "POST",
            f"/api/v1/namespaces/{namespace}/services",
            json={
                "metadata": {"name": "web"},
                "spec": {"ports": [{"name": "http", "port": 80, "targetPort": port}]},
            },
        )
    with test_kubelet.pod(namespace, "web", {"main": ["cat"]}, pod_ip=address):
        # services/proxy finds its backends in the (deprecated) Endpoints object, in v1.36
        # still, and only addresses that name a pod with that IP; nothing maintains it here
        # (no controller manager), so the test writes it.
        with Client(kubeconfig=apiserver.kubeconfig_path) as client:
            client.request(
                "POST",
                f"/api/v1/namespaces/{namespace}/endpoints",
                json={
                    "metadata": {"name": "web"},
                    "subsets": [
                        {
                            "addresses": [
                                {
                                    "ip": address,
                                    "targetRef": {
                                        "kind": "Pod",
                                        "name": "web",
                                        "namespace": namespace,
                                    },
                                }
                            ],
                            "ports": [{"name": "http", "port": port}],
                        }
                    ],
                },
            )
        yield namespace


def test_pod_proxy_returns_the_pods_answer(
    kubeconfig: Path, proxied: str, target: tuple[str, int]
) -> None:
    _, port = target
    with Client(kubeconfig=kubeconfig) as client:
        r = proxy(
            client,
            "pods",
            "web",
            "/hello",
            namespace=proxied,
            port=port,
            params={"x": "1"},
            headers={"X-Test": "t"},
        )
        assert (r.status_code, r.text) == (200, "GET /hello?x=1 t")
        # The target's own error is an answer, not an exception.
        missing = proxy(client, "pods", "web", "/missing", namespace=proxied, port=port)
        assert (missing.status_code, missing.text) == (404, "GET /missing ")
        posted = proxy(
            client,
            "pods",
            "web",
            "/echo",
            namespace=proxied,
            port=port,
            method="POST",
            content=b"body",
        )
        assert posted.text == "POST /echo body"


def test_service_proxy_by_port_name(kubeconfig: Path, proxied: str) -> None:
    with Client(kubeconfig=kubeconfig) as client:
        r = proxy(client, "services", "web", "/through-service", namespace=proxied, port="http")
    assert (r.status_code, r.text) == (200, "GET /through-service ")


async def test_async_proxy(kubeconfig: Path, proxied: str, target: tuple[str, int]) -> None:
    async with AsyncClient(kubeconfig=kubeconfig) as client:
        r = await proxy_async(client, "pods", "web", "/async", namespace=proxied, port=target[1])
        assert (r.status_code, r.text) == (200, "GET /async ")
        with pytest.raises(NotFound):
            await proxy_async(client, "pods", "nope", "/", namespace=proxied)


def test_api_server_errors_are_typed(kubeconfig: Path, proxied: str) -> None:
    with Client(kubeconfig=kubeconfig) as client:
        with pytest.raises(NotFound, match='pods "nope" not found'):
            proxy(client, "pods", "nope", "/", namespace=proxied)
        # Nothing listens on port 1: the API server says it could not reach the pod.
        with pytest.raises(ServiceUnavailable, match="connection refused"):
            proxy(client, "pods", "web", "/", namespace=proxied, port=1)
        # The node's address is loopback (the test kubelet's): the server refuses it.
        with pytest.raises(BadRequest, match="address not allowed"):
            proxy(client, "nodes", "test-node", "/healthz")
    with Client(kubeconfig=kubeconfig, context="unprivileged") as client:
        with pytest.raises(Forbidden, match='cannot get resource "pods/proxy"'):
            proxy(client, "pods", "web", "/", namespace=proxied)


def test_proxy_paths() -> None:
    assert proxy_path("pods", "web-0", "/healthz", namespace="prod", port=8080) == (
        "/api/v1/namespaces/prod/pods/web-0:8080/proxy/healthz"
    )
    assert proxy_path("services", "web", "a b/c", namespace="p", port="http", scheme="https") == (
        "/api/v1/namespaces/p/services/https:web:http/proxy/a%20b/c"
    )
    assert proxy_path("nodes", "node-1", "metrics") == "/api/v1/nodes/node-1/proxy/metrics"
    assert proxy_path("pods", "web", namespace="p") == "/api/v1/namespaces/p/pods/web/proxy/"
    for bad in (
        lambda: proxy_path("nodes", "n", namespace="p"),
        lambda: proxy_path("pods", "web"),
        lambda: proxy_path("pods", "../x", namespace="p"),
        lambda: proxy_path("pods", "web", "/x?y=1", namespace="p"),
        lambda: proxy_path("secrets", "s", namespace="p"),  # type: ignore[arg-type]
    ):
        with pytest.raises(InvalidRequest):
            bad()


async def test_through_the_generated_clients(
    kubeconfig: Path, proxied: str, target: tuple[str, int]
) -> None:
    from kubetyped.k8s.core.v1 import AsyncPods, Nodes, Pods, Services

    with Client(kubeconfig=kubeconfig) as client:
        r = Pods(client).proxy("web", "/generated", namespace=proxied, port=target[1])
        assert (r.status_code, r.text) == (200, "GET /generated ")
        s = Services(client).proxy("web", "/svc", namespace=proxied, port="http", method="POST")
        assert (s.status_code, s.text) == (200, "POST /svc ")
        with pytest.raises(BadRequest, match="address not allowed"):
            Nodes(client).proxy("test-node", "/healthz")
    async with AsyncClient(kubeconfig=kubeconfig) as aclient:
        a = await AsyncPods(aclient).proxy("web", "a", namespace=proxied, port=target[1])
        assert a.text == "GET /a "
