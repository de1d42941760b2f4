"""exec and attach through the real kube-apiserver to the test kubelet, sync and async.

The test kubelet (``kubetyped.testing._kubelet``, built from ``k8s.io/cri-streaming``) runs
commands on this machine; the API server in between speaks ``v5.channel.k8s.io`` to us and
translates to the kubelet (SPDY), or passes ``v4.channel.k8s.io`` straight through.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from _support import unique
from kubetyped import AsyncClient, Client
from kubetyped import exec as kexec
from kubetyped.errors import BadRequest, Forbidden, InvalidRequest, NotFound, TransportError
from kubetyped.exec import ExecError, ExecResult, NonZeroExit
from kubetyped.testing import ApiServer, TestKubelet

pytestmark = pytest.mark.e2e

POD = "shell"
V4_ONLY = ("v4.channel.k8s.io",)


@pytest.fixture(scope="module")
def pod_namespace(apiserver: ApiServer, test_kubelet: TestKubelet) -> Iterator[str]:
    """A namespace with Pod ``shell`` on the test kubelet (container ``main`` runs ``cat``)."""
    namespace = unique("exec")
    with Client(kubeconfig=apiserver.kubeconfig_path) as client:
        client.request("POST", "/api/v1/namespaces", json={"metadata": {"name": namespace}})
    with test_kubelet.pod(namespace, POD, {"main": ["cat"]}):
        yield namespace


class Flavour:
    """One test body for both clients: sync calls run as they are, async ones awaited."""

    def __init__(self, mode: str, kubeconfig: Path, context: str | None = None) -> None:
        self.mode = mode
        self.client: Client | AsyncClient = (
            Client(kubeconfig=kubeconfig, context=context)
            if mode == "sync"
            else AsyncClient(kubeconfig=kubeconfig, context=context)
        )

    async def run(self, *args: Any, **kwargs: Any) -> ExecResult:
        if isinstance(self.client, Client):
            return kexec.run(self.client, *args, **kwargs)
        return await kexec.run_async(self.client, *args, **kwargs)

    async def session(self, *args: Any, **kwargs: Any) -> Any:
        if isinstance(self.client, Client):
            return kexec.start(self.client, *args, **kwargs)
        return await kexec.start_async(self.client, *args, **kwargs)

    async def attach(self, *args: Any, **kwargs: Any) -> Any:
        if isinstance(self.client, Client):
            return kexec.attach(self.client, *args, **kwargs)
        return await kexec.attach_async(self.client, *args, **kwargs)

    async def close(self) -> None:
        if isinstance(self.client, Client):
            self.client.close()
        else:
            await self.client.aclose()


async def call(value: Any) -> Any:
    """Await an awaitable (async session methods); pass a plain value through."""
    if hasattr(value, "__await__"):
        return await value
    return value


async def read_until(
    session: Any, wanted: bytes, *, after: bytes = b"", max_chunks: int = 1000
) -> bytes:
    """Output of ``session`` until ``wanted`` appears in it (past the first ``after``, when
    given: a terminal echoes the newline sent before the command answers)."""
    seen = b""
    for _ in range(max_chunks):
        output = await call(session.read())
        assert output is not None, f"session ended before {wanted!r}; got {seen!r}"
        seen += output.data
        start = seen.find(after) + len(after) if after else 0
        if (not after or after in seen) and wanted in seen[start:]:
            return seen[start:] if after else seen
    raise AssertionError(f"{wanted!r} not in {seen[-500:]!r}")


async def close_session(session: Any) -> None:
    await call(session.close() if hasattr(session, "close") else session.aclose())


@pytest.fixture(params=["sync", "async"])
async def flavour(request: pytest.FixtureRequest, kubeconfig: Path) -> AsyncIterator[Flavour]:
    f = Flavour(request.param, kubeconfig)
    yield f
    await f.close()


async def test_output_and_exit_code(flavour: Flavour, pod_namespace: str) -> None:
    result = await flavour.run(
        POD, ["sh", "-c", "echo out; echo err >&2; exit 3"], namespace=pod_namespace
    )
    assert (result.stdout, result.stderr, result.exit_code) == (b"out\n", b"err\n", 3)
    assert result.status.reason == "NonZeroExitCode"
    ok = await flavour.run(POD, ["echo", "fine"], namespace=pod_namespace)
    assert (ok.stdout, ok.exit_code, ok.status.status) == (b"fine\n", 0, "Success")


async def test_check_raises_nonzero_exit_with_code(flavour: Flavour, pod_namespace: str) -> None:
    with pytest.raises(NonZeroExit) as caught:
        await flavour.run(
            POD, ["sh", "-c", "echo partial; exit 42"], namespace=pod_namespace, check=True
        )
    assert caught.value.exit_code == 42
    assert caught.value.result.stdout == b"partial\n"
    assert caught.value.reason == "NonZeroExitCode"


async def test_stdin_through_cat_with_half_close(flavour: Flavour, pod_namespace: str) -> None:
    data = os.urandom(100_000)
    result = await flavour.run(POD, ["cat"], namespace=pod_namespace, stdin=data)
    assert result.stdout == data and result.exit_code == 0

    session = await flavour.session(POD, ["wc", "-c"], namespace=pod_namespace, stdin=True)
    try:
        assert session.protocol == "v5.channel.k8s.io"
        for _ in range(10):
            await call(session.write(b"x" * 1000))
        await call(session.close_stdin())  # without the half-close wc never ends
        result = await call(session.wait())
    finally:
        await close_session(session)
    assert result.stdout.strip() == b"10000"
    assert session.exit_code == 0


async def test_300_kb_of_output_intact(flavour: Flavour, pod_namespace: str) -> None:
    result = await flavour.run(POD, ["seq", "1", "52000"], namespace=pod_namespace)
    expected = b"".join(b"%d\n" % i for i in range(1, 52001))
    assert len(expected) > 300_000
    assert result.stdout == expected


async def test_tty_follows_two_resizes(flavour: Flavour, pod_namespace: str) -> None:
    # The shell prints the terminal's size for every line it reads. A resize travels on its
    # own stream behind the API server, so it may overtake or trail a newline: each round
    # waits for the shell's next answer, until it reports the size set.
    session = await flavour.session(
        POD,
        ["sh", "-c", "echo ready; while read line; do stty size; done"],
        namespace=pod_namespace,
        stdin=True,
        tty=True,
    )
    try:
        await read_until(session, b"ready\r\n")
        for width, height in ((100, 40), (132, 51)):
            await call(session.resize(width, height))
            reported: list[bytes] = []
            for _ in range(20):
                await call(session.write(b"\n"))
                answer = await read_until(session, b"\r\n", after=b"\r\n")
                reported.append(answer.strip())
                if reported[-1] == f"{height} {width}".encode():
                    break
            assert reported[-1] == f"{height} {width}".encode(), reported
    finally:
        await close_session(session)


async def test_missing_command_is_an_exec_error(flavour: Flavour, pod_namespace: str) -> None:
    with pytest.raises(ExecError) as caught:
        await flavour.run(POD, ["no-such-command-kubetyped"], namespace=pod_namespace)
    assert caught.value.reason == "InternalError"
    assert caught.value.code == 500
    assert "no-such-command-kubetyped" in caught.value.message
    assert not isinstance(caught.value, NonZeroExit)


async def test_missing_container_pod_and_empty_command(
    flavour: Flavour, pod_namespace: str
) -> None:
    with pytest.raises(BadRequest) as bad:
        await flavour.run(POD, ["true"], namespace=pod_namespace, container="nope")
    assert "container nope is not valid for pod shell" in bad.value.message
    with pytest.raises(NotFound) as missing:
        await flavour.run("no-such-pod", ["true"], namespace=pod_namespace)
    assert 'pods "no-such-pod" not found' in missing.value.message
    with pytest.raises(InvalidRequest):
        await flavour.run(POD, [], namespace=pod_namespace)


async def test_a_pod_of_two_containers_needs_one_named(
    flavour: Flavour, pod_namespace: str, test_kubelet: TestKubelet
) -> None:
    name = unique("two")
    with test_kubelet.pod(pod_namespace, name, {"a": ["cat"], "b": ["cat"]}):
        with pytest.raises(BadRequest, match="a container name must be specified"):
            await flavour.run(name, ["true"], namespace=pod_namespace)
        result = await flavour.run(name, ["echo", "b"], namespace=pod_namespace, container="b")
        assert result.stdout == b"b\n"


async def test_v4_fallback(flavour: Flavour, pod_namespace: str) -> None:
    session = await flavour.session(
        POD, ["sh", "-c", "echo v4; exit 7"], namespace=pod_namespace, protocols=V4_ONLY
    )
    try:
        assert session.protocol == "v4.channel.k8s.io"
        result = await call(session.wait())
    finally:
        await close_session(session)
    assert (result.stdout, result.exit_code) == (b"v4\n", 7)  # the code from the causes

    session = await flavour.session(
        POD, ["cat"], namespace=pod_namespace, stdin=True, protocols=V4_ONLY
    )
    try:
        with pytest.raises(InvalidRequest, match="cannot close stdin"):
            await call(session.close_stdin())
    finally:
        await close_session(session)


async def test_attach_to_running_cat(flavour: Flavour, pod_namespace: str) -> None:
    for word in (b"first", b"second"):  # the main process outlives each attachment
        session = await flavour.attach(POD, namespace=pod_namespace, container="main", stdin=True)
        try:
            await call(session.write(word + b"\n"))
            assert word + b"\n" in await read_until(session, word + b"\n")
            await call(session.close_stdin())  # detaches
            result = await call(session.wait())
        finally:
            await close_session(session)
        assert result.exit_code == 0


def _kubeconfig_as(kubeconfig: Path, dest: Path, user: str) -> Path:
    config = yaml.safe_load(kubeconfig.read_text())
    for entry in config["users"]:
        if entry["name"] == "admin":
            entry["user"]["as"] = user
    dest.write_text(yaml.safe_dump(config))
    return dest


async def test_forbidden_without_create_on_pods_exec(
    pod_namespace: str, kubeconfig: Path, apiserver: ApiServer, tmp_path: Path
) -> None:
    user = "kubetyped-unprivileged"
    with Client(kubeconfig=kubeconfig) as admin:
        # get on pods/exec is not enough: a WebSocket upgrade needs create.
        admin.request(
            "POST",
            f"/apis/rbac.authorization.k8s.io/v1/namespaces/{pod_namespace}/roles",
            json={
                "metadata": {"name": "exec-get-only"},
                "rules": [
                    {"apiGroups": [""], "resources": ["pods", "pods/exec"], "verbs": ["get"]}
                ],
            },
        )
        admin.request(
            "POST",
            f"/apis/rbac.authorization.k8s.io/v1/namespaces/{pod_namespace}/rolebindings",
            json={
                "metadata": {"name": "exec-get-only"},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "Role",
                    "name": "exec-get-only",
                },
                "subjects": [{"kind": "User", "name": user}],
            },
        )
    for mode in ("sync", "async"):
        f = Flavour(mode, kubeconfig, context="unprivileged")
        try:
            with pytest.raises(Forbidden) as caught:
                await f.run(POD, ["true"], namespace=pod_namespace)
        finally:
            await f.close()
        # The RBAC check of the upgrade (create on pods/exec) names no reason in its message.
        assert caught.value.message.startswith('pods "shell" is forbidden')
        assert caught.value.details is not None and caught.value.details.name == POD
    # Impersonation rides on the upgrade too: the admin's certificate, acting as the user.
    impersonating = _kubeconfig_as(kubeconfig, tmp_path / "as.yaml", user)
    with Client(kubeconfig=impersonating) as client, pytest.raises(Forbidden) as caught_as:
        kexec.run(client, POD, ["true"], namespace=pod_namespace)
    assert caught_as.value.message.startswith('pods "shell" is forbidden')


def test_bearer_token_context_execs(pod_namespace: str, kubeconfig: Path) -> None:
    with Client(kubeconfig=kubeconfig, context="admin-token") as client:
        assert (
            kexec.run(client, POD, ["echo", "token"], namespace=pod_namespace).stdout == b"token\n"
        )


async def test_through_the_generated_pods_client(kubeconfig: Path, pod_namespace: str) -> None:
    from kubetyped.k8s.core.v1 import AsyncPods, Pods

    with Client(kubeconfig=kubeconfig) as client:
        pods = Pods(client)
        result = pods.exec(POD, ["sh", "-c", "cat; exit 5"], namespace=pod_namespace, stdin="in")
        assert (result.stdout, result.exit_code) == (b"in", 5)
        with pods.exec_stream(POD, ["cat"], namespace=pod_namespace, stdin=True) as session:
            session.write(b"streamed")
            session.close_stdin()
            assert session.wait().stdout == b"streamed"
        with pods.attach(POD, namespace=pod_namespace, stdin=True) as attached:
            attached.write(b"via Pods\n")
            assert b"via Pods\n" in await read_until(attached, b"via Pods\n")
            attached.close_stdin()
            assert attached.wait().exit_code == 0
    async with AsyncClient(kubeconfig=kubeconfig) as aclient:
        apods = AsyncPods(aclient)
        aresult = await apods.exec(POD, ["echo", "async"], namespace=pod_namespace)
        assert aresult.stdout == b"async\n"
        session = await apods.exec_stream(POD, ["sh", "-c", "exit 9"], namespace=pod_namespace)
        async with session:
            assert (await session.wait()).exit_code == 9
        asession = await apods.attach(POD, namespace=pod_namespace, stdin=True)
        async with asession:
            await asession.write(b"async attach\n")
            assert b"async attach\n" in await read_until(asession, b"async attach\n")
            await asession.close_stdin()


class ConnectProxy:
    """An HTTP CONNECT proxy on 127.0.0.1 that remembers where it tunnelled to."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.tunnels: list[str] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(conn,), daemon=True).start()

    def _tunnel(self, conn: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = conn.recv(4096)
            if not chunk:
                conn.close()
                return
            head += chunk
        method, target, _ = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
        assert method == "CONNECT"
        self.tunnels.append(target)
        host, port = target.rsplit(":", 1)
        upstream = socket.create_connection((host, int(port)))
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")

        def pipe(src: socket.socket, dst: socket.socket) -> None:
            with contextlib.suppress(OSError):
                while data := src.recv(65536):
                    dst.sendall(data)
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)

        threading.Thread(target=pipe, args=(upstream, conn), daemon=True).start()
        pipe(conn, upstream)

    def close(self) -> None:
        self.listener.close()


