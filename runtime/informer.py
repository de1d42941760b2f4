"""Informers: a local copy of a resource, kept current by a resumable watch, with handlers.

::

    configmaps = ConfigMaps(client)
    informer = Informer(configmaps.watch, namespace="prod", label_selector="app=web")
    informer.on_add(lambda cm: print("added", cm.metadata.name))
    informer.on_update(lambda old, new: ...)
    informer.on_delete(lambda cm: ...)
    with informer:                       # start(); stop() on leaving
        informer.wait_for_sync()
        informer.store.get("settings", namespace="prod")

``AsyncInformer`` is the same over an ``AsyncConfigMaps``, run as a task (``async with``).
The informer takes a generated ``watch`` method and passes it the selectors; the watch does
the listing, resuming and relisting (:mod:`kubetyped.listwatch`), and tells when the initial
state is in. Handlers run in the informer's thread (or task), one event at a time, after the
store has changed. An error the informer cannot recover from (a handler's exception, a 403)
stops it and is raised from ``wait_for_sync``, ``join`` and ``stop``: it is never lost in a
thread. ``resync_period`` calls ``on_update(obj, obj)`` for every object now and then, as
client-go does, for handlers that reconcile.
"""

from __future__ import annotations

import asyncio
import builtins
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from types import TracebackType
from typing import Any, Generic, TypeVar

from .listwatch import AsyncWatch, Watch, _WatchFacts
from .watch import WatchEvent

__all__ = ["AsyncInformer", "Informer", "Store"]

T = TypeVar("T")
Key = tuple[str, str]

logger = logging.getLogger("kubetyped")


def _key(obj: Any) -> Key:
    metadata = getattr(obj, "metadata", None)
    return (getattr(metadata, "namespace", None) or "", getattr(metadata, "name", None) or "")


class Store(Generic[T]):
    """The informer's objects by namespace and name, with optional indexes. Safe to read
    from any thread while the informer writes."""

    def __init__(self, indexers: Mapping[str, Callable[[T], Iterable[str]]] | None = None) -> None:
        self._objects: dict[Key, T] = {}
        self._indexers = dict(indexers or {})
        self._indexes: dict[str, dict[str, set[Key]]] = {name: {} for name in self._indexers}
        self._lock = threading.Lock()

    def get(self, name: str, namespace: str | None = None) -> T | None:
        """The object, or None."""
        with self._lock:
            return self._objects.get((namespace or "", name))

    def list(self) -> list[T]:
        """Every object."""
        with self._lock:
            return list(self._objects.values())

    def by_index(self, index: str, value: str) -> builtins.list[T]:
        """The objects an indexer maps to ``value`` (``by_index("namespace", "prod")``)."""
        with self._lock:
            keys = self._indexes[index].get(value, set())
            return [self._objects[key] for key in sorted(keys)]

    def __len__(self) -> int:
        return len(self._objects)

    def _put(self, obj: T) -> T | None:
        key = _key(obj)
        with self._lock:
            old = self._objects.get(key)
            if old is not None:
                self._unindex(key, old)
            self._objects[key] = obj
            for name, indexer in self._indexers.items():
                for value in indexer(obj):
                    self._indexes[name].setdefault(value, set()).add(key)
            return old

    def _remove(self, obj: T) -> T | None:
        key = _key(obj)
        with self._lock:
            old = self._objects.pop(key, None)
            if old is not None:
                self._unindex(key, old)
            return old

    def _unindex(self, key: Key, obj: T) -> None:
        for name, indexer in self._indexers.items():
            index = self._indexes[name]
            for value in indexer(obj):
                keys = index.get(value)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del index[value]  # nothing grows with values that come and go


def by_namespace(obj: Any) -> list[str]:
    """An indexer: the object's namespace."""
    return [_key(obj)[0]]


