"""HTTP/2 streams of an AsyncClient against a small h2 server of the test's own (TLS, ALPN):
what httpcore alone gets wrong, and kubetyped's transport gets right.

* a connection takes only as many streams as the server's SETTINGS allow; the next stream
  opens a new connection instead of waiting unseen;
* a stream closed before its end is reset (RST_STREAM CANCEL), and only that stream;
* a stream whose data arrived is woken, even while another stream waits on a quiet socket;
* a call that times out fails alone, not the streams sharing its connection;
* an answer sent after a graceful GOAWAY (kube-apiserver's 401) reaches its caller;
* a silent connection is pinged, and one that does not answer fails its streams.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.settings
import hyperframe.frame
import pytest
from kubetyped import transport
from kubetyped.client import AsyncClient
from kubetyped.config import ClusterConfig, make_ssl_context
from kubetyped.errors import TransportError, Unauthorized
from kubetyped.request import ApiRequest
from kubetyped.testing._pki import Pki, generate_pki


class H2Server:
    """Answers every GET with the head of an endless stream; the test sends its lines."""

    def __init__(self, pki: Pki, max_streams: int) -> None:
        self.pki = pki
        self.max_streams = max_streams
        self.connections = 0
        self.open: dict[str, tuple[h2.connection.H2Connection, asyncio.StreamWriter, int]] = {}
        self.resets: dict[str, int] = {}  # path -> error code of the RST_STREAM received
        self.pings = 0
        self.silent = False  # a dead peer: reads on, answers nothing
        self.opened = asyncio.Condition()
        self._server: asyncio.Server | None = None
        self._handlers: list[asyncio.Task[Any]] = []

    async def start(self) -> str:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.pki.serving_cert, self.pki.serving_key)
        context.set_alpn_protocols(["h2"])
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=context)
        port = self._server.sockets[0].getsockname()[1]
        return f"https://127.0.0.1:{port}"

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for _, writer, _ in self.open.values():
            writer.close()
        for task in self._handlers:
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.append(task)
        self.connections += 1
        config = h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
        conn = h2.connection.H2Connection(config=config)
        conn.local_settings = h2.settings.Settings(
            client=False,
            initial_values={h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: self.max_streams},
        )
        conn.initiate_connection()
        writer.write(conn.data_to_send())
        paths: dict[int, str] = {}
        while data := await reader.read(65536):
            if self.silent:
                continue
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.PingReceived):
                    self.pings += 1  # h2 answers it
                if isinstance(event, h2.events.RequestReceived):
                    path = dict(event.headers)[":path"]
                    paths[event.stream_id] = path
                    if path == "/goaway-401":  # as kube-apiserver answers a bad token
                        self._goaway_then_401(conn, writer, event.stream_id)
                        continue
                    conn.send_headers(
                        event.stream_id, [(":status", "200"), ("content-type", "application/json")]
                    )
                    async with self.opened:
                        self.open[path] = (conn, writer, event.stream_id)
                        self.opened.notify_all()
                elif isinstance(event, h2.events.StreamReset):
                    self.resets[paths[event.stream_id]] = event.error_code
                elif isinstance(event, h2.events.DataReceived):
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            writer.write(conn.data_to_send())
            await writer.drain()

    @staticmethod
    def _goaway_then_401(
        conn: h2.connection.H2Connection, writer: asyncio.StreamWriter, stream_id: int
    ) -> None:
        """A graceful GOAWAY naming this stream the last, then this stream's 401."""
        goaway = hyperframe.frame.GoAwayFrame(0)
        goaway.last_stream_id = stream_id
        goaway.error_code = 0
        writer.write(conn.data_to_send() + goaway.serialize())
        status = b'{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Unauthorized","code":401}'
        conn.send_headers(stream_id, [(":status", "401"), ("content-type", "application/json")])
        conn.send_data(stream_id, status, end_stream=True)

    def send(self, *lines: tuple[str, bytes]) -> None:
        """Send each ``(path, line)``; lines for one connection go out in one TCP write."""
        writers: dict[int, tuple[h2.connection.H2Connection, asyncio.StreamWriter]] = {}
        for path, line in lines:
            conn, writer, stream_id = self.open[path]
            conn.send_data(stream_id, line)
            writers[id(conn)] = (conn, writer)
        for conn, writer in writers.values():
            writer.write(conn.data_to_send())

    async def wait_open(self, count: int) -> None:
        async with self.opened:
            await asyncio.wait_for(self.opened.wait_for(lambda: len(self.open) >= count), 5)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return generate_pki(tmp_path_factory.mktemp("pki") / "pki")


async def serve(pki: Pki, max_streams: int, timeout: float = 5) -> tuple[H2Server, AsyncClient]:
    server = H2Server(pki, max_streams)
    url = await server.start()
    context = make_ssl_context(ca_pem=Path(pki.ca_cert).read_bytes())
    client = AsyncClient(ClusterConfig(server=url, ssl_context=context), timeout=timeout)
    return server, client


def stream(client: AsyncClient, path: str) -> AsyncIterator[bytes]:
    return client.stream_lines(ApiRequest("GET", path, bytes))


async def first_line(lines: AsyncIterator[bytes], into: dict[str, bytes], key: str) -> None:
    into[key] = await anext(lines)


