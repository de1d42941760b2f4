"""Forward local TCP ports to a pod's ports: ``pods/portforward``.

::

    from kubetyped import Client
    from kubetyped.portforward import forward

    with Client() as client, forward(client, "db-0", 5432, namespace="prod") as port:
        psycopg.connect(host="127.0.0.1", port=port, ...)   # reaches db-0:5432

Two protocols, as kubectl speaks them:

* ``spdy``: SPDY/3.1 tunnelled in one WebSocket (subprotocol ``SPDY/3.1+portforward.k8s.io``,
  kubectl 1.31+): every local connection is a pair of SPDY streams (``error`` and ``data``,
  one ``requestID``) over the same WebSocket, and a local half-close reaches the pod.
* ``websocket``: ``v4.channel.k8s.io`` with ``?ports=P``, one WebSocket per local connection
  (channel 0 data, channel 1 errors, each starting with the port as two little-endian bytes);
  it cannot half-close, so the local end closing ends the connection.

``protocol="auto"`` (the default) offers both in the first upgrade and keeps to what the
server chose. Connections are independent: one the pod refuses (nothing listens on the port)
is closed, its error logged on the ``kubetyped`` logger and kept in
:attr:`PortForwarder.errors`; the others go on. Errors of the upgrade itself (``NotFound``
for a missing pod, ``Forbidden`` without ``create`` on ``pods/portforward``) are per
connection too, as the ``__cause__`` of the :class:`ForwardError`. SPDY windows are kept by
neither side (moby/spdystream, the kubelet's, ignores them): up to 256 chunks wait per
connection, then the session's reader waits for it, as kubectl's does.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import queue
import socket
import threading
from collections import deque
from collections.abc import AsyncGenerator, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import anyio
import anyio.abc
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from ._base_errors import KubetypedError
from .exec import pod_subresource_path
from .spdy import Data, GoAway, Reply, Reset, SpdyError, SpdySession
from .websocket import AsyncWebSocket, WebSocket, connect, connect_async

if TYPE_CHECKING:
    from .client import AsyncClient, Client

__all__ = [
    "PORTFORWARD_PROTOCOLS",
    "SPDY_TUNNEL_PROTOCOL",
    "Protocol",
    "AsyncPortForwarder",
    "ForwardError",
    "PortForwarder",
    "forward",
    "forward_async",
]

PORTFORWARD_PROTOCOLS = ("v4.channel.k8s.io", "portforward.k8s.io")
"""Offered for the WebSocket port-forward protocol."""
SPDY_TUNNEL_PROTOCOL = "SPDY/3.1+portforward.k8s.io"
"""SPDY/3.1 port-forward tunnelled in WebSocket (kubectl 1.31+)."""

Protocol = Literal["auto", "spdy", "websocket"]
"""Which port-forward protocol to speak: ``auto`` offers SPDY-in-WebSocket, then WebSocket."""

_BUFFERED_CHUNKS = 256  # per stream: up to 8 MiB of the kubelet's 32 KiB writes
_REPLY_TIMEOUT = 30.0  # seconds the kubelet may take to accept a stream (client-go: 30 s)
_ERROR_TIMEOUT = 10.0  # after the data stream ended, how long its error stream may lag

_DATA, _ERROR = 0, 1
_CHUNK = 32 * 1024
logger = logging.getLogger("kubetyped")


class ForwardError(KubetypedError):
    """One forwarded connection failed: the pod side refused or broke it (``message`` is the
    kubelet's), or the WebSocket could not be opened (the ``ApiError`` is the ``__cause__``)."""

    def __init__(self, message: str, *, port: int) -> None:
        super().__init__(message)
        self.port = port
        """The pod's port the connection was for."""


@dataclass
class _Frames:
    """The per-connection channel protocol, without I/O."""

    port: int
    seen_data_port: bool = False
    seen_error_port: bool = False
    error: bytes = b""

    def take(self, message: bytes) -> bytes:
        """Data for the local socket from one message (errors are collected)."""
        if not message:
            return b""
        channel, payload = message[0], message[1:]
        if channel == _DATA:
            if not self.seen_data_port:  # every channel starts with its port, 2 bytes LE
                self.seen_data_port = True
                payload = payload[2:]
            return payload
        if channel == _ERROR:
            if not self.seen_error_port:
                self.seen_error_port = True
                payload = payload[2:]
            self.error += payload
        return b""

    def failure(self) -> ForwardError | None:
        if not self.error:
            return None
        text = self.error.decode("utf-8", "replace").strip()
        return ForwardError(f"port {self.port}: {text}", port=self.port)


def _params(port: int) -> list[tuple[str, str]]:
    if not 0 < port < 65536:
        raise ValueError(f"port {port} out of range")
    return [("ports", str(port))]


_PROTOCOLS: dict[str, Protocol] = {"auto": "auto", "spdy": "spdy", "websocket": "websocket"}


def _check_protocol(protocol: str) -> Protocol:
    found = _PROTOCOLS.get(protocol)
    if found is None:
        raise ValueError(f"protocol must be 'auto', 'spdy' or 'websocket', not {protocol!r}")
    return found


def _ports(ports: int | Sequence[int] | Mapping[int, int]) -> dict[int, int]:
    """{pod port: local port (0 for any free one)}."""
    if isinstance(ports, int):
        return {ports: 0}
    if isinstance(ports, Mapping):
        return dict(ports)
    return dict.fromkeys(ports, 0)


def _stream_headers(kind: str, port: int, request_id: int) -> list[tuple[str, str]]:
    return [("streamtype", kind), ("port", str(port)), ("requestid", str(request_id))]


def _spdy_failure(port: int, error: bytes, reset: int | None) -> ForwardError | None:
    if error:
        text = error.decode("utf-8", "replace").strip()
        return ForwardError(f"port {port}: {text}", port=port)
    if reset is not None:
        return ForwardError(
            f"port {port}: the kubelet reset the stream (status {reset})", port=port
        )
    return None


class _Buffer:
    """Chunks from the reader thread to one connection's thread, None at the end. At most
    ``_BUFFERED_CHUNKS`` wait: a connection whose local end reads slowly holds the reader up
    (and so the other connections of the session, as in kubectl) instead of filling memory.
    Once closed it drops what comes, so a connection that stopped reading holds up nothing."""

    def __init__(self) -> None:
        self._items: deque[bytes | None] = deque()
        self._ready = threading.Condition()
        self._closed = False

    def put(self, item: bytes | None) -> None:
        with self._ready:
            while item is not None and len(self._items) >= _BUFFERED_CHUNKS and not self._closed:
                self._ready.wait()
            if not self._closed:
                self._items.append(item)
                self._ready.notify_all()

    def get(self, timeout: float | None = None) -> bytes | None:
        """The next chunk; None at the end (or once closed); queue.Empty after ``timeout``."""
        with self._ready:
            if not self._ready.wait_for(lambda: self._items or self._closed, timeout):
                raise queue.Empty
            if not self._items:
                return None
            item = self._items.popleft()
            self._ready.notify_all()
            return item

    def close(self) -> None:
        with self._ready:
            self._closed = True
            self._items.clear()
            self._ready.notify_all()


@dataclass
class _Stream:
    """One SPDY stream as the reader thread sees it."""

    replied: threading.Event = field(default_factory=threading.Event)
    data: _Buffer = field(default_factory=_Buffer)
    reset: int | None = None


class _SpdyTunnel:
    """A SPDY/3.1 session in one WebSocket (threads): a reader thread dispatches frames."""

    def __init__(self, ws: WebSocket) -> None:
        self._ws = ws
        self._session = SpdySession()
        self._lock = threading.Lock()  # frames leave in the order they are made (zlib)
        self._streams: dict[int, _Stream] = {}
        self.request_ids = itertools.count()
        self.closed = False
        self.error: BaseException | None = None
        threading.Thread(target=self._read, name="kubetyped-spdy", daemon=True).start()

    def _read(self) -> None:
        try:
            while (message := self._ws.receive()) is not None:
                events, reply = self._session.feed(message)
                if reply:
                    with self._lock:
                        self._ws.send(reply)
                for event in events:
                    self._dispatch(event)
        except (KubetypedError, SpdyError) as exc:
            self.error = exc
        finally:
            with self._lock:
                self.closed = True
                streams = list(self._streams.values())
            for stream in streams:
                stream.replied.set()
                stream.data.put(None)

    def _dispatch(self, event: Reply | Data | Reset | GoAway) -> None:
        if isinstance(event, GoAway):
            self.closed = True
            return
        with self._lock:
            stream = self._streams.get(event.stream_id)
        if stream is None:
            return
        if isinstance(event, Reply):
            stream.replied.set()
            if event.fin:
                stream.data.put(None)
        elif isinstance(event, Data):
            if event.data:
                stream.data.put(event.data)
            if event.fin:
                stream.data.put(None)
        else:
            stream.reset = event.status
            stream.replied.set()
            stream.data.put(None)

    def open(self, headers: list[tuple[str, str]]) -> tuple[int, _Stream]:
        """Open a stream and wait for the kubelet to accept it."""
        stream = _Stream()
        with self._lock:
            if self.closed:
                raise ForwardError("the SPDY session is closed", port=0)
            stream_id, frame = self._session.syn_stream(headers)
            self._streams[stream_id] = stream
            self._ws.send(frame)
        if not stream.replied.wait(_REPLY_TIMEOUT) or self.closed and stream.reset is None:
            self.forget(stream_id)
            raise ForwardError(
                f"the kubelet did not accept a stream within {_REPLY_TIMEOUT:g} s"
                if not self.closed
                else f"the SPDY session ended: {self.error or 'closed by the server'}",
                port=0,
            )
        return stream_id, stream

    def send(self, stream_id: int, data: bytes, *, fin: bool = False) -> None:
        """Data on a stream (FIN: we send no more on it)."""
        with self._lock:
            self._ws.send(SpdySession.data(stream_id, data, fin=fin))

    def reset(self, stream_id: int) -> None:
        """Cancel a stream."""
        with self._lock:
            if not self.closed:
                self._ws.send(SpdySession.rst_stream(stream_id))

    def forget(self, *stream_ids: int) -> None:
        with self._lock:
            streams = [self._streams.pop(stream_id, None) for stream_id in stream_ids]
        for stream in streams:
            if stream is not None:
                stream.data.close()

    def close(self) -> None:
        with self._lock:
            if not self.closed:
                with contextlib.suppress(KubetypedError):
                    self._ws.send(SpdySession.goaway())
            self.closed = True
        self._ws.close()


class PortForwarder:
    """Listen on local ports and forward every connection to the pod's ports (threads).

    ``ports`` is a pod port, a list of them, or ``{pod_port: local_port}`` (0 picks a free
    one). Start with ``with`` (or ``start()``); ``local_ports`` maps each pod port to the
    local one; ``errors`` lists the connections that failed.
    """

    def __init__(
        self,
        client: Client,
        name: str,
        ports: int | Sequence[int] | Mapping[int, int],
        *,
        namespace: str | None = None,
        address: str = "127.0.0.1",
        protocol: Protocol = "auto",
    ) -> None:
        self._client = client
        self._path = pod_subresource_path(namespace or client.namespace, name, "portforward")
        self._wanted = _ports(ports)
        for port in self._wanted:
            _params(port)
        self._address = address
        self.protocol: Protocol = _check_protocol(protocol)
        """The protocol asked for; once a connection was made, the one in use."""
        self.local_ports: dict[int, int] = {}
        """Pod port → the local port forwarding to it."""
        self.errors: list[ForwardError] = []
        """The connections that failed, oldest first."""
        self._tunnel: _SpdyTunnel | None = None
        self._route_lock = threading.Lock()
        self._listeners: list[socket.socket] = []
        self._open: set[socket.socket] = set()
        self._sockets: set[WebSocket] = set()
        self._lock = threading.Lock()
        self._closed = False

    @property
    def local_port(self) -> int:
        """The local port of the first pod port."""
        return self.local_ports[next(iter(self._wanted))]

    def start(self) -> PortForwarder:
        """Open the listeners and start accepting."""
        try:
            for remote, local in self._wanted.items():
                listener = socket.create_server((self._address, local))
                self._listeners.append(listener)
                self.local_ports[remote] = listener.getsockname()[1]
                threading.Thread(
                    target=self._accept,
                    args=(listener, remote),
                    name=f"kubetyped-portforward-{remote}",
                    daemon=True,
                ).start()
        except BaseException:
            self.close()
            raise
        return self

    def _accept(self, listener: socket.socket, remote: int) -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return  # closed
            with self._lock:
                if self._closed:
                    conn.close()
                    return
                self._open.add(conn)
            threading.Thread(
                target=self._serve,
                args=(conn, remote),
                name="kubetyped-portforward-conn",
                daemon=True,
            ).start()

    def _route(self, remote: int) -> _SpdyTunnel | WebSocket:
        """The SPDY session to open streams in, or this connection's own WebSocket."""
        with self._route_lock:
            if self.protocol == "websocket":
                return connect(self._client, self._path, _params(remote), PORTFORWARD_PROTOCOLS)
            if self._tunnel is not None and not self._tunnel.closed:
                return self._tunnel
            offered = [SPDY_TUNNEL_PROTOCOL]
            if self.protocol == "auto":
                offered += PORTFORWARD_PROTOCOLS
            ws = connect(self._client, self._path, _params(remote), offered)
            if ws.subprotocol != SPDY_TUNNEL_PROTOCOL:
                self.protocol = "websocket"  # the server does not tunnel SPDY
                return ws
            self.protocol = "spdy"
            with self._lock:
                if self._closed:
                    ws.close()
                    raise ForwardError("the forwarder is closed", port=remote)
                self._tunnel = _SpdyTunnel(ws)
            return self._tunnel

    def _serve(self, conn: socket.socket, remote: int) -> None:
        try:
            try:
                route = self._route(remote)
            except KubetypedError as exc:
                self._failed(ForwardError(f"port {remote}: {exc}", port=remote), exc)
                return
            if isinstance(route, _SpdyTunnel):
                self._serve_spdy(conn, remote, route)
            else:
                self._serve_websocket(conn, remote, route)
        finally:
            with self._lock:
                self._open.discard(conn)
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def _serve_spdy(self, conn: socket.socket, remote: int, tunnel: _SpdyTunnel) -> None:
        request_id = next(tunnel.request_ids)
        opened: list[int] = []
        try:
            error_id, error = tunnel.open(_stream_headers("error", remote, request_id))
            opened.append(error_id)
            tunnel.send(error_id, b"", fin=True)  # nothing to say on it
            data_id, data = tunnel.open(_stream_headers("data", remote, request_id))
            opened.append(data_id)
        except ForwardError as exc:
            self._failed(ForwardError(f"port {remote}: {exc}", port=remote), exc.__cause__)
            return
        except KubetypedError as exc:
            self._failed(ForwardError(f"port {remote}: {exc}", port=remote), exc)
            return

        def upstream() -> None:
            try:
                while chunk := conn.recv(_CHUNK):
                    tunnel.send(data_id, chunk)
                tunnel.send(data_id, b"", fin=True)  # the local end is done writing
            except (KubetypedError, OSError):
                pass

        threading.Thread(target=upstream, name="kubetyped-portforward-up", daemon=True).start()
        try:
            while (chunk := data.data.get()) is not None:
                conn.sendall(chunk)
        except OSError:
            data.data.close()  # nobody reads it any more
            tunnel.reset(data_id)
        # The kubelet writes its error, then resets the data stream: the error stream ends too.
        message = b""
        with contextlib.suppress(queue.Empty):
            while (part := error.data.get(timeout=_ERROR_TIMEOUT)) is not None:
                message += part
        failure = _spdy_failure(remote, message, data.reset if not message else None)
        if tunnel.closed and tunnel.error is not None and failure is None and not self._closed:
            failure = ForwardError(f"port {remote}: {tunnel.error}", port=remote)
        if failure is not None:
            self._failed(failure, None)
        tunnel.forget(*opened)

    def _serve_websocket(self, conn: socket.socket, remote: int, ws: WebSocket) -> None:
        frames = _Frames(remote)
        try:
            with self._lock:
                if self._closed:
                    return
                self._sockets.add(ws)
            threading.Thread(
                target=self._upstream, args=(conn, ws), name="kubetyped-portforward-up", daemon=True
            ).start()
            try:
                while (message := ws.receive()) is not None:
                    payload = frames.take(message)
                    if payload:
                        conn.sendall(payload)
            except (KubetypedError, OSError) as exc:
                if not self._closed:
                    self._failed(ForwardError(f"port {remote}: {exc}", port=remote), exc)
                return
            failure = frames.failure()
            if failure is not None:
                self._failed(failure, None)
        finally:
            ws.close()
            with self._lock:
                self._sockets.discard(ws)

    @staticmethod
    def _upstream(conn: socket.socket, ws: WebSocket) -> None:
        try:
            while data := conn.recv(_CHUNK):
                ws.send(bytes([_DATA]) + data)
        except (KubetypedError, OSError):
            pass
        # The protocol cannot half-close the pod's side: the local end closing ends it all.
        ws.close()

    def _failed(self, error: ForwardError, cause: BaseException | None) -> None:
        error.__cause__ = cause
        with self._lock:
            self.errors.append(error)
        logger.warning("port-forward: %s", error)

    def check(self) -> None:
        """Raise the first connection's error, if any failed."""
        with self._lock:
            if self.errors:
                raise self.errors[0]

    def connect(self, port: int | None = None, *, timeout: float | None = 30.0) -> socket.socket:
        """A socket connected, through the forward, to the pod's ``port`` (default: the
        first): the same as connecting to its local port yourself."""
        remote = next(iter(self._wanted)) if port is None else port
        local = self.local_ports.get(remote)
        if local is None:
            raise ValueError(
                f"port {remote} is not forwarded (started? ports: {list(self._wanted)})"
            )
        host = "127.0.0.1" if self._address in ("", "0.0.0.0") else self._address
        return socket.create_connection((host, local), timeout=timeout)

    def close(self) -> None:
        """Stop listening and end every forwarded connection."""
        with self._lock:
            self._closed = True
            listeners, self._listeners = self._listeners, []
            sockets, conns = list(self._sockets), list(self._open)
        for listener in listeners:
            listener.close()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for ws in sockets:
            ws.close()
        with self._route_lock:
            tunnel, self._tunnel = self._tunnel, None
        if tunnel is not None:
            tunnel.close()

    def __enter__(self) -> PortForwarder:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PortForwarder(path={self._path!r}, local_ports={self.local_ports!r})"


@contextlib.contextmanager
def forward(
    client: Client,
    name: str,
    port: int,
    *,
    namespace: str | None = None,
    local_port: int = 0,
    address: str = "127.0.0.1",
    protocol: Protocol = "auto",
) -> Generator[int, None, None]:
    """Forward a local port to ``port`` of pod ``name``; yields the local port.

    Args:
        client: the cluster to talk to.
        name: the pod's name.
        port: the pod's port.
        namespace: the pod's namespace (default: the client's).
        local_port: the local port (0: a free one).
        address: the local address to listen on.
        protocol: ``auto`` (SPDY in WebSocket where the server has it, else WebSocket),
            ``spdy`` or ``websocket``.
    """
    with PortForwarder(
        client, name, {port: local_port}, namespace=namespace, address=address, protocol=protocol
    ) as forwarder:
        yield forwarder.local_port


@dataclass
class _AsyncStream:
    """One SPDY stream as the reader task sees it."""

    replied: anyio.Event
    send: MemoryObjectSendStream[bytes]
    receive: MemoryObjectReceiveStream[bytes]
    reset: int | None = None


def _async_stream() -> _AsyncStream:
    # Bounded as _Buffer is; the end of the data is the send side closed (EndOfStream).
    send, receive = anyio.create_memory_object_stream[bytes](_BUFFERED_CHUNKS)
    return _AsyncStream(anyio.Event(), send, receive)


class _AsyncSpdyTunnel:
    """The asyncio twin of :class:`_SpdyTunnel`; :meth:`run` is its reader task."""

    def __init__(self, ws: AsyncWebSocket) -> None:
        self._ws = ws
        self._session = SpdySession()
        self._lock = anyio.Lock()
        self._streams: dict[int, _AsyncStream] = {}
        self.request_ids = itertools.count()
        self.closed = False
        self.error: BaseException | None = None

    async def run(self) -> None:
        try:
            while (message := await self._ws.receive()) is not None:
                events, reply = self._session.feed(message)
                if reply:
                    async with self._lock:
                        await self._ws.send(reply)
                for event in events:
                    await self._dispatch(event)
        except (KubetypedError, SpdyError) as exc:
            self.error = exc
        finally:
            self.closed = True
            for stream in self._streams.values():
                stream.replied.set()
                stream.send.close()

    async def _dispatch(self, event: Reply | Data | Reset | GoAway) -> None:
        if isinstance(event, GoAway):
            self.closed = True
            return
        stream = self._streams.get(event.stream_id)
        if stream is None:
            return
        if isinstance(event, Reply):
            stream.replied.set()
            if event.fin:
                stream.send.close()
        elif isinstance(event, Data):
            if event.data:
                # Waits while the connection's reader is behind; dropped once it is gone.
                with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
                    await stream.send.send(event.data)
            if event.fin:
                stream.send.close()
        else:
            stream.reset = event.status
            stream.replied.set()
            stream.send.close()

    async def open(self, headers: list[tuple[str, str]]) -> tuple[int, _AsyncStream]:
        stream = _async_stream()
        async with self._lock:
            if self.closed:
                raise ForwardError("the SPDY session is closed", port=0)
            checkpoint = self._session.checkpoint()
            stream_id, frame = self._session.syn_stream(headers)
            self._streams[stream_id] = stream
            try:
                await self._ws.send(frame)
            except anyio.get_cancelled_exc_class():
                # Cancelled while waiting to write (a write once begun is finished, shielded):
                # the server never saw this header block, so the session must forget it.
                self._session.rewind(checkpoint)
                self.forget(stream_id)
                raise
        with anyio.move_on_after(_REPLY_TIMEOUT):
            await stream.replied.wait()
        if not stream.replied.is_set() or self.closed and stream.reset is None:
            self.forget(stream_id)
            raise ForwardError(
                f"the kubelet did not accept a stream within {_REPLY_TIMEOUT:g} s"
                if not self.closed
                else f"the SPDY session ended: {self.error or 'closed by the server'}",
                port=0,
            )
        return stream_id, stream

    async def send(self, stream_id: int, data: bytes, *, fin: bool = False) -> None:
        async with self._lock:
            await self._ws.send(SpdySession.data(stream_id, data, fin=fin))

    async def reset(self, stream_id: int) -> None:
        async with self._lock:
            if not self.closed:
                await self._ws.send(SpdySession.rst_stream(stream_id))

    def forget(self, *stream_ids: int) -> None:
        for stream_id in stream_ids:
            stream = self._streams.pop(stream_id, None)
            if stream is not None:
                stream.send.close()
                stream.receive.close()

    async def aclose(self) -> None:
        if not self.closed:
            with contextlib.suppress(KubetypedError), anyio.move_on_after(5, shield=True):
                async with self._lock:
                    await self._ws.send(SpdySession.goaway())
        self.closed = True
        await self._ws.aclose()


class AsyncPortForwarder:
    """The asyncio (or trio) twin of :class:`PortForwarder`: ``async with``."""

    def __init__(
        self,
        client: AsyncClient,
        name: str,
        ports: int | Sequence[int] | Mapping[int, int],
        *,
        namespace: str | None = None,
        address: str = "127.0.0.1",
        protocol: Protocol = "auto",
    ) -> None:
        self._client = client
        self._path = pod_subresource_path(namespace or client.namespace, name, "portforward")
        self._wanted = _ports(ports)
        for port in self._wanted:
            _params(port)
        self._address = address
        self.protocol: Protocol = _check_protocol(protocol)
        """The protocol asked for; once a connection was made, the one in use."""
        self.local_ports: dict[int, int] = {}
        """Pod port → the local port forwarding to it."""
        self.errors: list[ForwardError] = []
        """The connections that failed, oldest first."""
        self._tunnel: _AsyncSpdyTunnel | None = None
        self._route_lock = anyio.Lock()
        self._group: anyio.abc.TaskGroup | None = None
        self._listeners: list[anyio.abc.Listener[anyio.abc.SocketStream]] = []

    @property
    def local_port(self) -> int:
        """The local port of the first pod port."""
        return self.local_ports[next(iter(self._wanted))]

    async def __aenter__(self) -> AsyncPortForwarder:
        group = anyio.create_task_group()
        await group.__aenter__()
        self._group = group
        try:
            for remote, local in self._wanted.items():
                listener = await anyio.create_tcp_listener(
                    local_host=self._address, local_port=local
                )
                self._listeners.append(listener)
                self.local_ports[remote] = listener.extra(anyio.abc.SocketAttribute.local_port)
                group.start_soon(self._accept, listener, remote)
        except BaseException:
            await self.aclose()
            raise
        return self

    async def _accept(
        self, listener: anyio.abc.Listener[anyio.abc.SocketStream], remote: int
    ) -> None:
        async def handle(conn: anyio.abc.SocketStream) -> None:
            await self._serve(conn, remote)

        with contextlib.suppress(anyio.ClosedResourceError):
            await listener.serve(handle)

    async def _route(self, remote: int) -> _AsyncSpdyTunnel | AsyncWebSocket:
        async with self._route_lock:
            if self.protocol == "websocket":
                return await connect_async(
                    self._client, self._path, _params(remote), PORTFORWARD_PROTOCOLS
                )
            if self._tunnel is not None and not self._tunnel.closed:
                return self._tunnel
            offered = [SPDY_TUNNEL_PROTOCOL]
            if self.protocol == "auto":
                offered += PORTFORWARD_PROTOCOLS
            ws = await connect_async(self._client, self._path, _params(remote), offered)
            if ws.subprotocol != SPDY_TUNNEL_PROTOCOL:
                self.protocol = "websocket"
                return ws
            self.protocol = "spdy"
            if self._group is None:
                await ws.aclose()
                raise ForwardError("the forwarder is closed", port=remote)
            self._tunnel = _AsyncSpdyTunnel(ws)
            self._group.start_soon(self._tunnel.run)
            return self._tunnel

    async def _serve(self, conn: anyio.abc.SocketStream, remote: int) -> None:
        async with conn:
            try:
                route = await self._route(remote)
            except KubetypedError as exc:
                self._failed(ForwardError(f"port {remote}: {exc}", port=remote), exc)
                return
            if isinstance(route, _AsyncSpdyTunnel):
                await self._serve_spdy(conn, remote, route)
            else:
                await self._serve_websocket(conn, remote, route)

    async def _serve_spdy(
        self, conn: anyio.abc.SocketStream, remote: int, tunnel: _AsyncSpdyTunnel
    ) -> None:
        request_id = next(tunnel.request_ids)
        opened: list[int] = []
        try:
            error_id, error = await tunnel.open(_stream_headers("error", remote, request_id))
            opened.append(error_id)
            await tunnel.send(error_id, b"", fin=True)
            data_id, data = await tunnel.open(_stream_headers("data", remote, request_id))
            opened.append(data_id)
        except KubetypedError as exc:
            self._failed(ForwardError(f"port {remote}: {exc}", port=remote), exc)
            tunnel.forget(*opened)
            return

        async def upstream() -> None:
            with contextlib.suppress(KubetypedError, OSError, anyio.BrokenResourceError):
                try:
                    while True:
                        await tunnel.send(data_id, await conn.receive(_CHUNK))
                except anyio.EndOfStream:
                    await tunnel.send(data_id, b"", fin=True)  # the local end is done writing

        try:
            async with anyio.create_task_group() as group:
                group.start_soon(upstream)
                try:
                    async for chunk in data.receive:
                        await conn.send(chunk)
                except (OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
                    data.receive.close()  # nobody reads it any more
                    await tunnel.reset(data_id)
                group.cancel_scope.cancel()
            message = b""
            with anyio.move_on_after(_ERROR_TIMEOUT):
                async for part in error.receive:
                    message += part
            failure = _spdy_failure(remote, message, data.reset if not message else None)
            if tunnel.closed and tunnel.error is not None and failure is None:
                failure = ForwardError(f"port {remote}: {tunnel.error}", port=remote)
            if failure is not None:
                self._failed(failure, None)
        finally:
            tunnel.forget(*opened)

    async def _serve_websocket(
        self, conn: anyio.abc.SocketStream, remote: int, ws: AsyncWebSocket
    ) -> None:
        frames = _Frames(remote)
        try:
            async with anyio.create_task_group() as group:

                async def upstream() -> None:
                    await self._upstream(conn, ws)
                    # No half-close in this protocol: the local end closing ends it all.
                    group.cancel_scope.cancel()

                group.start_soon(upstream)
                try:
                    while (message := await ws.receive()) is not None:
                        payload = frames.take(message)
                        if payload:
                            await conn.send(payload)
                except (KubetypedError, OSError, anyio.BrokenResourceError) as exc:
                    self._failed(ForwardError(f"port {remote}: {exc}", port=remote), exc)
                group.cancel_scope.cancel()
        finally:
            await ws.aclose()
        failure = frames.failure()
        if failure is not None:
            self._failed(failure, None)

    @staticmethod
    async def _upstream(conn: anyio.abc.SocketStream, ws: AsyncWebSocket) -> None:
        with contextlib.suppress(
            KubetypedError, OSError, anyio.EndOfStream, anyio.BrokenResourceError
        ):
            while True:
                data = await conn.receive(_CHUNK)
                await ws.send(bytes([_DATA]) + data)

    def _failed(self, error: ForwardError, cause: BaseException | None) -> None:
        error.__cause__ = cause
        self.errors.append(error)
        logger.warning("port-forward: %s", error)

    def check(self) -> None:
        """Raise the first connection's error, if any failed."""
        if self.errors:
            raise self.errors[0]

    async def connect(self, port: int | None = None) -> anyio.abc.SocketStream:
        """A stream connected, through the forward, to the pod's ``port`` (default: the
        first): the same as connecting to its local port yourself."""
        remote = next(iter(self._wanted)) if port is None else port
        local = self.local_ports.get(remote)
        if local is None:
            raise ValueError(
                f"port {remote} is not forwarded (started? ports: {list(self._wanted)})"
            )
        host = "127.0.0.1" if self._address in ("", "0.0.0.0") else self._address
        return await anyio.connect_tcp(host, local)

    async def aclose(self) -> None:
        """Stop listening and end every forwarded connection."""
        group, self._group = self._group, None
        tunnel, self._tunnel = self._tunnel, None
        if tunnel is not None:
            await tunnel.aclose()
        if group is not None:
            group.cancel_scope.cancel()
            await group.__aexit__(None, None, None)
        for listener in self._listeners:
            await listener.aclose()
        self._listeners = []

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"AsyncPortForwarder(path={self._path!r}, local_ports={self.local_ports!r})"


@contextlib.asynccontextmanager
async def forward_async(
    client: AsyncClient,
    name: str,
    port: int,
    *,
    namespace: str | None = None,
    local_port: int = 0,
    address: str = "127.0.0.1",
    protocol: Protocol = "auto",
) -> AsyncGenerator[int, None]:
    """The asyncio twin of :func:`forward`: ``async with forward_async(...) as port:``."""
    async with AsyncPortForwarder(
        client, name, {port: local_port}, namespace=namespace, address=address, protocol=protocol
    ) as forwarder:
        yield forwarder.local_port
