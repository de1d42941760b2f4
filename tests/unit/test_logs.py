"""Pods.log_lines streams a log line by line (a kubelet is needed for real logs, so the server
side is an httpx.MockTransport here; the e2e tests cover the request against a real server)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
from kubetyped import AsyncClient, Client
from kubetyped.config import ClusterConfig
from kubetyped.k8s.core.v1 import AsyncPods, Pods

CHUNKS = [b"first li", b"ne\n\nthird \xff line\r\n", b"last, no newline"]
LINES = ["first line", "", "third \ufffd line", "last, no newline"]


class Chunks(httpx.SyncByteStream, httpx.AsyncByteStream):
    def __iter__(self) -> Iterator[bytes]:
        yield from CHUNKS

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in CHUNKS:
            yield chunk


def handler(seen: list[httpx.Request]) -> httpx.MockTransport:
    def respond(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, headers={"Content-Type": "text/plain"}, stream=Chunks())

    return httpx.MockTransport(respond)


def test_log_lines_streams_every_line() -> None:
    seen: list[httpx.Request] = []
    config = ClusterConfig.from_url("https://k8s.test", namespace="team")
    with Client(config, transport=handler(seen)) as client:
        lines = list(Pods(client).log_lines("web-0", container="web", follow=True, tail_lines=5))
    assert lines == LINES
    (request,) = seen
    assert request.url.path == "/api/v1/namespaces/team/pods/web-0/log"
    assert dict(request.url.params) == {"container": "web", "follow": "true", "tailLines": "5"}


async def test_async_log_lines_streams_every_line() -> None:
    seen: list[httpx.Request] = []
    config = ClusterConfig.from_url("https://k8s.test", namespace="team")
    async with AsyncClient(config, transport=handler(seen)) as client:
        lines = [line async for line in AsyncPods(client).log_lines("web-0", follow=True)]
    assert lines == LINES
    assert seen[0].url.params["follow"] == "true"


class Endless(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A followed log that never ends; records when the client closes it."""

    def __init__(self) -> None:
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        while True:
            yield b"tick\n"

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            yield b"tick\n"

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


def endless_transport(stream: Endless) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(200, stream=stream))


def test_closing_a_followed_log_closes_its_connection() -> None:
    from contextlib import closing

    stream = Endless()
    config = ClusterConfig.from_url("https://k8s.test", namespace="team")
    with Client(config, transport=endless_transport(stream)) as client:
        with closing(Pods(client).log_lines("web-0", follow=True)) as lines:
            assert next(lines) == "tick"
        assert stream.closed


async def test_aclosing_a_followed_log_closes_its_connection() -> None:
    from contextlib import aclosing

    stream = Endless()
    config = ClusterConfig.from_url("https://k8s.test", namespace="team")
    async with AsyncClient(config, transport=endless_transport(stream)) as client:
        async with aclosing(AsyncPods(client).log_lines("web-0", follow=True)) as lines:
            async for line in lines:
                assert line == "tick"
                break
        assert stream.closed  # at once, not when the garbage collector gets to it
