"""Forward local TCP ports to a pod's ports: ``pods/portforward``.

::

    from kubetyped import Client
    from kubetyped.portforward import forward

    with Client() as client, forward(client, "db-0", 5432, namespace="prod") as port:
        psycopg.connect(host="127.0.0.1", port=port, ...)   # reaches db-0:5432

Each connection accepted on the local port opens its own WebSocket to the API server
(``v4.channel.k8s.io`` with ``?ports=P``, the protocol kubectl spoke before 1.31): channel 0
carries the data, channel 1 the pod side's errors, each starting with the port as two
little-endian bytes. Connections are independent: one the pod refuses (nothing listens on
the port) is closed with its error logged on the ``kubetyped`` logger and kept in
:attr:`PortForwarder.errors`; the others go on. Not done yet: SPDY/3.1 tunnelled in
WebSocket (``SPDY/3.1+portforward.k8s.io``, what kubectl 1.31+ speaks, many connections over
one WebSocket).

Errors at connect time (``NotFound`` for a missing pod, ``Forbidden`` without ``create`` on
``pods/portforward``) are per connection too: the first connection's error is also raised by
:meth:`PortForwarder.check`.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import anyio
import anyio.abc

from ._base_errors import KubetypedError
from .exec import pod_subresource_path
from .websocket import AsyncWebSocket, WebSocket, connect, connect_async

if TYPE_CHECKING:
    from .client import AsyncClient, Client

__all__ = [
    "PORTFORWARD_PROTOCOLS",
    "AsyncPortForwarder",
    "ForwardError",
    "PortForwarder",
    "forward",
    "forward_async",
]

PORTFORWARD_PROTOCOLS = ("v4.channel.k8s.io", "portforward.k8s.io")
"""Offered for the WebSocket port-forward protocol."""

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


def _ports(ports: int | Sequence[int] | dict[int, int]) -> dict[int, int]:
    """{pod port: local port (0 for any free one)}."""
    if isinstance(ports, int):
        return {ports: 0}
    if isinstance(ports, dict):
        return dict(ports)
    return dict.fromkeys(ports, 0)


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
        ports: int | Sequence[int] | dict[int, int],
        *,
        namespace: str | None = None,
        address: str = "127.0.0.1",
    ) -> None:
        self._client = client
        self._path = pod_subresource_path(namespace or client.namespace, name, "portforward")
        self._wanted = _ports(ports)
        for port in self._wanted:
            _params(port)
        self._address = address
        self.local_ports: dict[int, int] = {}
        """Pod port → the local port forwarding to it."""
        self.errors: list[ForwardError] = []
        """The connections that failed, oldest first."""
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

    def _serve(self, conn: socket.socket, remote: int) -> None:
        ws: WebSocket | None = None
        frames = _Frames(remote)
        try:
            try:
                ws = connect(self._client, self._path, _params(remote), PORTFORWARD_PROTOCOLS)
            except KubetypedError as exc:
                self._failed(ForwardError(f"port {remote}: {exc}", port=remote), exc)
                return
            with self._lock:
                if self._closed:
                    return
                self._sockets.add(ws)
            threading.Thread(
                target=self._upstream, args=(conn, ws), name="kubetyped-portforward-up", daemon=True
            ).start()
            try:
                while (message := ws.receive()) is not None:
                    data = frames.take(message)
                    if data:
                        conn.sendall(data)
            except (KubetypedError, OSError) as exc:
                if not self._closed:
                    self._failed(ForwardError(f"port {remote}: {exc}", port=remote), exc)
                return
            failure = frames.failure()
            if failure is not None:
                self._failed(failure, None)
        finally:
            if ws is not None:
                ws.close()
                with self._lock:
                    self._sockets.discard(ws)
            with self._lock:
                self._open.discard(conn)
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

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
) -> Iterator[int]:
    """Forward a local port to ``port`` of pod ``name``; yields the local port.

    Args:
        client: the cluster to talk to.
        name: the pod's name.
        port: the pod's port.
        namespace: the pod's namespace (default: the client's).
        local_port: the local port (0: a free one).
        address: the local address to listen on.
    """
    with PortForwarder(
        client, name, {port: local_port}, namespace=namespace, address=address
    ) as forwarder:
        yield forwarder.local_port


class AsyncPortForwarder:
    """The asyncio (or trio) twin of :class:`PortForwarder`: ``async with``."""

    def __init__(
        self,
        client: AsyncClient,
        name: str,
        ports: int | Sequence[int] | dict[int, int],
        *,
        namespace: str | None = None,
        address: str = "127.0.0.1",
    ) -> None:
        self._client = client
        self._path = pod_subresource_path(namespace or client.namespace, name, "portforward")
        self._wanted = _ports(ports)
        for port in self._wanted:
            _params(port)
        self._address = address
        self.local_ports: dict[int, int] = {}
        """Pod port → the local port forwarding to it."""
        self.errors: list[ForwardError] = []
        """The connections that failed, oldest first."""
        self._group: anyio.abc.TaskGroup | None = None
        self._listeners: list[anyio.abc.SocketListener] = []

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

    async def _accept(self, listener: anyio.abc.SocketListener, remote: int) -> None:
        async def handle(conn: anyio.abc.SocketStream) -> None:
            await self._serve(conn, remote)

        with contextlib.suppress(anyio.ClosedResourceError):
            await listener.serve(handle)

    async def _serve(self, conn: anyio.abc.SocketStream, remote: int) -> None:
        frames = _Frames(remote)
        async with conn:
            try:
                ws = await connect_async(
                    self._client, self._path, _params(remote), PORTFORWARD_PROTOCOLS
                )
            except KubetypedError as exc:
                self._failed(ForwardError(f"port {remote}: {exc}", port=remote), exc)
                return
            try:
                async with anyio.create_task_group() as group:

                    async def upstream() -> None:
                        await self._upstream(conn, ws)
                        # No half-close in this protocol: the local end closing ends it all.
                        group.cancel_scope.cancel()

                    group.start_soon(upstream)
                    try:
                        while (message := await ws.receive()) is not None:
                            data = frames.take(message)
                            if data:
                                await conn.send(data)
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

    async def aclose(self) -> None:
        """Stop listening and end every forwarded connection."""
        group, self._group = self._group, None
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
) -> AsyncIterator[int]:
    """The asyncio twin of :func:`forward`: ``async with forward_async(...) as port:``."""
    async with AsyncPortForwarder(
        client, name, {port: local_port}, namespace=namespace, address=address
    ) as forwarder:
        yield forwarder.local_port
