"""The wire protocols of exec, attach and port-forward, without a server: what the real one
cannot be made to send (fragmented messages, pings, abnormal closes, a misleading status
message, SPDY frames of every kind). The happy paths run against the real API server in
tests/e2e (test_exec_attach.py, test_portforward.py)."""

from __future__ import annotations

import hashlib
import json
import queue
import struct
import zlib

import anyio
import httpcore
import httpx
import pytest
from kubetyped.errors import BadRequest, Forbidden, InvalidRequest, TransportError
from kubetyped.exec import ExecError, ExecResult, NonZeroExit, Output, _Channels
from kubetyped.portforward import _AsyncSpdyTunnel, _Frames, _spdy_failure
from kubetyped.spdy import DICTIONARY, Data, GoAway, Reply, Reset, SpdySession
from kubetyped.status import Status
from kubetyped.websocket import (
    AsyncWebSocket,
    WebSocket,
    WebSocketError,
    _accepted,
    _Protocol,
    _refused,
)
from wsproto.connection import Connection, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, Ping, TextMessage

URL = "https://cluster/api/v1/namespaces/ns/pods/p/exec"


def status(body: dict[str, object]) -> bytes:
    return b"\x03" + json.dumps(body).encode()


# ---- the channel protocol of exec and attach


def test_exit_code_comes_from_the_causes_never_the_message() -> None:
    channels = _Channels("v5.channel.k8s.io", URL)
    channels.take(
        status(
            {
                "status": "Failure",
                "reason": "NonZeroExitCode",
                "message": "command terminated with non-zero exit code: exit status 99",
                "details": {"causes": [{"reason": "ExitCode", "message": "3"}]},
            }
        )
    )
    assert channels.exit_code() == 3


def test_success_failure_and_missing_status() -> None:
    ok = _Channels("v5.channel.k8s.io", URL)
    ok.take(status({"metadata": {}, "status": "Success"}))
    assert ok.exit_code() == 0

    failed = _Channels("v4.channel.k8s.io", URL)
    failed.take(status({"status": "Failure", "reason": "InternalError", "message": "no such file"}))
    with pytest.raises(ExecError) as caught:
        failed.exit_code()
    assert (caught.value.code, caught.value.reason, caught.value.message) == (
        500,
        "InternalError",
        "no such file",
    )
    assert not isinstance(caught.value, NonZeroExit)

    # NonZeroExitCode without a usable cause is a failure too, not a made-up code.
    odd = _Channels("v5.channel.k8s.io", URL)
    odd.take(status({"status": "Failure", "reason": "NonZeroExitCode", "message": "exit 4"}))
    with pytest.raises(ExecError):
        odd.exit_code()

    silent = _Channels("v5.channel.k8s.io", URL)
    with pytest.raises(ExecError, match="without a status"):
        silent.exit_code()


def test_output_frames_and_what_is_ignored() -> None:
    channels = _Channels("v5.channel.k8s.io", URL)
    assert channels.take(b"") is None
    assert channels.take(b"\x01") is None  # the server's empty hello frame
    assert channels.take(b"\x01out") == Output("stdout", b"out")
    assert channels.take(b"\x02err") == Output("stderr", b"err")
    assert channels.take(b"\x09what") is None


def test_frames_we_send() -> None:
    v5 = _Channels("v5.channel.k8s.io", URL)
    assert v5.stdin("hé") == b"\x00h\xc3\xa9"
    assert _Channels.resize(100, 40) == b'\x04{"Width": 100, "Height": 40}'
    assert v5.close_stdin() == b"\xff\x00"
    with pytest.raises(InvalidRequest, match="stdin is closed"):
        v5.stdin(b"late")
    with pytest.raises(ValueError):
        _Channels.resize(0, 10)
    v4 = _Channels("v4.channel.k8s.io", URL)
    with pytest.raises(InvalidRequest, match="cannot close stdin"):
        v4.close_stdin()


