"""Lists and watches that lose nothing: client-go's reflector rules, for sync and asyncio.

* :class:`ListIterator` pages through a list (``limit``/``continue``) and, once exhausted,
  tells the ``resource_version`` of the snapshot it read, the point a watch continues from.
  A continue token that expires mid-way (410) restarts the list from a fresh snapshot; items
  already yielded are yielded again only if they changed (``restarts`` counts this).
* :class:`Watch` is a watch that resumes. It asks for bookmarks, remembers the last
  resourceVersion (bookmarks included), reconnects after a server timeout or a dropped
  connection with client-go's jittered backoff (0.8 s doubling to 30 s, reset once a
  stream delivers), waits out ``Retry-After``, and on 410 Gone relists and emits the
  difference between its view and the new list as ADDED / MODIFIED / DELETED events, so a
  consumer's view stays right. Without a starting resourceVersion it begins with the current
  state, as ADDED events: through WatchList (``sendInitialEvents``) where the server has it,
  else a list.

Both are written once, as a plan (a generator of :class:`_Action` s) that knows nothing of
I/O; :func:`_drive` and :func:`_adrive` carry the plan out with a ``Client`` or an
``AsyncClient``. The plan keeps one copy of each object it has seen, so that a relist can
tell what was deleted: memory follows the number of objects, never the number of events.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from .errors import ApiError, Gone, KubetypedError, ServerError, TooManyRequests, TransportError
from .request import ApiRequest, Decoder
from .watch import WatchDecoder, WatchEvent, watch_request

if TYPE_CHECKING:
    import httpx

    from .client import AsyncClient, Client

__all__ = ["DEFAULT_PAGE_SIZE", "AsyncListIterator", "AsyncWatch", "ListIterator", "Watch"]

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 500
"""Items per page when a list is not given a ``limit`` (client-go's pager default)."""

INITIAL_EVENTS_END = "k8s.io/initial-events-end"
"""The annotation of the bookmark that ends a WatchList's initial events."""

_STREAM_SECONDS = (300, 600)  # client-go's reflector: each watch stream asks for 5-10 min
_BACKOFF_START = 0.8  # client-go's reflector backoff
_BACKOFF_MAX = 30.0
_WATCH_PARAMS = (
    "watch",
    "resourceVersion",
    "resourceVersionMatch",
    "allowWatchBookmarks",
    "sendInitialEvents",
    "timeoutSeconds",
    "limit",
    "continue",
)

logger = logging.getLogger("kubetyped")


# --- what the plans ask of a driver --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Send:
    """Send a request; the answer is sent back into the plan (an error thrown into it)."""

    request: ApiRequest[Any]


@dataclass(frozen=True, slots=True)
class _Open:
    """Open a stream for the request; lines follow through :class:`_Next`."""

    request: ApiRequest[Any]


@dataclass(frozen=True, slots=True)
class _Next:
    """The next line of the open stream, or ``None`` once the server ended it."""


@dataclass(frozen=True, slots=True)
class _Sleep:
    seconds: float


@dataclass(frozen=True, slots=True)
class _Emit:
    value: Any


_Action = _Send | _Open | _Next | _Sleep | _Emit
Plan = Generator[_Action, Any, None]


# --- pages ---------------------------------------------------------------------------------


class _ListMeta(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built on first use: import time matters
    continue_: str | None = Field(default=None, alias="continue")
    resource_version: str | None = Field(default=None, alias="resourceVersion")


class _Page(BaseModel, Generic[T]):
    # Only what paging needs, so it does not depend on how a generated list names `continue`.
    model_config = ConfigDict(defer_build=True)
    items: list[T] | None = None
    metadata: _ListMeta = Field(default_factory=_ListMeta)


def item_type(req: ApiRequest[T]) -> type[T]:
    """The item model a list or watch request was built for."""
    if isinstance(req.response, Decoder):
        raise TypeError("list_all and watch need the item model as response, not a Decoder")
    return req.response


def _page_request(req: ApiRequest[T]) -> ApiRequest[_Page[T]]:
    item = item_type(req)
    page_type: type[_Page[T]] = _Page[item]  # type: ignore[valid-type]
    page = req.expecting(page_type)
    if any(key == "limit" for key, _ in page.params):
        return page
    return page.with_params({"limit": DEFAULT_PAGE_SIZE})


def _key(obj: Any) -> tuple[str, str]:
    metadata = getattr(obj, "metadata", None)
    return (getattr(metadata, "namespace", None) or "", getattr(metadata, "name", None) or "")


def _version(obj: Any) -> str | None:
    return getattr(getattr(obj, "metadata", None), "resource_version", None)


def _describe(req: ApiRequest[Any]) -> str:
    selectors = [f"{k}={v}" for k, v in req.params if k in ("labelSelector", "fieldSelector")]
    return req.path + (f" ({', '.join(selectors)})" if selectors else "")


class _ListState:
    """A list's progress: which objects it has yielded, at which version."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str], str | None] = {}
        self.resource_version: str | None = None
        self.restarts = 0


def _list_plan(req: ApiRequest[T], state: _ListState) -> Plan:
    first = _page_request(req)
    page_req: ApiRequest[_Page[T]] | None = first
    while page_req is not None:
        try:
            page: _Page[T] = yield _Send(page_req)
        except Gone:
            if page_req is first:
                raise
            # The continue token expired: start again from a fresh snapshot (client-go's
            # pager falls back to a full list too), yielding only what is new or changed.
            state.restarts += 1
            page_req = first
            continue
        for item in page.items or ():
            key, version = _key(item), _version(item)
            if key in state.seen and state.seen[key] == version:
                continue
            state.seen[key] = version
            yield _Emit(item)
        token = page.metadata.continue_
        if not token:
            state.resource_version = page.metadata.resource_version
            return
        # The server refuses a resourceVersion together with continue (client-go clears it).
        page_req = page_req.with_params(
            {"continue": token, "resourceVersion": None, "resourceVersionMatch": None}
        )


# --- the resumable watch -------------------------------------------------------------------


class _Backoff:
    """client-go's reflector backoff: 0.8 s doubling to 30 s, each wait jittered up to 2x."""

    def __init__(self, rng: Callable[[], float]) -> None:
        self.failures = 0
        self._rng = rng

    def next(self, floor: float = 0.0) -> float:
        base = min(_BACKOFF_MAX, _BACKOFF_START * 2.0**self.failures)
        self.failures += 1
        return max(floor, base * (1.0 + self._rng()))

    def reset(self) -> None:
        self.failures = 0


class _WatchState(Generic[T]):
    """What a resumable watch knows: the last resourceVersion and the objects in view."""

    def __init__(self) -> None:
        self.resource_version: str | None = None
        self.view: dict[tuple[str, str], T] = {}
        self.synced = False
        self.reconnects = 0
        self.relists = 0


class _WatchPlan(Generic[T]):
    """The plan of one resumable watch; see the module docstring."""

    def __init__(
        self,
        req: ApiRequest[T],
        *,
        watch_list: bool | None,
        on_sync: Callable[[], None] | None,
        rng: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.monotonic,
        resume: bool = True,
        url: str = "",
    ) -> None:
        params = dict(req.params)
        self.raw = watch_request(req)
        self.resume = resume
        self.url = url
        self.base = req.with_params({name: None for name in _WATCH_PARAMS})
        self.item = item_type(req)
        start = params.get("resourceVersion") or None
        self.state: _WatchState[T] = _WatchState()
        # "0" asks for "any" state, which only a fresh sync can give exactly.
        self.state.resource_version = None if start in (None, "0") else start
        self.need_sync = self.state.resource_version is None
        if not self.need_sync:
            self.state.synced = True
        self.yield_bookmarks = params.get("allowWatchBookmarks") == "true"
        initial = params.get("sendInitialEvents")
        self.watch_list = watch_list if watch_list is not None else initial != "false"
        timeout = params.get("timeoutSeconds")
        self.clock = clock
        self.deadline = None if timeout is None else clock() + float(timeout)
        self.on_sync = on_sync
        self.backoff = _Backoff(rng)
        self.rng = rng
        self.what = _describe(req)

    @classmethod
    def for_client(
        cls,
        client: Client | AsyncClient,
        req: ApiRequest[T],
        resume: bool,
        watch_list: bool | None,
        on_sync: Callable[[], None] | None,
    ) -> _WatchPlan[T]:
        """The plan of a watch through ``client`` (whose retry policy's clock it keeps)."""
        return cls(
            req,
            watch_list=watch_list,
            on_sync=on_sync,
            clock=client.retry.clock,
            resume=resume,
            url=client.url(watch_request(req)),
        )

    # -- the view --

    def _apply(self, kind: str, obj: T) -> WatchEvent[T] | None:
        """Fold one live event into the view; the event to emit, or None for a duplicate."""
        key, version = _key(obj), _version(obj)
        if version is not None:
            self.state.resource_version = version
        if kind == "DELETED":
            self.state.view.pop(key, None)
            return WatchEvent("DELETED", obj)
        old = self.state.view.get(key)
        if old is not None and _version(old) == version:
            return None  # seen already (a replay after a reconnect)
        self.state.view[key] = obj
        return WatchEvent("MODIFIED" if old is not None else "ADDED", obj)

    def _sync_item(self, obj: T, fresh: set[tuple[str, str]]) -> WatchEvent[T] | None:
        key = _key(obj)
        fresh.add(key)
        old = self.state.view.get(key)
        if old is not None and _version(old) == _version(obj):
            return None
        self.state.view[key] = obj
        return WatchEvent("MODIFIED" if old is not None else "ADDED", obj)

    def _end_sync(self, fresh: set[tuple[str, str]], version: str | None) -> list[WatchEvent[T]]:
        gone = [key for key in self.state.view if key not in fresh]
        events = [WatchEvent("DELETED", self.state.view.pop(key)) for key in gone]
        self.state.resource_version = version
        self.need_sync = False
        if not self.state.synced:
            self.state.synced = True
            if self.on_sync is not None:
                self.on_sync()
        return events

    # -- the requests --

    def _remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - self.clock()

    def _watch_request(self, *, initial: bool) -> ApiRequest[T]:
        # client-go asks the server to end a watch after a random 5-10 minutes, so that
        # watches spread out; a caller's timeoutSeconds bounds the whole watch instead.
        low, high = _STREAM_SECONDS
        seconds = int(low + (high - low) * self.rng())
        remaining = self._remaining()
        if remaining is not None:
            seconds = max(1, min(seconds, int(remaining + 0.999)))
        params: dict[str, Any] = {
            "watch": True,
            "allowWatchBookmarks": True,
            "timeoutSeconds": seconds,
            "resourceVersion": self.state.resource_version or "",
        }
        if initial:
            params.update(sendInitialEvents=True, resourceVersionMatch="NotOlderThan")
        return self.base.with_params(params)

    # -- the plan --

    def run(self) -> Plan:
        """The whole watch, as actions for a driver."""
        if not self.resume:
            yield from self._once()
            return
        decoder = WatchDecoder(self.item, method="GET", url=self.what)
        while (remaining := self._remaining()) is None or remaining > 0:
            use_watch_list = self.need_sync and self.watch_list
            try:
                if self.need_sync and not use_watch_list:
                    yield from self._list_sync()
                yield from self._stream(decoder, initial=use_watch_list)
            except Gone:
                # Too old: the events in between are lost, so the view is rebuilt from a
                # fresh state and the difference emitted (client-go relists here too).
                self.state.relists += 1
                self.state.resource_version = None
                self.need_sync = True
                logger.debug("watch of %s: 410 Gone, relisting", self.what)
            except (TransportError, TooManyRequests, ServerError) as exc:
                # Dropped, refused, throttled or failing: the same resourceVersion, later.
                yield from self._wait_after(exc)
            except ApiError as exc:
                if use_watch_list and exc.code in (400, 403, 422):
                    # A server without WatchList refuses sendInitialEvents: list instead.
                    logger.debug("watch of %s: WatchList refused (%s), listing", self.what, exc)
                    self.watch_list = False
                    continue
                raise self._located(exc) from exc

    def _once(self) -> Plan:
        """One stream with the caller's parameters as given; errors are raised as they come
        (``Gone``: list again), bookmarks yielded."""
        decoder = WatchDecoder(self.item, method="GET", url=self.url or self.what)
        yield _Open(self.raw)
        while (line := (yield _Next())) is not None:
            event = decoder.decode(line)
            version = _version(event.object)
            if version:
                self.state.resource_version = version
            yield _Emit(event)

    def _list_sync(self) -> Plan:
        fresh: set[tuple[str, str]] = set()
        listing = _ListState()
        inner = _list_plan(self.base, listing)
        answer: Any = None
        while True:
            try:
                action = inner.send(answer)
            except StopIteration:
                break
            answer = None
            if isinstance(action, _Emit):
                event = self._sync_item(action.value, fresh)
                if event is not None:
                    yield _Emit(event)
            else:
                answer = yield action
        for event in self._end_sync(fresh, listing.resource_version):
            yield _Emit(event)

    def _stream(self, decoder: WatchDecoder[T], *, initial: bool) -> Plan:
        fresh: set[tuple[str, str]] = set()
        syncing = initial
        opened = self.clock()
        delivered = 0
        yield _Open(self._watch_request(initial=initial))
        while True:
            line: bytes | None = yield _Next()
            if line is None:
                break
            event = decoder.decode(line)
            delivered += 1
            self.backoff.reset()  # a stream that delivers is healthy
            if event.type == "BOOKMARK":
                version = _version(event.object)
                if syncing and _ends_initial_events(event.object):
                    syncing = False
                    for gone in self._end_sync(fresh, version):
                        yield _Emit(gone)
                    continue
                if version:
                    self.state.resource_version = version
                if self.yield_bookmarks and not syncing:
                    yield _Emit(event)
                continue
            if syncing and event.type == "ADDED":
                synced = self._sync_item(event.object, fresh)
                if synced is not None:
                    yield _Emit(synced)
                continue
            applied = self._apply(event.type, event.object)
            if applied is not None:
                yield _Emit(applied)
        if syncing:
            # The stream ended before its initial events did: start them again.
            self.need_sync = True
        self.state.reconnects += 1
        if delivered == 0 and self.clock() - opened < 1.0:
            # client-go counts a watch that ends at once without events as a failure.
            yield _Sleep(self.backoff.next())

    def _wait_after(self, exc: KubetypedError) -> Plan:
        floor = 0.0
        if isinstance(exc, ApiError):
            details = exc.status.details
            floor = float(getattr(details, "retry_after_seconds", None) or 0)
        delay = self.backoff.next(floor)
        level = logging.WARNING if self.backoff.failures >= 3 else logging.DEBUG
        logger.log(level, "watch of %s: %s; again in %.1f s", self.what, exc, delay)
        self.state.reconnects += 1
        remaining = self._remaining()
        if remaining is not None:
            delay = min(delay, max(0.0, remaining))
        yield _Sleep(delay)

    def _located(self, exc: ApiError) -> ApiError:
        state = self.state
        tried = f"{state.reconnects} reconnects, {state.relists} relists"
        return type(exc)(
            exc.status,
            method="WATCH",
            url=f"{self.what} (after {tried})",
            warnings=exc.warnings,
        )


def _ends_initial_events(obj: Any) -> bool:
    annotations = getattr(getattr(obj, "metadata", None), "annotations", None) or {}
    return annotations.get(INITIAL_EVENTS_END) == "true"


# --- drivers -------------------------------------------------------------------------------


class _Stopper:
    """Lets another thread end a sync plan: it stops waiting and its stream is shut down."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.response: httpx.Response | None = None

    def opened(self, response: httpx.Response) -> None:
        self.response = response
        if self.event.is_set():
            self.stop()

    def stop(self) -> None:
        from .transport import interrupt  # the HTTP stack loads with the client, not here

        self.event.set()
        if self.response is not None:
            interrupt(self.response)


def _drive(
    plan: Plan, client: Client, stopper: _Stopper | None = None
) -> Generator[Any, None, None]:
    """Carry out a plan with a sync client; yield what it emits."""
    stopper = stopper or _Stopper()
    stream: Generator[bytes, None, None] | None = None
    answer: Any = None
    error: BaseException | None = None
    try:
        while not stopper.event.is_set():
            try:
                action = plan.throw(error) if error is not None else plan.send(answer)
            except StopIteration:
                return
            answer = error = None
            try:
                if isinstance(action, _Emit):
                    yield action.value
                elif isinstance(action, _Send):
                    answer = client.send(action.request)
                elif isinstance(action, _Open):
                    if stream is not None:
                        stream.close()
                    stream = client.stream_lines(action.request, on_open=stopper.opened)
                elif isinstance(action, _Next):
                    assert stream is not None
                    answer = next(stream, None)
                elif client.retry.sleep is time.sleep:
                    stopper.event.wait(action.seconds)  # a stop() ends the wait too
                else:
                    client.retry.sleep(action.seconds)
            except KubetypedError as exc:
                error = exc
    finally:
        if stream is not None:
            stream.close()
        plan.close()


async def _adrive(plan: Plan, client: AsyncClient) -> AsyncGenerator[Any, None]:
    """Carry out a plan with an asyncio client; yield what it emits."""
    stream: AsyncGenerator[bytes, None] | None = None
    answer: Any = None
    error: BaseException | None = None
    try:
        while True:
            try:
                action = plan.throw(error) if error is not None else plan.send(answer)
            except StopIteration:
                return
            answer = error = None
            try:
                if isinstance(action, _Emit):
                    yield action.value
                elif isinstance(action, _Send):
                    answer = await client.send(action.request)
                elif isinstance(action, _Open):
                    if stream is not None:
                        await stream.aclose()
                    stream = client.stream_lines(action.request)
                elif isinstance(action, _Next):
                    assert stream is not None
                    answer = await anext(stream, None)
                else:
                    await client.retry.async_sleep(action.seconds)
            except KubetypedError as exc:
                error = exc
    finally:
        if stream is not None:
            await stream.aclose()
        plan.close()


# --- what users hold -----------------------------------------------------------------------


class ListIterator(Generator[T, None, None]):
    """Every item of a paged list, in order; ``resource_version`` is the snapshot's once the
    iteration is exhausted (None before), ``restarts`` how often an expired continue token
    made it start again from a fresh snapshot."""

    def __init__(self, client: Client, req: ApiRequest[T]) -> None:
        self._state = _ListState()
        self._items: Generator[T, None, None] = _drive(_list_plan(req, self._state), client)

    @property
    def resource_version(self) -> str | None:
        """The resourceVersion of the list, to watch from; None until exhausted."""
        return self._state.resource_version

    @property
    def restarts(self) -> int:
        """How many times the list started again after its continue token expired."""
        return self._state.restarts

    def send(self, value: None) -> T:
        return self._items.send(value)

    def throw(self, *args: Any) -> T:
        return self._items.throw(*args)

    def close(self) -> None:
        self._items.close()


class AsyncListIterator(AsyncGenerator[T, None]):
    """The asyncio twin of :class:`ListIterator`."""

    def __init__(self, client: AsyncClient, req: ApiRequest[T]) -> None:
        self._state = _ListState()
        self._items: AsyncGenerator[T, None] = _adrive(_list_plan(req, self._state), client)

    @property
    def resource_version(self) -> str | None:
        """The resourceVersion of the list, to watch from; None until exhausted."""
        return self._state.resource_version

    @property
    def restarts(self) -> int:
        """How many times the list started again after its continue token expired."""
        return self._state.restarts

    async def asend(self, value: None) -> T:
        return await self._items.asend(value)

    async def athrow(self, *args: Any) -> T:
        return await self._items.athrow(*args)

    async def aclose(self) -> None:
        await self._items.aclose()


class _WatchFacts(Generic[T]):
    """What a resumable watch tells about itself (both flavours)."""

    _plan: _WatchPlan[T]

    @property
    def resource_version(self) -> str | None:
        """The last resourceVersion seen (bookmarks included): where a reconnect resumes."""
        return self._plan.state.resource_version

    @property
    def synced(self) -> bool:
        """Whether the initial state (or the given starting point) has been delivered."""
        return self._plan.state.synced

    @property
    def reconnects(self) -> int:
        """Streams opened again after the first (server timeouts, drops, errors)."""
        return self._plan.state.reconnects

    @property
    def relists(self) -> int:
        """Times the view was rebuilt after 410 Gone."""
        return self._plan.state.relists

    @property
    def on_sync(self) -> Callable[[], None] | None:
        """Called once, when the initial state has been delivered (set before iterating)."""
        return self._plan.on_sync

    @on_sync.setter
    def on_sync(self, callback: Callable[[], None] | None) -> None:
        self._plan.on_sync = callback

    def objects(self) -> list[T]:
        """The objects as the events so far describe them."""
        return list(self._plan.state.view.values())


class Watch(_WatchFacts[T], Generator[WatchEvent[T], None, None]):
    """A resumable watch: iterate it for :class:`~kubetyped.watch.WatchEvent` s; ``close()``
    (or leaving a ``with closing(...)`` block) ends its connection at once. With
    ``resume=False`` it is one raw stream: the caller's parameters as given, bookmarks
    yielded, errors raised (``Gone`` means list again)."""

    def __init__(
        self,
        client: Client,
        req: ApiRequest[T],
        *,
        resume: bool = True,
        watch_list: bool | None = None,
        on_sync: Callable[[], None] | None = None,
    ) -> None:
        self._plan = _WatchPlan.for_client(client, req, resume, watch_list, on_sync)
        self._stopper = _Stopper()
        self._events: Generator[WatchEvent[T], None, None] = _drive(
            self._plan.run(), client, self._stopper
        )

    def stop(self) -> None:
        """End the watch from any thread: the iteration ends after at most the event being
        read (``close()`` is for the thread iterating it)."""
        self._stopper.stop()

    def send(self, value: None) -> WatchEvent[T]:
        return self._events.send(value)

    def throw(self, *args: Any) -> WatchEvent[T]:
        return self._events.throw(*args)

    def close(self) -> None:
        self._events.close()


class AsyncWatch(_WatchFacts[T], AsyncGenerator[WatchEvent[T], None]):
    """The asyncio twin of :class:`Watch`; cancelling the task or ``aclose()`` ends it."""

    def __init__(
        self,
        client: AsyncClient,
        req: ApiRequest[T],
        *,
        resume: bool = True,
        watch_list: bool | None = None,
        on_sync: Callable[[], None] | None = None,
    ) -> None:
        self._plan = _WatchPlan.for_client(client, req, resume, watch_list, on_sync)
        self._events: AsyncGenerator[WatchEvent[T], None] = _adrive(self._plan.run(), client)

    async def asend(self, value: None) -> WatchEvent[T]:
        return await self._events.asend(value)

    async def athrow(self, *args: Any) -> WatchEvent[T]:
        return await self._events.athrow(*args)

    async def aclose(self) -> None:
        await self._events.aclose()
