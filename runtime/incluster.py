"""The in-cluster ClusterConfig: a pod's service account, as client-go's InClusterConfig."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

from ._base_errors import ConfigError
from .auth import TokenFile
from .cluster import ClusterConfig, StrPath, make_ssl_context, read_file

__all__ = [
    "SERVICE_ACCOUNT_DIR",
    "TOKEN_MAX_AGE",
    "incluster_unavailable_reason",
    "load_incluster_config",
]

_log = logging.getLogger(__name__)

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
"""Where the kubelet mounts ``token``, ``ca.crt`` and ``namespace``."""

TOKEN_MAX_AGE = 60.0
"""Seconds before the token is re-read even if the file looks unchanged (client-go's period)."""


def incluster_unavailable_reason(
    *, service_account_dir: StrPath | None = None, environ: Mapping[str, str] | None = None
) -> str | None:
    """Return why the in-cluster config cannot be used here, or None if it can."""
    env = os.environ if environ is None else environ
    if not env.get("KUBERNETES_SERVICE_HOST") or not env.get("KUBERNETES_SERVICE_PORT"):
        return "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set"
    token = _directory(service_account_dir) / "token"
    if not token.is_file():
        return f"{token} does not exist"
    return None


def load_incluster_config(
    *, service_account_dir: StrPath | None = None, environ: Mapping[str, str] | None = None
) -> ClusterConfig:
    """Build the ClusterConfig of the pod's service account.

    The server comes from ``KUBERNETES_SERVICE_HOST``/``_PORT``; the token, CA and
    namespace from *service_account_dir* (default ``SERVICE_ACCOUNT_DIR``). The token is
    re-read when the file changes, every ``TOKEN_MAX_AGE`` seconds, and after a 401.
    """
    env = os.environ if environ is None else environ
    reason = incluster_unavailable_reason(service_account_dir=service_account_dir, environ=env)
    if reason is not None:
        raise ConfigError(f"not running inside a cluster: {reason}")
    directory = _directory(service_account_dir)
    host, port = env["KUBERNETES_SERVICE_HOST"], env["KUBERNETES_SERVICE_PORT"]
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address

    auth = TokenFile(directory / "token", max_age=TOKEN_MAX_AGE, where="in-cluster")
    auth.current_token()  # fail here, not at the first request, if it cannot be read

    ca_file = directory / "ca.crt"
    if ca_file.is_file():
        ca_where = str(ca_file)
        ssl_context = make_ssl_context(ca_pem=read_file(ca_file, ca_where), where=ca_where)
    else:
        # client-go logs this and carries on with the system roots; so do we.
        _log.warning("%s does not exist; verifying the API server with the default CAs", ca_file)
        ssl_context = make_ssl_context()

    return ClusterConfig(
        server=f"https://{host}:{port}",
        namespace=_namespace(directory, env),
        ssl_context=ssl_context,
        auth=auth,
    )


def _directory(service_account_dir: StrPath | None) -> Path:
    # Looked up at call time so tests can point SERVICE_ACCOUNT_DIR elsewhere.
    return Path(service_account_dir) if service_account_dir is not None else SERVICE_ACCOUNT_DIR


def _namespace(directory: Path, env: Mapping[str, str]) -> str:
    # POD_NAMESPACE first, as kubectl's in-cluster loader does.
    if env.get("POD_NAMESPACE"):
        return env["POD_NAMESPACE"]
    try:
        return (directory / "namespace").read_text(encoding="utf-8").strip() or "default"
    except OSError:
        return "default"
