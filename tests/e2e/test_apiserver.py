"""End-to-end tests of ``kubetyped.testing``: a real etcd + kube-apiserver on 127.0.0.1.

Requests use plain httpx configured from the kubeconfig, so these tests check the server
and the kubeconfig, not our client. Most reuse the session ``apiserver``; each test that
starts a server of its own costs a few seconds.
"""

from __future__ import annotations

import asyncio
import base64
import os
import select
import signal
import ssl
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from kubetyped.testing import ApiServer, ApiServerStartError, Binaries

pytestmark = pytest.mark.e2e


# ------------------------------------------------------------------------- helpers


def client_from_kubeconfig(
    kubeconfig: Path, tmp_path: Path, context: str | None = None
) -> httpx.Client:
    """An httpx client for one kubeconfig context (embedded data written to ``tmp_path``)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    config: dict[str, Any] = yaml.safe_load(kubeconfig.read_text())
    name = context or config["current-context"]
    ctx = next(c["context"] for c in config["contexts"] if c["name"] == name)
    cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == ctx["cluster"])
    user = next(u["user"] for u in config["users"] if u["name"] == ctx["user"])

    def data_file(key: str, suffix: str) -> str:
        path = tmp_path / f"{name}-{suffix}"
        path.write_bytes(base64.b64decode(user[key] if key in user else cluster[key]))
        return str(path)

    tls = ssl.create_default_context(cafile=data_file("certificate-authority-data", "ca.crt"))
    headers = {}
    if "client-certificate-data" in user:
        tls.load_cert_chain(
            data_file("client-certificate-data", "client.crt"),
            data_file("client-key-data", "client.key"),
        )
    if "token" in user:
        headers["Authorization"] = f"Bearer {user['token']}"
    return httpx.Client(base_url=cluster["server"], verify=tls, headers=headers, timeout=10)


def pids_referencing(text: str) -> list[int]:
    """PIDs of live processes whose command line mentions ``text`` (e.g. a temp dir)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue  # exited while we looked
        if text.encode() in cmdline:
            found.append(int(entry.name))
    return found


