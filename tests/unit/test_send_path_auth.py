"""The asyncio auth flow takes a credential at hand without a worker thread, and still goes to
one whenever the credential may have changed: a token file rewritten, older than its
max_age, or a 401; an exec credential expired, rejected, or a plugin running right now."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import anyio.to_thread
import httpx
import pytest
from kubetyped import auth as auth_module
from kubetyped.auth import ExecConfig, ExecCredentialAuth, TokenFile
from test_auth import Recorder


@pytest.fixture
def threads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the functions the auth flow ran in worker threads."""
    ran: list[str] = []
    real = anyio.to_thread.run_sync

    async def counting(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        ran.append(getattr(func, "__name__", repr(func)))
        return await real(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    return ran


def async_client(auth: httpx.Auth, recorder: Recorder) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url="https://k8s.test", auth=auth, transport=httpx.MockTransport(recorder)
    )


# --- TokenFile -----------------------------------------------------------------------------


async def test_an_unchanged_token_file_is_not_read_in_a_thread_again(
    tmp_path: Path, threads: list[str]
) -> None:
    path = tmp_path / "token"
    path.write_text("token-one")
    recorder = Recorder()
    async with async_client(TokenFile(path), recorder) as http:
        for _ in range(5):
            await http.get("/api")
    assert recorder.seen == ["Bearer token-one"] * 5
    assert threads == ["_current"]  # the first read only


async def test_a_rewritten_token_file_is_read_again_at_once(
    tmp_path: Path, threads: list[str]
) -> None:
    path = tmp_path / "token"
    path.write_text("token-one")
    recorder = Recorder()
    async with async_client(TokenFile(path), recorder) as http:
        await http.get("/a")
        await http.get("/b")
        path.write_text("token-two-longer")
        await http.get("/c")
        await http.get("/d")
    assert recorder.seen == ["Bearer token-one"] * 2 + ["Bearer token-two-longer"] * 2
    assert threads == ["_current", "_current"]


async def test_a_rewrite_that_keeps_the_size_is_seen_by_its_new_inode(
    tmp_path: Path, threads: list[str]
) -> None:
    path = tmp_path / "token"
    path.write_text("token-aaaa")
    recorder = Recorder()
    async with async_client(TokenFile(path), recorder) as http:
        await http.get("/a")
        fresh = tmp_path / "token.new"
        fresh.write_text("token-bbbb")
        stat = path.stat()
        os.utime(fresh, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        fresh.replace(path)  # how kubelet swaps a projected token: a new file
        await http.get("/b")
    assert recorder.seen == ["Bearer token-aaaa", "Bearer token-bbbb"]


async def test_a_token_past_its_max_age_is_read_again(
    tmp_path: Path, threads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "token"
    path.write_text("token-one")
    auth = TokenFile(path, max_age=60)
    recorder = Recorder()
    async with async_client(auth, recorder) as http:
        await http.get("/a")
        await http.get("/b")
        assert threads == ["_current"]
        monkeypatch.setattr(auth, "_read_at", auth._read_at - 61)
        await http.get("/c")
    assert threads == ["_current", "_current"]


async def test_a_401_still_rereads_the_token_file(tmp_path: Path, threads: list[str]) -> None:
    path = tmp_path / "token"
    path.write_text("old-token")
    recorder = Recorder(reject=("Bearer old-token",))
    async with async_client(TokenFile(path), recorder) as http:
        await http.get("/a")  # 401, the file unchanged: no retry
        before = path.stat()  # rewritten in place, size and mtime kept: stat sees nothing
        path.write_text("new-token")
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        response = await http.get("/b")  # the cached token, a 401, then the file read again
    assert response.status_code == 200
    assert recorder.seen == ["Bearer old-token", "Bearer old-token", "Bearer new-token"]


async def test_a_vanished_token_file_goes_to_the_thread_which_keeps_the_last_token(
    tmp_path: Path, threads: list[str]
) -> None:
    path = tmp_path / "token"
    path.write_text("kept-token")
    recorder = Recorder()
    async with async_client(TokenFile(path), recorder) as http:
        await http.get("/a")
        path.unlink()
        await http.get("/b")
    assert recorder.seen == ["Bearer kept-token"] * 2
    assert threads == ["_current", "_current"]


def test_a_token_file_whose_lock_is_held_is_not_ready(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("token")
    auth = TokenFile(path)
    assert auth._ready() is None  # never read yet
    auth.current_token()
    assert auth._ready() == "token"
    with auth._lock:  # another thread reading it
        assert auth._ready() is None


# --- exec credentials ------------------------------------------------------------------------


def _credential(token: str, expires_in: timedelta | None) -> Any:
    expires = None if expires_in is None else auth_module._utcnow() + expires_in
    return auth_module._Credential(token=token, cert_pem=None, key_pem=None, expires_at=expires)


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Plugin runs, each giving ``token-N`` valid for an hour."""
    made: list[int] = []

    def run_plugin(config: ExecConfig) -> Any:
        made.append(len(made) + 1)
        return _credential(f"token-{len(made)}", timedelta(hours=1))

    monkeypatch.setattr(auth_module, "_run_plugin", run_plugin)
    return made


def _exec_auth() -> ExecCredentialAuth:
    return ExecCredentialAuth(ExecConfig(command="kube-plugin", where="kubeconfig: exec"))


async def test_a_valid_exec_credential_is_used_without_a_thread(
    runs: list[int], threads: list[str]
) -> None:
    recorder = Recorder()
    async with async_client(_exec_auth(), recorder) as http:
        for _ in range(4):
            await http.get("/api")
    assert recorder.seen == ["Bearer token-1"] * 4
    assert runs == [1] and threads == ["_current"]


async def test_an_expired_exec_credential_runs_the_plugin_again_in_a_thread(
    runs: list[int], threads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = Recorder()
    async with async_client(_exec_auth(), recorder) as http:
        await http.get("/a")
        later = datetime.now(timezone.utc) + timedelta(hours=2)
        monkeypatch.setattr(auth_module, "_utcnow", lambda: later)
        await http.get("/b")
        await http.get("/c")
    assert recorder.seen == ["Bearer token-1", "Bearer token-2", "Bearer token-2"]
    assert threads == ["_current", "_current"]


async def test_a_rejected_exec_credential_is_replaced(runs: list[int], threads: list[str]) -> None:
    recorder = Recorder(reject=("Bearer token-1",))
    async with async_client(_exec_auth(), recorder) as http:
        response = await http.get("/api")
    assert response.status_code == 200
    assert recorder.seen == ["Bearer token-1", "Bearer token-2"]


def test_an_exec_credential_is_not_ready_while_a_plugin_runs(runs: list[int]) -> None:
    auth = _exec_auth()
    assert auth._ready() is None
    auth._current(None)
    assert auth._ready() is not None
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with auth._lock:
            held.set()
            release.wait(5)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert held.wait(5)
        assert auth._ready() is None
    finally:
        release.set()
        thread.join()