def test_through_an_http_proxy_and_an_exec_plugin(
    pod_namespace: str, kubeconfig: Path, apiserver: ApiServer, tmp_path: Path
) -> None:
    proxy = ConnectProxy()
    try:
        config = yaml.safe_load(kubeconfig.read_text())
        for cluster in config["clusters"]:
            cluster["cluster"]["proxy-url"] = f"http://127.0.0.1:{proxy.port}"
        # The credential comes from a client-go exec plugin, run before the upgrade.
        plugin = tmp_path / "plugin.py"
        plugin.write_text(
            "import json, os\n"
            'print(json.dumps({"apiVersion": "client.authentication.k8s.io/v1", '
            '"kind": "ExecCredential", "status": {"token": os.environ["TOKEN"]}}))\n'
        )
        config["users"].append(
            {
                "name": "plugin",
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1",
                        "command": sys.executable,
                        "args": [str(plugin)],
                        "env": [{"name": "TOKEN", "value": apiserver.admin_token}],
                        "interactiveMode": "Never",
                    }
                },
            }
        )
        context = next(c for c in config["contexts"] if c["name"] == "admin-token")
        context["context"]["user"] = "plugin"
        path = tmp_path / "proxied.yaml"
        path.write_text(yaml.safe_dump(config))
        with Client(kubeconfig=path, context="admin-token") as client:
            result = kexec.run(client, POD, ["echo", "proxied"], namespace=pod_namespace)
        assert result.stdout == b"proxied\n"
        assert proxy.tunnels == [f"127.0.0.1:{apiserver.port}"]
    finally:
        proxy.close()


def test_run_timeout_bounds_the_whole_call(flavour_sync: Client, pod_namespace: str) -> None:
    with pytest.raises(TransportError, match="timeout ran out"):
        kexec.run(flavour_sync, POD, ["sleep", "120"], namespace=pod_namespace, timeout=2)


@pytest.fixture
def flavour_sync(kubeconfig: Path) -> Iterator[Client]:
    with Client(kubeconfig=kubeconfig) as client:
        yield client