def is_running(pid: int) -> bool:
    """True if ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def assert_nothing_left(directory: Path, pids: list[int]) -> None:
    """No process of ours survives and the temporary directory is gone."""
    assert [p for p in pids if is_running(p) and str(directory) in _cmdline(p)] == []
    assert pids_referencing(str(directory)) == []
    assert not directory.exists()


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def self_subject(client: httpx.Client) -> dict[str, Any]:
    """Who the server thinks the client is (SelfSubjectReview, GA since 1.28)."""
    r = client.post(
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        json={"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
    )
    assert r.status_code == 201, r.text
    user: dict[str, Any] = r.json()["status"]["userInfo"]
    return user


def create_namespace(client: httpx.Client, prefix: str) -> dict[str, Any]:
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    r = client.post("/api/v1/namespaces", json={"metadata": {"name": name}})
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    return created


@pytest.fixture
def admin(kubeconfig: Path, tmp_path: Path) -> Iterator[httpx.Client]:
    with client_from_kubeconfig(kubeconfig, tmp_path, "admin") as client:
        yield client


# ---------------------------------------------------------- the session server


def test_version_reports_v1_36(apiserver: ApiServer, admin: httpx.Client) -> None:
    r = admin.get("/version")
    assert r.status_code == 200
    body = r.json()
    assert body["gitVersion"].startswith("v1.36."), body
    assert (body["major"], body["minor"]) == ("1", "36")
    assert apiserver.version == body["gitVersion"]


def test_readyz_verbose_lists_checks(admin: httpx.Client) -> None:
    r = admin.get("/readyz", params={"verbose": ""})
    assert r.status_code == 200
    assert "[+]etcd ok" in r.text
    assert "[+]poststarthook/rbac/bootstrap-roles ok" in r.text
    assert r.text.rstrip().endswith("readyz check passed")


def test_kubeconfig_has_the_three_contexts(apiserver: ApiServer, kubeconfig: Path) -> None:
    config = yaml.safe_load(kubeconfig.read_text())
    assert config["current-context"] == "admin"
    assert {c["name"] for c in config["contexts"]} == {"admin", "admin-token", "unprivileged"}
    assert {c["cluster"]["server"] for c in config["clusters"]} == {apiserver.url}
    assert apiserver.url.startswith("https://127.0.0.1:")


def test_admin_client_cert_creates_and_reads_a_namespace(admin: httpx.Client) -> None:
    assert self_subject(admin)["username"] == "kubetyped-admin"
    assert "system:masters" in self_subject(admin)["groups"]
    ns = create_namespace(admin, "cert")
    r = admin.get(f"/api/v1/namespaces/{ns['metadata']['name']}")
    assert r.status_code == 200
    assert r.json()["metadata"]["uid"] == ns["metadata"]["uid"]


def test_admin_token_context(kubeconfig: Path, tmp_path: Path) -> None:
    with client_from_kubeconfig(kubeconfig, tmp_path, "admin-token") as client:
        who = self_subject(client)
        assert who["username"] == "kubetyped-admin"
        assert "system:masters" in who["groups"]
        ns = create_namespace(client, "token")
        names = [n["metadata"]["name"] for n in client.get("/api/v1/namespaces").json()["items"]]
        assert ns["metadata"]["name"] in names


def test_unprivileged_context_is_forbidden(kubeconfig: Path, tmp_path: Path) -> None:
    with client_from_kubeconfig(kubeconfig, tmp_path, "unprivileged") as client:
        assert self_subject(client)["username"] == "kubetyped-unprivileged"
        r = client.get("/api/v1/namespaces")
    assert r.status_code == 403
    status = r.json()
    assert (status["kind"], status["reason"], status["code"]) == ("Status", "Forbidden", 403)
    assert 'User "kubetyped-unprivileged" cannot list resource "namespaces"' in status["message"]


def test_alpha_apis_are_on_by_default(admin: httpx.Client) -> None:
    groups = admin.get("/apis").json()["groups"]
    alpha = [v["groupVersion"] for g in groups for v in g["versions"] if "alpha" in v["version"]]
    assert alpha, "--runtime-config=api/all=true should serve alpha group versions"


def test_logs_and_paths_exist(apiserver: ApiServer) -> None:
    assert "Serving securely" in apiserver.apiserver_log_path.read_text()
    assert apiserver.etcd_log_path.is_file()
    assert set(apiserver.log_paths) == {"kube-apiserver", "etcd"}
    assert apiserver.ca_path.read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert apiserver.etcd_url.startswith("http://127.0.0.1:")
    r = httpx.get(f"{apiserver.etcd_url}/health")
    assert r.json()["health"] == "true"


def test_restart_keeps_data_and_port(apiserver: ApiServer, admin: httpx.Client) -> None:
    ns = create_namespace(admin, "restart")
    name = ns["metadata"]["name"]
    cm = {"metadata": {"name": "kept"}, "data": {"k": "v"}}
    assert admin.post(f"/api/v1/namespaces/{name}/configmaps", json=cm).status_code == 201
    port, old_pid = apiserver.port, apiserver.apiserver_pid
    assert old_pid is not None

    t0 = time.monotonic()
    apiserver.restart()
    print(f"restart took {time.monotonic() - t0:.1f}s")

    assert apiserver.port == port
    assert apiserver.apiserver_pid not in (None, old_pid)
    assert not is_running(old_pid)
    # A new connection: the old one died with the old process.
    admin.close()
    with httpx.Client(base_url=str(admin.base_url), verify=ssl.create_default_context(
        cafile=str(apiserver.ca_path)), headers={"Authorization": f"Bearer {apiserver.admin_token}"}
    ) as client:  # fmt: skip
        r = client.get(f"/api/v1/namespaces/{name}/configmaps/kept")
    assert r.status_code == 200, r.text
    assert r.json()["data"] == {"k": "v"}
    assert r.json()["metadata"]["namespace"] == name


# -------------------------------------------------------- servers of their own


def test_two_servers_at_once_then_nothing_left(
    apiserver: ApiServer, apiserver_binaries: Binaries, tmp_path: Path
) -> None:
    t0 = time.monotonic()
    with ApiServer(
        binaries=apiserver_binaries, runtime_config=None, extra_args=["--watch-cache=false"]
    ) as second:
        print(f"second server ready in {time.monotonic() - t0:.1f}s")
        assert second.port != apiserver.port
        assert second.etcd_url != apiserver.etcd_url
        assert second.dir != apiserver.dir
        pids = [p for p in (second.apiserver_pid, second.etcd_pid) if p is not None]
        assert len(pids) == 2 and all(is_running(p) for p in pids)
        assert sorted(pids_referencing(str(second.dir))) == sorted(pids)

        with (
            client_from_kubeconfig(apiserver.kubeconfig_path, tmp_path / "a") as first_client,
            client_from_kubeconfig(second.kubeconfig_path, tmp_path / "b") as second_client,
        ):
            ns = create_namespace(first_client, "only-first")["metadata"]["name"]
            assert second_client.get(f"/api/v1/namespaces/{ns}").status_code == 404
            # runtime_config=None: no --runtime-config, so no alpha group versions.
            groups = second_client.get("/apis").json()["groups"]
            assert not [v for g in groups for v in g["versions"] if "alpha" in v["version"]]
        directory = second.dir

    assert second.apiserver_pid is None and second.etcd_pid is None
    assert_nothing_left(directory, pids)
    # The session server is unaffected.
    assert apiserver.apiserver_pid is not None and is_running(apiserver.apiserver_pid)


def test_failed_start_raises_with_log_tail_and_leaves_nothing(
    apiserver_binaries: Binaries,
) -> None:
    server = ApiServer(binaries=apiserver_binaries, extra_args=["--no-such-flag=1"])
    with pytest.raises(ApiServerStartError) as info:
        server.start()
    message = str(info.value)
    assert "kube-apiserver exited with code" in message
    assert "unknown flag: --no-such-flag" in message  # from the server's log
    assert "last lines of kube-apiserver log" in message
    assert info.value.dir == server.dir
    assert_nothing_left(server.dir, [])


def test_async_context_manager(apiserver_binaries: Binaries) -> None:
    async def run() -> tuple[Path, list[int], str]:
        async with ApiServer(binaries=apiserver_binaries) as server:
            ctx = ssl.create_default_context(cafile=str(server.ca_path))
            async with httpx.AsyncClient(base_url=server.url, verify=ctx) as client:
                version = (await client.get("/version")).json()["gitVersion"]
            pids = [p for p in (server.apiserver_pid, server.etcd_pid) if p is not None]
            return server.dir, pids, version

    directory, pids, version = asyncio.run(run())
    assert version.startswith("v1.36.")
    assert len(pids) == 2
    assert_nothing_left(directory, pids)


def test_cancelled_async_start_leaves_nothing(apiserver_binaries: Binaries) -> None:
    server = ApiServer(binaries=apiserver_binaries)

    async def run() -> None:
        # Start-up takes seconds; 0.3 s cancels it midway (etcd up, PKI being made).
        await asyncio.wait_for(server.__aenter__(), timeout=0.3)

    with pytest.raises((asyncio.TimeoutError, TimeoutError)):
        asyncio.run(run())
    assert server.apiserver_pid is None and server.etcd_pid is None
    assert_nothing_left(server.dir, [])


_OWNER = textwrap.dedent(
    """
    import signal, sys, time
    # A test run started in the background (nohup, a non-interactive shell's `&`) hands its
    # children SIGINT ignored, and Python then leaves it ignored: restore Ctrl-C's behaviour.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    from kubetyped.testing import ApiServer
    with ApiServer() as server:
        print(server.dir, server.apiserver_pid, server.etcd_pid, flush=True)
        time.sleep(120)
    """
)


@pytest.mark.parametrize(
    "sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=lambda s: s.name
)
def test_owner_killed_leaves_nothing(apiserver_binaries: Binaries, sig: signal.Signals) -> None:
    """SIGINT unwinds the ``with``; SIGTERM and SIGKILL leave it to the watchdog."""
    env = {**os.environ, "KUBEBUILDER_ASSETS": str(apiserver_binaries.dir)}
    owner = subprocess.Popen(
        [sys.executable, "-c", _OWNER], stdout=subprocess.PIPE, env=env, text=True
    )
    try:
        assert owner.stdout is not None
        ready, _, _ = select.select([owner.stdout], [], [], 60)
        assert ready, "the owner process did not start its server within 60 s"
        d, *pid_texts = owner.stdout.readline().split()
        directory, pids = Path(d), [int(p) for p in pid_texts]
        assert all(is_running(p) for p in pids)
        assert len(pids_referencing(d)) == 2

        owner.send_signal(sig)
        owner.wait(30)
        deadline = time.monotonic() + 15
        while (pids_referencing(d) or directory.exists()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert_nothing_left(directory, pids)
    finally:
        owner.kill()
        owner.wait()


# ---------------------------------------------------------------- the plugin


def _run_pytest(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_uses_fixture.py").write_text("def test_it(kubetyped_apiserver):\n    pass\n")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-rsE",
            "-p",
            "no:cacheprovider",
            "-p",
            "kubetyped.testing",
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_plugin_skips_without_binaries_and_fails_when_required(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"KUBEBUILDER_ASSETS"}}
    env["XDG_CACHE_HOME"] = str(tmp_path / "empty-cache")
    env.pop("KUBETYPED_REQUIRE_APISERVER", None)

    skipped = _run_pytest(tmp_path, env)
    assert "1 skipped" in skipped.stdout, skipped.stdout
    assert str(tmp_path / "empty-cache" / "kubetyped" / "envtest") in skipped.stdout
    assert "python -m kubetyped.testing build" in skipped.stdout

    failed = _run_pytest(tmp_path, {**env, "KUBETYPED_REQUIRE_APISERVER": "1"})
    assert failed.returncode != 0
    assert "1 error" in failed.stdout, failed.stdout
    assert "KUBETYPED_REQUIRE_APISERVER=1" in failed.stdout


def test_plugin_import_is_cheap() -> None:
    code = (
        "import sys, kubetyped.testing.plugin; "
        "print(sorted(m for m in ('httpx', 'yaml', 'asyncio', 'ssl') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