class _Core(Generic[T]):
    """What both informers share: the store, the handlers, and applying an event."""

    def __init__(
        self,
        watch: Callable[..., Any],
        *,
        namespace: str | None,
        label_selector: str | None,
        field_selector: str | None,
        resync_period: float | None,
        indexers: Mapping[str, Callable[[T], Iterable[str]]] | None,
    ) -> None:
        self._watch_method = watch
        self._arguments: dict[str, Any] = {
            name: value
            for name, value in (
                ("namespace", namespace),
                ("label_selector", label_selector),
                ("field_selector", field_selector),
            )
            if value is not None
        }
        self._resync_period = resync_period
        self.store: Store[T] = Store({"namespace": by_namespace, **(indexers or {})})
        self._on_add: list[Callable[[T], None]] = []
        self._on_update: list[Callable[[T, T], None]] = []
        self._on_delete: list[Callable[[T], None]] = []
        self._synced = threading.Event()
        self._error: BaseException | None = None
        self._watch: _WatchFacts[T] | None = None

    @property
    def watch(self) -> _WatchFacts[T] | None:
        """The watch feeding the store, once started: ``resource_version``, ``reconnects``,
        ``relists``."""
        return self._watch

    def on_add(self, handler: Callable[[T], None]) -> Callable[[T], None]:
        """Call ``handler(obj)`` for each object that appears (usable as a decorator)."""
        self._on_add.append(handler)
        return handler

    def on_update(self, handler: Callable[[T, T], None]) -> Callable[[T, T], None]:
        """Call ``handler(old, new)`` for each change (and each resync)."""
        self._on_update.append(handler)
        return handler

    def on_delete(self, handler: Callable[[T], None]) -> Callable[[T], None]:
        """Call ``handler(obj)`` (its last known state) for each object that goes away."""
        self._on_delete.append(handler)
        return handler

    @property
    def has_synced(self) -> bool:
        """Whether the store holds the initial state."""
        return self._synced.is_set()

    @property
    def error(self) -> BaseException | None:
        """What stopped the informer, if anything did."""
        return self._error

    def _apply(self, event: WatchEvent[T]) -> None:
        if event.type == "DELETED":
            gone = self.store._remove(event.object)
            for on_delete in self._on_delete:
                on_delete(gone if gone is not None else event.object)
        elif event.type in ("ADDED", "MODIFIED"):
            old = self.store._put(event.object)
            if old is None:
                for on_add in self._on_add:
                    on_add(event.object)
            else:
                for on_update in self._on_update:
                    on_update(old, event.object)

    def _resync(self) -> None:
        for obj in self.store.list():
            for on_update in self._on_update:
                on_update(obj, obj)

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error


