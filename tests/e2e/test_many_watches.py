"""Many watches and many requests on one client against the real kube-apiserver (issue 14).

* 1,000 async watches on one ``AsyncClient`` over HTTP/2, one per namespace, then one change
  in each namespace: every watch sees its change within 5 s (the issue's bound, a correctness
  property: nothing waits unseen), over a handful of TCP connections (kube-apiserver allows
  100 streams on a connection).
* The same with HTTP/2 off: each of the 1,000 watches sees its change or fails, within a
  bound, with an error naming ``max_connections``; none waits without end.
* Closing or cancelling one watch ends its stream on the server at once (RST_STREAM) while
  the watches sharing its connection go on.
* A sync ``Client`` shared by threads that watch and threads that write at once.

The TCP connections are counted by the kernel's view of this process's sockets, not by the
client's own books.
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from kubetyped import AsyncClient, Client
from kubetyped.errors import TransportError
from kubetyped.k8s.core.v1 import (
    AsyncConfigMaps,
    AsyncNamespaces,
    ConfigMap,
    ConfigMaps,
    Namespace,
)
from kubetyped.k8s.meta.v1 import ObjectMeta
from kubetyped.testing import ApiServer

pytestmark = pytest.mark.e2e

WATCHES = 1000
VISIBLE_WITHIN = 5.0  # seconds: the bound between a change and every watch seeing it
WRITERS = 50  # changes in flight at once


def connections_to(port: int) -> int:
    """Established TCP connections of this process to ``port`` on 127.0.0.1 (from /proc)."""
    inodes: set[str] = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    count = 0
    with open("/proc/net/tcp") as table:
        for line in table.read().splitlines()[1:]:
            fields = line.split()
            remote_port = int(fields[2].split(":")[1], 16)
            if fields[9] in inodes and remote_port == port and fields[3] == "01":
                count += 1
    return count


def watchers(client: Client) -> int:
    """configmaps watches the server is serving now (its long-running request gauge)."""
    text = client.request("GET", "/metrics").text
    pattern = re.compile(r"^apiserver_longrunning_requests\{([^}]*)\} (\S+)$", re.M)
    total = 0.0
    for labels, value in pattern.findall(text):
        if 'resource="configmaps"' in labels and 'verb="WATCH"' in labels:
            total += float(value)
    return int(total)


@pytest.fixture(scope="module")
def server(apiserver_binaries: Any) -> Iterator[ApiServer]:
    """A server of this module's own: a thousand namespaces and watches stay out of others'
    way, and the connection count is this module's alone."""
    with ApiServer(binaries=apiserver_binaries) as running:
        yield running


@pytest.fixture(scope="module")
def namespaces(server: ApiServer) -> list[str]:
    names = [f"many-{i}" for i in range(WATCHES)]

    async def create() -> None:
        async with AsyncClient(kubeconfig=server.kubeconfig_path) as client:
            api = AsyncNamespaces(client)
            gate = asyncio.Semaphore(WRITERS)

            async def one(name: str) -> None:
                async with gate:
                    await api.create(Namespace(metadata=ObjectMeta(name=name)))

            await asyncio.gather(*(one(name) for name in names))

    asyncio.run(create())
    return names


class Ledger:
    """When each watch saw its change, and when each change was made."""

    def __init__(self) -> None:
        self.seen: dict[str, float] = {}
        self.sent: dict[str, float] = {}  # when the change was sent: lags count from here
        self.failed: dict[str, BaseException] = {}
        self.synced = 0


async def watch_for(
    configmaps: AsyncConfigMaps, namespace: str, change: str, ledger: Ledger, *, resume: bool
) -> None:
    def on_sync() -> None:
        ledger.synced += 1

    watch = configmaps.watch(namespace=namespace, resume=resume)
    if resume:
        watch.on_sync = on_sync
    try:
        async for event in watch:
            if event.object.metadata and event.object.metadata.name == change:
                ledger.seen[namespace] = time.monotonic()
                return
    except TransportError as exc:
        ledger.failed[namespace] = exc
    finally:
        await watch.aclose()


async def make_changes(
    configmaps: AsyncConfigMaps, names: list[str], change: str, ledger: Ledger
) -> None:
    gate = asyncio.Semaphore(WRITERS)

    async def one(namespace: str) -> None:
        async with gate:
            ledger.sent[namespace] = time.monotonic()
            await configmaps.create(
                ConfigMap(metadata=ObjectMeta(name=change)), namespace=namespace
            )

    await asyncio.gather(*(one(namespace) for namespace in names))


