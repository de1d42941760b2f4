"""The resumable watch and the list iterator, over a scripted server (httpx.MockTransport):
dropped streams, 410 Gone, WatchList refused, throttling, expired continue tokens. The real
server's side of the same rules is in tests/e2e/test_watch_resume.py."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from kubetyped.client import AsyncClient, Client
from kubetyped.config import ClusterConfig
from kubetyped.errors import Forbidden
from kubetyped.listwatch import AsyncListIterator, AsyncWatch, ListIterator, Watch
from kubetyped.retry import RetryPolicy
from test_watch import (
    AsyncConfigMaps,
    Chunks,
    ConfigMap,
    ConfigMaps,
    error_event,
    event,
)

Reply = Callable[[httpx.Request], httpx.Response]


def bookmark(rv: str, *, initial_end: bool = False) -> bytes:
    metadata: dict[str, Any] = {"resourceVersion": rv}
    if initial_end:
        metadata["annotations"] = {"k8s.io/initial-events-end": "true"}
    obj = {"kind": "ConfigMap", "apiVersion": "v1", "metadata": metadata}
    return json.dumps({"type": "BOOKMARK", "object": obj}).encode() + b"\n"


def stream(*lines: bytes, error: Exception | None = None) -> Reply:
    return lambda request: httpx.Response(200, stream=Chunks([b"".join(lines)], error))


def page(names: list[tuple[str, str]], rv: str, token: str | None = None) -> Reply:
    items = [
        {"metadata": {"name": n, "namespace": "team-a", "resourceVersion": v}} for n, v in names
    ]
    metadata: dict[str, Any] = {"resourceVersion": rv}
    if token:
        metadata["continue"] = token
    return lambda request: httpx.Response(200, json={"items": items, "metadata": metadata})


def status(code: int, reason: str, *, retry_after: int | None = None) -> Reply:
    body: dict[str, Any] = {"kind": "Status", "code": code, "reason": reason, "message": reason}
    headers = {}
    if retry_after is not None:
        body["details"] = {"retryAfterSeconds": retry_after}
        headers["Retry-After"] = str(retry_after)
    return lambda request: httpx.Response(code, json=body, headers=headers)


class Script:
    """Answers each request with the next reply; records the requests."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self.replies:
            raise AssertionError(f"unexpected request {request.url}")
        return self.replies.pop(0)(request)

    def params(self, n: int) -> dict[str, str]:
        return dict(self.requests[n].url.params)


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class Run:
    def __init__(self, mode: str, script: Script) -> None:
        self.sleeps: list[float] = []

        async def async_sleep(seconds: float) -> None:
            self.sleeps.append(seconds)

        retry = RetryPolicy(
            max_retries=0,
            sleep=self.sleeps.append,
            async_sleep=async_sleep,
            clock=lambda: float(sum(self.sleeps)),  # time passes only by the waits asked for
        )
        config = ClusterConfig(server="https://k8s.test:6443", namespace="team-a")
        transport = httpx.MockTransport(script)
        if mode == "sync":
            self.resource: Any = ConfigMaps(Client(config, transport=transport, retry=retry))
        else:
            self.resource = AsyncConfigMaps(AsyncClient(config, transport=transport, retry=retry))

    async def take(self, n: int, **kwargs: Any) -> tuple[list[tuple[str, str, str]], Any]:
        """The first ``n`` events of a resumable watch, as (type, name, rv); then closed."""
        watch = self.resource.watch(**kwargs)
        seen: list[tuple[str, str, str]] = []
        if isinstance(watch, Watch):
            for e in watch:
                seen.append((e.type, e.object.metadata.name, e.object.metadata.resource_version))
                if len(seen) == n:
                    break
            watch.close()
        else:
            assert isinstance(watch, AsyncWatch)
            async for e in watch:
                seen.append((e.type, e.object.metadata.name, e.object.metadata.resource_version))
                if len(seen) == n:
                    break
            await watch.aclose()
        return seen, watch


async def test_watchlist_resume_and_relist_after_410(mode: str) -> None:
    script = Script(
        # WatchList: the initial state, then a change; the server ends the stream.
        stream(
            event("ADDED", "a", "5"),
            event("ADDED", "b", "6"),
            bookmark("7", initial_end=True),
            event("MODIFIED", "a", "8"),
        ),
        # Resumed at 8: one event, then the connection drops.
        stream(event("ADDED", "c", "9"), error=httpx.ReadError("connection reset")),
        # Resumed at 9: too old.
        stream(error_event(410, "Expired", "too old resource version: 9 (20)")),
        # The state again: a unchanged, c changed, b gone.
        stream(
            event("ADDED", "a", "8"), event("ADDED", "c", "12"), bookmark("13", initial_end=True)
        ),
    )
    run = Run(mode, script)
    events, watch = await run.take(6)
    assert events == [
        ("ADDED", "a", "5"),
        ("ADDED", "b", "6"),
        ("MODIFIED", "a", "8"),
        ("ADDED", "c", "9"),
        ("MODIFIED", "c", "12"),
        ("DELETED", "b", "6"),
    ]
    first = script.params(0)
    assert first["sendInitialEvents"] == "true"
    assert first["resourceVersionMatch"] == "NotOlderThan"
    assert first["allowWatchBookmarks"] == "true" and first["resourceVersion"] == ""
    assert 300 <= int(first["timeoutSeconds"]) < 600
    assert [script.params(n)["resourceVersion"] for n in range(4)] == ["", "8", "9", ""]
    assert "sendInitialEvents" not in script.params(1)
    assert len(run.sleeps) == 1 and 0.8 <= run.sleeps[0] <= 1.6  # after the drop only
    assert watch.relists == 1 and watch.resource_version == "13"
    assert sorted(o.metadata.name for o in watch.objects()) == ["a", "c"]


