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
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import httpcore
import httpx

from .errors import ResponseTooLarge

__all__ = [
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_MAX_LINE_BYTES",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "BodyLimit",
    "async_transport",
    "deadline",
    "interrupt",
    "sync_transport",
]

DEFAULT_MAX_RESPONSE_BYTES = 256 * 2**20
"""The largest response body (decompressed) a non-streaming call accepts: 256 MiB."""

DEFAULT_MAX_LINE_BYTES = 16 * 2**20
"""The longest line of a watch or log stream: 16 MiB (etcd stores objects of 1.5 MiB)."""

DEFAULT_MAX_CONNECTIONS = 100
"""Connections a client opens to its server at most (httpx's default)."""

_KEEPALIVE_IDLE = 15  # seconds; Go's net.Dialer defaults since Go 1.23
_KEEPALIVE_INTERVAL = 15
_KEEPALIVE_COUNT = 9

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
    """The transport of a :class:`~kubetyped.Client`: keepalive, deadline, pool limits."""
    transport = httpx.HTTPTransport(**_options(verify, proxy, max_connections))
    _install_backend(transport, _DeadlineBackend)
    return transport


def async_transport(
    *, verify: Any, proxy: str | None, max_connections: int = DEFAULT_MAX_CONNECTIONS
) -> httpx.AsyncHTTPTransport:
    """The transport of an :class:`~kubetyped.AsyncClient`, with the same guarantees."""
    transport = httpx.AsyncHTTPTransport(**_options(verify, proxy, max_connections))
    _install_backend(transport, _AsyncDeadlineBackend)
    return transport


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

    Closing a socket does not wake a thread blocked reading it; shutting it down does.
    """
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
