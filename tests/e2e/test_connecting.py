"""Kubeconfig rules proven against a real kube-apiserver: how the client finds, trusts and
authenticates to the server.

Each test writes its own kubeconfig into ``tmp_path`` from the session server's data (its
URL, CA, admin client certificate and static tokens), and asks the server who it thinks the
caller is (a ``SelfSubjectReview``), so a test fails if the wrong credentials were sent.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import ssl
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from _support import run, unique
from kubetyped import AsyncClient, Client, RetryPolicy
from kubetyped.errors import ApiError, Forbidden, TransportError, Unauthorized
from kubetyped.k8s.authentication.v1 import (
    AsyncSelfSubjectReviews,
    SelfSubjectReview,
    SelfSubjectReviews,
)
from kubetyped.k8s.core import v1 as core_v1
from kubetyped.k8s.meta.v1 import ObjectMeta

pytestmark = pytest.mark.e2e

ADMIN = "kubetyped-admin"
UNPRIVILEGED = "kubetyped-unprivileged"


class Conn:
    """A client of one flavour built from a kubeconfig (``None``: ``$KUBECONFIG``)."""

    def __init__(self, mode: str, kubeconfig: Path | None = None, **kwargs: Any) -> None:
        self.mode = mode
        cls = Client if mode == "sync" else AsyncClient
        self.client: Client | AsyncClient = cls(kubeconfig=kubeconfig, **kwargs)

    def bind(self, sync_cls: Any, async_cls: Any) -> Any:
        return sync_cls(self.client) if self.mode == "sync" else async_cls(self.client)

    async def whoami(self) -> Any:
        """The server's idea of the caller (``UserInfo``)."""
        reviews = self.bind(SelfSubjectReviews, AsyncSelfSubjectReviews)
        review = await run(reviews.create(SelfSubjectReview()))
        return review.status.user_info

    async def namespace_names(self) -> list[str]:
        namespaces = self.bind(core_v1.Namespaces, core_v1.AsyncNamespaces)
        return [n.metadata.name for n in (await run(namespaces.list())).items]

    @property
    def configmaps(self) -> Any:
        return self.bind(core_v1.ConfigMaps, core_v1.AsyncConfigMaps)

    async def close(self) -> None:
        await run(self.client.close() if isinstance(self.client, Client) else self.client.aclose())


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def connect(mode: str) -> AsyncIterator[Any]:
    """``connect(kubeconfig, **client_kwargs)``: a :class:`Conn`, closed after the test."""
    made: list[Conn] = []

    def make(kubeconfig: Path | None = None, **kwargs: Any) -> Conn:
        conn = Conn(mode, kubeconfig, **kwargs)
        made.append(conn)
        return conn

    yield make
    for conn in made:
        await conn.close()


@pytest.fixture(scope="module")
def server(apiserver: Any) -> dict[str, Any]:
    """The session server's connection data, read from its kubeconfig like a user would."""
    config = yaml.safe_load(Path(apiserver.kubeconfig_path).read_text())
    (cluster,) = config["clusters"]
    users = {u["name"]: u["user"] for u in config["users"]}
    return {
        "url": apiserver.url,
        "ca_data": cluster["cluster"]["certificate-authority-data"],
        "cert_data": users["admin"]["client-certificate-data"],
        "key_data": users["admin"]["client-key-data"],
        "admin_token": apiserver.admin_token,
        "unprivileged_token": apiserver.unprivileged_token,
    }


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA that did not sign the server's certificate."""
    d = tmp_path_factory.mktemp("other-ca")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "1", "-subj", "/CN=not-the-cluster-ca", "-keyout", "ca.key", "-out", "ca.crt"],
        cwd=d, check=True, capture_output=True,
    )  # fmt: skip
    return d / "ca.crt"


def write_kubeconfig(
    path: Path,
    *,
    cluster: dict[str, Any] | None = None,
    user: dict[str, Any] | None = None,
    namespace: str | None = None,
    clusters: list[dict[str, Any]] | None = None,
    users: list[dict[str, Any]] | None = None,
    contexts: list[dict[str, Any]] | None = None,
    current_context: str | None = "e2e",
) -> Path:
    """Write a kubeconfig: one cluster/user/context (``e2e``), or the lists given."""
    context: dict[str, Any] = {"cluster": "e2e", "user": "e2e"}
    if namespace is not None:
        context["namespace"] = namespace
    config: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": clusters if clusters is not None else [{"name": "e2e", "cluster": cluster}],
        "users": users if users is not None else [{"name": "e2e", "user": user}],
        "contexts": contexts if contexts is not None else [{"name": "e2e", "context": context}],
    }
    if current_context is not None:
        config["current-context"] = current_context
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def trusted(server: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"server": server["url"], "certificate-authority-data": server["ca_data"], **extra}