async def test_without_watchlist_the_watch_lists_first(mode: str) -> None:
    script = Script(
        status(422, "Invalid"),  # this server refuses sendInitialEvents
        page([("a", "5")], rv="6", token="next"),
        page([("b", "6")], rv="6"),
        stream(bookmark("9"), event("DELETED", "a", "10")),
    )
    run = Run(mode, script)
    events, watch = await run.take(3, label_selector="app=web")
    assert events == [("ADDED", "a", "5"), ("ADDED", "b", "6"), ("DELETED", "a", "10")]
    listing = script.params(1)
    assert listing == {"labelSelector": "app=web", "limit": "500"}
    assert script.params(2)["continue"] == "next"
    watching = script.params(3)
    assert watching["resourceVersion"] == "6" and watching["labelSelector"] == "app=web"
    assert watch.synced and watch.resource_version == "10"


async def test_bookmarks_move_the_resume_point(mode: str) -> None:
    script = Script(
        stream(bookmark("15")),
        stream(event("ADDED", "x", "16")),
    )
    run = Run(mode, script)
    events, _ = await run.take(1, resource_version="10")
    assert events == [("ADDED", "x", "16")]
    assert [script.params(n)["resourceVersion"] for n in range(2)] == ["10", "15"]


async def test_bookmarks_reach_callers_who_ask(mode: str) -> None:
    script = Script(stream(bookmark("15"), event("ADDED", "x", "16")))
    run = Run(mode, script)
    events, _ = await run.take(2, resource_version="10", allow_watch_bookmarks=True)
    assert events == [("BOOKMARK", None, "15"), ("ADDED", "x", "16")]


async def test_throttling_waits_the_servers_retry_after(mode: str) -> None:
    script = Script(status(429, "TooManyRequests", retry_after=7), stream(event("ADDED", "x", "2")))
    run = Run(mode, script)
    events, _ = await run.take(1, resource_version="1")
    assert events == [("ADDED", "x", "2")]
    assert run.sleeps and run.sleeps[0] >= 7


async def test_a_refused_watch_names_what_was_watched(mode: str) -> None:
    script = Script(stream(error=httpx.ReadError("reset")), status(403, "Forbidden"))
    run = Run(mode, script)
    with pytest.raises(Forbidden) as info:
        await run.take(1, resource_version="1", label_selector="app=web")
    assert str(info.value) == (
        "403 Forbidden: WATCH /api/v1/namespaces/team-a/configmaps (labelSelector=app=web) "
        "(after 1 reconnects, 0 relists): Forbidden"
    )


async def test_a_caller_timeout_bounds_the_whole_watch(mode: str) -> None:
    script = Script(stream(event("ADDED", "x", "2")), stream(), stream(), stream())
    run = Run(mode, script)
    watch = run.resource.watch(resource_version="1", timeout_seconds=1)
    seen = []
    if isinstance(watch, Watch):
        seen = list(watch)
    else:
        seen = [e async for e in watch]
    assert [e.type for e in seen] == ["ADDED"]
    assert all(int(script.params(n)["timeoutSeconds"]) <= 1 for n in range(len(script.requests)))


# --- list_all ------------------------------------------------------------------------------


def list_all(mode: str, script: Script) -> ListIterator[ConfigMap] | AsyncListIterator[ConfigMap]:
    run = Run(mode, script)
    req = run.resource._request("GET", response=ConfigMap)
    return run.resource._list_all(req)  # type: ignore[no-any-return]


async def drain(items: Iterator[Any] | AsyncIterator[Any]) -> list[tuple[str, str]]:
    got = list(items) if isinstance(items, Iterator) else [i async for i in items]
    return [(i.metadata.name, i.metadata.resource_version) for i in got]


async def test_list_all_tells_its_resource_version(mode: str) -> None:
    script = Script(page([("a", "1")], rv="7", token="t"), page([("b", "2")], rv="7"))
    items = list_all(mode, script)
    assert items.resource_version is None
    assert await drain(items) == [("a", "1"), ("b", "2")]
    assert items.resource_version == "7" and items.restarts == 0


async def test_list_all_starts_again_when_its_continue_token_expires(mode: str) -> None:
    script = Script(
        page([("a", "1"), ("b", "2")], rv="7", token="t"),
        status(410, "Expired"),
        page([("a", "1"), ("b", "3"), ("c", "4")], rv="9"),
    )
    items = list_all(mode, script)
    assert await drain(items) == [("a", "1"), ("b", "2"), ("b", "3"), ("c", "4")]
    assert items.resource_version == "9" and items.restarts == 1
    assert "continue" not in script.params(2)
