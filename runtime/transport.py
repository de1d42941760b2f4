"""The network under the clients: httpx transports with the guarantees a cluster client needs.

* **A total deadline per call.** httpx's timeouts bound each socket operation, so a server
  that trickles a byte a second holds a call forever. Inside :func:`deadline`, every connect,
  read and write of the connection gets at most the time left, whatever phase it is in
  (handshake, headers or body). Streams (watch, ``log -f``) run without one.
* **Dead connections noticed.** TCP keepalive on every socket, with Go's defaults (probe
  after 15 s idle, every 15 s, give up after 9), so a watch whose peer vanished without a
  FIN ends with an error instead of hanging, as in client-go.
* **No connection churn under threads.** Every connection the pool may open may also stay
  idle in it (``max_keepalive_connections == max_connections``): httpx's default of 20 idle
  connections for 100 open ones makes a busy pool close and reopen connections constantly,
  and closing a connection another thread is about to reuse is where httpcore breaks
  (``Bad file descriptor``, ``SSL BAD_RECORD_TYPE``; encode/httpcore#1110).
* **Bounded memory.** :class:`BodyLimit` stops a response (after decompression) at
  ``max_bytes``, so a gzip bomb or a runaway answer fails with a clear error.
* **HTTP/2 as in Go, without silent queueing** (the async transport). Many calls and watches
  share one connection, each a stream; a connection carries at most as many streams as the
  server allows at once (its ``SETTINGS_MAX_CONCURRENT_STREAMS``, 100 until it says), and the
  next call opens another connection, as Go's transport does, up to ``max_connections``.
  httpcore on its own puts every call on the first connection and makes the surplus wait,
  unseen and without a bound, for a free stream. A call that finds every connection full
  waits for one within its pool timeout, then fails naming ``max_connections``.
* **Closing one stream closes only that stream.** A response closed before its end (a watch
  closed or cancelled) sends ``RST_STREAM(CANCEL)``, so the server ends that watch at once
  and the connection's flow-control window gets back what was received but not read;
  httpcore alone just forgets the stream, which the server keeps serving and counting.
* **A dead HTTP/2 connection noticed in 45 s** (client-go's ``ReadIdleTimeout`` and
  ``PingTimeout``): silent for 30 s, it is pinged; no answer in 15 s fails its streams.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import anyio
import h2.connection
import h2.errors
import h2.events
import httpcore
import httpcore._synchronization
import httpx

from .errors import ResponseTooLarge

__all__ = [
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_MAX_LINE_BYTES",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "BodyLimit",
    "async_transport",
    "deadline",
    "http2_disabled",
    "interrupt",
    "sync_transport",
]

DEFAULT_MAX_RESPONSE_BYTES = 256 * 2**20
"""The largest response body (decompressed) a non-streaming call accepts: 256 MiB."""

DEFAULT_MAX_LINE_BYTES = 16 * 2**20
"""The longest line of a watch or log stream: 16 MiB (etcd stores objects of 1.5 MiB)."""

DEFAULT_MAX_CONNECTIONS = 100
"""Connections a client opens to its server at most (httpx's default)."""

_ASSUMED_STREAMS = 100
"""Streams a new HTTP/2 connection is trusted with before the server's SETTINGS arrive (Go's
``initialMaxConcurrentStreams``); kube-apiserver allows at least this many."""

_KEEPALIVE_IDLE = 15  # seconds; Go's net.Dialer defaults since Go 1.23
_KEEPALIVE_INTERVAL = 15
_KEEPALIVE_COUNT = 9

logger = logging.getLogger("kubetyped")

_deadline: ContextVar[float | None] = ContextVar("kubetyped_deadline", default=None)


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Bound all network I/O of the calls made inside to ``seconds`` in total (None: none)."""
    token = _deadline.set(None if seconds is None else time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    end = _deadline.get()
    if end is None:
        return timeout
    left = end - time.monotonic()
    if left <= 0:
        raise error("the call's total timeout ran out")
    return left if timeout is None else min(timeout, left)


def _keepalive_options() -> list[tuple[int, int, int]]:
    options = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]
    for name, value in (
        ("TCP_KEEPIDLE", _KEEPALIVE_IDLE),
        ("TCP_KEEPALIVE", _KEEPALIVE_IDLE),  # macOS spells TCP_KEEPIDLE this way
        ("TCP_KEEPINTVL", _KEEPALIVE_INTERVAL),
        ("TCP_KEEPCNT", _KEEPALIVE_COUNT),
    ):
        if hasattr(socket, name):
            options.append((socket.IPPROTO_TCP, getattr(socket, name), value))
    return options


def _limits(max_connections: int) -> httpx.Limits:
    return httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)


def sync_transport(
    *, verify: Any, proxy: str | None, max_connections: int = DEFAULT_MAX_CONNECTIONS
) -> httpx.HTTPTransport:
    """The transport of a :class:`~kubetyped.Client`: keepalive, deadline, pool limits.

    HTTP/1.1 only: httpcore's synchronous HTTP/2 lets threads sharing a connection corrupt
    its state (stream ids, HPACK, frame order: pydantic/httpx2#1153), and a ``Client`` is
    meant to be shared by threads. Each call and each watch holds a connection of its own.
    """
    transport = httpx.HTTPTransport(**_options(verify, proxy, max_connections))
    _install_backend(transport, _DeadlineBackend)
    return transport


def async_transport(
    *,
    verify: Any,
    proxy: str | None,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    http2: bool = True,
) -> httpx.AsyncHTTPTransport:
    """The transport of an :class:`~kubetyped.AsyncClient`, with the same guarantees, and
    HTTP/2 where the server offers it (ALPN over TLS; plain http stays HTTP/1.1)."""
    transport = httpx.AsyncHTTPTransport(**_options(verify, proxy, max_connections), http2=http2)
    _install_backend(transport, _AsyncDeadlineBackend)
    _install_pool(transport)
    return transport


def http2_disabled(environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``$DISABLE_HTTP2`` asks for HTTP/1.1 (any non-empty value, as in client-go)."""
    return bool((os.environ if environ is None else environ).get("DISABLE_HTTP2"))


def _options(verify: Any, proxy: str | None, max_connections: int) -> dict[str, Any]:
    return {
        "verify": verify,
        "proxy": proxy,
        "trust_env": False,
        "limits": _limits(max_connections),
        "socket_options": _keepalive_options(),
    }


def _install_backend(transport: object, wrapper: type[Any]) -> None:
    # httpx does not let a caller choose httpcore's network backend, so the pool's is wrapped
    # before it opens any connection (every connection takes the pool's backend when made).
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if backend is None:  # pragma: no cover - a future httpcore; deadlines then bound bodies only
        return
    pool._network_backend = wrapper(backend)  # type: ignore[union-attr]


def _install_pool(transport: httpx.AsyncHTTPTransport) -> None:
    # The pool httpx made (a plain pool, or an HTTP or SOCKS proxy's: all subclasses of
    # httpcore's pool) gets the stream-aware assignment below; nothing else changes.
    pool = transport._pool
    pool.__class__ = _stream_aware(type(pool))


_stream_aware_classes: dict[type[Any], type[Any]] = {}


def _stream_aware(cls: type[httpcore.AsyncConnectionPool]) -> type[Any]:
    made = _stream_aware_classes.get(cls)
    if made is None:
        made = type(f"StreamAware{cls.__name__}", (_StreamAwarePool, cls), {})
        _stream_aware_classes[cls] = made
    return made


def _protocol_of(connection: object) -> object | None:
    """The HTTP/1.1 or HTTP/2 connection inside httpcore's connection (None: connecting)."""
    return getattr(connection, "_connection", None)


def _streams_allowed(connection: object) -> int:
    """How many requests ``connection`` may carry at once."""
    inner = _protocol_of(connection)
    h2_state = getattr(inner, "_h2_state", None)
    if h2_state is None:
        # Connecting and offering HTTP/2 (httpcore calls only such a connection available
        # before its handshake), or HTTP/1.1: one request at a time. Through a plain-http
        # proxy the HTTP/1.1 connection is one level further in, without h2 state either.
        may_be_http2 = inner is None and connection.is_available()  # type: ignore[attr-defined]
        return _ASSUMED_STREAMS if may_be_http2 else 1
    remote: int = h2_state.remote_settings.max_concurrent_streams
    local: int = h2_state.local_settings.max_concurrent_streams  # httpcore's cap as well
    return max(1, min(remote, local))


def _has_body(request: httpcore.Request) -> bool:
    """httpcore's test: a request has a body if it says how long it is or that it is chunked."""
    return any(k.lower() in (b"content-length", b"transfer-encoding") for k, _ in request.headers)


_GOAWAY = 0x7  # the frame type

_STREAM_EVENTS = (
    h2.events.ResponseReceived,
    h2.events.DataReceived,
    h2.events.StreamEnded,
    h2.events.StreamReset,
)

_PING_AFTER = 30.0
"""Seconds an HTTP/2 connection with open streams may be silent before it is pinged
(client-go's ``ReadIdleTimeout``)."""

_PING_TIMEOUT = 15.0
"""Seconds the server has to answer that ping (client-go's ``PingTimeout``)."""

_SETTINGS_WAIT = 10.0
"""How long a request waits for a new HTTP/2 connection's SETTINGS before going on anyway."""

_CLOSING = httpcore.Request(
    "GET", "https://closing.invalid/", extensions={"timeout": {"write": 10.0}}
)
"""What httpcore's writes read their timeout from when a stream is reset on close."""


class _QuickLock:
    """httpcore's ``AsyncLock`` without its toll: taking a free lock does not yield.

    anyio's lock (which httpcore uses under asyncio) yields to the event loop on every
    acquisition, free or not, and an HTTP/2 call takes a connection's locks about ten times:
    ten trips through the event loop for nothing, a large part of a call's CPU under load.
    As ``asyncio.Lock`` does, a free lock is taken at once; a held one is waited for in
    arrival order (anyio's ``Event``, so asyncio and trio alike), and it passes straight to
    the next waiter on release.
    """

    __slots__ = ("_locked", "_waiters")

    def __init__(self) -> None:
        self._locked = False
        self._waiters: deque[anyio.Event] = deque()

    async def __aenter__(self) -> _QuickLock:
        if not self._locked and not self._waiters:
            self._locked = True
            return self
        handed = anyio.Event()
        self._waiters.append(handed)
        try:
            await handed.wait()
        except BaseException:
            if handed.is_set():  # the lock was handed over as this task was cancelled
                self._release()
            else:
                self._waiters.remove(handed)
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._release()

    def _release(self) -> None:
        if self._waiters:
            self._waiters.popleft().set()  # still locked: now the waiter's
        else:
            self._locked = False


class _QuickSemaphore:
    """httpcore's ``AsyncSemaphore`` (an HTTP/2 connection's stream count), likewise without
    a trip through the event loop when a unit is free."""

    __slots__ = ("_bound", "_value", "_waiters")

    def __init__(self, bound: int) -> None:
        self._bound = bound
        self._value = bound
        self._waiters: deque[anyio.Event] = deque()

    async def acquire(self) -> None:
        if self._value > 0 and not self._waiters:
            self._value -= 1
            return
        handed = anyio.Event()
        self._waiters.append(handed)
        try:
            await handed.wait()
        except BaseException:
            if handed.is_set():
                self._release()
            else:
                self._waiters.remove(handed)
            raise

    async def release(self) -> None:
        self._release()

    def _release(self) -> None:
        if self._waiters:
            self._waiters.popleft().set()  # the unit goes straight to the waiter
        elif self._value >= self._bound:
            raise ValueError("semaphore released more often than acquired")
        else:
            self._value += 1


def _quick_locks(connection: Any) -> None:
    """Give ``connection`` (httpcore's, just made) :class:`_QuickLock` s for its locks."""
    for name in ("_request_lock", "_init_lock", "_state_lock", "_read_lock", "_write_lock"):
        lock = connection.__dict__.get(name)
        if type(lock) is httpcore._synchronization.AsyncLock and not lock._backend:
            connection.__dict__[name] = _QuickLock()


class _AsyncHTTP2Connection(httpcore.AsyncHTTP2Connection):
    """httpcore's HTTP/2 connection, but a stream whose events have arrived is woken at once.

    In httpcore every stream waiting for its events queues for the connection's read lock,
    and the holder reads the socket until *something* arrives. On a connection of quiet
    watches the holder can wait minutes, while streams queued behind it already have their
    events (read by an earlier holder) and cannot take them: a watch sees its change only
    when some other stream gets data. Here one waiting stream reads at a time, and after
    each read every stream whose events came is woken, and one still waiting takes over the
    reading, as Go's one read loop per connection does.
    """

    _kt_hold = False

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        # The pool trusts a new connection with 100 streams until the server's SETTINGS say
        # how many it allows; a request beyond that number must not wait here (in httpcore's
        # semaphore, unseen, until a stream ends) but go back to the pool for another
        # connection. So every request but the first waits (briefly: the server sends its
        # SETTINGS first) until the number is known, and one beyond it is refused.
        state = self.__dict__
        if state.setdefault("_kt_first", True):
            self._kt_first = False
        elif not state.get("_kt_settings_known"):
            known = state.setdefault("_kt_settings", anyio.Event())
            with anyio.move_on_after(_SETTINGS_WAIT):
                await known.wait()
        admitted: set[int] = state.setdefault("_kt_admitted", set())
        entering: int = state.get("_kt_entering", 0)
        if state.get("_kt_settings_known") and len(admitted) + entering >= self._allowed():
            raise httpcore.ConnectionNotAvailable()
        self._kt_entering = entering + 1
        try:
            response = await super().handle_async_request(request)
        finally:
            self._kt_entering -= 1
        admitted.add(response.extensions["stream_id"])
        return response

    async def _read_incoming_data(self, request: httpcore.Request) -> list[h2.events.Event]:
        # Whoever reads, reads for every stream of the connection. httpcore takes any failure
        # of a read as the connection's, so one call's timeout (a slow answer, kubetyped's
        # total deadline) would fail every watch sharing the connection. Here a call's own
        # timeout fails that call alone (its stream is then reset; a read cut short by a
        # timeout has consumed nothing). A stream may be silent for minutes (a watch): as
        # client-go does, a connection silent for 30 s is pinged, and one that does not
        # answer within 15 s is dead: every stream on it fails (watches resume elsewhere),
        # long before TCP keepalive would tell.
        if self._read_exception is not None:
            raise self._read_exception
        timeout = request.extensions.get("timeout", {}).get("read")
        try:
            if timeout is not None:
                data = await self._network_stream.read(self.READ_NUM_BYTES, timeout)
            else:
                data = await self._read_or_ping(request)
            if data == b"":
                raise httpcore.RemoteProtocolError("Server disconnected")
        except httpcore.ReadTimeout:
            raise  # a call's own timeout, not the connection's failure (pings raise ReadError)
        except Exception as exc:
            self._read_exception = exc
            self._connection_error = True
            raise
        return self._receive_frames(data)

    def _receive_frames(self, data: bytes) -> list[h2.events.Event]:
        # Up to each GOAWAY, then the rest, so that a graceful GOAWAY is seen before the
        # frames after it: h2 refuses every frame once it has read a GOAWAY, even the answers
        # of the streams the GOAWAY says the server will still finish (kube-apiserver sends
        # the 401 of a request after it). Those streams are let finish; no new one opens.
        pending: bytearray = self.__dict__.setdefault("_kt_partial", bytearray())
        pending += data
        events: list[h2.events.Event] = []
        fed = end = 0
        while end + 9 <= len(pending):
            size = 9 + int.from_bytes(pending[end : end + 3], "big")
            if end + size > len(pending):
                break
            kind = pending[end + 3]
            end += size
            if kind == _GOAWAY:
                events += self._feed(bytes(pending[fed:end]))
                fed = end
        if end > fed:
            events += self._feed(bytes(pending[fed:end]))
        del pending[:end]
        return events

    def _feed(self, frames: bytes) -> list[h2.events.Event]:
        received: list[h2.events.Event] = self._h2_state.receive_data(frames)
        for event in received:
            if (
                isinstance(event, h2.events.ConnectionTerminated)
                and event.error_code == h2.errors.ErrorCodes.NO_ERROR
                and any(sid <= (event.last_stream_id or 0) for sid in self._events)
            ):
                self._h2_state.state_machine.state = h2.connection.ConnectionState.CLIENT_OPEN
        return received

    async def _send_request_headers(self, request: httpcore.Request, stream_id: int) -> None:
        # A request with a body in memory (every API call's) goes out in one write: its
        # HEADERS, DATA and END_STREAM, where httpcore makes three (three TLS records, three
        # system calls, three wake-ups of the server). The headers wait in h2's buffer for the
        # body, which _send_request_body sends at once; nothing awaits in between.
        if type(request.stream) is not httpx.ByteStream or not _has_body(request):
            await super()._send_request_headers(request, stream_id)
            return
        self._kt_hold = True
        try:
            await super()._send_request_headers(request, stream_id)
        finally:
            self._kt_hold = False

    async def _send_request_body(self, request: httpcore.Request, stream_id: int) -> None:
        if type(request.stream) is not httpx.ByteStream or not _has_body(request):
            await super()._send_request_body(request, stream_id)
            return
        data = b"".join([chunk async for chunk in request.stream])
        state = self._h2_state
        if not data:  # an empty body: END_STREAM alone
            state.end_stream(stream_id)
        while data:
            if min(state.local_flow_control_window(stream_id), state.max_outbound_frame_size) <= 0:
                await self._write_outgoing_data(request)  # what is queued, before waiting
            room = await self._wait_for_outgoing_flow(request, stream_id)
            chunk, data = data[:room], data[room:]
            state.send_data(stream_id, chunk, end_stream=not data)
        await self._write_outgoing_data(request)

    def is_available(self) -> bool:
        return self._connection_terminated is None and super().is_available()

    async def _read_or_ping(self, request: httpcore.Request) -> bytes:
        try:
            return await self._network_stream.read(self.READ_NUM_BYTES, _PING_AFTER)
        except httpcore.ReadTimeout:
            pass
        self._h2_state.ping(b"kubetypd")
        await self._write_outgoing_data(request)
        try:
            return await self._network_stream.read(self.READ_NUM_BYTES, _PING_TIMEOUT)
        except httpcore.ReadTimeout:
            raise httpcore.ReadError(
                f"the server did not answer an HTTP/2 ping within {_PING_TIMEOUT:g} s after "
                "the connection was silent: it is taken for dead"
            ) from None

    def _allowed(self) -> int:
        remote: int = self._h2_state.remote_settings.max_concurrent_streams
        local: int = self._h2_state.local_settings.max_concurrent_streams
        return max(1, min(remote, local))

    async def _receive_remote_settings_change(self, event: h2.events.RemoteSettingsChanged) -> None:
        await super()._receive_remote_settings_change(event)
        self._kt_settings_known = True
        known = self.__dict__.get("_kt_settings")
        if known is not None:
            known.set()

    async def _receive_events(
        self, request: httpcore.Request, stream_id: int | None = None
    ) -> None:
        if stream_id is None:  # waiting for flow control: as httpcore does
            try:
                await self._read_once(request, stream_id)
            finally:
                self._wake()
            return
        waiters: dict[int, anyio.Event] = self.__dict__.setdefault("_kt_waiters", {})
        while not self._events.get(stream_id):
            if not self.__dict__.get("_kt_reading"):
                self._kt_reading = True
                try:
                    await self._read_once(request, stream_id)
                finally:
                    self._kt_reading = False
                    self._wake()
                continue
            woken = waiters[stream_id] = anyio.Event()
            # Waiting for another stream's read is still this call's time: its read timeout
            # and its total deadline bound it (httpcore waits for its read lock unbounded).
            limit = _bounded(
                request.extensions.get("timeout", {}).get("read"), httpcore.ReadTimeout
            )
            try:
                with anyio.fail_after(limit):
                    await woken.wait()
            except TimeoutError:
                raise httpcore.ReadTimeout("timed out waiting for the answer") from None
            finally:
                if waiters.get(stream_id) is woken:
                    del waiters[stream_id]

    async def _read_once(self, request: httpcore.Request, stream_id: int | None) -> None:
        """One read of the connection for every stream (httpcore's ``_receive_events``, but a
        graceful GOAWAY lets the streams the server took finish: kube-apiserver answers a
        401 over HTTP/2 with GOAWAY too, to make clients dial again, and httpcore would drop
        the 401 itself)."""
        async with self._read_lock:
            terminated = self._connection_terminated
            if terminated is not None:
                last = terminated.last_stream_id
                graceful = terminated.error_code == h2.errors.ErrorCodes.NO_ERROR
                if stream_id and last is not None and stream_id > last:
                    self._request_count -= 1
                    raise httpcore.ConnectionNotAvailable()  # never served: another connection
                if not (graceful and stream_id):
                    raise httpcore.RemoteProtocolError(terminated)
            if stream_id is None or not self._events.get(stream_id):
                for event in await self._read_incoming_data(request):
                    if isinstance(event, h2.events.RemoteSettingsChanged):
                        await self._receive_remote_settings_change(event)
                    elif isinstance(event, _STREAM_EVENTS):
                        if event.stream_id in self._events:
                            self._events[event.stream_id].append(event)
                    elif isinstance(event, h2.events.ConnectionTerminated):
                        self._connection_terminated = event
        if self._h2_state.state_machine.state != h2.connection.ConnectionState.CLOSED:
            await self._write_outgoing_data(request)

    async def _write_outgoing_data(self, request: httpcore.Request) -> None:
        # httpcore writes after every read and every acknowledgement, taking the write lock
        # (a trip through the event loop) even when h2 has nothing to send, as it mostly has
        # not: then there is nothing to do. (Frames another writer already took are on their
        # way, and everything sent later goes after them, behind the same lock.)
        if self._kt_hold:  # the request's headers, held for its body (one write for both)
            self._kt_hold = False
            return
        if not self._h2_state.__dict__.get("_data_to_send", True) and (
            self._write_exception is None
        ):
            return
        # A write carries frames of every stream (acknowledgements, resets, pings): the
        # write timeout bounds it, not the total deadline of whichever call happens to write;
        # a deadline running out here would make httpcore take the connection for broken.
        token = _deadline.set(None)
        try:
            await super()._write_outgoing_data(request)
        finally:
            _deadline.reset(token)

    @property
    def _max_streams_semaphore(self) -> Any:
        return self.__dict__["_kt_semaphore"]

    @_max_streams_semaphore.setter
    def _max_streams_semaphore(self, semaphore: Any) -> None:
        # httpcore makes it when the connection's first request starts: made quick here.
        if type(semaphore) is httpcore._synchronization.AsyncSemaphore:
            semaphore = _QuickSemaphore(semaphore._bound)
        self.__dict__["_kt_semaphore"] = semaphore

    async def _response_closed(self, stream_id: int) -> None:
        # Closed before the server ended it (a watch closed or cancelled): reset the stream,
        # so that the server stops serving it and stops counting it against the connection's
        # streams, and give back the connection window its unread data holds. httpcore just
        # forgets such a stream.
        stream = self._h2_state.streams.get(stream_id)
        if stream is not None and not stream.closed:
            try:
                for event in self._events.get(stream_id, ()):
                    if isinstance(event, h2.events.DataReceived) and event.flow_controlled_length:
                        self._h2_state.acknowledge_received_data(
                            event.flow_controlled_length, stream_id
                        )
                self._h2_state.reset_stream(stream_id, h2.errors.ErrorCodes.CANCEL)
                await self._write_outgoing_data(_CLOSING)
            except Exception as exc:  # broken or closing: the connection dies with its streams
                logger.debug("HTTP/2 stream %d not reset: %s", stream_id, exc)
        await super()._response_closed(stream_id)
        self.__dict__.get("_kt_admitted", set()).discard(stream_id)
        self._wake()

    def _wake(self) -> None:
        waiters: dict[int, anyio.Event] = self.__dict__.setdefault("_kt_waiters", {})
        if not waiters:
            return
        broken = self._read_exception is not None or self._connection_terminated is not None
        for waiting in list(waiters):
            if broken or self._events.get(waiting) or waiting not in self._events:
                waiters.pop(waiting).set()
        if waiters and not self.__dict__.get("_kt_reading"):
            waiters.pop(next(iter(waiters))).set()  # the next reader


_with_our_http2_classes: dict[type[Any], type[Any]] = {}


def _with_our_http2(connection: Any) -> Any:
    """``connection`` (httpcore's direct, tunnel or SOCKS connection) made to use
    :class:`_AsyncHTTP2Connection` for the HTTP/2 connection it makes after the handshake."""
    cls = type(connection)
    made = _with_our_http2_classes.get(cls)
    if made is None:
        # A hook on setting rather than a property: the pool reads ``_connection`` on every
        # check of every connection (is it idle, available, closed?), and a property's
        # getter, a Python call each time, cost more than the checks themselves.
        def __setattr__(self: Any, name: str, value: Any) -> None:
            if name == "_connection" and value is not None:
                if type(value) is httpcore.AsyncHTTP2Connection:
                    value.__class__ = _AsyncHTTP2Connection
                _quick_locks(value)
            object.__setattr__(self, name, value)

        made = type(cls.__name__, (cls,), {"__setattr__": __setattr__})
        _with_our_http2_classes[cls] = made
    connection.__class__ = made
    _quick_locks(connection)
    inner = connection.__dict__.get("_connection")
    if inner is not None:  # a proxy's connection, made with the tunnel or SOCKS one
        _quick_locks(inner)
    return connection


class _Room:
    """A connection and how many more requests it may take now."""

    __slots__ = ("connection", "free")

    def __init__(self, connection: httpcore.AsyncConnectionInterface, free: int) -> None:
        self.connection = connection
        self.free = free


class _StreamAwarePool(httpcore.AsyncConnectionPool):
    """httpcore's pool, but an HTTP/2 connection takes only as many requests as the server
    allows streams; the rest go to a new connection (up to ``max_connections``) or wait for
    one within the pool timeout. Its HTTP/2 connections are :class:`_AsyncHTTP2Connection` s."""

    def _assign_requests_to_connections(self) -> list[httpcore.AsyncConnectionInterface]:
        closing: list[httpcore.AsyncConnectionInterface] = []
        queued = [r for r in self._requests if r.is_queued()]
        if not queued:
            # A response closed and nobody waits: nothing to assign, and the sweep for
            # expired connections waits for the next request (it looks at every idle
            # HTTP/1.1 connection's socket, the costliest part of a call under load).
            self._connections[:] = [c for c in self._connections if not c.is_closed()]
            return closing
        for connection in list(self._connections):
            if connection.is_closed():
                self._connections.remove(connection)
            elif connection.has_expired():
                self._connections.remove(connection)
                closing.append(connection)
        load: dict[int, int] = {}
        for pool_request in self._requests:
            if pool_request.connection is not None:
                key = id(pool_request.connection)
                load[key] = load.get(key, 0) + 1
        # Free places, in the pool's order: fill one connection before opening the next.
        rooms = [
            _Room(connection, _streams_allowed(connection) - load.get(id(connection), 0))
            for connection in self._connections
            if connection.is_available()
        ]
        rooms = [room for room in rooms if room.free > 0]
        idle = [connection for connection in self._connections if connection.is_idle()]
        for pool_request in queued:
            origin = pool_request.request.url.origin
            room = next((r for r in rooms if r.connection.can_handle_request(origin)), None)
            if room is None:
                if len(self._connections) >= self._max_connections:
                    if not idle:
                        if not rooms:
                            break  # the rest wait too, within the pool timeout
                        continue  # waits, within the pool timeout, for a stream to end
                    # An idle connection (to another origin) makes room, as in httpcore.
                    victim = idle.pop(0)
                    self._connections.remove(victim)
                    closing.append(victim)
                    rooms = [r for r in rooms if r.connection is not victim]
                connection = self.create_connection(origin)
                self._connections.append(connection)
                room = _Room(connection, _streams_allowed(connection))
                rooms.append(room)
            pool_request.assign_to_connection(room.connection)
            room.free -= 1
            if room.free <= 0:
                rooms.remove(room)
        return closing

    def create_connection(self, origin: httpcore.Origin) -> httpcore.AsyncConnectionInterface:
        return _with_our_http2(super().create_connection(origin))  # type: ignore[no-any-return]


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._backend.connect_tcp(
            host,
            port,
            _bounded(timeout, httpcore.ConnectTimeout),
            local_address=local_address,
            socket_options=socket_options,
        )
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:  # pragma: no cover - clusters are reached over TCP
        stream = self._backend.connect_unix_socket(
            path, _bounded(timeout, httpcore.ConnectTimeout), socket_options=socket_options
        )
        return _DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class _AsyncDeadlineStream(httpcore.AsyncNetworkStream):
    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._stream.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._stream.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        stream = await self._stream.start_tls(ssl_context, server_hostname, bounded)
        return _AsyncDeadlineStream(stream)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _AsyncDeadlineBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, backend: httpcore.AsyncNetworkBackend) -> None:
        self._backend = backend

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._backend.connect_tcp(
            host,
            port,
            _bounded(timeout, httpcore.ConnectTimeout),
            local_address=local_address,
            socket_options=socket_options,
        )
        return _AsyncDeadlineStream(stream)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:  # pragma: no cover - clusters are reached over TCP
        stream = await self._backend.connect_unix_socket(
            path, _bounded(timeout, httpcore.ConnectTimeout), socket_options=socket_options
        )
        return _AsyncDeadlineStream(stream)

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


def interrupt(response: httpx.Response) -> None:
    """End a streamed response from another thread: the reader wakes with end of stream.

    Closing a socket does not wake a thread blocked reading it; shutting it down does. Only
    an HTTP/1.1 response owns its socket: an HTTP/2 one shares it with other streams, so it
    is left alone (the sync client speaks HTTP/1.1; an async stream ends by cancellation).
    """
    if response.extensions.get("http_version") == b"HTTP/2":
        return
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if isinstance(sock, socket.socket):
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed: nothing is blocked on it


class BodyLimit:
    """Collects a response body (decompressed) and refuses it past ``max_bytes``."""

    __slots__ = ("_max", "_parts", "_size")

    def __init__(self, max_bytes: int) -> None:
        self._max = max_bytes
        self._parts: list[bytes] = []
        self._size = 0

    def add(self, chunk: bytes) -> None:
        """Take the next chunk; raise ``ResponseTooLarge`` once the limit is passed."""
        self._size += len(chunk)
        if self._size > self._max:
            raise ResponseTooLarge(
                f"the response is larger than {self._max:,} bytes (after decompression); "
                "raise Client(max_response_bytes=...) if that is expected, or page the "
                "list (limit=)"
            )
        self._parts.append(chunk)

    def into(self, response: httpx.Response) -> None:
        """Make the collected body the response's ``content``, as ``response.read()`` would."""
        response._content = b"".join(self._parts)  # what httpx's own read() sets
