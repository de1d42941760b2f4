"""Connection settings for one cluster: :class:`ClusterConfig`, and the file and TLS helpers
the kubeconfig and in-cluster readers share.

Nothing here reads a kubeconfig: :func:`kubetyped.config.load_config` finds the settings
through :mod:`kubetyped.kubeconfig` and :mod:`kubetyped.incluster`, which build on this
module, so the imports run one way: ``config`` -> ``kubeconfig``/``incluster`` -> ``cluster``.
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias
from urllib.parse import urlsplit

import httpx

from ._base_errors import ConfigError
from .auth import BearerToken
from .redact import redact_url

__all__ = ["ClusterConfig", "StrPath", "display_path", "make_ssl_context", "read_file"]

StrPath: TypeAlias = "str | os.PathLike[str]"
"""A file system path: a ``str`` or a ``pathlib.Path`` (any ``os.PathLike[str]``)."""


@dataclass(frozen=True, repr=False)
class ClusterConfig:
    """Everything needed to reach and authenticate to one API server.

    ``ssl_context`` is None only for plain ``http://`` servers (``kubectl proxy``).
    ``tls_server_name`` is applied per request through ``request_extensions``.
    """

    server: str
    namespace: str = "default"
    context_name: str | None = None
    ssl_context: ssl.SSLContext | None = None
    auth: httpx.Auth | None = None
    proxy: str | None = None
    tls_server_name: str | None = None
    headers: tuple[tuple[str, str], ...] = ()  # sent with every request (impersonation)

    @property
    def request_extensions(self) -> dict[str, Any]:
        """httpx ``extensions=`` every request to this cluster must carry.

        ``tls-server-name`` becomes ``sni_hostname``: httpcore sends it as SNI and ``ssl``
        checks the server certificate against it instead of the URL's host.
        """
        return {"sni_hostname": self.tls_server_name} if self.tls_server_name else {}

    def httpx_options(self) -> dict[str, Any]:
        """Keyword arguments for ``httpx.Client(**opts)`` and ``httpx.AsyncClient(**opts)``."""
        options: dict[str, Any] = {
            "base_url": self.server,
            "verify": self.ssl_context if self.ssl_context is not None else True,
            "auth": self.auth,
            "proxy": self.proxy,
        }
        if self.headers:
            options["headers"] = httpx.Headers(list(self.headers))
        return options

    @classmethod
    def from_url(
        cls,
        url: str,
        token: str | None = None,
        ca_path: StrPath | None = None,
        *,
        namespace: str = "default",
    ) -> ClusterConfig:
        """Build a config by hand: a server URL, an optional bearer token and CA file."""
        scheme = urlsplit(url).scheme
        if scheme not in ("http", "https"):
            raise ConfigError(f"{url!r}: the server URL must start with https:// or http://")
        ssl_context = None
        if scheme == "https":
            ca_pem = None
            if ca_path is not None:
                ca_pem = read_file(Path(ca_path), display_path(ca_path))
            ssl_context = make_ssl_context(ca_pem=ca_pem, where=display_path(ca_path or url))
        return cls(
            server=url,
            namespace=namespace,
            ssl_context=ssl_context,
            auth=BearerToken(token) if token else None,
        )

    def __repr__(self) -> str:
        verify = None if self.ssl_context is None else self.ssl_context.verify_mode != ssl.CERT_NONE
        return (
            f"ClusterConfig(server={redact_url(self.server)!r}, namespace={self.namespace!r}, "
            f"context_name={self.context_name!r}, auth={self.auth!r}, tls_verify={verify!r}, "
            f"tls_server_name={self.tls_server_name!r}, "
            f"proxy={redact_url(self.proxy) if self.proxy else None!r}, "
            f"headers={[name for name, _ in self.headers]!r})"
        )


def make_ssl_context(
    *, ca_pem: bytes | None = None, insecure: bool = False, where: str = "certificate-authority"
) -> ssl.SSLContext:
    """Return a client ``SSLContext`` that verifies servers against *ca_pem*.

    Without *ca_pem* it trusts the system's store (through ``truststore``); with *insecure* it verifies nothing
    (kubeconfig ``insecure-skip-tls-verify``). Errors name *where*.
    """
    if insecure:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if ca_pem is None:
        # The operating system's trust store, as kubectl (Go) uses, not certifi's bundle.
        import truststore

        return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # PROTOCOL_TLS_CLIENT checks the certificate and host name. Only the given CA is
    # trusted, as in kubectl; partial chains let that CA be an intermediate, as Go allows.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    try:
        context.load_verify_locations(cadata=ca_pem.decode("ascii"))
    except (UnicodeDecodeError, ssl.SSLError):
        raise ConfigError(f"{where}: not a PEM certificate") from None
    return context


def read_file(path: Path, where: str) -> bytes:
    """Return the bytes of *path*, raising ConfigError that names *where* if it cannot."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read {path}: {exc.strerror or exc}") from None


def display_path(path: StrPath) -> str:
    """Show *path* as the user knows it: ``~/.kube/config`` rather than ``/home/me/.kube/config``."""
    text = os.fspath(path)
    home = os.path.expanduser("~")
    if home not in ("~", os.sep) and text.startswith(home + os.sep):
        return "~" + text[len(home) :]
    return text
