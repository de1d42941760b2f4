"""The send path's shortcuts keep their guarantees: the quick locks of an HTTP/2 connection
exclude and hand over in order (cancellation included), a write with nothing to send is
skipped but a broken connection still fails, the pool's connections keep httpcore's
behaviour without the property, and the expiry sweep still runs before a request is placed.
(The HTTP/2 behaviour against a real h2 server: test_http2_streams.py.)"""

from __future__ import annotations

import asyncio
from typing import Any

import httpcore
import httpx
import pytest
from httpcore._async.connection_pool import AsyncPoolRequest
from kubetyped.client import Client, _url
from kubetyped.config import ClusterConfig
from kubetyped.request import ApiRequest
from kubetyped.transport import (
    _AsyncHTTP2Connection,
    _QuickLock,
    _QuickSemaphore,
    _stream_aware,
)

ORIGIN = httpcore.URL("https://cluster.example:6443/api").origin


# --- the quick lock and semaphore --------------------------------------------------------


async def test_a_free_lock_is_taken_without_yielding_to_other_tasks() -> None:
    lock = _QuickLock()
    ran: list[str] = []

    async def other_task() -> None:
        ran.append("other")

    other = asyncio.ensure_future(other_task())
    async with lock:
        ran.append("locked")
    await other
    # anyio's lock would have let the other task run first; this one does not yield.
    assert ran == ["locked", "other"]
    assert not lock._locked


async def test_the_lock_excludes_and_hands_over_in_arrival_order() -> None:
    lock = _QuickLock()
    inside = 0
    order: list[int] = []

    async def worker(number: int) -> None:
        nonlocal inside
        async with lock:
            inside += 1
            assert inside == 1
            order.append(number)
            await asyncio.sleep(0)
            inside -= 1

    await asyncio.gather(*(worker(n) for n in range(20)))
    assert order == list(range(20))
    assert not lock._locked and not lock._waiters


async def test_a_waiter_cancelled_before_its_turn_leaves_the_queue() -> None:
    lock = _QuickLock()
    await lock.__aenter__()
    waiter = asyncio.ensure_future(lock.__aenter__())
    await asyncio.sleep(0)
    assert len(lock._waiters) == 1
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert not lock._waiters
    await lock.__aexit__(None, None, None)
    assert not lock._locked
    async with lock:  # free again
        pass


async def test_a_waiter_cancelled_as_the_lock_is_handed_to_it_passes_it_on() -> None:
    lock = _QuickLock()
    await lock.__aenter__()
    first = asyncio.ensure_future(lock.__aenter__())
    second = asyncio.ensure_future(lock.__aenter__())
    await asyncio.sleep(0)
    await lock.__aexit__(None, None, None)  # handed to ``first``...
    first.cancel()  # ...which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await first
    await second  # so ``second`` has it
    assert lock._locked and not lock._waiters
    await lock.__aexit__(None, None, None)
    assert not lock._locked


async def test_the_semaphore_counts_waits_and_hands_over() -> None:
    semaphore = _QuickSemaphore(2)
    await semaphore.acquire()
    await semaphore.acquire()
    third = asyncio.ensure_future(semaphore.acquire())
    await asyncio.sleep(0)
    assert not third.done()
    await semaphore.release()
    await third
    assert semaphore._value == 0
    await semaphore.release()
    await semaphore.release()
    assert semaphore._value == 2
    with pytest.raises(ValueError, match="released more often"):
        await semaphore.release()


async def test_a_semaphore_waiter_cancelled_after_the_hand_over_gives_the_unit_back() -> None:
    semaphore = _QuickSemaphore(1)
    await semaphore.acquire()
    waiter = asyncio.ensure_future(semaphore.acquire())
    await asyncio.sleep(0)
    await semaphore.release()
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert semaphore._value == 1 and not semaphore._waiters


# --- the connections ---------------------------------------------------------------------


class _Stream(httpcore.AsyncNetworkStream):
    def __init__(self) -> None:
        self.written: list[bytes] = []

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.written.append(buffer)

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        raise AssertionError("not read in these tests")

    async def aclose(self) -> None:
        pass


def _made_connection() -> Any:
    pool = _stream_aware(httpcore.AsyncConnectionPool)(http2=True)
    return pool.create_connection(ORIGIN)


def test_the_http2_connection_made_after_the_handshake_is_ours_with_quick_locks() -> None:
    connection = _made_connection()
    assert type(connection._request_lock) is _QuickLock
    assert connection._connection is None
    inner = httpcore.AsyncHTTP2Connection(origin=ORIGIN, stream=_Stream())
    connection._connection = inner  # what httpcore does once ALPN chose h2
    assert type(inner) is _AsyncHTTP2Connection
    assert connection._connection is inner
    assert connection.__dict__["_connection"] is inner  # a plain attribute: no getter
    for name in ("_init_lock", "_state_lock", "_read_lock", "_write_lock"):
        assert type(getattr(inner, name)) is _QuickLock
    # The stream semaphore, made on the first request, is a quick one too.
    inner._max_streams_semaphore = httpcore._synchronization.AsyncSemaphore(100)
    assert type(inner._max_streams_semaphore) is _QuickSemaphore