async def test_more_streams_than_the_server_allows_open_another_connection(pki: Pki) -> None:
    server, client = await serve(pki, max_streams=5)
    got: dict[str, bytes] = {}
    streams = [stream(client, f"/s/{i}") for i in range(12)]
    tasks = [asyncio.ensure_future(first_line(s, got, f"/s/{i}")) for i, s in enumerate(streams)]
    try:
        await server.wait_open(12)  # every stream reached the server: none waits in the client
        assert server.connections == 3  # 5 + 5 + 2
        server.send(*((f"/s/{i}", b"hello\n") for i in range(12)))
        await asyncio.wait_for(asyncio.gather(*tasks), 5)
        assert got == {f"/s/{i}": b"hello" for i in range(12)}
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for s in streams:
            await s.aclose()  # type: ignore[attr-defined]
        await client.aclose()
        await server.stop()


async def test_closing_a_stream_resets_it_and_only_it(pki: Pki) -> None:
    server, client = await serve(pki, max_streams=100)
    got: dict[str, bytes] = {}
    keep, drop = stream(client, "/keep"), stream(client, "/drop")
    reading = [
        asyncio.ensure_future(first_line(keep, got, "/keep")),
        asyncio.ensure_future(first_line(drop, got, "/drop")),
    ]
    try:
        await server.wait_open(2)
        assert server.connections == 1
        reading[1].cancel()  # as a cancelled watch task
        await asyncio.gather(reading[1], return_exceptions=True)
        await drop.aclose()  # type: ignore[attr-defined]
        for _ in range(100):
            if "/drop" in server.resets:
                break
            await asyncio.sleep(0.02)
        assert server.resets == {"/drop": h2.errors.ErrorCodes.CANCEL}
        server.send(("/keep", b"still here\n"))
        await asyncio.wait_for(reading[0], 5)
        assert got["/keep"] == b"still here"
    finally:
        for task in reading:
            task.cancel()
        await asyncio.gather(*reading, return_exceptions=True)
        await keep.aclose()  # type: ignore[attr-defined]
        await client.aclose()
        await server.stop()


async def test_a_stream_whose_data_arrived_is_woken_while_another_waits(pki: Pki) -> None:
    """Ten quiet streams on one connection; each round the server sends a line to three of
    them in one TCP write and nothing else. Each of the three gets its line at once, though
    the other seven wait on the socket (in httpcore alone a stream can wait behind them)."""
    rounds = 20
    server, client = await serve(pki, max_streams=100)
    streams = {f"/q/{i}": stream(client, f"/q/{i}") for i in range(10)}
    pending: dict[str, asyncio.Future[Any]] = {}
    try:
        for number in range(rounds):
            for path, lines in streams.items():
                if path not in pending or pending[path].done():
                    pending[path] = asyncio.ensure_future(anext(lines))
            if number == 0:
                await server.wait_open(10)
            await asyncio.sleep(0.05)  # every stream waits for its next line
            chosen = [f"/q/{(number * 3 + k) % 10}" for k in range(3)]
            server.send(*((path, f"round {number}\n".encode()) for path in chosen))
            lines_read = await asyncio.wait_for(asyncio.gather(*(pending[p] for p in chosen)), 2)
            assert lines_read == [f"round {number}".encode()] * 3
    finally:
        for task in pending.values():
            task.cancel()
        await asyncio.gather(*pending.values(), return_exceptions=True)
        for lines in streams.values():
            await lines.aclose()  # type: ignore[attr-defined]
        await client.aclose()
        await server.stop()


async def test_a_silent_connection_is_pinged_and_a_dead_one_fails(
    pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transport, "_PING_AFTER", 0.2)
    monkeypatch.setattr(transport, "_PING_TIMEOUT", 0.3)
    server, client = await serve(pki, max_streams=100)
    lines = stream(client, "/quiet")
    try:
        reading = asyncio.ensure_future(anext(lines))
        await server.wait_open(1)
        await asyncio.sleep(1.0)  # quiet, but answering: pinged, and alive
        assert server.pings >= 3 and not reading.done()
        server.send(("/quiet", b"after the pings\n"))
        assert await asyncio.wait_for(reading, 5) == b"after the pings"
        server.silent = True  # the peer vanishes without a FIN
        with pytest.raises(TransportError, match="did not answer an HTTP/2 ping within 0.3 s"):
            await asyncio.wait_for(anext(lines), 5)
    finally:
        await lines.aclose()  # type: ignore[attr-defined]
        await client.aclose()
        await server.stop()


async def test_a_call_that_times_out_fails_alone(pki: Pki) -> None:
    server, client = await serve(pki, max_streams=100, timeout=0.5)
    lines = stream(client, "/keep")
    reading = asyncio.ensure_future(anext(lines))
    try:
        await server.wait_open(1)
        # The answer's head comes, its body never: the call's 0.5 s deadline runs out while
        # it reads the connection, for itself and for /keep.
        with pytest.raises(TransportError, match="no complete answer within the 0.5 s timeout"):
            await client.request("GET", "/slow")
        for _ in range(100):
            if "/slow" in server.resets:
                break
            await asyncio.sleep(0.02)
        assert server.resets == {"/slow": h2.errors.ErrorCodes.CANCEL}
        server.send(("/keep", b"still alive\n"))
        assert await asyncio.wait_for(reading, 5) == b"still alive"
        assert server.connections == 1
    finally:
        reading.cancel()
        await asyncio.gather(reading, return_exceptions=True)
        await lines.aclose()  # type: ignore[attr-defined]
        await client.aclose()
        await server.stop()


async def test_an_answer_after_a_graceful_goaway_reaches_its_caller(pki: Pki) -> None:
    server, client = await serve(pki, max_streams=100)
    try:
        for _ in range(2):  # and the next call dials a new connection
            with pytest.raises(Unauthorized):
                await client.request("GET", "/goaway-401")
        assert server.connections == 2
    finally:
        await client.aclose()
        await server.stop()