class Sampler:
    """The most TCP connections to the server seen while it runs (every 50 ms)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.most = 0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            self.most = max(self.most, connections_to(self.port))
            await asyncio.sleep(0.05)

    def __enter__(self) -> Sampler:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


async def wait_until(condition: Any, seconds: float, what: Any) -> None:
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"not within {seconds:g} s: {what() if callable(what) else what}")
        await asyncio.sleep(0.05)


async def test_a_thousand_async_watches_over_http2_see_their_change_within_5_s(
    server: ApiServer, namespaces: list[str]
) -> None:
    ledger = Ledger()
    async with AsyncClient(kubeconfig=server.kubeconfig_path) as client:
        assert client.http2
        version = await client.request("GET", "/version")
        assert version.extensions["http_version"] == b"HTTP/2"
        configmaps = AsyncConfigMaps(client)
        started = time.monotonic()
        tasks = [
            asyncio.create_task(watch_for(configmaps, ns, "change-h2", ledger, resume=True))
            for ns in namespaces
        ]
        try:
            await wait_until(
                lambda: ledger.synced == WATCHES,
                60,
                lambda: f"every watch synced ({ledger.synced} did; {client._http._transport})",
            )
            synced_after = time.monotonic() - started
            watching = connections_to(server.port)
            with Sampler(server.port) as sampler:
                await make_changes(configmaps, namespaces, "change-h2", ledger)
                done, pending = await asyncio.wait(tasks, timeout=30)
            total = sampler.most
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    lags = sorted(ledger.seen[ns] - ledger.sent[ns] for ns in ledger.seen)  # from the send
    print(
        f"\n{WATCHES} watches over HTTP/2: synced in {synced_after:.1f} s over {watching} TCP "
        f"connections (at most {total} with the writes); change seen after p50 {lags[len(lags) // 2]:.3f}"
        f" s, max {lags[-1]:.3f} s"
    )
    assert not ledger.failed and not pending and len(done) == WATCHES
    assert set(ledger.seen) == set(namespaces)
    late = {ns: round(ledger.seen[ns] - ledger.sent[ns], 2) for ns in namespaces}
    late = {ns: lag for ns, lag in late.items() if lag > VISIBLE_WITHIN}
    assert not late, f"changes seen later than {VISIBLE_WITHIN} s: {late}"
    # 100 streams to a connection: ten for the watches, one or two more for the writes.
    assert watching <= 12 and total <= 14


async def test_with_http2_off_no_watch_waits_without_end(
    server: ApiServer, namespaces: list[str]
) -> None:
    """HTTP/1.1: one connection a watch, 100 connections (max_connections): the first 100
    watches see their change; the other 900 fail after the 5 s pool timeout, naming the
    limit. One stream each (resume=False), so that what each watch met is its own."""
    ledger = Ledger()
    async with AsyncClient(kubeconfig=server.kubeconfig_path, http2=False, timeout=5) as client:
        version = await client.request("GET", "/version")
        assert version.extensions["http_version"] == b"HTTP/1.1"
        configmaps = AsyncConfigMaps(client)
        started = time.monotonic()
        tasks = {
            ns: asyncio.create_task(watch_for(configmaps, ns, "change-h1", ledger, resume=False))
            for ns in namespaces
        }
        try:
            await wait_until(
                lambda: len(ledger.failed) >= WATCHES - 100, 30, "the surplus watches failed"
            )
            failed_after = time.monotonic() - started
            watching = connections_to(server.port)
            # The writes need connections too: free some by closing ten open watches.
            opened = [ns for ns in namespaces if ns not in ledger.failed]
            for ns in opened[:10]:
                tasks[ns].cancel()
            await asyncio.sleep(0.5)
            await make_changes(configmaps, opened[10:], "change-h1", ledger)
            done, pending = await asyncio.wait(tasks.values(), timeout=30)
        finally:
            for task in tasks.values():
                task.cancel()
            await asyncio.gather(*tasks.values(), return_exceptions=True)

    print(
        f"\n{WATCHES} watches over HTTP/1.1: {len(ledger.failed)} failed after "
        f"{failed_after:.1f} s, {len(ledger.seen)} saw their change, {watching} TCP connections"
    )
    assert not pending
    assert len(opened) == 100 and watching == 100
    assert set(ledger.seen) == set(opened[10:])
    for ns in opened[10:]:
        assert ledger.seen[ns] - ledger.sent[ns] < VISIBLE_WITHIN
    assert len(ledger.failed) == WATCHES - 100
    for exc in ledger.failed.values():
        assert "all 100 (max_connections) are busy" in str(exc)
    assert failed_after < 20


async def test_closing_a_watch_ends_its_stream_and_only_its_stream(
    server: ApiServer, namespaces: list[str]
) -> None:
    names = namespaces[:60]
    ledger = Ledger()
    with Client(kubeconfig=server.kubeconfig_path) as probe:
        before = watchers(probe)
        theirs = connections_to(server.port)  # the probe's
        async with AsyncClient(kubeconfig=server.kubeconfig_path) as client:
            configmaps = AsyncConfigMaps(client)
            tasks = {
                ns: asyncio.create_task(
                    watch_for(configmaps, ns, "change-rst", ledger, resume=True)
                )
                for ns in names
            }
            try:
                await wait_until(lambda: ledger.synced == len(names), 30, "every watch synced")
                assert connections_to(server.port) == theirs + 1  # 60 streams, one connection
                await wait_until(lambda: watchers(probe) == before + 60, 10, "60 watches served")
                for ns in names[:30]:
                    tasks[ns].cancel()
                await asyncio.gather(*(tasks[ns] for ns in names[:30]), return_exceptions=True)
                # Without RST_STREAM the server would go on serving them for 5-10 minutes.
                await wait_until(lambda: watchers(probe) == before + 30, 5, "30 watches ended")
                assert connections_to(server.port) == theirs + 1
                await make_changes(configmaps, names[30:], "change-rst", ledger)
                done, pending = await asyncio.wait([tasks[ns] for ns in names[30:]], timeout=15)
            finally:
                for task in tasks.values():
                    task.cancel()
                await asyncio.gather(*tasks.values(), return_exceptions=True)
        assert not pending and set(ledger.seen) == set(names[30:])
        await wait_until(lambda: watchers(probe) == before, 5, "every watch ended")


def test_a_sync_client_shared_by_watching_and_writing_threads(
    server: ApiServer, namespaces: list[str]
) -> None:
    """Ten threads watch a namespace each while twenty threads create, read and delete
    ConfigMaps in them through the same Client; every watch sees every create in its
    namespace, and stop() from the main thread ends each watch at once."""
    names = namespaces[100:110]
    per_writer = 20
    failures: list[BaseException] = []
    seen: dict[str, set[str]] = {ns: set() for ns in names}
    lock = threading.Lock()
    with Client(kubeconfig=server.kubeconfig_path) as client:
        configmaps = ConfigMaps(client)
        watches = {ns: configmaps.watch(namespace=ns) for ns in names}
        synced = threading.Barrier(len(names) + 1)
        for watch in watches.values():
            watch.on_sync = lambda: synced.wait(30)

        def watcher(ns: str) -> None:
            try:
                for event in watches[ns]:
                    name = event.object.metadata.name if event.object.metadata else None
                    if event.type == "ADDED" and name and name.startswith("t-"):
                        with lock:
                            seen[ns].add(name)
            except BaseException as exc:
                failures.append(exc)

        def writer(worker: int) -> None:
            ns = names[worker % len(names)]
            try:
                for i in range(per_writer):
                    name = f"t-{worker}-{i}"
                    configmaps.create(ConfigMap(metadata=ObjectMeta(name=name)), namespace=ns)
                    assert configmaps.get(name, namespace=ns).metadata is not None
                    configmaps.list(namespace=ns, limit=5)
            except BaseException as exc:
                failures.append(exc)

        readers = [threading.Thread(target=watcher, args=(ns,)) for ns in names]
        for thread in readers:
            thread.start()
        synced.wait(30)
        writers = [threading.Thread(target=writer, args=(n,)) for n in range(20)]
        for thread in writers:
            thread.start()
        for thread in writers:
            thread.join(60)
        expected = {
            ns: {
                f"t-{w}-{i}"
                for w in range(20)
                if names[w % len(names)] == ns
                for i in range(per_writer)
            }
            for ns in names
        }
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and seen != expected:
            time.sleep(0.05)
        stopping = time.monotonic()
        for watch in watches.values():
            watch.stop()
        for thread in readers:
            thread.join(10)
        stopped_in = time.monotonic() - stopping
    assert not failures, failures
    assert seen == expected
    assert not any(thread.is_alive() for thread in readers + writers)
    assert stopped_in < 5
