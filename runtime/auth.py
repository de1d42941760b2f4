"""How requests prove who sends them: bearer tokens, token files, exec plugins, client certs.

Each auth is an ``httpx.Auth`` whose ``auth_flow`` generator httpx drives. The ones that read
a file or run a plugin share ``_RefreshingAuth``: re-read after a 401 (the body is buffered so
the retry can send it again), and read in a worker thread under asyncio.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import AsyncGenerator, Generator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Generic, TypeVar

import httpx

from ._base_errors import ConfigError

__all__ = [
    "EXEC_API_VERSIONS",
    "EXEC_TIMEOUT",
    "BasicAuth",
    "BearerToken",
    "ExecConfig",
    "ExecCredentialAuth",
    "TokenFile",
    "load_client_certificate",
]

_log = logging.getLogger(__name__)

Cred = TypeVar("Cred")

BasicAuth = httpx.BasicAuth
"""kubeconfig ``username``/``password``; httpx's class already does what is needed."""

EXEC_API_VERSIONS = (
    "client.authentication.k8s.io/v1",
    "client.authentication.k8s.io/v1beta1",
)
"""ExecCredential versions kubetyped speaks (v1alpha1 was removed in Kubernetes 1.24)."""

EXEC_TIMEOUT = 120.0
"""Seconds an exec credential plugin may take before its request fails with ConfigError."""


class BearerToken(httpx.Auth):
    """Send a fixed bearer token with every request."""

    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request

    def __repr__(self) -> str:
        return "BearerToken(token=<redacted>)"


class _RefreshingAuth(httpx.Auth, Generic[Cred]):
    """A credential that is read from somewhere slow (a file, a plugin) and read again after
    a 401. The reading blocks, so under asyncio it runs in a worker thread: the event loop
    keeps serving other tasks (watches, informers) while a plugin takes its time."""

    requires_request_body = True  # a request retried after a 401 is sent again, body and all

    def _current(self, rejected: Cred | None) -> Cred:
        """The credential to use, fetched afresh if ``rejected`` is the cached one. Blocks."""
        raise NotImplementedError

    def _apply(self, request: httpx.Request, credential: Cred) -> None:
        raise NotImplementedError

    def _ready(self) -> Cred | None:
        """The credential, if it is at hand without waiting: cached, still good, and its lock
        free. None sends the asyncio flow to a worker thread (``_current``)."""
        return None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        credential = self._current(None)
        self._apply(request, credential)
        response = yield request
        if response.status_code == 401:
            fresh = self._current(credential)
            if fresh != credential:
                self._apply(request, fresh)
                yield request

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        import anyio.to_thread  # only async users pay for it

        await request.aread()
        # A worker thread costs a call two trips through the event loop and a wait for a
        # free thread (40 at most, shared by all): only when the credential is not at hand.
        credential = self._ready()
        if credential is None:
            credential = await anyio.to_thread.run_sync(self._current, None)
        self._apply(request, credential)
        response = yield request
        if response.status_code == 401:
            fresh = await anyio.to_thread.run_sync(self._current, credential)
            if fresh != credential:
                self._apply(request, fresh)
                yield request


