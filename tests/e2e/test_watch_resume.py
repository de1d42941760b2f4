"""Watches and informers against the real server, through a TCP proxy of the test's own that
cuts every connection now and then: each change delivered exactly once and in order, resume
after a kube-apiserver restart, relist after etcd compaction (410), bookmarks, and WatchList
on and off."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from _support import unique
from kubetyped import AsyncClient, Client, listwatch
from kubetyped.informer import AsyncInformer, Informer
from kubetyped.k8s.core import v1 as core_v1
from kubetyped.k8s.meta.v1 import ObjectMeta
from kubetyped.listwatch import AsyncWatch, Watch
from kubetyped.testing import ApiServer
from pydantic import BaseModel

pytestmark = pytest.mark.e2e


class TcpProxy:
    """Forwards 127.0.0.1:port to the API server; ``cut()`` drops every connection at once,
    ``refuse`` makes new connections fail until lowered."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.refuse = False
        self.cuts = 0
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            if self.refuse:
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self._lock:
                self._pairs.append((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for s in pair:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
        self.cuts += 1

    def close(self) -> None:
        self._sock.close()
        self.cut()


def through(proxy: TcpProxy, kubeconfig: Path, dest: Path) -> Path:
    """A copy of ``kubeconfig`` whose cluster is reached through ``proxy``."""
    config = yaml.safe_load(kubeconfig.read_text())
    for cluster in config["clusters"]:
        cluster["cluster"]["server"] = f"https://127.0.0.1:{proxy.port}"
    dest.write_text(yaml.safe_dump(config))
    return dest


@pytest.fixture
def proxy(apiserver: ApiServer) -> Iterator[TcpProxy]:
    p = TcpProxy(apiserver.port)
    yield p
    p.close()


@pytest.fixture(scope="module")
def plain_server() -> Iterator[ApiServer]:
    """A server without the watch cache (watches come from etcd, which the test compacts)
    and without WatchList (the watch must list instead)."""
    with ApiServer(
        extra_args=[
            "--watch-cache=false",
            "--etcd-compaction-interval=0",
            "--feature-gates=WatchList=false",
        ]
    ) as server:
        yield server


class Ledger:
    """What the consumer saw: events by object, and the view they add up to."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, int]] = []
        self.view: dict[str, int] = {}
        self.lock = threading.Lock()

    def see(self, kind: str, obj: Any) -> None:
        name, rv = obj.metadata.name, int(obj.metadata.resource_version)
        with self.lock:
            self.events.append((kind, name, rv))
            if kind == "DELETED":
                self.view.pop(name, None)
            else:
                self.view[name] = rv

    def check(self) -> None:
        """No event twice, no version going backwards per object."""
        assert len(set(self.events)) == len(self.events), "duplicate events"
        last: dict[str, int] = {}
        for kind, name, rv in self.events:
            assert rv > last.get(name, 0) or kind == "ADDED", f"{name} went back to {rv}"
            last[name] = rv


def churn(
    client: Client, namespace: str, n: int, every: int, hook: Callable[[int], None]
) -> dict[str, Any]:
    """``n`` creates, updates and deletes of ConfigMaps; ``hook(i)`` every ``every`` ops.
    Returns what was done: the version each write produced, and the deleted names."""
    configmaps = core_v1.ConfigMaps(client)
    written: dict[str, list[int]] = defaultdict(list)
    deleted: set[str] = set()
    alive: list[str] = []
    for i in range(n):
        if i % every == every - 1:
            hook(i)
        if i % 5 in (0, 1) or not alive:
            name = f"cm-{i}"
            made = configmaps.create(
                core_v1.ConfigMap(metadata=ObjectMeta(name=name), data={"i": str(i)}),
                namespace=namespace,
            )
            alive.append(name)
        elif i % 5 in (2, 3):
            name = alive[i % len(alive)]
            made = configmaps.patch(name, {"data": {"i": str(i)}}, namespace=namespace)
        else:
            name = alive.pop(0)
            configmaps.delete(name, namespace=namespace)
            deleted.add(name)
            continue
        assert made.metadata is not None and made.metadata.resource_version is not None
        written[name].append(int(made.metadata.resource_version))
    return {"written": written, "deleted": deleted}


def server_view(client: Client, namespace: str) -> dict[str, int]:
    listed = core_v1.ConfigMaps(client).list(namespace=namespace)
    return {
        item.metadata.name: int(item.metadata.resource_version)  # type: ignore[union-attr,arg-type]
        for item in listed.items
        if item.metadata is not None
    }


def wait_for(condition: Callable[[], bool], seconds: float = 60) -> None:
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, "timed out waiting for the watch to catch up"
        time.sleep(0.1)


def consume(
    mode: str, kubeconfig: Path, namespace: str, ledger: Ledger
) -> tuple[Callable[[], None], Callable[[], Any]]:
    """Run a resumable watch of ``namespace`` in the background; return (stop, watch)."""
    holder: dict[str, Any] = {}
    ready = threading.Event()
    if mode == "sync":

        def run_sync() -> None:
            with Client(kubeconfig=kubeconfig) as client:
                watch = core_v1.ConfigMaps(client).watch(namespace=namespace)
                assert isinstance(watch, Watch)
                holder["watch"] = watch
                ready.set()
                for event in watch:
                    ledger.see(event.type, event.object)

        thread = threading.Thread(target=run_sync, daemon=True)
        thread.start()
        ready.wait(10)
        return (lambda: (holder["watch"].stop(), thread.join(10))), lambda: holder["watch"]

    loop = asyncio.new_event_loop()

    async def run_async() -> None:
        async with AsyncClient(kubeconfig=kubeconfig) as client:
            watch = core_v1.AsyncConfigMaps(client).watch(namespace=namespace)
            assert isinstance(watch, AsyncWatch)
            holder["watch"] = watch
            ready.set()
            async for event in watch:
                ledger.see(event.type, event.object)

    def run_loop() -> None:
        holder["task"] = loop.create_task(run_async())
        try:
            loop.run_until_complete(holder["task"])
        except (asyncio.CancelledError, Exception) as exc:
            holder["error"] = exc

    thread = threading.Thread(target=run_loop, daemon=True)
    thread.start()
    ready.wait(10)

    def stop() -> None:
        loop.call_soon_threadsafe(holder["task"].cancel)
        thread.join(10)

    return stop, lambda: holder["watch"]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_every_change_once_and_in_order_through_cut_connections(
    mode: str, apiserver: ApiServer, kubeconfig: Path, proxy: TcpProxy, tmp_path: Path
) -> None:
    namespace = unique(f"watch-{mode}")
    with Client(kubeconfig=kubeconfig) as client:
        core_v1.Namespaces(client).create(core_v1.Namespace(metadata=ObjectMeta(name=namespace)))
        ledger = Ledger()
        stop, watch = consume(mode, through(proxy, kubeconfig, tmp_path / "kc"), namespace, ledger)
        try:
            wait_for(lambda: watch().synced)

            def cut(i: int) -> None:
                proxy.cut()
                time.sleep(2)  # past the first backoff (at most 1.6 s): the next cut hits a stream

            done = churn(client, namespace, 1000, every=150, hook=cut)
            expected = server_view(client, namespace)
            wait_for(lambda: ledger.view == expected)
        finally:
            stop()
    ledger.check()
    assert proxy.cuts >= 6 and watch().reconnects >= proxy.cuts
    seen = {(name, rv) for kind, name, rv in ledger.events if kind != "DELETED"}
    for name, versions in done["written"].items():
        for rv in versions:
            assert (name, rv) in seen, f"missed {name} at {rv}"
    deletes = {name for kind, name, rv in ledger.events if kind == "DELETED"}
    assert deletes == done["deleted"]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_watch_survives_an_apiserver_restart(
    mode: str, plain_server: ApiServer, tmp_path: Path
) -> None:
    proxy = TcpProxy(plain_server.port)
    namespace = unique(f"restart-{mode}")
    kubeconfig = plain_server.kubeconfig_path
    try:
        with Client(kubeconfig=kubeconfig) as client:
            core_v1.Namespaces(client).create(
                core_v1.Namespace(metadata=ObjectMeta(name=namespace))
            )
            ledger = Ledger()
            stop, watch = consume(
                mode, through(proxy, kubeconfig, tmp_path / "kc"), namespace, ledger
            )
            try:
                wait_for(lambda: watch().synced)
                churn(client, namespace, 300, every=100, hook=lambda i: proxy.cut())
                plain_server.restart()
                churn(client, namespace, 100, every=1000, hook=lambda i: None)
                expected = server_view(client, namespace)
                wait_for(lambda: ledger.view == expected)
            finally:
                stop()
    finally:
        proxy.close()
    ledger.check()
    assert watch().relists == 0  # resumed from etcd, nothing lost


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_an_informer_converges_through_cuts_and_a_restart(
    mode: str, plain_server: ApiServer, tmp_path: Path
) -> None:
    """500 objects, then changes while the connection is cut and kube-apiserver restarts:
    the store ends equal to the server, and the handlers saw every change exactly once."""
    proxy = TcpProxy(plain_server.port)
    namespace = unique(f"informer-{mode}")
    kubeconfig = plain_server.kubeconfig_path
    changes: list[tuple[str, str]] = []
    done: dict[str, Any] = {}
    try:
        with Client(kubeconfig=kubeconfig) as client:
            configmaps = core_v1.ConfigMaps(client)
            core_v1.Namespaces(client).create(
                core_v1.Namespace(metadata=ObjectMeta(name=namespace))
            )
            for i in range(500):
                configmaps.create(
                    core_v1.ConfigMap(metadata=ObjectMeta(name=f"base-{i}")), namespace=namespace
                )

            def meanwhile() -> None:
                done.update(churn(client, namespace, 200, every=50, hook=lambda i: proxy.cut()))
                plain_server.restart()
                for i in range(0, 500, 50):
                    configmaps.patch(f"base-{i}", {"data": {"x": "1"}}, namespace=namespace)

            names, relists = run_informer(
                mode,
                through(proxy, kubeconfig, tmp_path / "kc"),
                namespace,
                meanwhile,
                changes,
                lambda: server_view(client, namespace),
            )
            assert names == set(server_view(client, namespace))
    finally:
        proxy.close()
    assert relists == 0
    creates = {name for name in done["written"] if name.startswith("cm-")}
    adds = [name for kind, name in changes if kind == "add"]
    assert sorted(adds) == sorted({f"base-{i}" for i in range(500)} | creates)
    assert sorted(n for k, n in changes if k == "delete") == sorted(done["deleted"])
    updates = [n for k, n in changes if k == "update"]
    patched = sum(len(v) - 1 for v in done["written"].values())
    assert len(updates) == patched + 10


def compact(server: ApiServer, revision: int) -> None:
    answer = httpx.post(
        f"{server.etcd_url}/v3/kv/compaction", json={"revision": str(revision), "physical": True}
    )
    answer.raise_for_status()


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_after_compaction_the_informer_relists_and_ends_equal(
    mode: str, plain_server: ApiServer, tmp_path: Path
) -> None:
    proxy = TcpProxy(plain_server.port)
    namespace = unique(f"gone-{mode}")
    kubeconfig = plain_server.kubeconfig_path
    via_proxy = through(proxy, kubeconfig, tmp_path / "kc")
    changes: list[tuple[str, str]] = []
    try:
        with Client(kubeconfig=kubeconfig) as client:
            configmaps = core_v1.ConfigMaps(client)
            core_v1.Namespaces(client).create(
                core_v1.Namespace(metadata=ObjectMeta(name=namespace))
            )
            for i in range(20):
                configmaps.create(
                    core_v1.ConfigMap(metadata=ObjectMeta(name=f"cm-{i}")), namespace=namespace
                )

            def while_cut() -> None:
                # The watch is away: changes happen, and etcd forgets their history.
                proxy.refuse = True
                proxy.cut()
                for i in range(5):
                    configmaps.delete(f"cm-{i}", namespace=namespace)
                for i in range(5, 10):
                    configmaps.patch(f"cm-{i}", {"data": {"x": "1"}}, namespace=namespace)
                marker = configmaps.create(
                    core_v1.ConfigMap(metadata=ObjectMeta(name="marker")), namespace=namespace
                )
                assert marker.metadata is not None and marker.metadata.resource_version
                compact(plain_server, int(marker.metadata.resource_version))
                proxy.refuse = False

            store_names, relists = run_informer(
                mode,
                via_proxy,
                namespace,
                while_cut,
                changes,
                lambda: server_view(client, namespace),
            )
            assert store_names == set(server_view(client, namespace))
    finally:
        proxy.close()
    assert relists >= 1
    assert {name for kind, name in changes if kind == "delete"} == {f"cm-{i}" for i in range(5)}
    assert {name for kind, name in changes if kind == "update"} >= {f"cm-{i}" for i in range(5, 10)}
    assert ("add", "marker") in changes


def run_informer(
    mode: str,
    kubeconfig: Path,
    namespace: str,
    meanwhile: Callable[[], None],
    changes: list[tuple[str, str]],
    truth: Callable[[], dict[str, int]],
) -> tuple[set[str], int]:
    """Run an informer; after its sync call ``meanwhile``; wait until the store equals
    ``truth``; return the store's names and the watch's relists."""

    def record(informer: Any) -> None:
        informer.on_add(lambda o: changes.append(("add", o.metadata.name)))
        informer.on_update(lambda old, new: changes.append(("update", new.metadata.name)))
        informer.on_delete(lambda o: changes.append(("delete", o.metadata.name)))

    def names(informer: Any) -> set[str]:
        return {o.metadata.name for o in informer.store.list()}

    if mode == "sync":
        with Client(kubeconfig=kubeconfig) as client:
            informer = Informer(core_v1.ConfigMaps(client).watch, namespace=namespace)
            record(informer)
            with informer:
                assert informer.wait_for_sync(30)
                meanwhile()
                expected = set(truth())
                wait_for(lambda: names(informer) == expected)
                assert informer.watch is not None
                return names(informer), informer.watch.relists

    async def main() -> tuple[set[str], int]:
        async with AsyncClient(kubeconfig=kubeconfig) as client:
            watch = core_v1.AsyncConfigMaps(client).watch
            informer: AsyncInformer[core_v1.ConfigMap] = AsyncInformer(watch, namespace=namespace)
            record(informer)
            async with informer:
                assert await informer.wait_for_sync(30)
                await asyncio.to_thread(meanwhile)
                expected = set(await asyncio.to_thread(truth))
                end = time.monotonic() + 60
                while names(informer) != expected:
                    assert time.monotonic() < end, "informer did not converge"
                    await asyncio.sleep(0.1)
                assert informer.watch is not None
                return names(informer), informer.watch.relists

    return asyncio.run(main())


def test_bookmarks_move_the_resume_point(kubeconfig: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The watch cache sends a bookmark 2 s before a stream's timeout; the next stream
    resumes from it."""
    monkeypatch.setattr(listwatch, "_STREAM_SECONDS", (5, 5))
    namespace = unique("bookmarks")
    asked: list[str] = []
    with Client(kubeconfig=kubeconfig) as client:
        core_v1.Namespaces(client).create(core_v1.Namespace(metadata=ObjectMeta(name=namespace)))
        start = core_v1.ConfigMaps(client).list(namespace=namespace).metadata
        assert start is not None and start.resource_version is not None
        client._http.event_hooks["request"].append(
            lambda request: asked.append(request.url.params.get("resourceVersion", ""))
        )
        watch = core_v1.ConfigMaps(client).watch(
            namespace=namespace,
            resource_version=start.resource_version,
            allow_watch_bookmarks=True,
            timeout_seconds=8,
        )

        def elsewhere() -> None:
            # Changes in another namespace move the cache on: its bookmarks carry them.
            with Client(kubeconfig=kubeconfig) as other:
                for _ in range(12):
                    core_v1.ConfigMaps(other).create(
                        core_v1.ConfigMap(metadata=ObjectMeta(generate_name="bm-")),
                        namespace="default",
                    )
                    time.sleep(0.5)

        churner = threading.Thread(target=elsewhere)
        churner.start()
        bookmarks = [e.object.metadata.resource_version for e in watch if e.type == "BOOKMARK"]
        churner.join()
    assert bookmarks, "no bookmark arrived"
    assert asked[0] == start.resource_version
    # Nothing changed in the watched namespace: only a bookmark can have moved it on.
    assert len(asked) >= 2 and asked[1] in bookmarks, f"resumed from {asked[1:]}, {bookmarks=}"


@pytest.mark.parametrize("server", ["watchlist", "no-watchlist"])
def test_watchlist_on_and_off_give_the_same_store(
    server: str, kubeconfig: Path, plain_server: ApiServer
) -> None:
    config = kubeconfig if server == "watchlist" else plain_server.kubeconfig_path
    namespace = unique("wl")
    asked: list[dict[str, str]] = []
    with Client(kubeconfig=config) as client:
        core_v1.Namespaces(client).create(core_v1.Namespace(metadata=ObjectMeta(name=namespace)))
        for i in range(50):
            core_v1.ConfigMaps(client).create(
                core_v1.ConfigMap(metadata=ObjectMeta(name=f"cm-{i}")), namespace=namespace
            )
        client._http.event_hooks["request"].append(
            lambda request: asked.append(dict(request.url.params))
        )
        with Informer(core_v1.ConfigMaps(client).watch, namespace=namespace) as informer:
            assert informer.wait_for_sync(30)
            names = sorted(o.metadata.name for o in informer.store.list())  # type: ignore[union-attr]
    assert names == sorted(f"cm-{i}" for i in range(50))
    used_watchlist = any(p.get("sendInitialEvents") == "true" for p in asked)
    listed = any("watch" not in p for p in asked)
    if server == "watchlist":
        assert used_watchlist and not listed
    else:
        assert listed  # refused (422), then listed


def test_list_all_tells_where_to_watch_from(kubeconfig: Path) -> None:
    namespace = unique("listall")
    with Client(kubeconfig=kubeconfig) as client:
        configmaps = core_v1.ConfigMaps(client)
        core_v1.Namespaces(client).create(core_v1.Namespace(metadata=ObjectMeta(name=namespace)))
        for i in range(7):
            configmaps.create(
                core_v1.ConfigMap(metadata=ObjectMeta(name=f"cm-{i}")), namespace=namespace
            )
        items = configmaps.list_all(namespace=namespace, limit=3)
        assert len(list(items)) == 7
        rv = items.resource_version  # type: ignore[attr-defined]
        assert rv
        configmaps.create(core_v1.ConfigMap(metadata=ObjectMeta(name="later")), namespace=namespace)
        watch = configmaps.watch(namespace=namespace, resource_version=rv, timeout_seconds=5)
        first = next(iter(watch))
        watch.close()
    assert (first.type, first.object.metadata.name) == ("ADDED", "later")  # type: ignore[union-attr]


def test_informer_indexes_and_errors(kubeconfig: Path) -> None:
    namespace = unique("idx")
    with Client(kubeconfig=kubeconfig) as client:
        core_v1.Namespaces(client).create(core_v1.Namespace(metadata=ObjectMeta(name=namespace)))
        for team in ("a", "b", "b"):
            core_v1.ConfigMaps(client).create(
                core_v1.ConfigMap(metadata=ObjectMeta(generate_name="cm-", labels={"team": team})),
                namespace=namespace,
            )

        def team(obj: core_v1.ConfigMap) -> list[str]:
            labels = obj.metadata.labels if obj.metadata else None
            return [labels["team"]] if labels and "team" in labels else []

        informer = Informer(
            core_v1.ConfigMaps(client).watch, namespace=namespace, indexers={"team": team}
        )
        with informer:
            assert informer.wait_for_sync(30)
            assert len(informer.store.by_index("team", "b")) == 2
            assert len(informer.store.by_index("namespace", namespace)) == 3

        # A handler that fails stops the informer, and the error reaches the caller.
        failing = Informer(core_v1.ConfigMaps(client).watch, namespace=namespace)

        @failing.on_add
        def boom(obj: core_v1.ConfigMap) -> None:
            raise RuntimeError("handler failed")

        failing.start()
        with pytest.raises(RuntimeError, match="handler failed"):
            failing.wait_for_sync(30)
        with pytest.raises(RuntimeError, match="handler failed"):
            failing.stop()


class _Probe(BaseModel):
    value: str


def saturate_string_cache() -> None:
    """Fill pydantic-core's string cache (a process-wide table of 16,384 short strings that
    JSON decoding reuses), so that its bounded growth is not mistaken for the informer's."""
    for n in range(40_000):
        _Probe.model_validate_json(b'{"value":"%020d"}' % n)


def test_informer_memory_stays_flat(kubeconfig: Path) -> None:
    """An informer over 300 objects, through 3,000 updates: traced memory after the updates
    stays within 5% of what it was after the first sync (nothing grows per event). The full
    size (2,000 pods, 20,000 updates) is too slow for the test command on this machine."""
    import gc
    import tracemalloc

    namespace = unique("mem")
    with Client(kubeconfig=kubeconfig) as client:
        configmaps = core_v1.ConfigMaps(client)
        core_v1.Namespaces(client).create(core_v1.Namespace(metadata=ObjectMeta(name=namespace)))
        for i in range(300):
            configmaps.create(
                core_v1.ConfigMap(metadata=ObjectMeta(name=f"cm-{i}"), data={"v": "0" * 20}),
                namespace=namespace,
            )
        with Client(kubeconfig=kubeconfig) as watcher:
            informer = Informer(core_v1.ConfigMaps(watcher).watch, namespace=namespace)
            tracemalloc.start()
            with informer:
                assert informer.wait_for_sync(30)
                # Bounded caches first: pydantic-core's strings, and what the writing client
                # keeps per URL (one per object name), so that only growth per event counts.
                saturate_string_cache()
                for n in range(300):
                    configmaps.patch(f"cm-{n}", {"data": {"v": "1" * 20}}, namespace=namespace)
                wait_for(
                    lambda: all((o.data or {}).get("v") == "1" * 20 for o in informer.store.list())
                )
                gc.collect()
                synced = tracemalloc.get_traced_memory()[0]
                for n in range(3000):
                    # Same size each time, so the objects held stay the same size.
                    configmaps.patch(
                        f"cm-{n % 300}", {"data": {"v": f"{n:020d}"}}, namespace=namespace
                    )
                final = {f"cm-{n % 300}": f"{n:020d}" for n in range(3000)}

                def caught_up() -> bool:
                    held = {o.metadata.name: (o.data or {}).get("v") for o in informer.store.list()}  # type: ignore[union-attr]
                    return held == final

                wait_for(caught_up, 180)
                gc.collect()
                after = tracemalloc.get_traced_memory()[0]
            tracemalloc.stop()
    assert after <= synced * 1.05, f"{synced:,} bytes after sync, {after:,} after 3,000 updates"


def test_an_async_informer_keeps_the_loop_running_while_an_exec_plugin_works(
    apiserver: ApiServer, tmp_path: Path
) -> None:
    """The exec plugin takes 5 s; meanwhile a ticker on the same loop keeps ticking. A plugin
    run on the loop would stop the ticker for those 5 s."""
    import sys

    plugin = tmp_path / "slow-plugin"
    credential = {
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "status": {"token": apiserver.admin_token},
    }
    plugin.write_text(
        f"#!{sys.executable}\nimport json, time\ntime.sleep(5)\nprint(json.dumps({credential!r}))\n"
    )
    plugin.chmod(0o755)
    config = yaml.safe_load(apiserver.kubeconfig_path.read_text())
    exec_user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": str(plugin)}}
    config["users"] = [{"name": "slow", "user": exec_user}]
    for context in config["contexts"]:
        context["context"]["user"] = "slow"
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(config))

    async def main() -> float:
        gaps: list[float] = []

        async def ticker() -> None:
            last = time.monotonic()
            while True:
                await asyncio.sleep(0.05)
                now = time.monotonic()
                gaps.append(now - last)
                last = now

        async with AsyncClient(kubeconfig=kubeconfig) as client:
            tick = asyncio.create_task(ticker())
            informer = AsyncInformer(core_v1.AsyncNamespaces(client).watch)
            started = time.monotonic()
            async with informer:
                assert await informer.wait_for_sync(60)
            assert time.monotonic() - started >= 5  # the plugin did run meanwhile
            tick.cancel()
        return max(gaps)

    lag = asyncio.run(main())
    print(f"largest event-loop gap while the plugin ran: {lag:.3f} s")
    assert lag < 2.5, f"the event loop stalled for {lag:.1f} s"
