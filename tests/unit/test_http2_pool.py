"""The async pool under many streams: HTTP/2 connections take as many requests as the server
allows streams, the rest open new connections or wait visibly; the HTTP/2 switch; a full
pool fails naming the limit. (Against the real server: tests/e2e/test_many_watches.py.)"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import httpcore
import httpx
import pytest
from httpcore._async.connection_pool import AsyncPoolRequest
from kubetyped.client import AsyncClient, Client
from kubetyped.config import ClusterConfig
from kubetyped.errors import TransportError
from kubetyped.request import ApiRequest
from kubetyped.transport import _stream_aware, async_transport, http2_disabled, interrupt

ORIGIN = httpcore.URL("https://cluster.example:6443/api").origin


class FakeConnection:
    """What the pool asks of a connection; ``streams`` None is HTTP/1.1, a number HTTP/2 with
    that SETTINGS_MAX_CONCURRENT_STREAMS, ``connecting`` before the handshake."""

    def __init__(self, streams: int | None, *, connecting: bool = False) -> None:
        self.connecting = connecting
        self.streams = streams
        self.busy = False  # HTTP/1.1: a request in flight

    @property
    def _connection(self) -> Any:
        if self.connecting:
            return None
        if self.streams is None:
            return SimpleNamespace()  # HTTP/1.1: no h2 state
        settings = SimpleNamespace(max_concurrent_streams=self.streams)
        local = SimpleNamespace(max_concurrent_streams=100)  # httpcore's own cap
        return SimpleNamespace(
            _h2_state=SimpleNamespace(remote_settings=settings, local_settings=local)
        )

    def can_handle_request(self, origin: httpcore.Origin) -> bool:
        return origin == ORIGIN

    def is_available(self) -> bool:
        return self.streams is not None or self.connecting or not self.busy

    def is_idle(self) -> bool:
        return False

    def is_closed(self) -> bool:
        return False

    def has_expired(self) -> bool:
        return False


def pool_with(make: Any, max_connections: int) -> Any:
    pool = _stream_aware(httpcore.AsyncConnectionPool)(max_connections=max_connections)
    pool.create_connection = lambda origin: make()
    return pool


def queue(pool: Any, count: int) -> list[AsyncPoolRequest]:
    requests = [
        AsyncPoolRequest(httpcore.Request("GET", "https://cluster.example:6443/api"))
        for _ in range(count)
    ]
    pool._requests.extend(requests)
    pool._assign_requests_to_connections()
    return requests


def per_connection(pool: Any, requests: list[AsyncPoolRequest]) -> list[int]:
    return [sum(1 for r in requests if r.connection is c) for c in pool._connections]


async def test_an_http2_connection_takes_as_many_requests_as_the_server_allows() -> None:
    pool = pool_with(lambda: FakeConnection(100), max_connections=100)
    requests = queue(pool, 250)
    assert per_connection(pool, requests) == [100, 100, 50]
    assert not any(r.is_queued() for r in requests)


async def test_a_server_allowing_fewer_streams_gets_more_connections() -> None:
    pool = pool_with(lambda: FakeConnection(20), max_connections=100)
    requests = queue(pool, 50)
    assert per_connection(pool, requests) == [20, 20, 10]


async def test_a_connection_still_connecting_is_trusted_with_100_streams_as_in_go() -> None:
    pool = pool_with(lambda: FakeConnection(None, connecting=True), max_connections=100)
    requests = queue(pool, 150)
    assert per_connection(pool, requests) == [100, 50]


async def test_past_max_connections_requests_wait_instead_of_piling_onto_a_connection() -> None:
    pool = pool_with(lambda: FakeConnection(100), max_connections=2)
    requests = queue(pool, 250)
    assert per_connection(pool, requests) == [100, 100]
    assert sum(r.is_queued() for r in requests) == 50  # they wait within the pool timeout
    # A stream ends: one waiting request takes its place, on that connection.
    pool._requests.remove(requests[0])
    pool._assign_requests_to_connections()
    assert sum(r.is_queued() for r in requests[1:]) == 49


async def test_over_http1_each_request_has_a_connection_of_its_own() -> None:
    def make() -> FakeConnection:
        connection = FakeConnection(None)
        connection.busy = True  # taken by the request it was made for
        return connection

    pool = pool_with(make, max_connections=10)
    requests = queue(pool, 15)
    assert per_connection(pool, requests) == [1] * 10
    assert sum(r.is_queued() for r in requests) == 5


def test_http2_is_on_unless_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    config = ClusterConfig(server="https://cluster.example:6443")
    monkeypatch.delenv("DISABLE_HTTP2", raising=False)
    assert AsyncClient(config).http2
    assert AsyncClient(config)._http._transport._pool._http2  # type: ignore[attr-defined]
    assert not AsyncClient(config, http2=False).http2
    assert not AsyncClient(config, http2=False)._http._transport._pool._http2  # type: ignore[attr-defined]
    monkeypatch.setenv("DISABLE_HTTP2", "1")  # client-go's switch: any non-empty value
    assert not AsyncClient(config).http2
    assert AsyncClient(config, http2=True).http2  # the argument wins
    assert http2_disabled({"DISABLE_HTTP2": "true"}) and not http2_disabled({"DISABLE_HTTP2": ""})


def test_proxies_get_the_stream_aware_pool_too() -> None:
    for proxy in ("http://proxy.example:3128", "socks5://proxy.example:1080"):
        transport = async_transport(verify=True, proxy=proxy)
        assert type(transport._pool).__name__.startswith("StreamAware")
        assert transport._pool._http2


def test_interrupt_leaves_a_shared_http2_socket_alone() -> None:
    left, right = socket.socketpair()
    try:
        stream = SimpleNamespace(get_extra_info=lambda name: left if name == "socket" else None)
        shared = httpx.Response(
            200, extensions={"http_version": b"HTTP/2", "network_stream": stream}
        )
        interrupt(shared)
        left.sendall(b"still open")
        assert right.recv(100) == b"still open"
        own = httpx.Response(
            200, extensions={"http_version": b"HTTP/1.1", "network_stream": stream}
        )
        interrupt(own)
        assert right.recv(100) == b""  # shut down: a blocked reader wakes
    finally:
        left.close()
        right.close()


# --- a full pool over HTTP/1.1: visible and bounded -----------------------------------------


@pytest.fixture
def holding_server() -> Iterator[str]:
    """Answers every request with the head of an endless chunked stream, then holds it."""
    sock = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        sock.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            conn.recv(65536)
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            )
            held.append(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    stop.set()
    thread.join(5)
    sock.close()
    for conn in held:
        conn.close()


def watch_request() -> ApiRequest[bytes]:
    return ApiRequest("GET", "/api/v1/configmaps", bytes, params=(("watch", "true"),))


async def test_a_full_async_pool_fails_naming_max_connections(holding_server: str) -> None:
    async with AsyncClient(
        ClusterConfig(server=holding_server), max_connections=2, timeout=0.5
    ) as client:
        streams = [client.stream_lines(watch_request()) for _ in range(2)]
        tasks = [asyncio.ensure_future(anext(s, None)) for s in streams]
        await asyncio.sleep(0.3)  # both streams open, each holding a connection
        with pytest.raises(
            TransportError, match=r"within 0.5 s: all 2 \(max_connections\) are busy"
        ):
            await asyncio.wait_for(client.request("GET", "/version"), 5)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for stream in streams:
            await stream.aclose()


def test_a_full_sync_pool_fails_naming_max_connections(holding_server: str) -> None:
    with Client(ClusterConfig(server=holding_server), max_connections=1, timeout=0.5) as client:
        lines = client.stream_lines(watch_request())
        opened = threading.Event()

        def read() -> None:
            opened.set()
            try:
                next(lines, None)
            except TransportError:
                pass  # the server closes the stream when the test ends

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        opened.wait(5)
        time.sleep(0.3)
        with pytest.raises(
            TransportError, match=r"within 0.5 s: all 1 \(max_connections\) are busy"
        ):
            client.request("GET", "/version")