class TokenFile(_RefreshingAuth[str]):
    """Send the bearer token kept in a file, following the file as it is rewritten.

    The file is stat-ed before each request and re-read when its mtime, size or inode
    changed, or when *max_age* seconds passed since the last read (in-cluster tokens use
    60 s, like client-go). After a 401 the file is re-read and, if the token changed, the
    request is retried once.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        max_age: float | None = None,
        where: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.max_age = max_age
        self._where = where
        # Sync clients may share one auth between threads; the flow never yields holding it.
        self._lock = threading.Lock()
        self._token: str | None = None
        self._stamp: tuple[int, int, int] | None = None
        self._read_at = 0.0

    def current_token(self, *, reload: bool = False) -> str:
        """Return the token, re-reading the file first if it changed (or *reload* is true)."""
        with self._lock:
            try:
                info = os.stat(self.path)
                stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
                if reload or self._token is None or stamp != self._stamp or self._too_old():
                    token = self.path.read_text(encoding="utf-8").strip()
                    if token:
                        self._token, self._stamp = token, stamp
                        self._read_at = time.monotonic()
                    elif self._token is None:
                        raise ConfigError(f"{self._prefix()}token file {self.path} is empty")
            except OSError as exc:
                if self._token is None:
                    raise ConfigError(
                        f"{self._prefix()}cannot read token file {self.path}: {exc.strerror or exc}"
                    ) from exc
                # A writer replacing the file may briefly leave it missing; the last token
                # is still the best guess, and a 401 will tell if it is not.
                _log.warning("cannot re-read token file %s, using the previous token", self.path)
            return self._token

    def _current(self, rejected: str | None) -> str:
        return self.current_token(reload=rejected is not None)

    def _ready(self) -> str | None:
        # The same check as current_token's, but only a stat (microseconds on the local
        # file a token lives in); reading the file, when it changed, is the thread's.
        if not self._lock.acquire(blocking=False):
            return None
        try:
            if self._token is None or self._too_old():
                return None
            try:
                info = os.stat(self.path)
            except OSError:
                return None  # current_token decides: the last token, with a warning
            stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
            return self._token if stamp == self._stamp else None
        finally:
            self._lock.release()

    def _apply(self, request: httpx.Request, credential: str) -> None:
        request.headers["Authorization"] = f"Bearer {credential}"

    def _too_old(self) -> bool:
        return self.max_age is not None and time.monotonic() - self._read_at >= self.max_age

    def _prefix(self) -> str:
        return f"{self._where}: " if self._where else ""

    def __repr__(self) -> str:
        return f"TokenFile(path={str(self.path)!r}, max_age={self.max_age!r})"


@dataclass(frozen=True, repr=False)
class ExecConfig:
    """How to run a client-go exec credential plugin (kubeconfig ``users[].user.exec``)."""

    command: str
    api_version: str = EXEC_API_VERSIONS[0]
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    install_hint: str | None = None
    interactive_mode: str = "IfAvailable"
    cluster: Mapping[str, Any] | None = field(default=None, compare=False)
    """Sent as ``spec.cluster``; set only when the kubeconfig says ``provideClusterInfo``."""
    where: str = "exec"
    """Where these settings came from, for error messages."""

    def __repr__(self) -> str:
        # args and env often name accounts or carry secrets, so they stay out.
        return f"ExecConfig(command={self.command!r}, api_version={self.api_version!r})"


@dataclass(frozen=True, repr=False)
class _Credential:
    token: str | None
    cert_pem: bytes | None
    key_pem: bytes | None
    expires_at: datetime | None = field(compare=False)

    def expired(self) -> bool:
        return self.expires_at is not None and _utcnow() >= self.expires_at


class ExecCredentialAuth(_RefreshingAuth[_Credential]):
    """Get credentials from an exec plugin; cache them until they expire or a 401 arrives.

    A token goes into the Authorization header. A client certificate is loaded into
    *ssl_context*, which only affects connections opened afterwards: a pooled connection
    keeps the certificate it was opened with.
    """

    def __init__(self, config: ExecConfig, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.config = config
        self._ssl_context = ssl_context
        self._lock = threading.Lock()
        self._cached: _Credential | None = None

    def _apply(self, request: httpx.Request, credential: _Credential) -> None:
        if credential.token is not None:
            request.headers["Authorization"] = f"Bearer {credential.token}"
        else:
            request.headers.pop("Authorization", None)

    def _ready(self) -> _Credential | None:
        if not self._lock.acquire(blocking=False):
            return None  # a plugin is running: wait for it in a thread
        try:
            cached = self._cached
            return cached if cached is not None and not cached.expired() else None
        finally:
            self._lock.release()

    def _current(self, rejected: _Credential | None) -> _Credential:
        # Once per credential lifetime, as in client-go; the lock makes concurrent requests
        # (threads, or asyncio tasks in worker threads) share a single run.
        with self._lock:
            cached = self._cached
            if cached is not None and cached is not rejected and not cached.expired():
                return cached
            credential = _run_plugin(self.config)
            if credential.cert_pem is not None and credential.key_pem is not None:
                if self._ssl_context is None:
                    raise ConfigError(
                        f"{self.config.where}: the plugin returned a client certificate, "
                        "but the server is not https"
                    )
                load_client_certificate(
                    self._ssl_context,
                    credential.cert_pem,
                    credential.key_pem,
                    where=f"{self.config.where}: plugin output status",
                    cert_key="clientCertificateData",
                    key_key="clientKeyData",
                )
            self._cached = credential
            return credential

    def __repr__(self) -> str:
        return f"ExecCredentialAuth(command={self.config.command!r})"


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _run_plugin(config: ExecConfig) -> _Credential:
    where = config.where
    if config.interactive_mode == "Always":
        raise ConfigError(
            f"{where}.interactiveMode: the plugin needs a terminal (Always), "
            "but kubetyped runs exec plugins non-interactively"
        )
    spec: dict[str, Any] = {"interactive": False}
    if config.cluster is not None:
        spec["cluster"] = dict(config.cluster)
    exec_info = {"apiVersion": config.api_version, "kind": "ExecCredential", "spec": spec}
    env = {**os.environ, **dict(config.env), "KUBERNETES_EXEC_INFO": json.dumps(exec_info)}
    try:
        # stderr is inherited, as kubectl does: plugins explain failures there, and
        # capturing it could put whatever they print into our exception messages.
        # Its own session, so a plugin that hangs is ended with every process it started.
        proc = subprocess.Popen(
            [config.command, *config.args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            # A hung plugin must not hang every request; logins that prompt a browser fit.
            stdout, _ = proc.communicate(timeout=EXEC_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise ConfigError(
                f"{where}.command: {config.command!r} did not finish within {EXEC_TIMEOUT:g} s"
            ) from None
    except FileNotFoundError:
        message = f"{where}.command: {config.command!r} not found"
        if config.install_hint:
            message += f"\n{config.install_hint.strip()}"
        raise ConfigError(message) from None
    except OSError as exc:
        raise ConfigError(
            f"{where}.command: cannot run {config.command!r}: {exc.strerror or exc}"
        ) from None
    if proc.returncode != 0:
        raise ConfigError(
            f"{where}: {config.command!r} exited with status {proc.returncode} "
            "(its stderr says why)"
        )
    return _parse_credential(stdout, config)


def _parse_credential(stdout: bytes, config: ExecConfig) -> _Credential:
    where = f"{config.where}: output of {config.command!r}"
    document: object = None
    valid = True
    try:
        document = json.loads(stdout)
    except ValueError:
        # Raised below, not here: the decode error quotes the output, which holds the
        # token, and would stay reachable as the ConfigError's __context__.
        valid = False
    if not valid:
        raise ConfigError(f"{where} is not valid JSON")
    if not isinstance(document, dict) or document.get("kind") != "ExecCredential":
        raise ConfigError(f"{where} is not an ExecCredential")
    if document.get("apiVersion") != config.api_version:
        raise ConfigError(f"{where}: apiVersion is not {config.api_version}")
    status = document.get("status")
    if not isinstance(status, dict):
        raise ConfigError(f"{where}: status is missing")
    token = _optional_str(status, "token", where)
    cert = _optional_str(status, "clientCertificateData", where)
    key = _optional_str(status, "clientKeyData", where)
    if (cert is None) != (key is None):
        raise ConfigError(
            f"{where}: status.clientCertificateData and status.clientKeyData must be set together"
        )
    if token is None and cert is None:
        raise ConfigError(
            f"{where}: status has neither token nor clientCertificateData/clientKeyData"
        )
    expires = _optional_str(status, "expirationTimestamp", where)
    return _Credential(
        token=token,
        cert_pem=cert.encode() if cert is not None else None,
        key_pem=key.encode() if key is not None else None,
        expires_at=_parse_time(expires, f"{where}: status.expirationTimestamp")
        if expires is not None
        else None,
    )


def _optional_str(status: dict[str, Any], key: str, where: str) -> str | None:
    value = status.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{where}: status.{key} is not a string")
    return value


_RFC3339 = re.compile(r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


def _parse_time(value: str, where: str) -> datetime:
    # fromisoformat before 3.11 rejects "Z" and fractions that are not 3 or 6 digits.
    match = _RFC3339.fullmatch(value.strip())
    if match is None:
        raise ConfigError(f"{where}: not an RFC 3339 time")
    date, clock, fraction, zone = match.groups()
    micros = (fraction or ".0")[1:7].ljust(6, "0")
    offset = "+00:00" if zone in ("Z", "z") else zone
    return datetime.fromisoformat(f"{date}T{clock}.{micros}{offset}")


def load_client_certificate(
    context: ssl.SSLContext,
    cert_pem: bytes,
    key_pem: bytes,
    *,
    where: str = "client certificate",
    cert_key: str = "client-certificate-data",
    key_key: str = "client-key-data",
) -> None:
    """Load a PEM client certificate and key into *context*.

    ``ssl`` reads them only from files, so they are written to a private temporary
    directory (mode 0700, files 0600) that is deleted before this returns. Errors name
    ``{where}.{cert_key}`` or ``{where}.{key_key}``.
    """
    if b"-----BEGIN CERTIFICATE-----" not in cert_pem:
        raise ConfigError(f"{where}.{cert_key}: not a PEM certificate")
    if not re.search(rb"-----BEGIN [A-Z ]*PRIVATE KEY-----", key_pem):
        raise ConfigError(f"{where}.{key_key}: not a PEM private key")

    def refuse_passphrase() -> bytes:
        # Without a callback OpenSSL would prompt on the terminal for the passphrase.
        raise ConfigError(f"{where}.{key_key}: the key is encrypted; use an unencrypted key")

    with tempfile.TemporaryDirectory(prefix="kubetyped-") as directory:
        cert_path = _write_private(Path(directory, "client.crt"), cert_pem)
        key_path = _write_private(Path(directory, "client.key"), key_pem)
        try:
            context.load_cert_chain(cert_path, key_path, password=refuse_passphrase)
        except ssl.SSLError as exc:
            raise ConfigError(
                f"{where}.{cert_key} / {key_key}: cannot be loaded ({exc.reason or exc})"
            ) from None


def _write_private(path: Path, data: bytes) -> Path:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
    return path
