"""``ApiServer``: a real etcd + kube-apiserver on 127.0.0.1 for tests, envtest-style."""

from __future__ import annotations

import asyncio
import atexit
import base64
import functools
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self is 3.11+

from . import _reaper
from ._binaries import DEFAULT_K8S_VERSION, Binaries, find_binaries
from ._pki import Pki, generate_pki

_TAIL_LINES = 40
_PORT_RETRIES = 3


class ApiServerStartError(RuntimeError):
    """Raised when etcd or kube-apiserver does not become ready; carries the logs' tails."""

    def __init__(self, message: str, log_tail: str, directory: Path | None) -> None:
        super().__init__(f"{message}\n{log_tail}" if log_tail else message)
        self.log_tail = log_tail
        self.dir = directory


@dataclass
class _Running:
    dir: Path
    port: int
    etcd_port: int
    pki: Pki
    kubeconfig: Path
    etcd_log: Path
    apiserver_log: Path
    binaries: Binaries
    etcd: subprocess.Popen[bytes]
    apiserver: subprocess.Popen[bytes] | None = None
    version: str = ""


_live: set[ApiServer] = set()
_atexit_registered = False


def _stop_all() -> None:
    for server in list(_live):
        server.stop()


def _free_ports(n: int) -> list[int]:
    # Held open together so the kernel hands out n distinct ports.
    socks = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _tail(path: Path, lines: int = _TAIL_LINES) -> str:
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 64 * 1024))
            text = f.read().decode(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _terminate(proc: subprocess.Popen[bytes], timeout: float) -> None:
    """SIGTERM the process group, SIGKILL it after ``timeout``, and reap the leader."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()


@functools.cache
def _etcd_supports_no_fsync(etcd: Path) -> bool:
    out = subprocess.run(
        [str(etcd), "--help"],
        check=False,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=30,
    )
    return b"--unsafe-no-fsync" in out.stdout + out.stderr


class ApiServer:
    """A throw-away etcd + kube-apiserver on 127.0.0.1, with its own PKI and kubeconfig.

    Use as ``with ApiServer() as server:`` (or ``async with``; start-up then runs in a
    thread). Both processes run in their own process groups and are stopped, and the
    temporary directory removed, on exit, on errors, on Ctrl-C, at interpreter exit, and
    (by a watchdog process) even when the Python process is killed.

    ``extra_args`` are appended to kube-apiserver's flags (e.g. ``--watch-cache=false``,
    ``--min-request-timeout=5``): a single-valued flag given again overrides the default,
    but list and map flags add to it (``--authorization-mode=AlwaysAllow`` gives
    ``RBAC,AlwaysAllow``, which allows everything). ``--runtime-config`` is a map, so it
    has its own parameter: ``runtime_config=None`` leaves it out.
    """

    def __init__(
        self,
        *,
        extra_args: Sequence[str] = (),
        runtime_config: str | None = "api/all=true",
        etcd_extra_args: Sequence[str] = (),
        binaries: Binaries | None = None,
        version: str = DEFAULT_K8S_VERSION,
        start_timeout: float = 60.0,
        stop_timeout: float = 10.0,
        keep_dir: bool = False,
    ) -> None:
        self.extra_args = list(extra_args)
        self.runtime_config = runtime_config
        self.etcd_extra_args = list(etcd_extra_args)
        self.binaries = binaries
        self.requested_version = version
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.keep_dir = keep_dir
        self._run: _Running | None = None
        self._dir: Path | None = None
        self._dir_live = False  # _dir exists and is ours to remove
        self._lock = threading.RLock()
        self._abort = threading.Event()

    # ----------------------------------------------------------------- public state

    def _running(self) -> _Running:
        if self._run is None:
            raise RuntimeError("ApiServer is not running; use it as a context manager or start()")
        return self._run

    @property
    def dir(self) -> Path:
        """The temporary directory (data, PKI, logs); removed on stop unless ``keep_dir``."""
        if self._dir is None:
            raise RuntimeError("ApiServer was never started")
        return self._dir

    @property
    def url(self) -> str:
        """``https://127.0.0.1:<port>``."""
        return f"https://127.0.0.1:{self._running().port}"

    @property
    def port(self) -> int:
        """kube-apiserver's secure port (the same after :meth:`restart`)."""
        return self._running().port

    @property
    def etcd_url(self) -> str:
        """etcd's client URL (plain HTTP on loopback)."""
        return f"http://127.0.0.1:{self._running().etcd_port}"

    @property
    def kubeconfig_path(self) -> Path:
        """Kubeconfig with contexts ``admin`` (current), ``admin-token`` and ``unprivileged``."""
        return self._running().kubeconfig

    @property
    def ca_path(self) -> Path:
        """The CA certificate that signed the serving and client certificates."""
        return self._running().pki.ca_cert

    @property
    def client_cert_path(self) -> Path:
        """The admin client certificate (O=system:masters)."""
        return self._running().pki.admin_cert

    @property
    def client_key_path(self) -> Path:
        """The admin client certificate's key."""
        return self._running().pki.admin_key

    @property
    def admin_token(self) -> str:
        """Bearer token of a ``system:masters`` user."""
        return self._running().pki.admin_token

    @property
    def unprivileged_token(self) -> str:
        """Bearer token of a user without any RBAC grants."""
        return self._running().pki.unprivileged_token

    @property
    def version(self) -> str:
        """``gitVersion`` from ``/version``, e.g. ``v1.36.3``."""
        return self._running().version

    @property
    def apiserver_log_path(self) -> Path:
        """kube-apiserver's stdout and stderr (appended to across restarts)."""
        return self._running().apiserver_log

    @property
    def etcd_log_path(self) -> Path:
        """etcd's stdout and stderr."""
        return self._running().etcd_log

    @property
    def log_paths(self) -> dict[str, Path]:
        """``{"kube-apiserver": ..., "etcd": ...}``."""
        return {"kube-apiserver": self.apiserver_log_path, "etcd": self.etcd_log_path}

    @property
    def apiserver_pid(self) -> int | None:
        """PID (and process group) of kube-apiserver, ``None`` when it is not running."""
        run = self._run
        return None if run is None or run.apiserver is None else run.apiserver.pid

    @property
    def etcd_pid(self) -> int | None:
        """PID (and process group) of etcd, ``None`` when it is not running."""
        return None if self._run is None else self._run.etcd.pid

    def __repr__(self) -> str:
        state = self.url if self._run is not None else "stopped"
        return f"<ApiServer {state}>"

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        """Start etcd and kube-apiserver and wait until ``/readyz`` is ok; returns ``self``.

        Raises :class:`ApiServerStartError` (with both logs' tails) when start-up fails,
        after stopping whatever had started.
        """
        global _atexit_registered
        with self._lock:
            if self._run is not None:
                raise RuntimeError("ApiServer is already running")
            self._abort.clear()
            binaries = self.binaries or find_binaries(self.requested_version)
            if not _atexit_registered:
                atexit.register(_stop_all)
                _atexit_registered = True
            for attempt in range(_PORT_RETRIES):
                _live.add(self)
                try:
                    self._start(binaries)
                    return self
                except ApiServerStartError as exc:
                    self._stop_locked()
                    # Free ports are picked, then released, then bound by the servers;
                    # another process can take one in between. Rare; retry with new ones.
                    if "address already in use" not in exc.log_tail or (
                        attempt == _PORT_RETRIES - 1
                    ):
                        raise
                except BaseException:
                    self._stop_locked()
                    raise
            raise AssertionError("unreachable")

    def _start(self, binaries: Binaries) -> None:
        d = Path(tempfile.mkdtemp(prefix="kubetyped-apiserver-"))
        self._dir, self._dir_live = d, True
        _reaper.watch_dir(d)
        etcd_port, peer_port, port = _free_ports(3)
        etcd_log, apiserver_log = d / "etcd.log", d / "kube-apiserver.log"
        deadline = time.monotonic() + self.start_timeout

        etcd_args = [
            str(binaries.etcd),
            "--name=kubetyped-test",
            f"--data-dir={d / 'etcd-data'}",
            f"--listen-client-urls=http://127.0.0.1:{etcd_port}",
            f"--advertise-client-urls=http://127.0.0.1:{etcd_port}",
            f"--listen-peer-urls=http://127.0.0.1:{peer_port}",
            f"--initial-advertise-peer-urls=http://127.0.0.1:{peer_port}",
            f"--initial-cluster=kubetyped-test=http://127.0.0.1:{peer_port}",
            "--initial-cluster-state=new",
            "--log-level=warn",
        ]
        if _etcd_supports_no_fsync(binaries.etcd):
            etcd_args.append("--unsafe-no-fsync")  # test data: durability buys nothing
        etcd_args += self.etcd_extra_args
        # etcd reads ETCD_* variables as flags; a developer's own must not leak in.
        etcd_env = {k: v for k, v in os.environ.items() if not k.startswith("ETCD_")}
        etcd = self._spawn(etcd_args, etcd_log, etcd_env)
        # PKI is made while etcd boots: the two are independent.
        try:
            pki = generate_pki(d / "pki")
        except BaseException:
            _terminate(etcd, self.stop_timeout)  # not yet in self._run: stop it here
            raise
        kubeconfig = d / "kubeconfig"
        self._run = _Running(
            dir=d,
            port=port,
            etcd_port=etcd_port,
            pki=pki,
            kubeconfig=kubeconfig,
            etcd_log=etcd_log,
            apiserver_log=apiserver_log,
            binaries=binaries,
            etcd=etcd,
        )
        self._write_kubeconfig()
        self._wait_etcd(deadline)
        self._start_apiserver(deadline)

    def _apiserver_args(self) -> list[str]:
        run = self._running()
        p = run.pki
        args = [
            str(run.binaries.kube_apiserver),
            f"--etcd-servers=http://127.0.0.1:{run.etcd_port}",
            "--bind-address=127.0.0.1",
            # Advertised as loopback, so the endpoint reconciler (which rejects loopback
            # endpoints) is switched off.
            "--advertise-address=127.0.0.1",
            "--endpoint-reconciler-type=none",
            f"--secure-port={run.port}",
            f"--cert-dir={p.ca_cert.parent}",
            f"--tls-cert-file={p.serving_cert}",
            f"--tls-private-key-file={p.serving_key}",
            f"--client-ca-file={p.ca_cert}",
            f"--token-auth-file={p.token_file}",
            f"--service-account-issuer=https://127.0.0.1:{run.port}",
            f"--service-account-key-file={p.sa_pub}",
            f"--service-account-signing-key-file={p.sa_key}",
            "--service-cluster-ip-range=10.0.0.0/24",
            "--authorization-mode=RBAC",
            # No kube-controller-manager makes default ServiceAccounts, so pods would be
            # refused by this plugin.
            "--disable-admission-plugins=ServiceAccount",
            "--allow-privileged=true",
            "--profiling=false",
        ]
        if self.runtime_config is not None:
            args.append(f"--runtime-config={self.runtime_config}")
        return args + self.extra_args

    def _start_apiserver(self, deadline: float) -> None:
        run = self._running()
        run.apiserver = self._spawn(self._apiserver_args(), run.apiserver_log, None)
        self._wait_ready(deadline)

    def _spawn(
        self, argv: list[str], log_path: Path, env: dict[str, str] | None
    ) -> subprocess.Popen[bytes]:
        log: IO[bytes]
        with log_path.open("ab") as log:
            # Its own session: a terminal's Ctrl-C reaches only us, so we choose the order
            # of shutdown, and killpg reaches anything the server might spawn.
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self._dir,
                env=env,
                start_new_session=True,
            )
        _reaper.watch_group(proc.pid)
        return proc

    def _fail(self, message: str) -> ApiServerStartError:
        parts = []
        if self._run is not None:
            for name, path in (
                ("kube-apiserver", self._run.apiserver_log),
                ("etcd", self._run.etcd_log),
            ):
                tail = _tail(path)
                if tail:
                    parts.append(f"--- last lines of {name} log ({path.name}) ---\n{tail}")
        return ApiServerStartError(message, "\n".join(parts), self._dir)

    def _check_abort(self) -> None:
        if self._abort.is_set():
            raise self._fail("start-up cancelled")

    def _wait_etcd(self, deadline: float) -> None:
        import httpx  # imported here: the pytest plugin imports this package in every run

        run = self._running()
        last = ""
        with httpx.Client(timeout=2.0) as client:
            while True:
                self._check_abort()
                code = run.etcd.poll()
                if code is not None:
                    raise self._fail(f"etcd exited with code {code} during start-up")
                try:
                    r = client.get(f"{self.etcd_url}/health")
                    if r.status_code == 200 and r.json().get("health") == "true":
                        return
                    last = f"/health answered {r.status_code}: {r.text[:300]}"
                except httpx.TransportError as exc:
                    last = f"{type(exc).__name__}: {exc}"
                if time.monotonic() > deadline:
                    raise self._fail(
                        f"etcd not healthy after {self.start_timeout:g}s (last: {last})"
                    )
                time.sleep(0.05)

    def _wait_ready(self, deadline: float) -> None:
        import httpx

        run = self._running()
        assert run.apiserver is not None
        ctx = ssl.create_default_context(cafile=str(run.pki.ca_cert))
        headers = {"Authorization": f"Bearer {run.pki.admin_token}"}
        last = ""
        with httpx.Client(verify=ctx, headers=headers, timeout=5.0) as client:
            while True:
                self._check_abort()
                code = run.apiserver.poll()
                if code is not None:
                    raise self._fail(f"kube-apiserver exited with code {code} during start-up")
                try:
                    r = client.get(f"{self.url}/readyz")
                    if r.status_code == 200:
                        run.version = client.get(f"{self.url}/version").json()["gitVersion"]
                        return
                    last = f"/readyz answered {r.status_code}: {r.text[-500:]}"
                except httpx.TransportError as exc:
                    last = f"{type(exc).__name__}: {exc}"
                if time.monotonic() > deadline:
                    raise self._fail(
                        f"kube-apiserver not ready after {self.start_timeout:g}s (last: {last})"
                    )
                time.sleep(0.1)

    def _write_kubeconfig(self) -> None:
        import yaml

        run = self._running()
        p = run.pki

        def b64(path: Path) -> str:
            return base64.b64encode(path.read_bytes()).decode()

        cluster = "kubetyped-test"
        config: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": cluster,
                    "cluster": {
                        "server": f"https://127.0.0.1:{run.port}",
                        "certificate-authority-data": b64(p.ca_cert),
                    },
                }
            ],
            "users": [
                {
                    "name": "admin",
                    "user": {
                        "client-certificate-data": b64(p.admin_cert),
                        "client-key-data": b64(p.admin_key),
                    },
                },
                {"name": "admin-token", "user": {"token": p.admin_token}},
                {"name": "unprivileged", "user": {"token": p.unprivileged_token}},
            ],
            "contexts": [
                {"name": name, "context": {"cluster": cluster, "user": name}}
                for name in ("admin", "admin-token", "unprivileged")
            ],
            "current-context": "admin",
            "preferences": {},
        }
        fd = os.open(run.kubeconfig, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            yaml.safe_dump(config, f, sort_keys=False)

    def restart(self) -> None:
        """Stop and start kube-apiserver on the same port with the same etcd (data kept).

        Returns once the new process is ready; raises :class:`ApiServerStartError` if not.
        """
        with self._lock:
            run = self._running()
            if run.apiserver is not None:
                _terminate(run.apiserver, self.stop_timeout)
                _reaper.unwatch_group(run.apiserver.pid)
                run.apiserver = None
            with run.apiserver_log.open("ab") as log:
                log.write(f"\n--- kubetyped: restarted at {time.ctime()} ---\n".encode())
            self._abort.clear()
            self._start_apiserver(time.monotonic() + self.start_timeout)

    def stop(self) -> None:
        """Stop kube-apiserver, then etcd, and remove the directory. Idempotent."""
        self._abort.set()  # makes a start-up running in another thread give up first
        with self._lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        run, self._run = self._run, None
        if run is not None:
            for proc in (run.apiserver, run.etcd):
                if proc is not None:
                    _terminate(proc, self.stop_timeout)
                    _reaper.unwatch_group(proc.pid)
        if self._dir is not None and self._dir_live:
            self._dir_live = False
            if not self.keep_dir:
                shutil.rmtree(self._dir, ignore_errors=True)
            _reaper.unwatch_dir(self._dir)
        _live.discard(self)

    # ------------------------------------------------------------- context managers

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        starting = asyncio.ensure_future(asyncio.to_thread(self.start))
        try:
            await asyncio.shield(starting)
        except BaseException:
            # The thread cannot be interrupted; tell it to give up (it cleans up after
            # itself) and wait for it, so no server outlives a cancelled ``async with``.
            self._abort.set()
            await asyncio.wait({starting})
            if not starting.cancelled():
                starting.exception()  # retrieved, so asyncio does not log it as lost
            # It may have finished just before it saw the flag.
            await asyncio.to_thread(self.stop)
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)