def no_retries() -> RetryPolicy:
    # Keeps these tests independent of the retry rules (test_wrong_ca_fails_without_retrying
    # checks those): a failure surfaces at once.
    return RetryPolicy(max_retries=0)


def secrets_in(exc: BaseException, server: dict[str, Any]) -> list[str]:
    """The credentials that appear in the messages of ``exc`` or of its causes."""
    secrets = [
        server["admin_token"],
        server["unprivileged_token"],
        base64.b64decode(server["key_data"]).decode(),
        server["key_data"],
    ]
    texts = [f"{e} {e!r}" for e in chain(exc)]
    return [s for s in secrets if any(s in t for t in texts)]


def chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and its causes."""
    found: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


def rewrite(path: Path, text: str) -> None:
    # A pause first, so the new mtime differs even on a kernel with coarse file timestamps
    # (both tokens have the same length, and an in-place write keeps the inode).
    time.sleep(0.02)
    path.write_text(text)


# ------------------------------------------------------------------------- tokenFile


async def test_token_file_is_reread_when_rewritten(
    tmp_path: Path, server: dict[str, Any], apiserver: Any, connect: Any
) -> None:
    token = tmp_path / "secrets" / "token"
    token.parent.mkdir()
    token.write_text(server["unprivileged_token"] + "\n")
    # A relative tokenFile is relative to the kubeconfig; the CA is a file, by absolute path.
    kubeconfig = write_kubeconfig(
        tmp_path / "kubeconfig",
        cluster={"server": server["url"], "certificate-authority": str(apiserver.ca_path)},
        user={"tokenFile": "secrets/token"},
    )
    conn = connect(kubeconfig)
    assert (await conn.whoami()).username == UNPRIVILEGED
    with pytest.raises(Forbidden) as denied:
        await conn.namespace_names()
    assert denied.value.code == 403
    assert f'User "{UNPRIVILEGED}" cannot list resource "namespaces"' in denied.value.message

    rewrite(token, server["admin_token"] + "\n")  # in place, same client
    assert (await conn.whoami()).username == ADMIN
    assert "default" in await conn.namespace_names()

    # A token the server does not know: 401, the file is re-read, still the same: Unauthorized.
    bogus = "0" * len(server["admin_token"])
    rewrite(token, bogus)
    with pytest.raises(Unauthorized) as rejected:
        await conn.namespace_names()
    assert rejected.value.code == 401 and bogus not in str(rejected.value)

    # Replaced by a new file (how kubelet rotates projected tokens): followed too.
    fresh = tmp_path / "secrets" / "token.new"
    fresh.write_text(server["admin_token"])
    os.replace(fresh, token)
    assert (await conn.whoami()).username == ADMIN


# ----------------------------------------------------------------------- exec plugin

PLUGIN = """\
#!{python}
# An exec credential plugin for the tests: argv[1] counts the runs, argv[2] is the
# expirationTimestamp; $E2E_TOKENS lists the token of each run (the last one repeats).
import json, os, pathlib, sys

