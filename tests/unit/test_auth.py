"""Tests for kubetyped.auth: the httpx auth flows, driven through httpx.MockTransport."""

from __future__ import annotations

import json
import os
import ssl
import stat
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from kubetyped import auth as auth_module
from kubetyped._base_errors import ConfigError, KubetypedError
from kubetyped.auth import (
    BasicAuth,
    BearerToken,
    ExecConfig,
    ExecCredentialAuth,
    TokenFile,
    load_client_certificate,
)

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A MockTransport handler that records Authorization headers and answers 200,
    or 401 for the tokens listed in ``reject``."""

    def __init__(self, reject: tuple[str, ...] = ()) -> None:
        self.seen: list[str | None] = []
        self.reject = reject

    def __call__(self, request: httpx.Request) -> httpx.Response:
        header = request.headers.get("Authorization")
        self.seen.append(header)
        if header in self.reject or "*" in self.reject:
            return httpx.Response(401, json={"kind": "Status", "code": 401})
        return httpx.Response(200, json={"ok": True})


def client(auth: httpx.Auth, handler: Handler) -> httpx.Client:
    return httpx.Client(
        base_url="https://k8s.test", auth=auth, transport=httpx.MockTransport(handler)
    )


def async_client(auth: httpx.Auth, handler: Handler) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url="https://k8s.test", auth=auth, transport=httpx.MockTransport(handler)
    )


def test_config_error_is_a_kubetyped_error() -> None:
    assert issubclass(ConfigError, KubetypedError)
    assert issubclass(KubetypedError, Exception)


# --- BearerToken / BasicAuth -------------------------------------------------------------


def test_bearer_token_sets_header_and_hides_the_token() -> None:
    recorder = Recorder()
    auth = BearerToken("s3cr3t-token")
    with client(auth, recorder) as http:
        assert http.get("/api").status_code == 200
    assert recorder.seen == ["Bearer s3cr3t-token"]
    assert "s3cr3t-token" not in repr(auth)
    assert "s3cr3t-token" not in str(auth)


async def test_bearer_token_with_async_client() -> None:
    recorder = Recorder()
    async with async_client(BearerToken("async-token"), recorder) as http:
        assert (await http.get("/api")).status_code == 200
    assert recorder.seen == ["Bearer async-token"]


def test_basic_auth_is_httpx_basic_auth() -> None:
    recorder = Recorder()
    auth = BasicAuth("admin", "hunter2")
    with client(auth, recorder) as http:
        http.get("/api")
    assert recorder.seen == ["Basic YWRtaW46aHVudGVyMg=="]  # base64("admin:hunter2")
    assert "hunter2" not in repr(auth)


# --- TokenFile ---------------------------------------------------------------------------


def rewrite_keeping_stat(path: Path, text: str) -> None:
    """Replace the content with same-length text and restore mtime, so stat sees no change."""
    before = path.stat()
    assert len(text) == before.st_size
    path.write_text(text)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_mtime_ns == before.st_mtime_ns


def test_token_file_follows_rewrites(tmp_path: Path) -> None:
    token_path = tmp_path / "token"
    token_path.write_text("first-token\n")
    recorder = Recorder()
    with client(TokenFile(token_path), recorder) as http:
        http.get("/a")
        http.get("/b")
        token_path.write_text("second-token-longer\n")
        http.get("/c")
    assert recorder.seen == [
        "Bearer first-token",
        "Bearer first-token",
        "Bearer second-token-longer",
    ]


def test_token_file_is_not_reread_while_unchanged(tmp_path: Path) -> None:
    token_path = tmp_path / "token"
    token_path.write_text("token-aaaa")
    recorder = Recorder()
    with client(TokenFile(token_path), recorder) as http:
        http.get("/a")
        rewrite_keeping_stat(token_path, "token-bbbb")
        http.get("/b")
    # Same mtime, size and inode: the cached token is kept (the stat is the only I/O).
    assert recorder.seen == ["Bearer token-aaaa", "Bearer token-aaaa"]


def test_token_file_rereads_after_max_age(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    token_path = tmp_path / "token"
    token_path.write_text("token-aaaa")
    recorder = Recorder()
    now = [1000.0]
    monkeypatch.setattr("kubetyped.auth.time", SimpleNamespace(monotonic=lambda: now[0]))
    with client(TokenFile(token_path, max_age=60), recorder) as http:
        http.get("/a")
        rewrite_keeping_stat(token_path, "token-bbbb")
        now[0] += 59
        http.get("/b")
        now[0] += 2
        http.get("/c")
    assert recorder.seen == ["Bearer token-aaaa", "Bearer token-aaaa", "Bearer token-bbbb"]


def test_token_file_rereads_and_retries_once_on_401(tmp_path: Path) -> None:
    token_path = tmp_path / "token"
    token_path.write_text("token-aaaa")
    recorder = Recorder(reject=("Bearer token-aaaa",))
    with client(TokenFile(token_path), recorder) as http:
        http.get("/warm-up-is-rejected")  # caches token-aaaa, gets 401, file unchanged
        rewrite_keeping_stat(token_path, "token-bbbb")
        response = http.get("/api")
    assert response.status_code == 200
    assert recorder.seen == [
        "Bearer token-aaaa",  # warm-up: 401, file re-read, same token, no retry
        "Bearer token-aaaa",  # cached (stat unchanged) -> 401
        "Bearer token-bbbb",  # forced re-read on 401 -> retried once
    ]
    assert len(response.history) == 1 and response.history[0].status_code == 401


def test_token_file_does_not_retry_more_than_once(tmp_path: Path) -> None:
    token_path = tmp_path / "token"
    token_path.write_text("token-aaaa")
    recorder = Recorder(reject=("*",))
    auth = TokenFile(token_path)
    with client(auth, recorder) as http:
        auth.current_token()
        rewrite_keeping_stat(token_path, "token-bbbb")
        response = http.get("/api")
    assert response.status_code == 401
    assert recorder.seen == ["Bearer token-aaaa", "Bearer token-bbbb"]


async def test_token_file_with_async_client(tmp_path: Path) -> None:
    token_path = tmp_path / "token"
    token_path.write_text("async-one")
    recorder = Recorder()
    async with async_client(TokenFile(token_path), recorder) as http:
        await http.get("/a")
        token_path.write_text("async-two-is-longer")
        await http.get("/b")
    assert recorder.seen == ["Bearer async-one", "Bearer async-two-is-longer"]


def test_token_file_keeps_last_token_when_file_vanishes(tmp_path: Path) -> None:
    token_path = tmp_path / "token"
    token_path.write_text("kept-token")
    recorder = Recorder()
    with client(TokenFile(token_path), recorder) as http:
        http.get("/a")
        token_path.unlink()
        http.get("/b")
    assert recorder.seen == ["Bearer kept-token", "Bearer kept-token"]


def test_token_file_errors_name_the_file(tmp_path: Path) -> None:
    missing = TokenFile(tmp_path / "nope", where="kc: users[u].user.tokenFile")
    with pytest.raises(ConfigError, match=r"^kc: users\[u\]\.user\.tokenFile: cannot read .*nope"):
        missing.current_token()
    empty_path = tmp_path / "empty"
    empty_path.write_text("\n")
    with pytest.raises(ConfigError, match="is empty"):
        TokenFile(empty_path).current_token()


def test_token_file_repr_has_path_not_token(tmp_path: Path) -> None:
    token_path = tmp_path / "token"
    token_path.write_text("repr-secret")
    auth = TokenFile(token_path, max_age=60)
    auth.current_token()
    assert "repr-secret" not in repr(auth)
    assert str(token_path) in repr(auth)


# --- exec credential plugins ---------------------------------------------------------------

PLUGIN = textwrap.dedent(
    """\
    #!{python}
    import datetime, json, os, sys, time

    state = os.environ["PLUGIN_STATE"]
    with open(os.path.join(state, "calls"), "a") as f:
        f.write("x\\n")
    with open(os.path.join(state, "calls")) as f:
        n = len(f.readlines())
    with open(os.path.join(state, "exec_info.json"), "w") as f:
        f.write(os.environ.get("KUBERNETES_EXEC_INFO", ""))
    with open(os.path.join(state, "argv.json"), "w") as f:
        json.dump({{"argv": sys.argv[1:], "stdin_tty": sys.stdin is not None and sys.stdin.isatty()}}, f)

    mode = os.environ.get("PLUGIN_MODE", "future")
    now = datetime.datetime.now(datetime.timezone.utc)
    status = {{"token": "exec-token-%d" % n}}
    if mode == "future":  # run n is valid for 3n hours
        status["expirationTimestamp"] = (now + datetime.timedelta(hours=3 * n)).strftime("%Y-%m-%dT%H:%M:%SZ")
    elif mode == "nanos":
        status["expirationTimestamp"] = (now + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S") + ".123456789Z"
    elif mode == "past":
        status["expirationTimestamp"] = (now - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    elif mode == "cert":
        status = {{
            "clientCertificateData": open(os.environ["PLUGIN_CERT"]).read(),
            "clientKeyData": open(os.environ["PLUGIN_KEY"]).read(),
        }}
    elif mode == "badjson":
        print("this is not json: leaked-secret-123")
        sys.exit(0)
    elif mode == "notoken":
        status = {{"expirationTimestamp": "2099-01-01T00:00:00Z"}}
    elif mode == "badtime":
        status["expirationTimestamp"] = "tomorrow"
    elif mode == "fail":
        sys.stderr.write("plugin says no\\n")
        sys.exit(3)
    elif mode == "handshake":  # waits until the test, running meanwhile, releases it
        open(os.path.join(state, "started"), "w").close()
        for _ in range(400):
            if os.path.exists(os.path.join(state, "release")):
                break
            time.sleep(0.05)
        else:
            sys.exit(4)
    api_version = os.environ.get("PLUGIN_API_VERSION", "client.authentication.k8s.io/v1")
    print(json.dumps({{"apiVersion": api_version, "kind": "ExecCredential", "status": status}}))
    """
)


class Plugin:
    """An executable exec plugin written by the test, counting its runs in a file."""

    def __init__(self, directory: Path) -> None:
        self.state = directory / "state"
        self.state.mkdir()
        self.path = directory / "kube-plugin"
        self.path.write_text(PLUGIN.format(python=sys.executable))
        self.path.chmod(0o755)

    @property
    def calls(self) -> int:
        calls = self.state / "calls"
        return len(calls.read_text().splitlines()) if calls.exists() else 0

    @property
    def exec_info(self) -> Any:
        return json.loads((self.state / "exec_info.json").read_text())

    @property
    def argv(self) -> Any:
        return json.loads((self.state / "argv.json").read_text())

    def config(self, mode: str = "future", **overrides: Any) -> ExecConfig:
        env = (("PLUGIN_STATE", str(self.state)), ("PLUGIN_MODE", mode), *overrides.pop("env", ()))
        values: dict[str, Any] = {
            "command": str(self.path),
            "args": ("get-token", "--cluster=dev"),
            "env": env,
            "where": "~/.kube/config: users[dev].user.exec",
        }
        values.update(overrides)
        return ExecConfig(**values)


@pytest.fixture
def plugin(tmp_path: Path) -> Plugin:
    return Plugin(tmp_path)


def test_exec_plugin_token_is_cached_until_expiry(plugin: Plugin) -> None:
    recorder = Recorder()
    with client(ExecCredentialAuth(plugin.config("future")), recorder) as http:
        for _ in range(3):
            assert http.get("/api").status_code == 200
    assert plugin.calls == 1
    assert recorder.seen == ["Bearer exec-token-1"] * 3


def test_exec_plugin_reruns_once_the_credential_expired(
    plugin: Plugin, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = Recorder()
    with client(ExecCredentialAuth(plugin.config("future")), recorder) as http:
        http.get("/a")
        http.get("/b")
        later = datetime.now(timezone.utc) + timedelta(hours=4)
        monkeypatch.setattr(auth_module, "_utcnow", lambda: later)
        http.get("/c")
        http.get("/d")
    assert plugin.calls == 2
    assert recorder.seen == ["Bearer exec-token-1"] * 2 + ["Bearer exec-token-2"] * 2


def test_exec_plugin_runs_every_time_when_already_expired(plugin: Plugin) -> None:
    recorder = Recorder()
    with client(ExecCredentialAuth(plugin.config("past")), recorder) as http:
        for _ in range(3):
            http.get("/api")
    assert plugin.calls == 3
    assert recorder.seen == ["Bearer exec-token-1", "Bearer exec-token-2", "Bearer exec-token-3"]


def test_exec_plugin_without_expiry_is_cached(plugin: Plugin) -> None:
    recorder = Recorder()
    with client(ExecCredentialAuth(plugin.config("never")), recorder) as http:
        http.get("/a")
        http.get("/b")
    assert plugin.calls == 1


def test_exec_plugin_accepts_nanosecond_timestamps(plugin: Plugin) -> None:
    recorder = Recorder()
    with client(ExecCredentialAuth(plugin.config("nanos")), recorder) as http:
        http.get("/a")
        http.get("/b")
    assert plugin.calls == 1


def test_exec_plugin_reruns_once_on_401(plugin: Plugin) -> None:
    recorder = Recorder(reject=("Bearer exec-token-1",))
    with client(ExecCredentialAuth(plugin.config("future")), recorder) as http:
        response = http.get("/api")
        again = http.get("/api")
    assert response.status_code == 200 and again.status_code == 200
    assert plugin.calls == 2
    assert recorder.seen == ["Bearer exec-token-1", "Bearer exec-token-2", "Bearer exec-token-2"]


def test_exec_plugin_gives_up_after_one_retry(plugin: Plugin) -> None:
    recorder = Recorder(reject=("*",))
    with client(ExecCredentialAuth(plugin.config("future")), recorder) as http:
        response = http.get("/api")
    assert response.status_code == 401
    assert plugin.calls == 2
    assert len(recorder.seen) == 2


async def test_exec_plugin_with_async_client(plugin: Plugin) -> None:
    recorder = Recorder(reject=("Bearer exec-token-1",))
    async with async_client(ExecCredentialAuth(plugin.config("future")), recorder) as http:
        assert (await http.get("/a")).status_code == 200
        assert (await http.get("/b")).status_code == 200
    assert plugin.calls == 2
    assert recorder.seen == ["Bearer exec-token-1", "Bearer exec-token-2", "Bearer exec-token-2"]


def test_exec_plugin_gets_args_env_and_exec_info(plugin: Plugin) -> None:
    cluster = {"server": "https://k8s.test", "certificate-authority-data": "Q0E="}
    config = plugin.config(
        "future",
        cluster=cluster,
        api_version="client.authentication.k8s.io/v1beta1",
        env=(("PLUGIN_API_VERSION", "client.authentication.k8s.io/v1beta1"),),
    )
    with client(ExecCredentialAuth(config), Recorder()) as http:
        assert http.get("/api").status_code == 200
    assert plugin.argv == {"argv": ["get-token", "--cluster=dev"], "stdin_tty": False}
    assert plugin.exec_info == {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "kind": "ExecCredential",
        "spec": {"interactive": False, "cluster": cluster},
    }


def test_exec_info_has_no_cluster_without_provide_cluster_info(plugin: Plugin) -> None:
    with client(ExecCredentialAuth(plugin.config("future")), Recorder()) as http:
        http.get("/api")
    assert plugin.exec_info["spec"] == {"interactive": False}


@pytest.mark.parametrize(
    ("mode", "config_overrides", "message"),
    [
        ("fail", {}, r"users\[dev\]\.user\.exec: '.*kube-plugin' exited with status 3"),
        ("badjson", {}, r"users\[dev\]\.user\.exec: output of '.*kube-plugin' is not valid JSON"),
        ("notoken", {}, r"status has neither token nor clientCertificateData"),
        ("badtime", {}, r"status\.expirationTimestamp: not an RFC 3339 time"),
        ("future", {"api_version": "client.authentication.k8s.io/v1beta1"}, r"apiVersion is not"),
        ("future", {"interactive_mode": "Always"}, r"exec\.interactiveMode: .*non-interactively"),
    ],
)
def test_exec_plugin_failures_raise_config_error(
    plugin: Plugin, mode: str, config_overrides: dict[str, Any], message: str
) -> None:
    auth = ExecCredentialAuth(plugin.config(mode, **config_overrides))
    with client(auth, Recorder()) as http, pytest.raises(ConfigError, match=message) as caught:
        http.get("/api")
    assert caught.value.args[0].startswith("~/.kube/config: users[dev].user.exec")
    assert "leaked-secret-123" not in str(caught.value)
    assert "exec-token" not in str(caught.value)


def test_missing_exec_plugin_shows_install_hint(tmp_path: Path) -> None:
    config = ExecConfig(
        command=str(tmp_path / "no-such-plugin"),
        install_hint="Install it with: brew install no-such-plugin",
        where="kc: users[x].user.exec",
    )
    auth = ExecCredentialAuth(config)
    with client(auth, Recorder()) as http, pytest.raises(ConfigError) as caught:
        http.get("/api")
    assert str(caught.value).startswith("kc: users[x].user.exec.command: ")
    assert "not found" in str(caught.value)
    assert "brew install no-such-plugin" in str(caught.value)


def test_non_executable_exec_plugin(tmp_path: Path) -> None:
    script = tmp_path / "plugin"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o644)
    with (
        client(ExecCredentialAuth(ExecConfig(command=str(script), where="kc")), Recorder()) as http,
        pytest.raises(ConfigError, match=r"^kc\.command: cannot run .*Permission denied"),
    ):
        http.get("/api")


def test_hung_exec_plugin_times_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import kubetyped.auth

    script = tmp_path / "plugin"
    marker = tmp_path / "grandchild.pid"
    script.write_text(f"#!/bin/sh\nsleep 30 &\necho $! > {marker}\nwait\n")
    script.chmod(0o755)
    monkeypatch.setattr(kubetyped.auth, "EXEC_TIMEOUT", 0.3)
    with (
        client(ExecCredentialAuth(ExecConfig(command=str(script), where="kc")), Recorder()) as http,
        pytest.raises(ConfigError, match=r"^kc\.command: .* did not finish within 0.3 s"),
    ):
        http.get("/api")
    status = Path(f"/proc/{int(marker.read_text())}/status")
    for _ in range(50):  # what the plugin started is killed with it (gone, or a zombie)
        if not status.exists() or "State:\tZ" in status.read_text():
            break
        time.sleep(0.02)
    else:
        raise AssertionError("the plugin's child process outlived the timeout")


def test_exec_reprs_hide_args_and_env(plugin: Plugin) -> None:
    config = plugin.config(
        "future", args=("--password", "arg-secret"), env=(("API_KEY", "env-secret"),)
    )
    auth = ExecCredentialAuth(config)
    with client(auth, Recorder()) as http:
        http.get("/api")
    for text in (repr(auth), repr(config), str(auth)):
        assert "arg-secret" not in text and "env-secret" not in text and "exec-token" not in text
    assert "kube-plugin" in repr(auth)


def test_exec_certificate_needs_an_ssl_context(plugin: Plugin, tmp_path: Path) -> None:
    (tmp_path / "c.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    (tmp_path / "k.pem").write_text("-----BEGIN PRIVATE KEY-----\n")
    config = plugin.config(
        "cert",
        env=(("PLUGIN_CERT", str(tmp_path / "c.pem")), ("PLUGIN_KEY", str(tmp_path / "k.pem"))),
    )
    auth = ExecCredentialAuth(config)
    with client(auth, Recorder()) as http, pytest.raises(ConfigError, match="not https"):
        http.get("/api")


# --- client certificates -------------------------------------------------------------------


def test_load_client_certificate_rejects_non_pem() -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    with pytest.raises(
        ConfigError, match=r"^kc: users\[a\]\.user\.client-certificate-data: not a PEM"
    ):
        load_client_certificate(context, b"junk", b"junk", where="kc: users[a].user")
    with pytest.raises(
        ConfigError, match=r"^kc: users\[a\]\.user\.client-key: not a PEM private key"
    ):
        load_client_certificate(
            context,
            b"-----BEGIN CERTIFICATE-----\n",
            b"key-secret",
            where="kc: users[a].user",
            key_key="client-key",
        )


def test_load_client_certificate_reports_unloadable_pair() -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cert = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    key = b"-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1ieXRlcw==\n-----END PRIVATE KEY-----\n"
    with pytest.raises(ConfigError, match="cannot be loaded") as caught:
        load_client_certificate(context, cert, key, where="kc: users[a].user")
    assert "c2VjcmV0LWtleS1ieXRlcw" not in str(caught.value)


def test_load_client_certificate_uses_private_files_and_removes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    modes: dict[str, int] = {}

    class SpyContext(ssl.SSLContext):
        def load_cert_chain(self, certfile: Any, keyfile: Any = None, password: Any = None) -> None:
            for path in (certfile, keyfile, os.path.dirname(certfile)):
                modes[os.path.basename(path)] = stat.S_IMODE(os.stat(path).st_mode)
            modes["content"] = Path(keyfile).read_bytes() == b"-----BEGIN PRIVATE KEY-----\nk\n"

    load_client_certificate(
        SpyContext(ssl.PROTOCOL_TLS_CLIENT),
        b"-----BEGIN CERTIFICATE-----\nc\n",
        b"-----BEGIN PRIVATE KEY-----\nk\n",
    )
    directory = next(name for name in modes if name.startswith("kubetyped-"))
    assert modes == {"client.crt": 0o600, "client.key": 0o600, directory: 0o700, "content": True}
    assert list(tmp_path.iterdir()) == []


async def test_exec_plugin_runs_off_the_event_loop(plugin: Plugin) -> None:
    """While the plugin runs, other tasks keep running: here one of them is what lets the
    plugin finish, so a blocked event loop would fail the request (the plugin gives up)."""
    import anyio

    async def release() -> None:
        while not (plugin.state / "started").exists():
            await anyio.sleep(0.01)
        (plugin.state / "release").touch()

    recorder = Recorder()
    async with async_client(ExecCredentialAuth(plugin.config("handshake")), recorder) as http:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(release)
            assert (await http.get("/api")).status_code == 200
    assert recorder.seen == ["Bearer exec-token-1"]