def test_result_check() -> None:
    failure = Status(status="Failure", reason="NonZeroExitCode")
    result = ExecResult(b"o", b"e", 2, failure)
    with pytest.raises(NonZeroExit) as caught:
        result.check()
    assert caught.value.exit_code == 2 and caught.value.result is result
    assert ExecResult(b"", b"", 0, Status(status="Success")).check().exit_code == 0


# ---- WebSocket frames (wsproto), as a server would send them


def server_frames(*events: object) -> bytes:
    server = Connection(ConnectionType.SERVER)
    return b"".join(server.send(e) for e in events)  # type: ignore[arg-type]


def test_fragmented_messages_are_joined_and_pings_answered() -> None:
    proto = _Protocol()
    data = server_frames(
        BytesMessage(data=b"\x01hel", message_finished=False),
        Ping(payload=b"p"),
        BytesMessage(data=b"lo", message_finished=True),
        TextMessage(data="1aGk="),
    )
    messages, reply, over = proto.feed(data)
    assert messages == [b"\x01hello", b"1aGk="]
    assert reply  # the pong
    assert not over


def test_normal_and_abnormal_close() -> None:
    proto = _Protocol()
    _, reply, over = proto.feed(server_frames(CloseConnection(code=1000)))
    assert over and reply  # our close reply
    proto.check_close()

    broken = _Protocol()
    _, _, over = broken.feed(server_frames(CloseConnection(code=1011, reason="kubelet gone")))
    assert over
    with pytest.raises(WebSocketError, match="code 1011: kubelet gone"):
        broken.check_close()

    cut = _Protocol()
    _, _, over = cut.feed(None)
    assert over
    with pytest.raises(WebSocketError, match="without a WebSocket close frame"):
        cut.check_close()


class _BrokenStream:
    """A socket the peer dropped: httpcore raises its errors without text, as from anyio."""

    def write(self, data: bytes, timeout: float | None = None) -> None:
        raise httpcore.WriteError()

    def read(self, size: int, timeout: float | None = None) -> bytes:
        raise httpcore.ReadError()


class _AsyncBrokenStream:
    async def write(self, data: bytes, timeout: float | None = None) -> None:
        raise httpcore.WriteError()

    async def read(self, size: int, timeout: float | None = None) -> bytes:
        raise httpcore.ReadError()


def test_a_dropped_connection_names_what_broke() -> None:
    response = httpx.Response(101)
    ws = WebSocket(response, _BrokenStream(), "v5.channel.k8s.io", URL)  # type: ignore[arg-type]
    with pytest.raises(TransportError, match=f"^{URL}: sending failed: WriteError$"):
        ws.send(b"x")
    with pytest.raises(TransportError, match=f"^{URL}: the connection broke: ReadError$"):
        ws.receive()

    async def both() -> None:
        stream: object = _AsyncBrokenStream()
        aws = AsyncWebSocket(response, stream, "v5.channel.k8s.io", URL)  # type: ignore[arg-type]
        with pytest.raises(TransportError, match="sending failed: WriteError$"):
            await aws.send(b"x")
        with pytest.raises(TransportError, match="the connection broke: ReadError$"):
            await aws.receive()

    anyio.run(both)


