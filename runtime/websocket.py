"""WebSocket connections to the API server, made the way every other request is made.

``exec``, ``attach`` and ``portforward`` leave HTTP: the client asks for an upgrade to
WebSocket and the API server (and, behind it, the kubelet) speaks a channel protocol over it.
The upgrade request is an ordinary request of an httpx client built from the
:class:`~kubetyped.Client`'s own settings (:meth:`~kubetyped.Client.upgrade_settings`): the
same bearer token, token file, exec plugin or client certificate, the same CA, the same
``Impersonate-*`` headers and the same proxy. Only HTTP/1.1 is used (an upgrade cannot run
over HTTP/2).

After the ``101 Switching Protocols``, WebSocket frames are read and written by wsproto (a
sans-I/O implementation of RFC 6455 from the python-hyper project, the one under httpx-ws
and uvicorn) on httpcore's upgraded network stream, so one protocol core serves threads and
asyncio alike.

Errors: a refused upgrade raises the :class:`~kubetyped.ApiError` for its status
(``Forbidden``, ``NotFound``, ``BadRequest``, ...; a 403 with no body, the API server's answer
to subprotocols it does not speak, says so); a connection that breaks raises
:class:`~kubetyped.TransportError`; a peer that breaks the WebSocket protocol raises
:class:`WebSocketError`.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import inspect
import os
import socket
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import anyio
import httpcore
import httpx
from wsproto.connection import Connection, ConnectionState, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, Ping, TextMessage
from wsproto.utilities import LocalProtocolError, RemoteProtocolError

from .errors import ApiError, InvalidRequest, TransportError, cause_text, error_from_response
from .request import ParamValue, encode_params

if TYPE_CHECKING:
    from .client import AsyncClient, Client

__all__ = [
    "AsyncWebSocket",
    "WebSocket",
    "WebSocketError",
    "connect",
    "connect_async",
]

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_READ_SIZE = 64 * 1024
_MAX_ERROR_BODY = 64 * 1024
_UPGRADE_CONNECTIONS = 1024  # upgraded connections are long-lived: the pool must not cap them
_NORMAL_CLOSURE = 1000
_WRITE_TIMEOUT = 60.0  # seconds a frame may take to leave, once begun


class WebSocketError(TransportError):
    """Raised when the WebSocket itself fails after the upgrade: the peer broke the protocol,
    or closed the connection with an error code (the code and reason are in the message)."""


def _safe(url: httpx.URL) -> str:
    return str(url.copy_with(username=None, password=None, query=None))


class _Protocol:
    """The sans-I/O half shared by both flavours: frames out, messages in."""

    def __init__(self, trailing: bytes = b"") -> None:
        self._ws = Connection(ConnectionType.CLIENT, trailing_data=trailing)
        self._parts: list[bytes] = []
        self.close_code: int | None = None
        self.close_reason = ""
        self._lock = threading.Lock()  # sync: a writer thread and a reader thread share it

    @property
    def open(self) -> bool:
        return self._ws.state is ConnectionState.OPEN

    def frame(self, data: bytes) -> bytes:
        with self._lock:
            if self._ws.state is not ConnectionState.OPEN:
                raise WebSocketError("the WebSocket is closed")
            return self._ws.send(BytesMessage(data=data))

    def close_frame(self, code: int, reason: str = "") -> bytes:
        with self._lock:
            if self._ws.state is not ConnectionState.OPEN:
                return b""
            return self._ws.send(CloseConnection(code=code, reason=reason))

    def feed(self, data: bytes | None) -> tuple[list[bytes], bytes, bool]:
        """Take bytes read (None at end of stream); return whole messages, bytes to send back
        (pongs, the reply to a close) and whether the connection is over."""
        messages: list[bytes] = []
        out = b""
        closing = False
        with self._lock:
            try:
                self._ws.receive_data(data)
                for event in self._ws.events():
                    if isinstance(event, (BytesMessage, TextMessage)):
                        if isinstance(event, TextMessage):
                            self._parts.append(event.data.encode())
                        else:
                            self._parts.append(bytes(event.data))
                        if event.message_finished:
                            messages.append(b"".join(self._parts))
                            self._parts = []
                    elif isinstance(event, Ping):
                        out += self._ws.send(event.response())
                    elif isinstance(event, CloseConnection):
                        self.close_code, self.close_reason = event.code, event.reason or ""
                        if self._ws.state is ConnectionState.REMOTE_CLOSING:
                            out += self._ws.send(event.response())
                        elif self._ws.state is ConnectionState.OPEN:
                            # wsproto found the peer's frames broken (1002, 1007): we close.
                            out += self._ws.send(CloseConnection(code=event.code))
                        closing = True
            except (RemoteProtocolError, LocalProtocolError) as exc:
                raise WebSocketError(f"WebSocket protocol error: {exc}") from None
            over = closing or self._ws.state in (
                ConnectionState.CLOSED,
                ConnectionState.REMOTE_CLOSING,
            )
        return messages, out, over or data is None

    def check_close(self) -> None:
        """Raise if the peer closed with an error code or without a close frame."""
        if self.close_code is None or self.close_code == 1006:  # wsproto's code for it
            raise WebSocketError("the connection ended without a WebSocket close frame")
        if self.close_code not in (_NORMAL_CLOSURE, 1005):
            # 1002 and 1007 may be wsproto's own, for frames that break the protocol.
            reason = f": {self.close_reason}" if self.close_reason else ""
            raise WebSocketError(f"the WebSocket closed with code {self.close_code}{reason}")


# One HTTP/1.1 httpx client per kubetyped client, made on first use.
_sync_http: weakref.WeakKeyDictionary[Client, httpx.Client] = weakref.WeakKeyDictionary()
_async_http: weakref.WeakKeyDictionary[AsyncClient, httpx.AsyncClient] = weakref.WeakKeyDictionary()
_http_lock = threading.Lock()


def _http1_only(make_transport: Callable[..., object]) -> dict[str, bool]:
    # An upgrade is an HTTP/1.1 affair: ask for HTTP/1.1 where the transport could do HTTP/2.
    return {"http2": False} if "http2" in inspect.signature(make_transport).parameters else {}


def http_for(client: Client) -> tuple[httpx.Client, dict[str, Any]]:
    """The HTTP/1.1 httpx client (and request extensions) for upgrades and proxy requests of
    ``client``: its options, TLS, auth and proxy; one per client, made on first use."""
    from .transport import sync_transport

    options, verify, proxy, extensions = client.upgrade_settings()
    with _http_lock:
        http = _sync_http.get(client)
        if http is None:
            transport = sync_transport(
                verify=verify,
                proxy=proxy,
                max_connections=_UPGRADE_CONNECTIONS,
                **_http1_only(sync_transport),
            )
            http = _sync_http[client] = httpx.Client(**options, transport=transport)
            # Its pooled connections (proxy requests, refused upgrades) go with the client.
            weakref.finalize(client, http.close)
    return http, extensions


def async_http_for(client: AsyncClient) -> tuple[httpx.AsyncClient, dict[str, Any]]:
    """The asyncio twin of :func:`http_for`."""
    from .transport import async_transport

    options, verify, proxy, extensions = client.upgrade_settings()
    with _http_lock:
        http = _async_http.get(client)
        if http is None:
            transport = async_transport(
                verify=verify,
                proxy=proxy,
                max_connections=_UPGRADE_CONNECTIONS,
                **_http1_only(async_transport),
            )
            http = _async_http[client] = httpx.AsyncClient(**options, transport=transport)
    return http, extensions


def _upgrade_request(
    http: httpx.Client | httpx.AsyncClient,
    path: str,
    params: Mapping[str, ParamValue | None] | Sequence[tuple[str, str]],
    subprotocols: Sequence[str],
    extensions: dict[str, Any],
) -> tuple[httpx.Request, str]:
    if not path.startswith("/") or "?" in path or "#" in path:
        raise InvalidRequest(f"{path[:100]!r}: a WebSocket path is a path on the cluster")
    key = base64.b64encode(os.urandom(16)).decode()
    query = httpx.QueryParams(
        list(encode_params(params) if isinstance(params, Mapping) else params)
    )
    headers = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": key,
        "Sec-WebSocket-Protocol": ", ".join(subprotocols),
        "Accept": "*/*",
    }
    try:
        request = http.build_request(
            "GET", path, params=query, headers=headers, extensions=extensions
        )
    except httpx.InvalidURL as exc:
        raise InvalidRequest(f"GET {path[:100]}: cannot make a URL: {exc}") from None
    accept = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()
    return request, accept


def _refused(request: httpx.Request, response: httpx.Response, body: bytes) -> ApiError:
    url = _safe(request.url)
    offered = request.headers.get("Sec-WebSocket-Protocol", "")
    if response.status_code == 403 and not body.strip():
        body = (
            f"the server refused the WebSocket upgrade; it speaks none of the subprotocols "
            f"offered ({offered}), or the user may not create this subresource"
        ).encode()
    elif 200 <= response.status_code < 300:
        body = f"the server answered HTTP {response.status_code} instead of upgrading".encode()
    code = response.status_code if response.status_code >= 300 else 502
    return error_from_response(code, body, method="GET", url=url)


def _accepted(request: httpx.Request, response: httpx.Response, accept: str) -> str:
    url = _safe(request.url)
    if response.headers.get("Sec-WebSocket-Accept") != accept:
        raise WebSocketError(f"GET {url}: the upgrade answer has a wrong Sec-WebSocket-Accept")
    protocol = str(response.headers.get("Sec-WebSocket-Protocol", ""))
    offered = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",")]
    if protocol not in offered:
        raise WebSocketError(
            f"GET {url}: the server chose subprotocol {protocol!r}, not one offered ({offered})"
        )
    return protocol


def _transport_error(request: httpx.Request, exc: Exception) -> TransportError:
    return TransportError(f"GET {_safe(request.url)}: {cause_text(exc)}")


class WebSocket:
    """A WebSocket to the API server (sync). ``send`` may be called from any thread; one
    thread at a time calls ``receive``. Use it as a context manager, or ``close()`` it."""

    def __init__(
        self,
        response: httpx.Response,
        stream: httpcore.NetworkStream,
        subprotocol: str,
        url: str,
    ) -> None:
        self._response = response
        self._stream = stream
        self.subprotocol = subprotocol
        """The subprotocol the server chose (``v5.channel.k8s.io``, ...)."""
        self.url = url
        """The URL without its query (no credentials in it)."""
        self._proto = _Protocol()
        self._write = threading.Lock()
        self._pending: list[bytes] = []
        self._ended = False
        self._closed = False

    def send(self, data: bytes) -> None:
        """Send one binary message."""
        frame = self._proto.frame(data)
        self._send_raw(frame)

    def _send_raw(self, frame: bytes) -> None:
        if not frame:
            return
        with self._write:
            try:
                self._stream.write(frame)
            except (httpcore.NetworkError, httpcore.TimeoutException, OSError) as exc:
                raise TransportError(f"{self.url}: sending failed: {cause_text(exc)}") from exc

    def receive(self) -> bytes | None:
        """The next binary message; None once the server closed normally.

        Raises :class:`WebSocketError` for an abnormal close, :class:`TransportError` when
        the connection breaks.
        """
        while not self._pending:
            if self._ended:
                return None
            try:
                data = self._stream.read(_READ_SIZE)
            except httpcore.TimeoutException as exc:
                raise TransportError(f"{self.url}: the call's timeout ran out") from exc
            except (httpcore.NetworkError, OSError) as exc:
                if self._closed:
                    self._ended = True
                    return None
                raise TransportError(
                    f"{self.url}: the connection broke: {cause_text(exc)}"
                ) from exc
            messages, reply, over = self._proto.feed(data or None)
            self._pending.extend(messages)
            if reply:
                try:
                    self._send_raw(reply)
                except TransportError:
                    pass  # the peer is gone; what it sent is still read
            if over:
                self._ended = True
                if not self._pending and not self._closed:
                    self._proto.check_close()
        return self._pending.pop(0)

    def close(self, code: int = _NORMAL_CLOSURE) -> None:
        """Close the WebSocket and its connection (idempotent)."""
        if self._closed:
            return
        self._closed = True
        try:
            self._send_raw(self._proto.close_frame(code))
        except TransportError:
            pass
        # Closing a socket does not wake a thread blocked reading it; shutting it down does.
        sock = self._stream.get_extra_info("socket")
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._response.close()  # closes the upgraded connection

    def __enter__(self) -> WebSocket:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"WebSocket(url={self.url!r}, subprotocol={self.subprotocol!r})"


class AsyncWebSocket:
    """The asyncio (or trio) twin of :class:`WebSocket`: ``await send``, ``await receive``,
    ``await aclose()`` or ``async with``."""

    def __init__(
        self,
        response: httpx.Response,
        stream: httpcore.AsyncNetworkStream,
        subprotocol: str,
        url: str,
    ) -> None:
        self._response = response
        self._stream = stream
        self.subprotocol = subprotocol
        """The subprotocol the server chose."""
        self.url = url
        """The URL without its query."""
        self._proto = _Protocol()
        self._write = anyio.Lock()
        self._pending: list[bytes] = []
        self._ended = False
        self._closed = False

    async def send(self, data: bytes) -> None:
        """Send one binary message."""
        await self._send_raw(self._proto.frame(data))

    async def _send_raw(self, frame: bytes) -> None:
        if not frame:
            return
        async with self._write:
            # A frame cut off by a cancelled task would corrupt the connection for every frame
            # after it (over TLS, the record sequence: the server drops the connection), and a
            # port-forward's connections share one: once begun, a frame is written whole, or
            # fails after _WRITE_TIMEOUT.
            with anyio.CancelScope(shield=True):
                try:
                    await self._stream.write(frame, timeout=_WRITE_TIMEOUT)
                except (httpcore.NetworkError, httpcore.TimeoutException, OSError) as exc:
                    raise TransportError(f"{self.url}: sending failed: {cause_text(exc)}") from exc

    async def receive(self) -> bytes | None:
        """The next binary message; None once the server closed normally."""
        while not self._pending:
            if self._ended:
                return None
            try:
                data = await self._stream.read(_READ_SIZE)
            except httpcore.TimeoutException as exc:
                raise TransportError(f"{self.url}: the call's timeout ran out") from exc
            except (httpcore.NetworkError, OSError) as exc:
                if self._closed:
                    self._ended = True
                    return None
                raise TransportError(
                    f"{self.url}: the connection broke: {cause_text(exc)}"
                ) from exc
            messages, reply, over = self._proto.feed(data or None)
            self._pending.extend(messages)
            if reply:
                try:
                    await self._send_raw(reply)
                except TransportError:
                    pass
            if over:
                self._ended = True
                if not self._pending and not self._closed:
                    self._proto.check_close()
        return self._pending.pop(0)

    async def aclose(self, code: int = _NORMAL_CLOSURE) -> None:
        """Close the WebSocket and its connection (idempotent)."""
        if self._closed:
            return
        self._closed = True
        try:
            with anyio.move_on_after(5, shield=True):
                await self._send_raw(self._proto.close_frame(code))
        except TransportError:
            pass
        with anyio.CancelScope(shield=True):
            await self._response.aclose()

    async def __aenter__(self) -> AsyncWebSocket:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"AsyncWebSocket(url={self.url!r}, subprotocol={self.subprotocol!r})"


def connect(
    client: Client,
    path: str,
    params: Mapping[str, ParamValue | None] | Sequence[tuple[str, str]],
    subprotocols: Sequence[str],
) -> WebSocket:
    """Open a WebSocket to ``path`` on the client's cluster, offering ``subprotocols`` in
    order of preference; raise the ``ApiError`` of a refused upgrade."""
    http, extensions = http_for(client)
    request, accept = _upgrade_request(http, path, params, subprotocols, extensions)
    try:
        response = http.send(request, stream=True)
    except httpx.RequestError as exc:
        raise _transport_error(request, exc) from exc
    try:
        if response.status_code != 101:
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > _MAX_ERROR_BODY:
                    break
            raise _refused(request, response, body)
        protocol = _accepted(request, response, accept)
        stream = response.extensions["network_stream"]
    except httpx.RequestError as exc:
        response.close()
        raise _transport_error(request, exc) from exc
    except BaseException:
        response.close()
        raise
    return WebSocket(response, stream, protocol, _safe(request.url))


async def connect_async(
    client: AsyncClient,
    path: str,
    params: Mapping[str, ParamValue | None] | Sequence[tuple[str, str]],
    subprotocols: Sequence[str],
) -> AsyncWebSocket:
    """The asyncio twin of :func:`connect`."""
    http, extensions = async_http_for(client)
    request, accept = _upgrade_request(http, path, params, subprotocols, extensions)
    try:
        response = await http.send(request, stream=True)
    except httpx.RequestError as exc:
        raise _transport_error(request, exc) from exc
    try:
        if response.status_code != 101:
            body = b""
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > _MAX_ERROR_BODY:
                    break
            raise _refused(request, response, body)
        protocol = _accepted(request, response, accept)
        stream = response.extensions["network_stream"]
    except httpx.RequestError as exc:
        await response.aclose()
        raise _transport_error(request, exc) from exc
    except BaseException:
        with anyio.CancelScope(shield=True):
            await response.aclose()
        raise
    return AsyncWebSocket(response, stream, protocol, _safe(request.url))
