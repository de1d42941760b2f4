"""port-forward through the real kube-apiserver to the test kubelet, sync and async, over
both protocols: SPDY/3.1 tunnelled in WebSocket and the plain WebSocket protocol.

The test kubelet's pods' ports are this machine's: an HTTP server the test starts on a local
port is "the pod's" port, reached only through the forward.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import http.server
import logging
import os
import socket
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from _support import unique
from kubetyped import AsyncClient, Client
from kubetyped.errors import Forbidden, NotFound
from kubetyped.portforward import (
    AsyncPortForwarder,
    ForwardError,
    PortForwarder,
    Protocol,
    forward,
    forward_async,
)
from kubetyped.testing import ApiServer, TestKubelet

pytestmark = pytest.mark.e2e

POD = "web"
CONNECTIONS = 20
PROTOCOLS = ["spdy", "websocket"]


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = f"hello {self.path}".encode() * (1 + ("big" in self.path) * 20000)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def http_port() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def count_port() -> Iterator[int]:
    """A server that reads to the end of its input, then answers with the byte count."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve(conn: socket.socket) -> None:
        with conn:
            total = 0
            while chunk := conn.recv(65536):
                total += len(chunk)
            conn.sendall(b"%d" % total)

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield listener.getsockname()[1]
    listener.close()


@pytest.fixture(scope="module")
def pod_namespace(apiserver: ApiServer, test_kubelet: TestKubelet) -> Iterator[str]:
    namespace = unique("portforward")
    with Client(kubeconfig=apiserver.kubeconfig_path) as client:
        client.request("POST", "/api/v1/namespaces", json={"metadata": {"name": namespace}})
    with test_kubelet.pod(namespace, POD, {"main": ["cat"]}):
        yield namespace


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(port: int, path: str) -> bytes:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60) as response:
        body: bytes = response.read()
        return body


def test_forward_reaches_the_pods_port(
    kubeconfig: Path, pod_namespace: str, http_port: int
) -> None:
    with Client(kubeconfig=kubeconfig) as client:
        with forward(client, POD, http_port, namespace=pod_namespace) as local:
            assert local != http_port
            assert get(local, "/one") == b"hello /one"
            big = get(local, "/big")
            assert big == b"hello /big" * 20001


@pytest.mark.parametrize("protocol", [*PROTOCOLS, "auto"])
def test_twenty_concurrent_connections(
    kubeconfig: Path, pod_namespace: str, http_port: int, protocol: Protocol
) -> None:
    with Client(kubeconfig=kubeconfig) as client:
        with PortForwarder(
            client, POD, [http_port], namespace=pod_namespace, protocol=protocol
        ) as forwarder:
            with concurrent.futures.ThreadPoolExecutor(CONNECTIONS) as pool:
                bodies = list(
                    pool.map(lambda i: get(forwarder.local_port, f"/c{i}"), range(CONNECTIONS))
                )
            assert bodies == [f"hello /c{i}".encode() for i in range(CONNECTIONS)]
            assert forwarder.errors == []
            # auto: the v1.36 server tunnels SPDY, as kubectl 1.31+ uses it
            assert forwarder.protocol == ("spdy" if protocol == "auto" else protocol)