class _SlowStream:
    """A socket whose writes wait (a full send buffer), keeping what leaves whole."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.started = anyio.Event()

    async def write(self, data: bytes, timeout: float | None = None) -> None:
        self.started.set()
        await anyio.sleep(0.05)
        self.sent.append(data)


def test_a_cancelled_send_still_sends_its_whole_frame() -> None:
    # Port-forward's connections share one WebSocket: a frame cut off when one connection's
    # task is cancelled would corrupt the stream (over TLS, the record sequence) for all.
    async def cancelled() -> None:
        stream = _SlowStream()
        aws = AsyncWebSocket(httpx.Response(101), stream, "x", URL)  # type: ignore[arg-type]
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(aws.send, b"a" * 100)
            await stream.started.wait()
            tasks.cancel_scope.cancel()
        assert len(stream.sent) == 1
        server = Connection(ConnectionType.SERVER)  # reads the client's masked frame
        server.receive_data(stream.sent[0])
        (message,) = server.events()
        assert isinstance(message, BytesMessage) and message.data == b"a" * 100

    anyio.run(cancelled)


def test_protocol_errors_are_websocket_errors() -> None:
    proto = _Protocol()
    _, reply, over = proto.feed(b"\x8f\x80garbage-frame-with-reserved-opcode")
    assert over and reply  # wsproto closes with 1002 itself
    with pytest.raises(WebSocketError, match="code 1002"):
        proto.check_close()


def upgrade(protocols: str = "v5.channel.k8s.io, v4.channel.k8s.io") -> httpx.Request:
    return httpx.Request("GET", URL, headers={"Sec-WebSocket-Protocol": protocols})


def test_refused_upgrades_are_typed() -> None:
    forbidden = _refused(upgrade(), httpx.Response(403), b"")
    assert isinstance(forbidden, Forbidden)
    assert "speaks none of the subprotocols offered (v5.channel.k8s.io, v4" in forbidden.message
    body = json.dumps(
        {
            "kind": "Status",
            "apiVersion": "v1",
            "status": "Failure",
            "reason": "BadRequest",
            "code": 400,
            "message": "container nope is not valid",
        }
    ).encode()
    bad = _refused(upgrade(), httpx.Response(400), body)
    assert isinstance(bad, BadRequest) and bad.message == "container nope is not valid"
    not_upgraded = _refused(upgrade(), httpx.Response(200), b"{}")
    assert not_upgraded.code == 502 and "instead of upgrading" in not_upgraded.message


def test_the_upgrade_answer_is_checked() -> None:
    request = upgrade()
    with pytest.raises(WebSocketError, match="Sec-WebSocket-Accept"):
        _accepted(request, httpx.Response(101, headers={"Sec-WebSocket-Accept": "x"}), "y")
    with pytest.raises(WebSocketError, match="not one offered"):
        _accepted(
            request,
            httpx.Response(
                101,
                headers={
                    "Sec-WebSocket-Accept": "y",
                    "Sec-WebSocket-Protocol": "v3.channel.k8s.io",
                },
            ),
            "y",
        )
    answer = httpx.Response(
        101, headers={"Sec-WebSocket-Accept": "y", "Sec-WebSocket-Protocol": "v4.channel.k8s.io"}
    )
    assert _accepted(request, answer, "y") == "v4.channel.k8s.io"


# ---- port-forward: the WebSocket channels and SPDY


def test_websocket_portforward_frames() -> None:
    frames = _Frames(8080)
    assert frames.take(b"\x00\x90\x1f") == b""  # the port, 8080 little-endian
    assert frames.take(b"\x01\x90\x1f") == b""
    assert frames.take(b"\x00data") == b"data"
    assert frames.failure() is None
    frames.take(b"\x01dial tcp: connection refused")
    failure = frames.failure()
    assert failure is not None and failure.port == 8080
    assert str(failure) == "port 8080: dial tcp: connection refused"


def test_spdy_dictionary_is_the_spdy3_one() -> None:
    assert len(DICTIONARY) == 1423
    digest = "51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02"
    assert hashlib.sha256(DICTIONARY).hexdigest() == digest


def read_headers(block: bytes, inflate: zlib._Decompress) -> dict[str, str]:
    raw = inflate.decompress(block)
    (count,) = struct.unpack_from(">I", raw)
    offset, headers = 4, {}
    for _ in range(count):
        (n,) = struct.unpack_from(">I", raw, offset)
        name = raw[offset + 4 : offset + 4 + n].decode()
        offset += 4 + n
        (n,) = struct.unpack_from(">I", raw, offset)
        headers[name] = raw[offset + 4 : offset + 4 + n].decode()
        offset += 4 + n
    return headers


def test_spdy_syn_stream_as_the_kubelet_reads_it() -> None:
    session = SpdySession()
    inflate = zlib.decompressobj(zdict=DICTIONARY)  # one context for the session, as Go's
    for expected_id, kind in ((1, "error"), (3, "data")):
        stream_id, frame = session.syn_stream(
            [("streamType", kind), ("port", "80"), ("requestID", "0")]
        )
        assert stream_id == expected_id
        word, flags_length = struct.unpack_from(">II", frame)
        assert word == 0x80030001  # control, version 3, SYN_STREAM
        assert flags_length & 0xFFFFFF == len(frame) - 8
        sid, assoc = struct.unpack_from(">II", frame, 8)
        assert (sid, assoc) == (expected_id, 0)
        headers = read_headers(frame[18:], inflate)
        assert headers == {"streamtype": kind, "port": "80", "requestid": "0"}  # lower case
    data = SpdySession.data(3, b"abc", fin=True)
    assert data == struct.pack(">II", 3, (1 << 24) | 3) + b"abc"


def test_a_stream_cancelled_before_its_syn_stream_left_leaves_the_headers_in_step() -> None:
    # Header blocks share one zlib stream per direction: a block compressed but never sent
    # (its task cancelled while another frame was being written) would make every later
    # block unreadable to the kubelet, and so break the port-forward's other connections.
    async def cancelled_then_opened() -> list[bytes]:
        socket = _SlowStream()
        ws = AsyncWebSocket(httpx.Response(101), socket, "x", URL)  # type: ignore[arg-type]
        tunnel = _AsyncSpdyTunnel(ws)
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(ws.send, b"ping")  # holds the write for 50 ms
            await socket.started.wait()
            with anyio.move_on_after(0.01):
                await tunnel.open([("streamType", "error"), ("port", "80")])
            # No kubelet replies, so this open waits until cancelled once its frame has left.
            tasks.start_soon(tunnel.open, [("streamType", "data"), ("port", "8080")])
            while len(socket.sent) < 2:
                await anyio.sleep(0.01)
            tasks.cancel_scope.cancel()
        return socket.sent

    server = Connection(ConnectionType.SERVER)
    for data in anyio.run(cancelled_then_opened):
        server.receive_data(data)
    ping, syn = [event.data for event in server.events() if isinstance(event, BytesMessage)]
    assert ping == b"ping"
    (stream_id,) = struct.unpack_from(">I", syn, 8)
    assert stream_id == 1  # the cancelled stream's id is not spent either
    inflate = zlib.decompressobj(zdict=DICTIONARY)
    assert read_headers(syn[18:], inflate) == {"streamtype": "data", "port": "8080"}


def control(frame_type: int, payload: bytes, flags: int = 0) -> bytes:
    return struct.pack(">HHI", 0x8003, frame_type, (flags << 24) | len(payload)) + payload


def test_spdy_frames_from_the_kubelet() -> None:
    session = SpdySession()
    deflate = zlib.compressobj(9, zlib.DEFLATED, 15, 8, zlib.Z_DEFAULT_STRATEGY, DICTIONARY)

    def block() -> bytes:
        return deflate.compress(struct.pack(">I", 0)) + deflate.flush(zlib.Z_SYNC_FLUSH)

    stream = (
        control(2, struct.pack(">I", 1) + block())  # SYN_REPLY
        + control(2, struct.pack(">I", 3) + block(), flags=1)  # SYN_REPLY with FIN
        + struct.pack(">II", 1, 5)
        + b"hello"  # DATA
        + struct.pack(">II", 1, 1 << 24)  # empty DATA with FIN
        + control(3, struct.pack(">II", 5, 5))  # RST_STREAM cancel
        + control(6, struct.pack(">I", 7))  # PING
        + control(4, struct.pack(">I", 0))  # SETTINGS: ignored
        + control(2, struct.pack(">I", 9) + block())  # a reply after frames it must skip
        + control(1, struct.pack(">IIBB", 2, 0, 0, 0) + block())  # the kubelet opening a stream
        + control(7, struct.pack(">II", 3, 0))  # GOAWAY
    )
    # Fed in pieces, as WebSocket messages cut it.
    events: list[object] = []
    out = b""
    for i in range(0, len(stream), 7):
        new, reply = session.feed(stream[i : i + 7])
        events += new
        out += reply
    assert events == [
        Reply(1, False),
        Reply(3, True),
        Data(1, b"hello", False),
        Data(1, b"", True),
        Reset(5, 5),
        Reply(9, False),
        GoAway(3, 0),
    ]
    # The ping echoed, the kubelet's own stream refused.
    assert out == control(6, struct.pack(">I", 7)) + control(3, struct.pack(">II", 2, 3))


def test_spdy_connection_failures() -> None:
    failure = _spdy_failure(80, b"error forwarding port 80: refused\n", None)
    assert failure is not None and str(failure) == "port 80: error forwarding port 80: refused"
    reset = _spdy_failure(80, b"", 5)
    assert reset is not None and "reset the stream (status 5)" in str(reset)
    assert _spdy_failure(80, b"", None) is None


def test_port_forward_buffer_is_bounded_and_drops_once_closed() -> None:
    import threading

    from kubetyped.portforward import _BUFFERED_CHUNKS, _Buffer

    buffer = _Buffer()
    for i in range(_BUFFERED_CHUNKS):
        buffer.put(b"%d" % i)
    extra = threading.Thread(target=buffer.put, args=(b"one too many",), daemon=True)
    extra.start()
    extra.join(0.2)
    assert extra.is_alive()  # held up until the connection reads
    assert buffer.get() == b"0"
    extra.join(30)
    assert not extra.is_alive()
    buffer.put(None)  # the end is never held up
    chunks = []
    while (chunk := buffer.get()) is not None:
        chunks.append(chunk)
    assert chunks[-1] == b"one too many" and len(chunks) == _BUFFERED_CHUNKS
    with pytest.raises(queue.Empty):
        buffer.get(timeout=0.01)
    buffer.close()
    buffer.put(b"dropped")
    assert buffer.get() is None


class FakeWebSocket:
    """What ``kubetyped.websocket.connect`` returns, for a server that chose ``subprotocol``."""

    def __init__(self, subprotocol: str, messages: list[bytes | None]) -> None:
        self.subprotocol = subprotocol
        self.url = "https://cluster/api/v1/namespaces/default/pods/p/portforward"
        self.sent: list[bytes] = []
        self._messages = queue.SimpleQueue[bytes | None]()
        for m in messages:
            self._messages.put(m)

    def send(self, data: bytes) -> None:
        self.sent.append(data)

    def receive(self) -> bytes | None:
        return self._messages.get(timeout=30)

    def close(self) -> None:
        self._messages.put(None)


def test_auto_falls_back_to_websocket_when_the_server_does_not_tunnel_spdy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import socket
    from types import SimpleNamespace

    from kubetyped import portforward

    offered: list[list[str]] = []
    sockets: list[FakeWebSocket] = []

    def fake_connect(
        client: object, path: str, params: object, protocols: list[str]
    ) -> FakeWebSocket:
        offered.append(list(protocols))
        # An older server: the kubelet's WebSocket protocol, the port, then the pod's answer.
        ws = FakeWebSocket(
            "v4.channel.k8s.io", [b"\x00\x50\x00", b"\x01\x50\x00", b"\x00pong", None]
        )
        sockets.append(ws)
        return ws

    monkeypatch.setattr(portforward, "connect", fake_connect)
    client = SimpleNamespace(namespace="default")
    with portforward.PortForwarder(client, "p", 80) as forwarder:  # type: ignore[arg-type]
        for _ in range(2):
            with socket.create_connection(("127.0.0.1", forwarder.local_port)) as conn:
                conn.settimeout(30)
                conn.sendall(b"ping")
                answer = b""
                while chunk := conn.recv(100):
                    answer += chunk
            assert answer == b"pong"
        assert forwarder.protocol == "websocket"
    assert offered == [
        ["SPDY/3.1+portforward.k8s.io", "v4.channel.k8s.io", "portforward.k8s.io"],
        ["v4.channel.k8s.io", "portforward.k8s.io"],  # no second try of SPDY
    ]
    assert forwarder.errors == []
