"""Read kubeconfig files with kubectl's rules and turn one context into a ClusterConfig.

Rules kept from client-go's ``clientcmd``: several files merge with the first file to
define a cluster, user or context name winning (a name twice in one file is an error);
``current-context`` comes from the first file that sets it; relative paths are relative
to the directory of the file that holds them; ``*-data`` wins over the matching file path,
and ``token`` over ``tokenFile``; an exec plugin is only used when the user has no token,
password or client certificate.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar
from urllib.parse import quote, urlsplit

import httpx
import pydantic
from pydantic import BaseModel, ConfigDict, Field

from . import yamlio
from ._base_errors import ConfigError
from .auth import (
    EXEC_API_VERSIONS,
    BearerToken,
    ExecConfig,
    ExecCredentialAuth,
    TokenFile,
    load_client_certificate,
)
from .cluster import ClusterConfig, StrPath, display_path, make_ssl_context, read_file
from .proxy import check_proxy_url

__all__ = ["Kubeconfig", "read_kubeconfig"]

_log = logging.getLogger(__name__)

_EXEC_EXTENSION = "client.authentication.k8s.io/exec"


class _Model(BaseModel):
    # Unknown keys (preferences, extensions we do not use) are ignored, as kubectl does.
    model_config = ConfigDict(extra="ignore", frozen=True)


class _NamedExtension(_Model):
    name: str
    extension: Any = None


class _Cluster(_Model):
    server: str | None = None
    certificate_authority: str | None = Field(None, alias="certificate-authority")
    certificate_authority_data: str | None = Field(None, alias="certificate-authority-data")
    insecure_skip_tls_verify: bool | None = Field(None, alias="insecure-skip-tls-verify")
    tls_server_name: str | None = Field(None, alias="tls-server-name")
    proxy_url: str | None = Field(None, alias="proxy-url")
    extensions: list[_NamedExtension] | None = None


class _ExecEnvVar(_Model):
    name: str
    value: str


class _Exec(_Model):
    api_version: str | None = Field(None, alias="apiVersion")
    command: str | None = None
    args: list[str] | None = None
    env: list[_ExecEnvVar] | None = None
    install_hint: str | None = Field(None, alias="installHint")
    provide_cluster_info: bool | None = Field(None, alias="provideClusterInfo")
    interactive_mode: str | None = Field(None, alias="interactiveMode")


class _User(_Model):
    client_certificate: str | None = Field(None, alias="client-certificate")
    client_certificate_data: str | None = Field(None, alias="client-certificate-data")
    client_key: str | None = Field(None, alias="client-key")
    client_key_data: str | None = Field(None, alias="client-key-data", repr=False)
    token: str | None = Field(None, repr=False)
    token_file: str | None = Field(None, alias="tokenFile")
    username: str | None = None
    password: str | None = Field(None, repr=False)
    exec_: _Exec | None = Field(None, alias="exec", repr=False)
    auth_provider: dict[str, Any] | None = Field(None, alias="auth-provider", repr=False)
    # Impersonation: sent as Impersonate-* headers, as kubectl does.
    impersonate: str | None = Field(None, alias="as")
    impersonate_uid: str | None = Field(None, alias="as-uid")
    impersonate_groups: list[str] | None = Field(None, alias="as-groups")
    impersonate_extra: dict[str, list[str]] | None = Field(None, alias="as-user-extra")


class _Context(_Model):
    cluster: str | None = None
    user: str | None = None
    namespace: str | None = None


class _NamedCluster(_Model):
    name: str
    cluster: _Cluster | None = None


class _NamedUser(_Model):
    name: str
    user: _User | None = None


class _NamedContext(_Model):
    name: str
    context: _Context | None = None


class _File(_Model):
    clusters: list[_NamedCluster] | None = None
    users: list[_NamedUser] | None = None
    contexts: list[_NamedContext] | None = None
    current_context: str | None = Field(None, alias="current-context")


_T = TypeVar("_T")


@dataclass(frozen=True)
class _Entry(Generic[_T]):
    value: _T = field(repr=False)
    file: Path

    @property
    def base(self) -> Path:
        # Relative paths are relative to the directory of the file the entry came from.
        return self.file.parent


class Kubeconfig:
    """One or more kubeconfig files merged with kubectl's rules; see ``read_kubeconfig``."""

    def __init__(self) -> None:
        self.files: tuple[Path, ...] = ()
        """The files that were read, in order."""
        self.current_context: str | None = None
        self._current_context_file: Path | None = None
        self._clusters: dict[str, _Entry[_Cluster | None]] = {}
        self._users: dict[str, _Entry[_User | None]] = {}
        self._contexts: dict[str, _Entry[_Context | None]] = {}

    def context_names(self) -> list[str]:
        """Return the names of all contexts, in the order they were found."""
        return list(self._contexts)

    def cluster_config(self, context: str | None = None) -> ClusterConfig:
        """Build the ClusterConfig of *context* (default: ``current-context``)."""
        name = context if context is not None else self.current_context
        if not name:
            raise ConfigError(f"{self._names()}: no current-context set; pass context=")
        entry = self._contexts.get(name)
        if entry is None:
            if context is None and self._current_context_file is not None:
                where = f"{display_path(self._current_context_file)}: current-context"
            else:
                where = self._names()
            known = ", ".join(repr(known) for known in self._contexts) or "none"
            raise ConfigError(f"{where}: no context named {name!r} (contexts: {known})")
        ctx = entry.value or _Context()
        where = f"{display_path(entry.file)}: contexts[{name}].context"
        if not ctx.cluster:
            raise ConfigError(f"{where}.cluster: not set")
        cluster = self._clusters.get(ctx.cluster)
        if cluster is None:
            raise ConfigError(f"{where}.cluster: no cluster named {ctx.cluster!r}")
        user = None
        if ctx.user:
            user = self._users.get(ctx.user)
            if user is None:
                raise ConfigError(f"{where}.user: no user named {ctx.user!r}")
        return _build(
            context_name=name,
            namespace=ctx.namespace or "default",
            cluster_name=ctx.cluster,
            cluster=cluster,
            user_name=ctx.user,
            user=user,
        )

    def _names(self) -> str:
        return ", ".join(display_path(path) for path in self.files) or "kubeconfig"

    def __repr__(self) -> str:
        files = [display_path(path) for path in self.files]
        return f"Kubeconfig(files={files!r}, current_context={self.current_context!r})"