class Informer(_Core[T]):
    """A sync informer, run in a thread; see the module docstring."""

    def __init__(
        self,
        watch: Callable[..., Iterator[WatchEvent[T]]],
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        resync_period: float | None = None,
        indexers: Mapping[str, Callable[[T], Iterable[str]]] | None = None,
    ) -> None:
        super().__init__(
            watch,
            namespace=namespace,
            label_selector=label_selector,
            field_selector=field_selector,
            resync_period=resync_period,
            indexers=indexers,
        )
        self._lock = threading.Lock()  # one event or resync at a time
        self._stopped = threading.Event()
        self._sync_watch: Watch[T] | None = None
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start listing and watching in a daemon thread."""
        watch = self._watch_method(**self._arguments)
        if not isinstance(watch, Watch):
            raise TypeError("Informer needs a resource's watch method (a resumable Watch)")
        watch.on_sync = self._synced.set
        self._watch = self._sync_watch = watch
        self._threads = [threading.Thread(target=self._run, daemon=True, name="informer")]
        if self._resync_period:
            self._threads.append(threading.Thread(target=self._resyncs, daemon=True))
        for thread in self._threads:
            thread.start()

    def wait_for_sync(self, timeout: float | None = None) -> bool:
        """Wait until the store holds the initial state; False on timeout. Raises what
        stopped the informer, if it stopped."""
        end = None if timeout is None else time.monotonic() + timeout
        while not self._synced.wait(0.05):
            self._raise_error()
            if self._stopped.is_set() or (end is not None and time.monotonic() >= end):
                return False
        self._raise_error()
        return True

    def stop(self, timeout: float | None = 10.0) -> None:
        """Stop watching and wait for the thread; raise what stopped it before, if anything."""
        self._stopped.set()
        if self._sync_watch is not None:
            self._sync_watch.stop()
        self.join(timeout)

    def join(self, timeout: float | None = None) -> None:
        """Wait for the informer to end; raise its error, if it had one."""
        for thread in self._threads:
            thread.join(timeout)
        self._raise_error()

    def _run(self) -> None:
        watch = self._sync_watch
        assert watch is not None
        try:
            for event in watch:
                with self._lock:
                    self._apply(event)
        except BaseException as exc:  # surfaced by wait_for_sync, join and stop
            if not self._stopped.is_set():
                logger.error("informer stopped: %s", exc)
                self._error = exc
        finally:
            self._stopped.set()
            watch.close()

    def _resyncs(self) -> None:
        assert self._resync_period
        while not self._stopped.wait(self._resync_period):
            try:
                with self._lock:
                    self._resync()
            except BaseException as exc:
                self._error = exc
                self.stop(timeout=0)
                return

    def __enter__(self) -> Informer[T]:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class AsyncInformer(_Core[T]):
    """An asyncio informer, run as a task; see the module docstring."""

    def __init__(
        self,
        watch: Callable[..., AsyncIterator[WatchEvent[T]]],
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        resync_period: float | None = None,
        indexers: Mapping[str, Callable[[T], Iterable[str]]] | None = None,
    ) -> None:
        super().__init__(
            watch,
            namespace=namespace,
            label_selector=label_selector,
            field_selector=field_selector,
            resync_period=resync_period,
            indexers=indexers,
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._synced_async = asyncio.Event()

    def start(self) -> None:
        """Start listing and watching in a task of the running loop."""
        watch = self._watch_method(**self._arguments)
        if not isinstance(watch, AsyncWatch):
            raise TypeError("AsyncInformer needs a resource's watch method (an AsyncWatch)")

        def synced() -> None:
            self._synced.set()
            self._synced_async.set()

        watch.on_sync = synced
        self._watch = watch
        self._tasks = [asyncio.create_task(self._run(watch))]
        if self._resync_period:
            self._tasks.append(asyncio.create_task(self._resyncs()))

    async def wait_for_sync(self, timeout: float | None = None) -> bool:
        """Wait until the store holds the initial state; False on timeout. Raises what
        stopped the informer, if it stopped."""
        waiter = asyncio.create_task(self._synced_async.wait())
        try:
            await asyncio.wait(
                [waiter, self._tasks[0]], timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            waiter.cancel()
        self._raise_error()
        return self.has_synced

    async def stop(self) -> None:
        """Cancel the tasks (which closes the watch's connection); raise what stopped the
        informer before, if anything."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._raise_error()

    async def join(self) -> None:
        """Wait for the informer to end; raise its error, if it had one."""
        await asyncio.gather(*self._tasks[:1], return_exceptions=True)
        self._raise_error()

    async def _run(self, watch: AsyncWatch[T]) -> None:
        try:
            async for event in watch:
                self._apply(event)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # surfaced by wait_for_sync, join and stop
            logger.error("informer stopped: %s", exc)
            self._error = exc
        finally:
            await watch.aclose()

    async def _resyncs(self) -> None:
        assert self._resync_period
        while True:
            await asyncio.sleep(self._resync_period)
            try:
                self._resync()
            except Exception as exc:
                self._error = exc
                self._tasks[0].cancel()
                return

    async def __aenter__(self) -> AsyncInformer[T]:
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