state = pathlib.Path(sys.argv[1])
runs = int(state.read_text()) + 1 if state.exists() else 1
state.write_text(str(runs))
pathlib.Path(sys.argv[1] + ".info").write_text(os.environ.get("KUBERNETES_EXEC_INFO", ""))
tokens = os.environ["E2E_TOKENS"].split(",")
print(json.dumps({{
    "apiVersion": "client.authentication.k8s.io/v1",
    "kind": "ExecCredential",
    "status": {{"token": tokens[min(runs, len(tokens)) - 1], "expirationTimestamp": sys.argv[2]}},
}}))
"""


def exec_kubeconfig(
    tmp_path: Path, server: dict[str, Any], tokens: list[str], expires: datetime
) -> tuple[Path, Path]:
    """A kubeconfig whose user is the plugin above; returns it and the run-count file."""
    plugin = tmp_path / "bin" / "e2e-credentials"
    plugin.parent.mkdir()
    plugin.write_text(PLUGIN.format(python=sys.executable))
    plugin.chmod(0o755)
    runs = tmp_path / "runs"
    kubeconfig = write_kubeconfig(
        tmp_path / "kubeconfig",
        cluster=trusted(server),
        user={
            "exec": {
                "apiVersion": "client.authentication.k8s.io/v1",
                "command": "./bin/e2e-credentials",  # has a path: relative to the kubeconfig
                "args": [str(runs), expires.strftime("%Y-%m-%dT%H:%M:%SZ")],
                "env": [{"name": "E2E_TOKENS", "value": ",".join(tokens)}],
                "provideClusterInfo": True,
                "interactiveMode": "Never",
            }
        },
    )
    return kubeconfig, runs


def run_count(runs: Path) -> int:
    return int(runs.read_text()) if runs.exists() else 0


async def test_exec_plugin_is_cached_and_rerun_after_401(
    tmp_path: Path, server: dict[str, Any], connect: Any
) -> None:
    in_an_hour = datetime.now(timezone.utc) + timedelta(hours=1)
    bogus = "f" * 48
    kubeconfig, runs = exec_kubeconfig(tmp_path, server, [bogus, server["admin_token"]], in_an_hour)
    conn = connect(kubeconfig)
    assert run_count(runs) == 0  # nothing runs before the first request

    # Run 1 gives a token the server rejects (401); run 2's token is accepted and the
    # request is sent again with it.
    assert (await conn.whoami()).username == ADMIN
    assert run_count(runs) == 2

    # Cached until it expires (in an hour) or is rejected.
    assert "default" in await conn.namespace_names()
    assert (await conn.whoami()).username == ADMIN
    assert run_count(runs) == 2

    info = json.loads(Path(f"{runs}.info").read_text())
    assert (
        info["apiVersion"] == "client.authentication.k8s.io/v1" and info["kind"] == "ExecCredential"
    )
    assert info["spec"]["interactive"] is False
    assert info["spec"]["cluster"]["server"] == server["url"]
    assert info["spec"]["cluster"]["certificate-authority-data"] == server["ca_data"]


async def test_exec_plugin_rejected_twice_is_unauthorized(
    tmp_path: Path, server: dict[str, Any], connect: Any
) -> None:
    in_an_hour = datetime.now(timezone.utc) + timedelta(hours=1)
    kubeconfig, runs = exec_kubeconfig(tmp_path, server, ["a" * 48, "b" * 48], in_an_hour)
    conn = connect(kubeconfig)
    with pytest.raises(Unauthorized) as info:
        await conn.namespace_names()
    assert info.value.code == 401
    assert run_count(runs) == 2  # one fresh credential per rejection, no loop
    assert "a" * 48 not in str(info.value) and "b" * 48 not in str(info.value)


async def test_exec_plugin_expired_credential_is_not_reused(
    tmp_path: Path, server: dict[str, Any], connect: Any
) -> None:
    long_ago = datetime(2000, 1, 1, tzinfo=timezone.utc)
    kubeconfig, runs = exec_kubeconfig(tmp_path, server, [server["admin_token"]], long_ago)
    conn = connect(kubeconfig)
    for expected in (1, 2, 3):
        assert (await conn.whoami()).username == ADMIN
        assert run_count(runs) == expected


async def test_exec_plugin_client_certificate(
    tmp_path: Path, server: dict[str, Any], connect: Any
) -> None:
    credential = tmp_path / "credential.json"
    credential.write_text(
        json.dumps(
            {
                "apiVersion": "client.authentication.k8s.io/v1",
                "kind": "ExecCredential",
                "status": {
                    "clientCertificateData": base64.b64decode(server["cert_data"]).decode(),
                    "clientKeyData": base64.b64decode(server["key_data"]).decode(),
                },
            }
        )
    )
    plugin = tmp_path / "cert-plugin"
    plugin.write_text(
        f"#!{sys.executable}\nimport sys\nsys.stdout.write(open(sys.argv[1]).read())\n"
    )
    plugin.chmod(0o755)
    kubeconfig = write_kubeconfig(
        tmp_path / "kubeconfig",
        cluster=trusted(server),
        user={
            "exec": {
                "apiVersion": "client.authentication.k8s.io/v1",
                "command": str(plugin),
                "args": [str(credential)],
                "interactiveMode": "Never",
            }
        },
    )
    # The certificate the plugin printed is presented in the TLS handshake.
    user = await connect(kubeconfig).whoami()
    assert user.username == ADMIN and "system:masters" in user.groups


# ------------------------------------------------------------------ certificates, TLS


async def test_client_certificate_and_ca_from_files(
    tmp_path: Path,
    apiserver: Any,
    server: dict[str, Any],
    connect: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pki = tmp_path / "pki"
    pki.mkdir()
    shutil.copy(apiserver.client_cert_path, pki / "admin.crt")
    shutil.copy(apiserver.client_key_path, pki / "admin.key")
    shutil.copy(apiserver.ca_path, pki / "ca.crt")
    # Relative paths are relative to the kubeconfig, wherever the process runs.
    relative = write_kubeconfig(
        tmp_path / "kubeconfig",
        cluster={"server": server["url"], "certificate-authority": "pki/ca.crt"},
        user={"client-certificate": "pki/admin.crt", "client-key": "pki/admin.key"},
    )
    absolute = write_kubeconfig(
        tmp_path / "elsewhere" / "kubeconfig",
        cluster={"server": server["url"], "certificate-authority": str(apiserver.ca_path)},
        user={
            "client-certificate": str(apiserver.client_cert_path),
            "client-key": str(apiserver.client_key_path),
        },
    )
    monkeypatch.chdir(tmp_path / "elsewhere")
    for kubeconfig in (relative, absolute):
        user = await connect(kubeconfig).whoami()
        assert user.username == ADMIN  # the certificate's CN
        assert "system:masters" in user.groups  # its O


async def test_wrong_ca_is_a_transport_error_without_secrets(
    tmp_path: Path, other_ca: Path, server: dict[str, Any], connect: Any
) -> None:
    for user in (
        {"token": server["admin_token"]},
        {"client-certificate-data": server["cert_data"], "client-key-data": server["key_data"]},
    ):
        kubeconfig = write_kubeconfig(
            tmp_path / "kubeconfig",
            cluster={"server": server["url"], "certificate-authority": str(other_ca)},
            user=user,
        )
        conn = connect(kubeconfig, retry=no_retries())
        with pytest.raises(TransportError) as info:
            await conn.namespace_names()
        assert not isinstance(info.value, ApiError)
        assert isinstance(info.value.__cause__, httpx.ConnectError)
        assert any(isinstance(e, ssl.SSLCertVerificationError) for e in chain(info.value))
        assert "CERTIFICATE_VERIFY_FAILED" in str(info.value)
        assert str(info.value).startswith(f"GET {server['url']}/api/v1/namespaces")
        assert secrets_in(info.value, server) == []


async def test_wrong_ca_fails_without_retrying(
    tmp_path: Path, other_ca: Path, server: dict[str, Any], connect: Any
) -> None:
    waits: list[float] = []

    async def async_wait(seconds: float) -> None:
        waits.append(seconds)

    kubeconfig = write_kubeconfig(
        tmp_path / "kubeconfig",
        cluster={"server": server["url"], "certificate-authority": str(other_ca)},
        user={"token": server["admin_token"]},
    )
    # The default policy, but its waits recorded instead of slept.
    conn = connect(kubeconfig, retry=RetryPolicy(sleep=waits.append, async_sleep=async_wait))
    with pytest.raises(TransportError):
        await conn.namespace_names()
    assert waits == []


async def test_insecure_skip_tls_verify(
    tmp_path: Path, server: dict[str, Any], connect: Any
) -> None:
    insecure = write_kubeconfig(
        tmp_path / "insecure",
        cluster={"server": server["url"], "insecure-skip-tls-verify": True},
        user={"token": server["admin_token"]},
    )
    assert (await connect(insecure).whoami()).username == ADMIN
    # The same without the flag: the system trust store does not know the test CA.
    verifying = write_kubeconfig(
        tmp_path / "verifying",
        cluster={"server": server["url"]},
        user={"token": server["admin_token"]},
    )
    with pytest.raises(TransportError) as info:
        await connect(verifying, retry=no_retries()).whoami()
    assert "CERTIFICATE_VERIFY_FAILED" in str(info.value)


async def test_tls_server_name(tmp_path: Path, server: dict[str, Any], connect: Any) -> None:
    assert server["url"].startswith("https://127.0.0.1:")
    # The serving certificate has both 127.0.0.1 and localhost (and the in-cluster names).
    for name in ("localhost", "kubernetes.default.svc"):
        kubeconfig = write_kubeconfig(
            tmp_path / name,
            cluster=trusted(server, **{"tls-server-name": name}),
            user={"token": server["admin_token"]},
        )
        assert (await connect(kubeconfig).whoami()).username == ADMIN
    # A name the certificate lacks fails, so the setting really is what the certificate is checked against.
    kubeconfig = write_kubeconfig(
        tmp_path / "wrong",
        cluster=trusted(server, **{"tls-server-name": "not-in-cert.invalid"}),
        user={"token": server["admin_token"]},
    )
    with pytest.raises(TransportError) as info:
        await connect(kubeconfig, retry=no_retries()).whoami()
    assert "not-in-cert.invalid" in str(info.value) and "CERTIFICATE_VERIFY_FAILED" in str(
        info.value
    )


# ----------------------------------------------------------- merging, context namespace


async def test_merged_kubeconfig_from_env(
    tmp_path: Path, server: dict[str, Any], connect: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = write_kubeconfig(
        tmp_path / "first",
        clusters=[{"name": "shared", "cluster": trusted(server)}],
        users=[{"name": "me", "user": {"token": server["admin_token"]}}],
        contexts=[
            {"name": "ctx-a", "context": {"cluster": "shared", "user": "me", "namespace": "ns-a"}}
        ],
        current_context=None,  # the first file sets none: the second file's counts
    )
    second = write_kubeconfig(
        tmp_path / "second",
        # Same names as the first file, pointing elsewhere: the first file's must win.
        clusters=[
            {
                "name": "shared",
                "cluster": {"server": "https://127.0.0.1:1", "insecure-skip-tls-verify": True},
            }
        ],
        users=[
            {"name": "me", "user": {"token": server["unprivileged_token"]}},
            {"name": "other", "user": {"token": server["unprivileged_token"]}},
        ],
        contexts=[
            {"name": "ctx-b", "context": {"cluster": "shared", "user": "me", "namespace": "ns-b"}},
            {
                "name": "ctx-a",
                "context": {"cluster": "shared", "user": "other", "namespace": "from-second"},
            },
        ],
        current_context="ctx-b",
    )
    missing = tmp_path / "missing"  # skipped, as kubectl does
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join(map(str, (first, missing, second))))

    conn = connect(retry=no_retries())  # no kubeconfig argument: $KUBECONFIG
    assert conn.client.config.context_name == "ctx-b"  # from the second file, the first to set one
    assert conn.client.namespace == "ns-b"
    # Cluster "shared" and user "me" of the first file: the real server, as admin.
    assert (await conn.whoami()).username == ADMIN

    duplicate = connect(context="ctx-a", retry=no_retries())
    assert duplicate.client.namespace == "ns-a"  # the first file's ctx-a
    assert (await duplicate.whoami()).username == ADMIN

    # Once the first file sets a current-context, it wins.
    write_kubeconfig(
        first,
        clusters=[{"name": "shared", "cluster": trusted(server)}],
        users=[{"name": "me", "user": {"token": server["admin_token"]}}],
        contexts=[
            {"name": "ctx-a", "context": {"cluster": "shared", "user": "me", "namespace": "ns-a"}}
        ],
        current_context="ctx-a",
    )
    assert connect(retry=no_retries()).client.namespace == "ns-a"


@pytest.fixture
def admin(kubeconfig: Path) -> Any:
    with Client(kubeconfig=kubeconfig) as client:
        yield client


async def test_context_namespace_is_the_default(
    tmp_path: Path, server: dict[str, Any], connect: Any, admin: Client, mode: str
) -> None:
    namespace = unique(f"ctx-ns-{mode}")
    core_v1.Namespaces(admin).create(core_v1.Namespace(metadata=ObjectMeta(name=namespace)))
    kubeconfig = write_kubeconfig(
        tmp_path / "kubeconfig",
        cluster=trusted(server),
        user={"token": server["admin_token"]},
        namespace=namespace,
    )
    conn = connect(kubeconfig)
    assert conn.client.namespace == namespace

    created = await run(
        conn.configmaps.create(core_v1.ConfigMap(metadata=ObjectMeta(name="here"), data={"a": "1"}))
    )
    assert created.metadata.namespace == namespace
    # Where it really is, asked by another client with an explicit path.
    stored = admin.request("GET", f"/api/v1/namespaces/{namespace}/configmaps/here").json()
    assert stored["data"] == {"a": "1"}
    assert (await run(conn.configmaps.get("here"))).metadata.uid == created.metadata.uid
    listed = await run(conn.configmaps.list())
    assert {c.metadata.namespace for c in listed.items} == {namespace}
    assert "here" in {c.metadata.name for c in listed.items}

    # An explicit namespace, or the body's, beats the context's.
    elsewhere = await run(
        conn.configmaps.create(
            core_v1.ConfigMap(metadata=ObjectMeta(name=unique("there"))), namespace="default"
        )
    )
    assert elsewhere.metadata.namespace == "default"
    from_body = await run(
        conn.configmaps.create(
            core_v1.ConfigMap(metadata=ObjectMeta(name=unique("body"), namespace="default"))
        )
    )
    assert from_body.metadata.namespace == "default"

    # A context without a namespace means "default".
    plain = write_kubeconfig(
        tmp_path / "plain", cluster=trusted(server), user={"token": server["admin_token"]}
    )
    assert connect(plain).client.namespace == "default"