def read_kubeconfig(
    paths: StrPath | Sequence[StrPath], *, ignore_missing: bool = False
) -> Kubeconfig:
    """Read and merge kubeconfig files (first file to define a name wins).

    A missing file raises ConfigError unless *ignore_missing* (kubectl's treatment of
    the ``KUBECONFIG`` list). Parsing errors name the file and the key path.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    merged = Kubeconfig()
    read: list[Path] = []
    # Absolute now, so that relative paths inside resolve the same after a chdir.
    for path in dict.fromkeys(Path(os.path.abspath(os.path.expanduser(p))) for p in paths):
        try:
            text = path.read_bytes()
        except FileNotFoundError:
            if ignore_missing:
                continue
            raise ConfigError(f"{display_path(path)}: kubeconfig file not found") from None
        except OSError as exc:
            raise ConfigError(f"{display_path(path)}: cannot read: {exc.strerror or exc}") from None
        read.append(path)
        _merge(merged, _parse(text, path), path)
    merged.files = tuple(read)
    return merged


def _parse(text: bytes, path: Path) -> _File:
    where = display_path(path)
    # Errors are raised outside the ``except`` blocks: the parser's exception quotes the
    # offending line (which may hold a secret) and must not ride along as ``__context__``.
    error: ConfigError | None = None
    try:
        raw = yamlio.load(text)  # as kubectl reads it (sigs.k8s.io/yaml), one shared place
    except yamlio.YAMLError as exc:
        position = f" ({exc.where})" if exc.where else ""
        error = ConfigError(f"{where}: invalid YAML{position}: {exc.reason}")
    if error is not None:
        raise error
    if raw is None:
        return _File()
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: not a kubeconfig (expected a mapping at the top level)")
    try:
        return _File.model_validate(raw)
    except pydantic.ValidationError as exc:
        # Only locations and messages: pydantic's own text quotes the input values.
        problems = [f"{where}: {_key_path(e['loc'], raw)}: {e['msg']}" for e in exc.errors()]
        error = ConfigError("\n".join(problems))
    raise error


def _key_path(loc: tuple[int | str, ...], raw: Any) -> str:
    """Turn pydantic's ('users', 0, 'user', 'token') into 'users[admin].user.token'."""
    text, node = "", raw
    for part in loc:
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and part < len(node) else None
            name = item.get("name") if isinstance(item, dict) else None
            text += f"[{name}]" if isinstance(name, str) and name else f"[{part}]"
            node = item
        else:
            text += f".{part}" if text else part
            node = node.get(part) if isinstance(node, dict) else None
    return text