def test_an_http11_connection_is_left_as_httpcore_made_it_but_for_its_lock() -> None:
    connection = _made_connection()
    inner = httpcore.AsyncHTTP11Connection(origin=ORIGIN, stream=_Stream())
    connection._connection = inner
    assert type(inner) is httpcore.AsyncHTTP11Connection
    assert type(inner._state_lock) is _QuickLock
    assert "HTTP/1.1" in connection.info() and not connection.is_closed()


async def test_a_write_with_nothing_to_send_is_skipped_and_one_with_frames_is_sent() -> None:
    stream = _Stream()
    connection = httpcore.AsyncHTTP2Connection(origin=ORIGIN, stream=stream)
    connection.__class__ = _AsyncHTTP2Connection
    request = httpcore.Request("GET", "https://cluster.example:6443/api")
    await connection._write_outgoing_data(request)
    assert stream.written == []
    connection._h2_state.initiate_connection()
    await connection._write_outgoing_data(request)
    assert len(stream.written) == 1 and stream.written[0].startswith(b"PRI * HTTP/2.0")
    await connection._write_outgoing_data(request)
    assert len(stream.written) == 1


async def test_a_write_on_a_broken_connection_fails_even_with_nothing_to_send() -> None:
    connection = httpcore.AsyncHTTP2Connection(origin=ORIGIN, stream=_Stream())
    connection.__class__ = _AsyncHTTP2Connection
    connection._write_exception = httpcore.WriteError("broken")
    with pytest.raises(httpcore.WriteError, match="broken"):
        await connection._write_outgoing_data(httpcore.Request("GET", "https://x.example/"))


# --- the pool's sweep ----------------------------------------------------------------------


class _Connection:
    def __init__(self, *, closed: bool = False, expired: bool = False) -> None:
        self.closed = closed
        self.expired = expired
        self.expiry_checks = 0
        self._connection = None

    def is_closed(self) -> bool:
        return self.closed

    def has_expired(self) -> bool:
        self.expiry_checks += 1
        return self.expired

    def is_available(self) -> bool:
        return not self.closed

    def is_idle(self) -> bool:
        return True

    def can_handle_request(self, origin: httpcore.Origin) -> bool:
        return origin == ORIGIN


async def test_the_expiry_sweep_waits_for_a_request_and_then_runs() -> None:
    pool = _stream_aware(httpcore.AsyncConnectionPool)(max_connections=10)
    closed, expired, fresh = _Connection(closed=True), _Connection(expired=True), _Connection()
    pool._connections.extend([closed, expired, fresh])
    # A response closed, nobody waits: closed connections go, nothing else is looked at.
    assert pool._assign_requests_to_connections() == []
    assert pool._connections == [expired, fresh]
    assert expired.expiry_checks == fresh.expiry_checks == 0
    # A request arrives: the expired connection is closed before any is chosen.
    request = AsyncPoolRequest(httpcore.Request("GET", "https://cluster.example:6443/api"))
    pool._requests.append(request)
    assert pool._assign_requests_to_connections() == [expired]
    assert request.connection is fresh


# --- the client: URLs kept parsed, no cookie jar -------------------------------------------


def _client(handler: Any) -> Client:
    config = ClusterConfig(server="https://cluster.example:6443/prefix", namespace="team-a")
    return Client(config, transport=httpx.MockTransport(handler))


def test_each_call_goes_to_its_own_url_through_the_parse_cache() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, text="ok")

    with _client(handler) as client:
        for name in ("a", "b", "a"):
            client.send(ApiRequest("GET", f"/api/v1/x/{name}", str, params=(("w", name),)))
        long_selector = "k in (" + ",".join(f"v{i}" for i in range(800)) + ")"
        client.send(ApiRequest("GET", "/api/v1/x", str, params=(("labelSelector", long_selector),)))
    base = "https://cluster.example:6443/prefix/api/v1/x"
    assert seen[:3] == [f"{base}/a?w=a", f"{base}/b?w=b", f"{base}/a?w=a"]
    assert seen[3].startswith(f"{base}?labelSelector=k+in+") and len(seen[3]) > 2048
    assert _url(seen[0]) is _url(seen[0])  # kept
    assert _url(seen[3]) is not _url(seen[3])  # too long to keep


def test_cookies_are_neither_kept_nor_sent_as_in_client_go() -> None:
    cookies: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        cookies.append(request.headers.get("Cookie"))
        return httpx.Response(200, text="ok", headers={"Set-Cookie": "session=abc; Path=/"})

    with _client(handler) as client:
        client.send(ApiRequest("GET", "/version", str))
        client.send(ApiRequest("GET", "/version", str))
        # A Cookie header the caller sets is still sent as given.
        client.request("GET", "/version", headers={"Cookie": "mine=1"})
    assert cookies == [None, None, "mine=1"]