def test_spdy_carries_a_half_close(kubeconfig: Path, pod_namespace: str, count_port: int) -> None:
    with Client(kubeconfig=kubeconfig) as client:
        with forward(client, POD, count_port, namespace=pod_namespace, protocol="spdy") as local:
            with socket.create_connection(("127.0.0.1", local)) as conn:
                conn.settimeout(60)
                conn.sendall(b"x" * 300_000)
                conn.shutdown(socket.SHUT_WR)  # the pod's server sees the end of its input
                answer = b""
                while chunk := conn.recv(100):
                    answer += chunk
    assert answer == b"300000"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_closed_port_is_a_per_connection_error(
    kubeconfig: Path,
    pod_namespace: str,
    http_port: int,
    caplog: pytest.LogCaptureFixture,
    protocol: Protocol,
) -> None:
    dead = closed_port()
    with Client(kubeconfig=kubeconfig) as client:
        with PortForwarder(
            client, POD, [dead, http_port], namespace=pod_namespace, protocol=protocol
        ) as forwarder:
            with socket.create_connection(("127.0.0.1", forwarder.local_ports[dead])) as conn:
                conn.settimeout(60)
                assert conn.recv(100) == b""  # closed by the forwarder after the pod's error
            # The other port, and later connections, still work.
            assert get(forwarder.local_ports[http_port], "/after") == b"hello /after"
            [error] = forwarder.errors
            assert isinstance(error, ForwardError) and error.port == dead
            assert f"dial tcp 127.0.0.1:{dead}: connect: connection refused" in str(error)
            with pytest.raises(ForwardError):
                forwarder.check()
    assert any(
        "connection refused" in r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING
    )


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_upgrade_errors_are_typed_per_connection(
    kubeconfig: Path, pod_namespace: str, http_port: int, protocol: Protocol
) -> None:
    with Client(kubeconfig=kubeconfig) as client:
        with PortForwarder(
            client, "no-such-pod", http_port, namespace=pod_namespace, protocol=protocol
        ) as forwarder:
            with socket.create_connection(("127.0.0.1", forwarder.local_port)) as conn:
                conn.settimeout(60)
                assert conn.recv(100) == b""
            [error] = forwarder.errors
            assert isinstance(error.__cause__, NotFound)
    with Client(kubeconfig=kubeconfig, context="unprivileged") as client:
        with PortForwarder(
            client, POD, http_port, namespace=pod_namespace, protocol=protocol
        ) as forwarder:
            with socket.create_connection(("127.0.0.1", forwarder.local_port)) as conn:
                conn.settimeout(60)
                assert conn.recv(100) == b""
            assert isinstance(forwarder.errors[0].__cause__, Forbidden)


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_async_forward(
    kubeconfig: Path, pod_namespace: str, http_port: int, count_port: int, protocol: Protocol
) -> None:
    async with AsyncClient(kubeconfig=kubeconfig) as client:
        async with forward_async(
            client, POD, http_port, namespace=pod_namespace, protocol=protocol
        ) as local:
            bodies = await asyncio.gather(
                *(asyncio.to_thread(get, local, f"/a{i}") for i in range(CONNECTIONS))
            )
            assert bodies == [f"hello /a{i}".encode() for i in range(CONNECTIONS)]
        dead = closed_port()
        async with AsyncPortForwarder(
            client, POD, [dead, count_port], namespace=pod_namespace, protocol=protocol
        ) as forwarder:
            reader, writer = await asyncio.open_connection("127.0.0.1", forwarder.local_ports[dead])
            assert await reader.read(100) == b""
            writer.close()
            assert "connection refused" in str(forwarder.errors[0])
            assert forwarder.protocol == protocol
            if protocol == "spdy":  # the half-close reaches the pod
                reader, writer = await asyncio.open_connection(
                    "127.0.0.1", forwarder.local_ports[count_port]
                )
                writer.write(b"y" * 100_000)
                writer.write_eof()
                assert await reader.read() == b"100000"
                writer.close()


async def test_through_the_generated_pods_client(
    kubeconfig: Path, pod_namespace: str, http_port: int
) -> None:
    from kubetyped.k8s.core.v1 import AsyncPods, Pods

    with Client(kubeconfig=kubeconfig) as client:
        with Pods(client).port_forward(POD, http_port, namespace=pod_namespace) as forwarder:
            assert get(forwarder.local_port, "/pods") == b"hello /pods"
            assert forwarder.protocol == "spdy"
    async with AsyncClient(kubeconfig=kubeconfig) as aclient:
        forward_ws = AsyncPods(aclient).port_forward(
            POD, [http_port], namespace=pod_namespace, protocol="websocket"
        )
        async with forward_ws as aforwarder:
            body = await asyncio.to_thread(get, aforwarder.local_ports[http_port], "/apods")
            assert body == b"hello /apods"


@pytest.fixture(scope="module")
def blob_port() -> Iterator[tuple[int, bytes]]:
    """A server that sends 8 MB and closes."""
    blob = os.urandom(8 * 2**20)
    listener = socket.create_server(("127.0.0.1", 0))

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.sendall(blob)

    threading.Thread(target=accept, daemon=True).start()
    yield int(listener.getsockname()[1]), blob
    listener.close()


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_eight_megabytes_intact(
    kubeconfig: Path, pod_namespace: str, blob_port: tuple[int, bytes], protocol: Protocol
) -> None:
    port, blob = blob_port
    with Client(kubeconfig=kubeconfig) as client:
        with forward(client, POD, port, namespace=pod_namespace, protocol=protocol) as local:
            with socket.create_connection(("127.0.0.1", local)) as conn:
                conn.settimeout(60)
                received = bytearray()
                while chunk := conn.recv(1 << 16):
                    received += chunk
    assert hashlib.sha256(received).hexdigest() == hashlib.sha256(blob).hexdigest()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_socket_like_connections(
    kubeconfig: Path, pod_namespace: str, count_port: int, protocol: Protocol
) -> None:
    with Client(kubeconfig=kubeconfig) as client:
        with PortForwarder(
            client, POD, count_port, namespace=pod_namespace, protocol=protocol
        ) as f:
            with f.connect() as conn:
                conn.sendall(b"12345")
                conn.shutdown(socket.SHUT_WR)
                answer = b""
                while chunk := conn.recv(100):
                    answer += chunk
            # The WebSocket protocol cannot half-close: the pod never sees the end of input.
            assert answer == (b"5" if protocol == "spdy" else b"")
    async with AsyncClient(kubeconfig=kubeconfig) as aclient:
        async with AsyncPortForwarder(
            aclient, POD, [count_port], namespace=pod_namespace, protocol="spdy"
        ) as af:
            stream = await af.connect(count_port)
            async with stream:
                await stream.send(b"abc")
                await stream.send_eof()
                assert await stream.receive() == b"3"