def _merge(merged: Kubeconfig, parsed: _File, path: Path) -> None:
    if merged.current_context is None and parsed.current_context:
        merged.current_context = parsed.current_context
        merged._current_context_file = path
    # setdefault lets an earlier file win over a later one.
    for key, target, named in (
        ("clusters", merged._clusters, [(c.name, c.cluster) for c in parsed.clusters or ()]),
        ("users", merged._users, [(u.name, u.user) for u in parsed.users or ()]),
        ("contexts", merged._contexts, [(c.name, c.context) for c in parsed.contexts or ()]),
    ):
        seen: set[str] = set()
        for name, value in named:
            if name in seen:
                # client-go refuses a name twice in one file rather than picking one.
                raise ConfigError(f"{display_path(path)}: {key}[{name}]: duplicate name")
            seen.add(name)
            target.setdefault(name, _Entry(value, path))  # type: ignore[arg-type]


def _build(
    *,
    context_name: str,
    namespace: str,
    cluster_name: str,
    cluster: _Entry[_Cluster | None],
    user_name: str | None,
    user: _Entry[_User | None] | None,
) -> ClusterConfig:
    c = cluster.value or _Cluster()
    cw = f"{display_path(cluster.file)}: clusters[{cluster_name}].cluster"
    ca_key = (
        "certificate-authority-data" if c.certificate_authority_data else "certificate-authority"
    )
    insecure = bool(c.insecure_skip_tls_verify)
    if insecure and (c.certificate_authority_data or c.certificate_authority):
        # client-go refuses this combination rather than guess which one was meant.
        raise ConfigError(f"{cw}: insecure-skip-tls-verify cannot be combined with {ca_key}")
    ca_pem = _data_or_file(
        c.certificate_authority_data, c.certificate_authority, cluster, f"{cw}.{ca_key}"
    )

    u = (user.value if user else None) or _User()
    uw = f"{display_path(user.file)}: users[{user_name}].user" if user else "users[]"
    headers = _impersonation_headers(u, uw)
    if u.auth_provider is not None:
        raise ConfigError(
            f"{uw}.auth-provider: auth provider {u.auth_provider.get('name')!r} is not supported; "
            "use an exec credential plugin instead (e.g. kubelogin, gke-gcloud-auth-plugin)"
        )
    cert_key = "client-certificate-data" if u.client_certificate_data else "client-certificate"
    key_key = "client-key-data" if u.client_key_data else "client-key"
    cert_pem = _data_or_file(
        u.client_certificate_data, u.client_certificate, user, f"{uw}.{cert_key}"
    )
    key_pem = _data_or_file(u.client_key_data, u.client_key, user, f"{uw}.{key_key}")
    if (cert_pem is None) != (key_pem is None):
        missing = "client-key" if key_pem is None else "client-certificate"
        raise ConfigError(f"{uw}.{missing}: not set, but the other half of the pair is")

    tls_wanted = ca_pem is not None or cert_pem is not None or insecure or bool(c.tls_server_name)
    server = _server_url(c.server, tls_wanted, f"{cw}.server")
    ssl_context = None
    if server.startswith("https://"):
        ssl_context = make_ssl_context(ca_pem=ca_pem, insecure=insecure, where=f"{cw}.{ca_key}")
        if cert_pem is not None and key_pem is not None:
            load_client_certificate(
                ssl_context, cert_pem, key_pem, where=uw, cert_key=cert_key, key_key=key_key
            )

    auth: httpx.Auth | None = None
    if user is not None:
        exec_cluster = _exec_cluster_info(c, server, ca_pem)
        auth = _auth(
            u,
            user,
            uw,
            has_cert=cert_pem is not None,
            exec_cluster=exec_cluster,
            ssl_context=ssl_context,
        )
    return ClusterConfig(
        server=server,
        namespace=namespace,
        context_name=context_name,
        ssl_context=ssl_context,
        auth=auth,
        proxy=check_proxy_url(c.proxy_url, f"{cw}.proxy-url") if c.proxy_url else None,
        tls_server_name=c.tls_server_name or None,
        headers=headers,
    )


def _impersonation_headers(u: _User, uw: str) -> tuple[tuple[str, str], ...]:
    """kubectl's ``--as``/``--as-group``/``--as-uid`` from the kubeconfig, as headers."""
    if not u.impersonate:
        for key, value in (
            ("as-uid", u.impersonate_uid),
            ("as-groups", u.impersonate_groups),
            ("as-user-extra", u.impersonate_extra),
        ):
            if value:
                # client-go refuses these without a user to impersonate.
                raise ConfigError(f"{uw}.{key}: needs `as` (the user to impersonate)")
        return ()
    headers = [("Impersonate-User", u.impersonate)]
    if u.impersonate_uid:
        headers.append(("Impersonate-Uid", u.impersonate_uid))
    headers += [("Impersonate-Group", group) for group in u.impersonate_groups or ()]
    for key, values in sorted((u.impersonate_extra or {}).items()):
        # The header name carries the key, percent-encoded as client-go does.
        name = "Impersonate-Extra-" + quote(key, safe="")
        headers += [(name, value) for value in values]
    return tuple(headers)


