"""Watch streams: line splitting, event decoding, ERROR events, broken and ended streams."""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from kubetyped.client import AsyncClient, Client
from kubetyped.config import ClusterConfig
from kubetyped.errors import DecodeError, Forbidden, Gone, ServerError, TransportError
from kubetyped.k8s.apiextensions.v1 import CustomResourceDefinition
from kubetyped.k8s.core.v1 import AsyncConfigMaps, ConfigMap, ConfigMaps
from kubetyped.watch import LineBuffer, WatchDecoder, WatchEvent

# The resource clients are the generated ones (kubetyped.k8s.core.v1), not look-alikes.


def event(kind: str, name: str, rv: str) -> bytes:
    obj = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "resourceVersion": rv},
    }
    return json.dumps({"type": kind, "object": obj}).encode() + b"\n"


def error_event(code: int, reason: str, message: str) -> bytes:
    status = {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "code": code,
        "reason": reason,
        "message": message,
    }
    return json.dumps({"type": "ERROR", "object": status}).encode() + b"\n"


class Chunks(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body arriving in the given chunks, optionally breaking off afterwards."""

    def __init__(self, chunks: list[bytes], error: Exception | None = None) -> None:
        self.chunks = chunks
        self.error = error

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks
        if self.error is not None:
            raise self.error

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk
        if self.error is not None:
            raise self.error


class Server:
    """A MockTransport handler that answers every request with one streamed body."""

    def __init__(
        self, chunks: list[bytes], error: Exception | None = None, status: int = 200
    ) -> None:
        self.chunks, self.error, self.status = chunks, error, status
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, stream=Chunks(self.chunks, self.error))


def config() -> ClusterConfig:
    return ClusterConfig(server="https://k8s.test:6443", namespace="team-a")


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def watch(
    mode: str, server: Server, **kwargs: Any
) -> Iterator[WatchEvent[ConfigMap]] | AsyncIterator[WatchEvent[ConfigMap]]:
    """The raw, single-stream watch."""
    kwargs.setdefault("resume", False)
    transport = httpx.MockTransport(server)
    if mode == "sync":
        return ConfigMaps(Client(config(), transport=transport)).watch(**kwargs)
    return AsyncConfigMaps(AsyncClient(config(), transport=transport)).watch(**kwargs)


async def collect(
    events: Any, into: list[WatchEvent[ConfigMap]] | None = None
) -> list[WatchEvent[ConfigMap]]:
    """Iterate a sync or async iterator to the end, keeping what arrived before an error."""
    seen: list[WatchEvent[ConfigMap]] = [] if into is None else into
    if inspect.isasyncgen(events) or hasattr(events, "__aiter__"):
        async for item in events:
            seen.append(item)
    else:
        seen.extend(events)
    return seen


# --- LineBuffer and WatchDecoder -----------------------------------------------------------


def test_line_buffer_rejoins_split_lines() -> None:
    lines = LineBuffer()
    assert lines.feed(b'{"a":') == []
    assert lines.feed(b"1") == []
    assert lines.feed(b'}\n{"b":2}\r\n\n{"c"') == [b'{"a":1}', b'{"b":2}\r']
    assert lines.feed(b":3}\n") == [b'{"c":3}']
    assert lines.feed(b"tail") == []
    assert lines.flush() == [b"tail"]
    assert lines.flush() == []


def test_decoder_yields_typed_events() -> None:
    decoder = WatchDecoder(ConfigMap)
    added = decoder.decode(event("ADDED", "cm", "5").rstrip())
    assert added.type == "ADDED" and isinstance(added.object, ConfigMap)
    assert added.object.metadata is not None and added.object.metadata.resource_version == "5"
    bookmark = decoder.decode(
        b'{"type":"BOOKMARK","object":{"kind":"ConfigMap","apiVersion":"v1",'
        b'"metadata":{"resourceVersion":"9"}}}'
    )
    assert bookmark.type == "BOOKMARK"


def test_bookmark_of_a_kind_with_required_fields() -> None:
    # A CustomResourceDefinition requires its spec; a bookmark carries only metadata.
    decoder = WatchDecoder(CustomResourceDefinition)
    line = (
        b'{"type":"BOOKMARK","object":{"kind":"CustomResourceDefinition",'
        b'"apiVersion":"apiextensions.k8s.io/v1","metadata":{"resourceVersion":"12",'
        b'"annotations":{"k8s.io/initial-events-end":"true"}}}}'
    )
    bookmark = decoder.decode(line)
    assert bookmark.type == "BOOKMARK" and isinstance(bookmark.object, CustomResourceDefinition)
    assert bookmark.object.metadata is not None
    assert bookmark.object.metadata.resource_version == "12"
    assert bookmark.object.metadata.annotations == {"k8s.io/initial-events-end": "true"}
    # Any other event must still carry the required fields.
    with pytest.raises(DecodeError, match="object.spec: Field required"):
        decoder.decode(line.replace(b"BOOKMARK", b"ADDED"))


def test_every_integer_the_server_can_send_is_kept_exactly() -> None:
    # kube-apiserver reads numbers it does not know the type of into int64, or float64 when
    # they overflow (sigs.k8s.io/json), so an int64 or a uint64 is the widest integer on a
    # line: each must come through exactly, here in fields the model does not know.
    values = [-(2**63), 2**63 - 1, 2**64 - 1, 0]
    obj = {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "cm"}, "n": values}
    line = json.dumps({"type": "MODIFIED", "object": obj}).encode()
    decoded = WatchDecoder(ConfigMap).decode(line)
    assert isinstance(decoded.object, ConfigMap)
    assert decoded.object.model_dump(by_alias=True, exclude_none=True)["n"] == values
    assert all(type(v) is int for v in (decoded.object.model_extra or {})["n"])


def test_decoder_raises_error_events() -> None:
    decoder = WatchDecoder(ConfigMap, url="https://k8s.test/api/v1/configmaps?watch=true")
    with pytest.raises(Gone) as gone:
        decoder.decode(error_event(410, "Expired", "too old resource version: 1 (42)"))
    assert str(gone.value) == (
        "410 Expired: GET https://k8s.test/api/v1/configmaps?watch=true: "
        "too old resource version: 1 (42)"
    )
    with pytest.raises(ServerError):
        decoder.decode(error_event(500, "InternalError", "etcd is sad"))
    # Decoding into dicts, the ERROR object is a valid T: it must still be raised.
    with pytest.raises(Gone):
        WatchDecoder(dict[str, Any]).decode(error_event(410, "Gone", "gone"))


def test_decoder_malformed_lines() -> None:
    decoder = WatchDecoder(ConfigMap, url="https://k8s.test/w")
    with pytest.raises(
        DecodeError,
        match=r"GET https://k8s.test/w: malformed watch event: .*line: b'\{\"type\": \"ADD'",
    ) as info:
        decoder.decode(b'{"type": "ADD')
    assert info.value.__cause__ is not None
    with pytest.raises(DecodeError, match="type: Input should be"):
        decoder.decode(b'{"type":"RENAMED","object":{}}')
    long = b'{"type":"ADDED","object":' + b'"x' * 500
    with pytest.raises(DecodeError, match=r"\.\.\. \(1025 bytes\)$"):
        decoder.decode(long)


# --- through the resource clients, sync and async -------------------------------------------


async def test_watch_request_and_events(mode: str) -> None:
    body = event("ADDED", "a", "10") + event("MODIFIED", "a", "11") + event("DELETED", "a", "12")
    # Split inside a line and inside a JSON token.
    server = Server([body[:7], body[7:50], body[50:51], body[51:]])
    events = await collect(
        watch(
            mode,
            server,
            resource_version="9",
            allow_watch_bookmarks=True,
            timeout_seconds=30,
            label_selector="app=web",
        )
    )
    assert [(e.type, e.object.metadata and e.object.metadata.resource_version) for e in events] == [
        ("ADDED", "10"),
        ("MODIFIED", "11"),
        ("DELETED", "12"),
    ]
    (request,) = server.requests
    assert request.method == "GET"
    assert request.url.path == "/api/v1/namespaces/team-a/configmaps"
    assert list(request.url.params.multi_items()) == [
        ("allowWatchBookmarks", "true"),
        ("labelSelector", "app=web"),
        ("resourceVersion", "9"),
        ("timeoutSeconds", "30"),
        ("watch", "true"),
    ]
    # A watch may rightly be silent for minutes: no read timeout.
    assert request.extensions["timeout"]["read"] is None


async def test_watch_all_namespaces(mode: str) -> None:
    server = Server([])
    assert await collect(watch(mode, server, all_namespaces=True)) == []
    assert server.requests[0].url.path == "/api/v1/configmaps"


async def test_watch_error_410_raises_gone(mode: str) -> None:
    server = Server(
        [
            event("ADDED", "a", "10")
            + error_event(410, "Expired", "too old resource version: 9 (10)")
        ]
    )
    seen: list[WatchEvent[ConfigMap]] = []
    with pytest.raises(Gone, match="too old resource version"):
        await collect(watch(mode, server, resource_version="9"), seen)
    assert [e.type for e in seen] == ["ADDED"]


async def test_watch_connection_dropped_mid_stream(mode: str) -> None:
    body = event("ADDED", "a", "10") + event("MODIFIED", "a", "11")
    broken = httpx.RemoteProtocolError(
        "peer closed connection without sending complete message body"
    )
    server = Server([body[:-20]], error=broken)
    seen: list[WatchEvent[ConfigMap]] = []
    with pytest.raises(
        TransportError, match="stream broke: RemoteProtocolError: peer closed"
    ) as info:
        await collect(watch(mode, server), seen)
    assert info.value.__cause__ is broken
    assert [e.type for e in seen] == ["ADDED"]


async def test_watch_malformed_line(mode: str) -> None:
    server = Server([event("ADDED", "a", "10") + b"<html>oops</html>\n"])
    with pytest.raises(DecodeError, match=r"line: b'<html>oops</html>'"):
        await collect(watch(mode, server))


async def test_watch_refused(mode: str) -> None:
    status = b'{"kind":"Status","apiVersion":"v1","code":403,"reason":"Forbidden","message":"no"}'
    server = Server([status], status=403)
    with pytest.raises(
        Forbidden,
        match="403 Forbidden: GET https://k8s.test:6443/api/v1/namespaces/team-a/configmaps\\?watch=true: no",
    ):
        await collect(watch(mode, server))
