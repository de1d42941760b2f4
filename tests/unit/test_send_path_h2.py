"""A request with a body goes out over HTTP/2 in one write (HEADERS, DATA, END_STREAM), and a
body larger than the flow-control window still arrives whole: what is queued is written before
the stream waits for the server's WINDOW_UPDATE. Against a small h2 server of the test's own."""

from __future__ import annotations

import asyncio
import hashlib
import json
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import h2.config
import h2.connection
import h2.events
import pytest
from kubetyped import transport
from kubetyped.client import AsyncClient
from kubetyped.config import ClusterConfig, make_ssl_context
from kubetyped.testing._pki import Pki, generate_pki


class EchoServer:
    """Answers each request, once its body has ended, with the body's size and digest."""

    def __init__(self, pki: Pki) -> None:
        self.pki = pki
        self._server: asyncio.Server | None = None
        self._tasks: list[asyncio.Task[Any]] = []

    async def start(self) -> str:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.pki.serving_cert, self.pki.serving_key)
        context.set_alpn_protocols(["h2"])
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=context)
        return f"https://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.append(task)
        conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
        )
        conn.initiate_connection()
        writer.write(conn.data_to_send())
        bodies: dict[int, bytearray] = {}
        while data := await reader.read(65536):
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.RequestReceived):
                    bodies[event.stream_id] = bytearray()
                elif isinstance(event, h2.events.DataReceived):
                    bodies[event.stream_id] += event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                if isinstance(event, h2.events.StreamEnded):
                    body = bytes(bodies.pop(event.stream_id))
                    answer = json.dumps(
                        {"size": len(body), "sha256": hashlib.sha256(body).hexdigest()}
                    ).encode()
                    conn.send_headers(
                        event.stream_id, [(":status", "200"), ("content-type", "application/json")]
                    )
                    conn.send_data(event.stream_id, answer, end_stream=True)
            writer.write(conn.data_to_send())
            await writer.drain()


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return generate_pki(tmp_path_factory.mktemp("pki") / "pki")


@pytest.fixture
async def echo(pki: Pki) -> AsyncIterator[AsyncClient]:
    server = EchoServer(pki)
    url = await server.start()
    context = make_ssl_context(ca_pem=Path(pki.ca_cert).read_bytes())
    client = AsyncClient(ClusterConfig(server=url, ssl_context=context), timeout=10)
    try:
        yield client
    finally:
        await client.aclose()
        await server.stop()


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every write to a connection's socket."""
    sizes: list[int] = []
    real = transport._AsyncDeadlineStream.write

    async def counting(self: Any, buffer: bytes, timeout: float | None = None) -> None:
        if buffer:
            sizes.append(len(buffer))
        await real(self, buffer, timeout)

    monkeypatch.setattr(transport._AsyncDeadlineStream, "write", counting)
    return sizes


async def test_a_small_body_goes_out_in_one_write(echo: AsyncClient, writes: list[int]) -> None:
    first = await echo.request("GET", "/warm-up")  # the connection made, SETTINGS exchanged
    assert first.extensions["http_version"] == b"HTTP/2"
    writes.clear()
    body = b'{"kind":"ConfigMap","data":{"a":"b"}}'
    answer = (await echo.request("POST", "/api/v1/namespaces/x/configmaps", content=body)).json()
    assert answer == {"size": len(body), "sha256": hashlib.sha256(body).hexdigest()}
    assert len(writes) == 1  # HEADERS, DATA and END_STREAM together (httpcore: three writes)


async def test_an_empty_body_ends_the_stream(echo: AsyncClient, writes: list[int]) -> None:
    await echo.request("GET", "/warm-up")
    writes.clear()
    answer = (await echo.request("POST", "/empty", content=b"")).json()
    assert answer["size"] == 0
    assert len(writes) == 1


async def test_a_body_beyond_the_flow_control_window_arrives_whole(echo: AsyncClient) -> None:
    body = bytes(range(256)) * 2048  # 512 KiB: eight times h2's initial 64 KiB window
    answer = (await echo.request("PUT", "/big", content=body)).json()
    assert answer == {"size": len(body), "sha256": hashlib.sha256(body).hexdigest()}


async def test_many_bodies_at_once_share_the_connection(echo: AsyncClient) -> None:
    bodies = [f'{{"n":{n}}}'.encode() * (1 + n * 500) for n in range(40)]
    answers = await asyncio.gather(
        *(echo.request("POST", f"/many/{n}", content=body) for n, body in enumerate(bodies))
    )
    for body, answer in zip(bodies, answers, strict=True):
        assert answer.json()["sha256"] == hashlib.sha256(body).hexdigest()