def _auth(
    u: _User,
    user: _Entry[Any],
    uw: str,
    *,
    has_cert: bool,
    exec_cluster: dict[str, Any],
    ssl_context: ssl.SSLContext | None,
) -> httpx.Auth | None:
    if (u.token or u.token_file) and (u.username or u.password):
        raise ConfigError(f"{uw}: username/password cannot be combined with token or tokenFile")
    if u.token:
        return BearerToken(u.token)
    if u.token_file:
        token_file = TokenFile(_resolve(u.token_file, user), where=f"{uw}.tokenFile")
        token_file.current_token()  # a missing file is a config error now, not at the first request
        return token_file
    if u.username or u.password:
        return httpx.BasicAuth(u.username or "", u.password or "")
    if u.exec_ is None:
        return None
    if has_cert:
        _log.debug("%s: exec ignored, the client certificate is used instead", uw)
        return None
    cluster = exec_cluster if u.exec_.provide_cluster_info else None
    return ExecCredentialAuth(
        _exec_config(u.exec_, user, f"{uw}.exec", cluster), ssl_context=ssl_context
    )


def _data_or_file(
    data: str | None, file: str | None, entry: _Entry[Any] | None, where: str
) -> bytes | None:
    if data:
        try:
            # Go's decoder skips newlines, and YAML folding can leave some in.
            return base64.b64decode("".join(data.split()), validate=True)
        except (binascii.Error, ValueError):
            pass  # raised below, without the decoder's error (and its input) as context
        raise ConfigError(f"{where}: invalid base64")
    if file and entry is not None:
        return read_file(_resolve(file, entry), where)
    return None


def _resolve(path: str, entry: _Entry[Any]) -> Path:
    return entry.base / path  # an absolute *path* replaces the base


def _server_url(server: str | None, tls_wanted: bool, where: str) -> str:
    if not server:
        raise ConfigError(f"{where}: not set")
    if "://" not in server:
        # client-go's rule for a bare host:port: https when any TLS setting is present.
        server = ("https://" if tls_wanted else "http://") + server
    parts = urlsplit(server)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{where}: not an http:// or https:// URL")
    return server


def _exec_cluster_info(c: _Cluster, server: str, ca_pem: bytes | None) -> dict[str, Any]:
    # The ExecCredential spec.cluster object; client-go omits the empty fields.
    info: dict[str, Any] = {"server": server}
    if c.tls_server_name:
        info["tls-server-name"] = c.tls_server_name
    if c.insecure_skip_tls_verify:
        info["insecure-skip-tls-verify"] = True
    if ca_pem is not None:
        info["certificate-authority-data"] = base64.b64encode(ca_pem).decode("ascii")
    if c.proxy_url:
        info["proxy-url"] = c.proxy_url
    for extension in c.extensions or ():
        if extension.name == _EXEC_EXTENSION and extension.extension is not None:
            info["config"] = extension.extension
    return info


def _exec_config(
    spec: _Exec, user: _Entry[Any], where: str, cluster_info: dict[str, Any] | None
) -> ExecConfig:
    if not spec.command:
        raise ConfigError(f"{where}.command: not set")
    api_version = spec.api_version or ""
    if api_version not in EXEC_API_VERSIONS:
        raise ConfigError(
            f"{where}.apiVersion: {spec.api_version!r} is not supported "
            f"(use {' or '.join(EXEC_API_VERSIONS)})"
        )
    mode = spec.interactive_mode or "IfAvailable"
    if mode not in ("Never", "IfAvailable", "Always"):
        raise ConfigError(f"{where}.interactiveMode: {mode!r} is not Never, IfAvailable or Always")
    command = spec.command
    if os.sep in command or (os.altsep and os.altsep in command):
        # A command with a path is relative to the kubeconfig; a bare name is looked up in PATH.
        command = str(_resolve(command, user))
    return ExecConfig(
        command=command,
        api_version=api_version,
        args=tuple(spec.args or ()),
        env=tuple((var.name, var.value) for var in spec.env or ()),
        install_hint=spec.install_hint,
        interactive_mode=mode,
        cluster=cluster_info,
        where=where,
    )
