"""Tests for load_config, kubeconfig reading, in-cluster config and TLS.

Kubeconfigs are written into tmp_path by each test. TLS tests generate a PKI with the
openssl CLI and talk to a real ssl + http.server server on 127.0.0.1 that requires a
client certificate.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import shutil
import ssl
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import yaml
from kubetyped import incluster
from kubetyped._base_errors import ConfigError
from kubetyped.auth import BearerToken, ExecCredentialAuth, TokenFile
from kubetyped.config import ClusterConfig, load_config
from kubetyped.incluster import load_incluster_config
from kubetyped.kubeconfig import read_kubeconfig

# --- helpers -------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake HOME, no kubeconfig or in-cluster variables, no proxies, no service account."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in (
        "KUBECONFIG",
        "KUBERNETES_SERVICE_HOST",
        "KUBERNETES_SERVICE_PORT",
        "POD_NAMESPACE",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
    ):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setattr(incluster, "SERVICE_ACCOUNT_DIR", tmp_path / "no-serviceaccount")
    return home


def doc(
    name: str = "dev",
    *,
    server: str = "https://k8s.test:6443",
    cluster: dict[str, Any] | None = None,
    user: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
    current: bool = True,
) -> dict[str, Any]:
    """A kubeconfig with one cluster, user and context, all called *name*."""
    result: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": server, **(cluster or {})}}],
        "users": [{"name": name, "user": user or {}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name, **(context or {})}}],
    }
    if current:
        result["current-context"] = name
    return result


def write(path: Path, content: dict[str, Any] | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else yaml.safe_dump(content))
    return path


def home_config(home: Path, content: dict[str, Any] | str) -> Path:
    return write(home / ".kube" / "config", content)


def b64(data: bytes | str) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


def headers_sent(config: ClusterConfig, path: str = "/api") -> list[str | None]:
    """Send one request through a MockTransport and return the Authorization headers seen."""
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("Authorization"))
        return httpx.Response(200)

    options = config.httpx_options()
    del options["proxy"]  # a proxy would be mounted in front of the mock transport
    with httpx.Client(**options, transport=httpx.MockTransport(handler)) as http:
        http.get(path)
    return seen


# --- finding the configuration -------------------------------------------------------------


def test_home_kubeconfig_is_used(isolated: Path) -> None:
    home_config(isolated, doc(user={"token": "home-token"}))
    config = load_config()
    assert config.server == "https://k8s.test:6443"
    assert config.context_name == "dev"
    assert config.namespace == "default"
    assert isinstance(config.auth, BearerToken)
    assert headers_sent(config) == ["Bearer home-token"]


def test_context_namespace_is_used(isolated: Path) -> None:
    home_config(isolated, doc(context={"namespace": "team-a"}))
    assert load_config().namespace == "team-a"


def test_explicit_context_overrides_current_context(isolated: Path) -> None:
    content = doc("dev")
    other = doc("prod", server="https://prod.test", context={"namespace": "ops"})
    for key in ("clusters", "users", "contexts"):
        content[key] += other[key]
    home_config(isolated, content)
    assert load_config().context_name == "dev"
    config = load_config(context="prod")
    assert (config.context_name, config.server, config.namespace) == (
        "prod",
        "https://prod.test",
        "ops",
    )


def test_kubeconfig_env_merges_files_first_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = write(
        tmp_path / "a" / "config",
        {
            "clusters": [{"name": "shared", "cluster": {"server": "https://a.test"}}],
            "users": [{"name": "u", "user": {"token": "token-from-a"}}],
            "contexts": [{"name": "ctx-a", "context": {"cluster": "shared", "user": "u"}}],
        },
    )
    second = write(
        tmp_path / "b" / "config",
        {
            "clusters": [
                {"name": "shared", "cluster": {"server": "https://b.test"}},
                {"name": "only-b", "cluster": {"server": "https://only-b.test"}},
            ],
            "users": [{"name": "u", "user": {"token": "token-from-b"}}],
            "contexts": [
                {"name": "ctx-b", "context": {"cluster": "shared", "user": "u", "namespace": "b"}},
                {"name": "ctx-only-b", "context": {"cluster": "only-b"}},
            ],
            "current-context": "ctx-b",
        },
    )
    third = write(tmp_path / "c" / "config", {"current-context": "ctx-a"})
    missing = tmp_path / "missing" / "config"
    monkeypatch.setenv(
        "KUBECONFIG", os.pathsep.join([str(first), str(missing), str(second), str(third), ""])
    )

    config = load_config()
    assert config.context_name == "ctx-b"  # current-context of the first file that sets one
    assert config.server == "https://a.test"  # cluster "shared" from the first file
    assert config.namespace == "b"
    assert headers_sent(config) == ["Bearer token-from-a"]  # user "u" from the first file
    only_b = load_config(context="ctx-only-b")
    assert (only_b.server, only_b.auth) == ("https://only-b.test", None)
    merged = read_kubeconfig([first, second, third])
    assert merged.context_names() == ["ctx-a", "ctx-b", "ctx-only-b"]
    assert merged.files == (first, second, third)


def test_a_name_twice_in_one_file_is_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path / "config",
        {
            "clusters": [
                {"name": "shared", "cluster": {"server": "https://a-old.test"}},
                {"name": "shared", "cluster": {"server": "https://a.test"}},
            ],
        },
    )
    with pytest.raises(ConfigError, match=r"config: clusters\[shared\]: duplicate name"):
        read_kubeconfig(path)


def test_kubeconfig_env_wins_over_home(
    isolated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home_config(isolated, doc(server="https://home.test"))
    env_file = write(tmp_path / "env-config", doc(server="https://env.test"))
    monkeypatch.setenv("KUBECONFIG", str(env_file))
    assert load_config().server == "https://env.test"


def test_kubeconfig_env_of_missing_files_does_not_fall_back_to_home(
    isolated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home_config(isolated, doc(server="https://home.test"))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "gone"))
    with pytest.raises(ConfigError) as caught:
        load_config()
    message = str(caught.value)
    assert f"KUBECONFIG={tmp_path / 'gone'} (none of these files exist)" in message
    assert "KUBERNETES_SERVICE_HOST" in message


def test_explicit_kubeconfig_paths(isolated: Path, tmp_path: Path) -> None:
    home_config(isolated, doc(server="https://home.test"))
    one = write(tmp_path / "one", doc(server="https://one.test"))
    two = write(tmp_path / "two", doc("other", server="https://two.test"))
    assert load_config(kubeconfig=one).server == "https://one.test"
    assert load_config(kubeconfig=str(one)).server == "https://one.test"
    assert load_config(kubeconfig=[two, one]).server == "https://two.test"
    assert load_config(kubeconfig=[two, one], context="dev").server == "https://one.test"


def test_explicit_missing_kubeconfig_is_an_error(tmp_path: Path) -> None:
    one = write(tmp_path / "one", doc())
    for argument in (tmp_path / "nope", [one, tmp_path / "nope"]):
        with pytest.raises(ConfigError, match=r"nope: kubeconfig file not found$"):
            load_config(kubeconfig=argument)


def test_explicit_kubeconfig_expands_user(isolated: Path) -> None:
    home_config(isolated, doc(server="https://tilde.test"))
    assert load_config(kubeconfig="~/.kube/config").server == "https://tilde.test"


def test_nothing_found_says_what_was_tried() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config()
    assert str(caught.value) == (
        "no Kubernetes cluster configured; tried: ~/.kube/config (not found); "
        "in-cluster config (KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set)"
    )


def test_no_current_context_and_no_context_argument(isolated: Path) -> None:
    home_config(isolated, doc(current=False))
    with pytest.raises(
        ConfigError, match=r"~/\.kube/config \(no current-context set; pass context=\)"
    ):
        load_config()
    assert load_config(context="dev").context_name == "dev"


def test_context_argument_without_any_kubeconfig() -> None:
    with pytest.raises(ConfigError, match=r"in-cluster config \(it has no context 'dev'\)"):
        load_config(context="dev")


# --- in-cluster ----------------------------------------------------------------------------


@pytest.fixture
def serviceaccount(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pki: Pki) -> Path:
    directory = tmp_path / "serviceaccount"
    directory.mkdir()
    (directory / "token").write_text("sa-token-1\n")
    shutil.copy(pki.ca, directory / "ca.crt")
    (directory / "namespace").write_text("apps\n")
    monkeypatch.setattr(incluster, "SERVICE_ACCOUNT_DIR", directory)
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    return directory


def test_incluster_is_the_last_resort(serviceaccount: Path) -> None:
    config = load_config()
    assert config.server == "https://10.96.0.1:443"
    assert config.namespace == "apps"
    assert config.context_name is None
    assert isinstance(config.auth, TokenFile)
    assert config.auth.max_age == 60
    assert config.auth.path == serviceaccount / "token"
    assert headers_sent(config) == ["Bearer sa-token-1"]
    assert config.ssl_context is not None
    assert config.ssl_context.verify_mode == ssl.CERT_REQUIRED
    assert [ca["subject"] for ca in config.ssl_context.get_ca_certs()] == [
        ((("commonName", "test-ca"),),)
    ]


def test_kubeconfig_wins_over_incluster(serviceaccount: Path, isolated: Path) -> None:
    home_config(isolated, doc(server="https://home.test"))
    assert load_config().server == "https://home.test"


def test_incluster_ipv6_host_is_bracketed(
    serviceaccount: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "fd00:10:96::1")
    assert load_config().server == "https://[fd00:10:96::1]:443"


def test_incluster_namespace_sources(serviceaccount: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POD_NAMESPACE", "from-env")
    assert load_config().namespace == "from-env"
    monkeypatch.delenv("POD_NAMESPACE")
    (serviceaccount / "namespace").unlink()
    assert load_config().namespace == "default"


def test_incluster_token_is_reread_on_401(serviceaccount: Path) -> None:
    config = load_incluster_config(service_account_dir=serviceaccount)
    token = serviceaccount / "token"
    stat = token.stat()
    token.write_text("sa-token-2\n")  # same size; the mtime is put back below
    os.utime(token, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("Authorization"))
        return httpx.Response(401 if seen[-1] == "Bearer sa-token-1" else 200)

    with httpx.Client(**config.httpx_options(), transport=httpx.MockTransport(handler)) as http:
        assert http.get("/api").status_code == 200
    assert seen == ["Bearer sa-token-1", "Bearer sa-token-2"]


def test_incluster_token_is_reread_every_60_seconds(
    serviceaccount: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [500.0]
    monkeypatch.setattr("kubetyped.auth.time", SimpleNamespace(monotonic=lambda: now[0]))
    config = load_config()
    token = serviceaccount / "token"
    stat = token.stat()
    token.write_text("sa-token-2\n")
    os.utime(token, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    now[0] += 30
    assert headers_sent(config) == ["Bearer sa-token-1"]
    now[0] += 31
    assert headers_sent(config) == ["Bearer sa-token-2"]


def test_incluster_without_token_is_not_used(serviceaccount: Path) -> None:
    (serviceaccount / "token").unlink()
    with pytest.raises(
        ConfigError, match=r"in-cluster config \(.*serviceaccount/token does not exist\)"
    ):
        load_config()
    with pytest.raises(ConfigError, match="^not running inside a cluster: "):
        load_incluster_config()


def test_incluster_without_ca_uses_default_roots(
    serviceaccount: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (serviceaccount / "ca.crt").unlink()
    with caplog.at_level(logging.WARNING, logger="kubetyped.incluster"):
        config = load_incluster_config()
    assert "ca.crt does not exist" in caplog.text
    assert config.ssl_context is not None
    assert config.ssl_context.verify_mode == ssl.CERT_REQUIRED


def test_incluster_with_explicit_arguments(tmp_path: Path) -> None:
    directory = tmp_path / "sa"
    directory.mkdir()
    (directory / "token").write_text("t")
    environ = {
        "KUBERNETES_SERVICE_HOST": "kubernetes.default.svc",
        "KUBERNETES_SERVICE_PORT": "6443",
    }
    config = load_incluster_config(service_account_dir=directory, environ=environ)
    assert (config.server, config.namespace) == ("https://kubernetes.default.svc:6443", "default")
    assert (
        incluster.incluster_unavailable_reason(service_account_dir=directory, environ={})
        is not None
    )


# --- kubeconfig fields ---------------------------------------------------------------------


def test_relative_paths_are_relative_to_the_kubeconfig(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pki: Pki
) -> None:
    directory = tmp_path / "conf"
    write(directory / "tokens" / "token", "file-token")
    (directory / "certs").mkdir()
    shutil.copy(pki.ca, directory / "certs" / "ca.crt")
    kubeconfig = write(
        directory / "config",
        doc(cluster={"certificate-authority": "certs/ca.crt"}, user={"tokenFile": "tokens/token"}),
    )
    monkeypatch.chdir(tmp_path)  # somewhere else: the kubeconfig's directory must be used
    config = load_config(kubeconfig=os.path.relpath(kubeconfig))
    assert isinstance(config.auth, TokenFile)
    assert config.auth.path.resolve() == (directory / "tokens" / "token").resolve()
    assert headers_sent(config) == ["Bearer file-token"]
    assert config.ssl_context is not None
    assert len(config.ssl_context.get_ca_certs()) == 1


def test_relative_paths_follow_the_file_that_defined_the_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "users" / "token", "token-next-to-users-file")
    users = write(
        tmp_path / "users" / "config",
        {"users": [{"name": "u", "user": {"tokenFile": "token"}}]},
    )
    main = write(
        tmp_path / "main" / "config",
        {
            "clusters": [{"name": "c", "cluster": {"server": "https://k8s.test"}}],
            "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
            "current-context": "x",
        },
    )
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join([str(main), str(users)]))
    assert headers_sent(load_config()) == ["Bearer token-next-to-users-file"]


def test_token_file_from_kubeconfig_follows_rotation(tmp_path: Path) -> None:
    token = write(tmp_path / "token", "rotating-1")
    config = load_config(kubeconfig=write(tmp_path / "config", doc(user={"tokenFile": str(token)})))
    assert headers_sent(config) == ["Bearer rotating-1"]
    token.write_text("rotating-two")
    assert headers_sent(config) == ["Bearer rotating-two"]


def test_token_takes_precedence_over_token_file(tmp_path: Path) -> None:
    token = write(tmp_path / "token", "from-file")
    user = {"token": "inline", "tokenFile": str(token)}
    config = load_config(kubeconfig=write(tmp_path / "config", doc(user=user)))
    assert headers_sent(config) == ["Bearer inline"]


def test_basic_auth_from_kubeconfig(tmp_path: Path) -> None:
    user = {"username": "admin", "password": "pa55"}
    config = load_config(kubeconfig=write(tmp_path / "config", doc(user=user)))
    assert isinstance(config.auth, httpx.BasicAuth)
    assert headers_sent(config) == ["Basic " + b64("admin:pa55")]


def test_context_without_user_has_no_auth(tmp_path: Path) -> None:
    content = doc()
    del content["contexts"][0]["context"]["user"]
    config = load_config(kubeconfig=write(tmp_path / "config", content))
    assert config.auth is None
    assert headers_sent(config) == [None]


def test_httpx_options(tmp_path: Path) -> None:
    cluster = {"proxy-url": "http://proxy.test:3128", "tls-server-name": "kube.internal"}
    config = load_config(
        kubeconfig=write(tmp_path / "config", doc(cluster=cluster, user={"token": "t"}))
    )
    options = config.httpx_options()
    assert set(options) == {"base_url", "verify", "auth", "proxy"}
    assert options["base_url"] == "https://k8s.test:6443"
    assert options["verify"] is config.ssl_context and isinstance(options["verify"], ssl.SSLContext)
    assert options["auth"] is config.auth
    assert options["proxy"] == "http://proxy.test:3128"
    assert config.tls_server_name == "kube.internal"
    assert config.request_extensions == {"sni_hostname": "kube.internal"}
    httpx.AsyncClient(**options)  # accepted by both clients
    httpx.Client(**options).close()
    assert ClusterConfig(server="https://x").request_extensions == {}


@pytest.mark.parametrize(
    ("server", "cluster", "expected"),
    [
        ("k8s.test:8080", {}, "http://k8s.test:8080"),
        ("k8s.test:6443", {"insecure-skip-tls-verify": True}, "https://k8s.test:6443"),
        ("https://k8s.test/prefix", {}, "https://k8s.test/prefix"),
    ],
)
def test_server_url_scheme(
    tmp_path: Path, server: str, cluster: dict[str, Any], expected: str
) -> None:
    config = load_config(kubeconfig=write(tmp_path / "config", doc(server=server, cluster=cluster)))
    assert config.server == expected
    assert (config.ssl_context is None) == expected.startswith("http://")


def test_insecure_skip_tls_verify_turns_verification_off(tmp_path: Path) -> None:
    config = load_config(
        kubeconfig=write(tmp_path / "config", doc(cluster={"insecure-skip-tls-verify": True}))
    )
    assert config.ssl_context is not None
    assert config.ssl_context.verify_mode == ssl.CERT_NONE
    assert not config.ssl_context.check_hostname
    default = load_config(kubeconfig=write(tmp_path / "config2", doc()))
    assert default.ssl_context is not None
    assert default.ssl_context.verify_mode == ssl.CERT_REQUIRED
    assert default.ssl_context.check_hostname


# --- exec plugins configured in a kubeconfig -----------------------------------------------

EXEC_PLUGIN = textwrap.dedent(
    """\
    #!{python}
    import json, os
    with open(os.environ["INFO_FILE"], "w") as f:
        f.write(os.environ["KUBERNETES_EXEC_INFO"])
    if os.environ.get("CERT_FILE"):
        status = {{"clientCertificateData": open(os.environ["CERT_FILE"]).read(),
                   "clientKeyData": open(os.environ["KEY_FILE"]).read()}}
    else:
        status = {{"token": "exec-from-kubeconfig"}}
    print(json.dumps({{"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
                       "status": status}}))
    """
)


def write_plugin(path: Path) -> Path:
    write(path, EXEC_PLUGIN.format(python=sys.executable))
    path.chmod(0o755)
    return path


def test_exec_plugin_from_kubeconfig(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pki: Pki
) -> None:
    write_plugin(tmp_path / "conf" / "bin" / "plugin")
    info_file = tmp_path / "info.json"
    ca_data = b64(pki.ca.read_bytes())
    cluster = {
        "certificate-authority-data": ca_data,
        "tls-server-name": "kube.internal",
        "proxy-url": "http://proxy.test:3128",
        "extensions": [
            {"name": "client.authentication.k8s.io/exec", "extension": {"audience": "kube"}},
            {"name": "something-else", "extension": {"x": 1}},
        ],
    }
    user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": "./bin/plugin",  # relative to the kubeconfig's directory
            "env": [{"name": "INFO_FILE", "value": str(info_file)}],
            "provideClusterInfo": True,
            "interactiveMode": "Never",
        }
    }
    kubeconfig = write(tmp_path / "conf" / "config", doc(cluster=cluster, user=user))
    monkeypatch.chdir(tmp_path)

    config = load_config(kubeconfig=kubeconfig)
    assert isinstance(config.auth, ExecCredentialAuth)
    assert config.auth.config.command == str(tmp_path / "conf" / "bin" / "plugin")
    assert headers_sent(config) == ["Bearer exec-from-kubeconfig"]
    assert json.loads(info_file.read_text()) == {
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "spec": {
            "interactive": False,
            "cluster": {
                "server": "https://k8s.test:6443",
                "tls-server-name": "kube.internal",
                "certificate-authority-data": ca_data,
                "proxy-url": "http://proxy.test:3128",
                "config": {"audience": "kube"},
            },
        },
    }


def test_exec_plugin_bare_command_is_looked_up_in_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_plugin(tmp_path / "bin" / "kube-login-test")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    info_file = tmp_path / "info.json"
    user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": "kube-login-test",
            "env": [{"name": "INFO_FILE", "value": str(info_file)}],
        }
    }
    config = load_config(kubeconfig=write(tmp_path / "config", doc(user=user)))
    assert isinstance(config.auth, ExecCredentialAuth)
    assert config.auth.config.command == "kube-login-test"
    assert headers_sent(config) == ["Bearer exec-from-kubeconfig"]
    assert json.loads(info_file.read_text())["spec"] == {"interactive": False}


def test_exec_is_ignored_when_a_token_is_set(tmp_path: Path) -> None:
    user = {
        "token": "wins",
        "exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": "x"},
    }
    config = load_config(kubeconfig=write(tmp_path / "config", doc(user=user)))
    assert headers_sent(config) == ["Bearer wins"]


def test_missing_exec_plugin_names_key_and_install_hint(isolated: Path) -> None:
    user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": "kubetyped-no-such-plugin",
            "installHint": "Install kubetyped-no-such-plugin from https://example.test",
        }
    }
    config = load_config(kubeconfig=home_config(isolated, doc("admin", user=user)))
    with pytest.raises(ConfigError) as caught:
        headers_sent(config)
    assert str(caught.value) == (
        "~/.kube/config: users[admin].user.exec.command: 'kubetyped-no-such-plugin' not found\n"
        "Install kubetyped-no-such-plugin from https://example.test"
    )


# --- broken kubeconfigs --------------------------------------------------------------------

SECRET = "SECRET-b7f3"


@pytest.mark.parametrize(
    ("content", "context", "message"),
    [
        pytest.param(
            f"users:\n- name: admin\n  user:\n    token: {SECRET}\n   bad: [\n",
            None,
            r"~/\.kube/config: invalid YAML \(line \d+, column \d+\): .+",
            id="yaml",
        ),
        pytest.param(
            "- just\n- a list\n", None, r"~/\.kube/config: not a kubeconfig", id="not-a-mapping"
        ),
        pytest.param(
            doc(cluster={"server": 6443}),
            None,
            r"~/\.kube/config: clusters\[dev\]\.cluster\.server: Input should be a valid string",
            id="wrong-type",
        ),
        pytest.param(
            {**doc(), "users": {"admin": {"token": SECRET}}},
            None,
            r"~/\.kube/config: users: Input should be a valid list",
            id="users-not-a-list",
        ),
        pytest.param(
            {**doc(), "current-context": "nope"},
            None,
            r"~/\.kube/config: current-context: no context named 'nope' \(contexts: 'dev'\)",
            id="current-context-unknown",
        ),
        pytest.param(
            doc(),
            "nope",
            r"~/\.kube/config: no context named 'nope' \(contexts: 'dev'\)",
            id="context-unknown",
        ),
        pytest.param(
            doc(context={"cluster": "ghost"}),
            None,
            r"~/\.kube/config: contexts\[dev\]\.context\.cluster: no cluster named 'ghost'",
            id="cluster-missing",
        ),
        pytest.param(
            doc(context={"user": "ghost"}),
            None,
            r"~/\.kube/config: contexts\[dev\]\.context\.user: no user named 'ghost'",
            id="user-missing",
        ),
        pytest.param(
            doc(server=""),
            None,
            r"~/\.kube/config: clusters\[dev\]\.cluster\.server: not set",
            id="server-missing",
        ),
        pytest.param(
            doc(server="ftp://k8s.test"),
            None,
            r"~/\.kube/config: clusters\[dev\]\.cluster\.server: not an http:// or https:// URL",
            id="server-scheme",
        ),
        pytest.param(
            doc(cluster={"certificate-authority-data": "%%%"}),
            None,
            r"~/\.kube/config: clusters\[dev\]\.cluster\.certificate-authority-data: invalid base64",
            id="ca-base64",
        ),
        pytest.param(
            doc(cluster={"certificate-authority-data": b64("hello")}),
            None,
            r"~/\.kube/config: clusters\[dev\]\.cluster\.certificate-authority-data: not a PEM certificate",
            id="ca-not-pem",
        ),
        pytest.param(
            doc(cluster={"certificate-authority": "missing-ca.crt"}),
            None,
            r"~/\.kube/config: clusters\[dev\]\.cluster\.certificate-authority: cannot read "
            r".*/\.kube/missing-ca\.crt: No such file",
            id="ca-file-missing",
        ),
        pytest.param(
            doc(cluster={"insecure-skip-tls-verify": True, "certificate-authority": "/etc/ca.crt"}),
            None,
            r"~/\.kube/config: clusters\[dev\]\.cluster: insecure-skip-tls-verify cannot be combined "
            r"with certificate-authority$",
            id="insecure-and-ca",
        ),
        pytest.param(
            doc(user={"client-certificate": "missing.crt", "client-key-data": b64(SECRET)}),
            None,
            r"~/\.kube/config: users\[dev\]\.user\.client-certificate: cannot read .*missing\.crt",
            id="cert-file-missing",
        ),
        pytest.param(
            doc(user={"client-key-data": b64(f"-----BEGIN PRIVATE KEY-----\n{SECRET}\n")}),
            None,
            r"~/\.kube/config: users\[dev\]\.user\.client-certificate: not set, but the other half",
            id="key-without-cert",
        ),
        pytest.param(
            doc(
                user={
                    "client-certificate-data": b64("-----BEGIN CERTIFICATE-----\n"),
                    "client-key-data": b64(SECRET),
                }
            ),
            None,
            r"~/\.kube/config: users\[dev\]\.user\.client-key-data: not a PEM private key",
            id="key-not-pem",
        ),
        pytest.param(
            doc(user={"tokenFile": "missing-token"}),
            None,
            r"~/\.kube/config: users\[dev\]\.user\.tokenFile: cannot read token file .*missing-token",
            id="token-file-missing",
        ),
        pytest.param(
            doc(user={"token": SECRET, "password": SECRET, "username": "u"}),
            None,
            r"~/\.kube/config: users\[dev\]\.user: username/password cannot be combined with token",
            id="token-and-password",
        ),
        pytest.param(
            doc(user={"auth-provider": {"name": "oidc", "config": {"id-token": SECRET}}}),
            None,
            r"~/\.kube/config: users\[dev\]\.user\.auth-provider: auth provider 'oidc' is not supported",
            id="auth-provider",
        ),
        pytest.param(
            doc(user={"exec": {"apiVersion": "client.authentication.k8s.io/v1"}}),
            None,
            r"~/\.kube/config: users\[dev\]\.user\.exec\.command: not set",
            id="exec-no-command",
        ),
        pytest.param(
            doc(
                user={
                    "exec": {"apiVersion": "client.authentication.k8s.io/v1alpha1", "command": "x"}
                }
            ),
            None,
            r"~/\.kube/config: users\[dev\]\.user\.exec\.apiVersion: "
            r"'client\.authentication\.k8s\.io/v1alpha1' is not supported",
            id="exec-v1alpha1",
        ),
        pytest.param(
            doc(
                user={
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1",
                        "command": "x",
                        "interactiveMode": "Sometimes",
                    }
                }
            ),
            None,
            r"~/\.kube/config: users\[dev\]\.user\.exec\.interactiveMode: 'Sometimes' is not",
            id="exec-interactive-mode",
        ),
        pytest.param(
            doc(
                user={
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1",
                        "command": "x",
                        "env": [{"name": "TOKEN"}],
                    }
                }
            ),
            None,
            r"~/\.kube/config: users\[dev\]\.user\.exec\.env\[TOKEN\]\.value: Field required",
            id="exec-env-without-value",
        ),
    ],
)
def test_broken_kubeconfig_errors_name_file_and_key(
    isolated: Path, content: dict[str, Any] | str, context: str | None, message: str
) -> None:
    home_config(isolated, content)
    with pytest.raises(ConfigError) as caught:
        load_config(context=context)
    assert caught.match("^" + message)
    assert SECRET not in str(caught.value)
    assert b64(SECRET) not in str(caught.value)


def test_invalid_base64_message_is_exact(isolated: Path) -> None:
    home_config(
        isolated,
        doc("admin", user={"client-certificate-data": b64("x"), "client-key-data": SECRET + "!"}),
    )
    with pytest.raises(ConfigError) as caught:
        load_config()
    assert str(caught.value) == "~/.kube/config: users[admin].user.client-key-data: invalid base64"


def test_mismatched_client_key(tmp_path: Path, pki: Pki) -> None:
    user = {
        "client-certificate-data": b64(pki.client.read_bytes()),
        "client-key-data": b64(pki.stranger_key.read_bytes()),
    }
    with pytest.raises(ConfigError) as caught:
        load_config(kubeconfig=write(tmp_path / "config", doc(user=user)))
    assert caught.match(
        r"users\[dev\]\.user\.client-certificate-data / client-key-data: cannot be loaded"
    )
    assert "PRIVATE KEY" not in str(caught.value)


def test_unreadable_kubeconfig_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(kubeconfig=tmp_path)


# --- redaction -----------------------------------------------------------------------------


def test_reprs_contain_no_secrets(tmp_path: Path) -> None:
    token_config = load_config(
        kubeconfig=write(
            tmp_path / "a",
            doc(
                cluster={"proxy-url": f"http://proxyuser:{SECRET}@proxy.test:3128"},
                user={"token": SECRET},
            ),
        )
    )
    basic_config = load_config(
        kubeconfig=write(tmp_path / "b", doc(user={"username": "admin", "password": SECRET}))
    )
    for config in (token_config, basic_config):
        for text in (repr(config), str(config), repr(config.auth)):
            assert SECRET not in text
        assert "https://k8s.test:6443" in repr(config)
    assert "proxy.test:3128" in repr(token_config)
    kubeconfig = read_kubeconfig(tmp_path / "a")
    assert SECRET not in repr(kubeconfig)
    assert "'dev'" in repr(kubeconfig)


def test_logs_contain_no_secrets(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        config = load_config(kubeconfig=write(tmp_path / "a", doc(user={"token": SECRET})))
        headers_sent(config)
    assert caplog.records  # httpx logs the request
    assert SECRET not in caplog.text


# --- TLS against a real server -------------------------------------------------------------

CA_CONFIG = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = {cn}
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
"""


@dataclass
class Pki:
    directory: Path

    def path(self, name: str) -> Path:
        return self.directory / name

    ca = property(lambda self: self.path("ca.crt"))
    server = property(lambda self: self.path("server.crt"))
    server_key = property(lambda self: self.path("server.key"))
    named_server = property(lambda self: self.path("named.crt"))
    named_server_key = property(lambda self: self.path("named.key"))
    client = property(lambda self: self.path("client.crt"))
    client_key = property(lambda self: self.path("client.key"))
    other_ca = property(lambda self: self.path("other-ca.crt"))
    stranger = property(lambda self: self.path("stranger.crt"))
    stranger_key = property(lambda self: self.path("stranger.key"))


def _openssl(directory: Path, *args: str) -> None:
    subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)


def _make_ca(directory: Path, name: str) -> None:
    (directory / f"{name}.cnf").write_text(CA_CONFIG.format(cn=f"test-{name}"))
    _openssl(
        directory, "req", "-x509", "-new", "-config", f"{name}.cnf", "-extensions", "v3_ca",
        "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", f"{name}.key", "-out", f"{name}.crt", "-days", "2",
    )  # fmt: skip


def _make_leaf(directory: Path, name: str, ca: str, cn: str, extensions: str, serial: int) -> None:
    (directory / f"{name}.ext").write_text(
        extensions + "\nbasicConstraints = CA:FALSE\nauthorityKeyIdentifier = keyid\n"
    )
    _openssl(
        directory, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}",
    )  # fmt: skip
    _openssl(
        directory, "x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key",
        "-set_serial", str(serial), "-days", "2", "-out", f"{name}.crt", "-extfile", f"{name}.ext",
    )  # fmt: skip


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to generate test certificates")
    directory = tmp_path_factory.mktemp("pki")
    _make_ca(directory, "ca")
    _make_ca(directory, "other-ca")
    server_ext = "extendedKeyUsage = serverAuth\nsubjectAltName = "
    _make_leaf(directory, "server", "ca", "server", server_ext + "IP:127.0.0.1,DNS:localhost", 2)
    _make_leaf(directory, "named", "ca", "kube.internal", server_ext + "DNS:kube.internal", 3)
    _make_leaf(directory, "client", "ca", "admin", "extendedKeyUsage = clientAuth", 4)
    _make_leaf(directory, "stranger", "other-ca", "stranger", "extendedKeyUsage = clientAuth", 5)
    return Pki(directory)


@dataclass
class Seen:
    url: str
    sni: list[str | None] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)


def _handler(seen: Seen) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            peer: Any = None
            if isinstance(self.connection, ssl.SSLSocket):
                peer = self.connection.getpeercert()
            subject = dict(item[0] for item in peer["subject"]) if peer else {}
            seen.requests.append(
                {
                    "path": self.path,
                    "cn": subject.get("commonName"),
                    "authorization": self.headers.get("Authorization"),
                }
            )
            body = json.dumps({"cn": subject.get("commonName")}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def serve(
    cert: Path | None = None, key: Path | None = None, client_ca: Path | None = None
) -> Iterator[Seen]:
    """Run an HTTP server on 127.0.0.1; TLS with *cert*, client certs required with *client_ca*."""
    seen = Seen(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(seen))
    seen.url = f"{'https' if cert else 'http'}://127.0.0.1:{server.server_address[1]}"
    if cert is not None and key is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        if client_ca is not None:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(client_ca)

        def record_sni(sock: Any, name: str | None, ctx: Any) -> None:
            seen.sni.append(name)

        context.sni_callback = record_sni
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def mtls_server(pki: Pki) -> Iterator[Seen]:
    with serve(pki.server, pki.server_key, client_ca=pki.ca) as seen:
        yield seen


def get(config: ClusterConfig, path: str = "/api") -> httpx.Response:
    with httpx.Client(**config.httpx_options(), timeout=10) as http:
        return http.get(path, extensions=config.request_extensions)


def tls_doc(
    url: str, pki: Pki, *, cluster: dict[str, Any] | None = None, user: dict[str, Any] | None = None
) -> dict[str, Any]:
    cluster = {"certificate-authority-data": b64(pki.ca.read_bytes()), **(cluster or {})}
    if user is None:
        user = {
            "client-certificate-data": b64(pki.client.read_bytes()),
            "client-key-data": b64(pki.client_key.read_bytes()),
        }
    return doc(server=url, cluster=cluster, user=user)


def test_tls_with_ca_and_client_certificate_data(
    tmp_path: Path, pki: Pki, mtls_server: Seen
) -> None:
    config = load_config(kubeconfig=write(tmp_path / "config", tls_doc(mtls_server.url, pki)))
    response = get(config)
    assert response.status_code == 200
    assert response.json() == {"cn": "admin"}  # the server verified our client certificate
    assert mtls_server.requests[0]["authorization"] is None


def test_tls_with_relative_certificate_files(tmp_path: Path, pki: Pki, mtls_server: Seen) -> None:
    for source, name in (
        (pki.ca, "ca.crt"),
        (pki.client, "admin.crt"),
        (pki.client_key, "admin.key"),
    ):
        shutil.copy(source, tmp_path / name)
    content = doc(
        server=mtls_server.url,
        cluster={"certificate-authority": "ca.crt"},
        user={
            "client-certificate": "admin.crt",
            "client-key": "admin.key",
            "token": "also-a-token",
        },
    )
    config = load_config(kubeconfig=write(tmp_path / "config", content))
    assert get(config).json() == {"cn": "admin"}
    assert mtls_server.requests[0]["authorization"] == "Bearer also-a-token"


async def test_tls_with_async_client(tmp_path: Path, pki: Pki, mtls_server: Seen) -> None:
    config = load_config(kubeconfig=write(tmp_path / "config", tls_doc(mtls_server.url, pki)))
    async with httpx.AsyncClient(**config.httpx_options(), timeout=10) as http:
        response = await http.get("/api", extensions=config.request_extensions)
    assert response.json() == {"cn": "admin"}


def test_tls_without_the_cluster_ca_fails(tmp_path: Path, pki: Pki, mtls_server: Seen) -> None:
    content = tls_doc(mtls_server.url, pki)
    del content["clusters"][0]["cluster"]["certificate-authority-data"]
    config = load_config(kubeconfig=write(tmp_path / "config", content))
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        get(config)
    assert mtls_server.requests == []


def test_tls_with_the_wrong_ca_fails(tmp_path: Path, pki: Pki, mtls_server: Seen) -> None:
    content = tls_doc(
        mtls_server.url, pki, cluster={"certificate-authority-data": b64(pki.other_ca.read_bytes())}
    )
    config = load_config(kubeconfig=write(tmp_path / "config", content))
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        get(config)


def test_tls_insecure_skip_verify_still_sends_client_certificate(
    tmp_path: Path, pki: Pki, mtls_server: Seen
) -> None:
    content = tls_doc(mtls_server.url, pki)
    cluster = content["clusters"][0]["cluster"]
    del cluster["certificate-authority-data"]
    cluster["insecure-skip-tls-verify"] = True
    config = load_config(kubeconfig=write(tmp_path / "config", content))
    assert get(config).json() == {"cn": "admin"}


def test_tls_server_rejects_missing_client_certificate(
    tmp_path: Path, pki: Pki, mtls_server: Seen
) -> None:
    config = load_config(
        kubeconfig=write(tmp_path / "config", tls_doc(mtls_server.url, pki, user={}))
    )
    with pytest.raises(httpx.TransportError):
        get(config)
    assert mtls_server.requests == []


def test_tls_server_rejects_client_certificate_from_another_ca(
    tmp_path: Path, pki: Pki, mtls_server: Seen
) -> None:
    user = {
        "client-certificate-data": b64(pki.stranger.read_bytes()),
        "client-key-data": b64(pki.stranger_key.read_bytes()),
    }
    config = load_config(
        kubeconfig=write(tmp_path / "config", tls_doc(mtls_server.url, pki, user=user))
    )
    with pytest.raises(httpx.TransportError):
        get(config)
    assert mtls_server.requests == []


def test_tls_server_name_is_sent_and_verified(tmp_path: Path, pki: Pki) -> None:
    with serve(pki.named_server, pki.named_server_key, client_ca=pki.ca) as seen:
        # The certificate names kube.internal only, so 127.0.0.1 does not match it...
        plain = load_config(kubeconfig=write(tmp_path / "plain", tls_doc(seen.url, pki)))
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            get(plain)
        # ...unless tls-server-name says which name to send (SNI) and to check.
        named = load_config(
            kubeconfig=write(
                tmp_path / "named",
                tls_doc(seen.url, pki, cluster={"tls-server-name": "kube.internal"}),
            )
        )
        assert get(named).json() == {"cn": "admin"}
        assert seen.sni[-1] == "kube.internal"
        wrong = load_config(
            kubeconfig=write(
                tmp_path / "wrong",
                tls_doc(seen.url, pki, cluster={"tls-server-name": "other.internal"}),
            )
        )
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            get(wrong)
        assert seen.sni[-1] == "other.internal"
        assert len(seen.requests) == 1


def test_exec_plugin_client_certificate(tmp_path: Path, pki: Pki, mtls_server: Seen) -> None:
    plugin = write_plugin(tmp_path / "plugin")
    env = [
        {"name": "INFO_FILE", "value": str(tmp_path / "info.json")},
        {"name": "CERT_FILE", "value": str(pki.client)},
        {"name": "KEY_FILE", "value": str(pki.client_key)},
    ]
    user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": str(plugin),
            "env": env,
        }
    }
    config = load_config(
        kubeconfig=write(tmp_path / "config", tls_doc(mtls_server.url, pki, user=user))
    )
    assert get(config).json() == {"cn": "admin"}
    assert mtls_server.requests[0]["authorization"] is None


def test_from_url_with_ca_and_token(tmp_path: Path, pki: Pki) -> None:
    with serve(pki.server, pki.server_key) as seen:
        config = ClusterConfig.from_url(seen.url, token="url-token", ca_path=pki.ca)
        assert get(config).status_code == 200
        assert seen.requests[0]["authorization"] == "Bearer url-token"
        with pytest.raises(httpx.ConnectError):
            get(ClusterConfig.from_url(seen.url))  # default roots do not trust the test CA
    assert "url-token" not in repr(config)


def test_from_url_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="must start with https:// or http://"):
        ClusterConfig.from_url("k8s.test:6443")
    with pytest.raises(ConfigError, match=r"cannot read .*no-ca\.crt"):
        ClusterConfig.from_url("https://k8s.test", ca_path=tmp_path / "no-ca.crt")


def test_plain_http_server_like_kubectl_proxy(tmp_path: Path) -> None:
    with serve() as seen:
        content = doc(server=seen.url)
        del content["contexts"][0]["context"]["user"]
        config = load_config(kubeconfig=write(tmp_path / "config", content))
        assert (config.ssl_context, config.auth) == (None, None)
        assert get(config, "/api/v1/namespaces").status_code == 200
        assert get(ClusterConfig.from_url(seen.url)).status_code == 200
    assert [r["path"] for r in seen.requests] == ["/api/v1/namespaces", "/api"]


def test_proxy_url_is_used(tmp_path: Path) -> None:
    with serve() as proxy:
        content = doc(server="http://kube.invalid:8001", cluster={"proxy-url": proxy.url})
        config = load_config(kubeconfig=write(tmp_path / "config", content))
        assert get(config, "/version").status_code == 200
    # A forward proxy receives the absolute URL of the API server.
    assert proxy.requests[0]["path"] == "http://kube.invalid:8001/version"


def test_impersonation_becomes_headers(tmp_path: Path) -> None:
    import yaml
    from kubetyped.config import load_config

    def kubeconfig(user: dict[str, object]) -> Path:
        path = tmp_path / "config"
        path.write_text(
            yaml.safe_dump(
                {
                    "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:6443"}}],
                    "users": [{"name": "u", "user": user}],
                    "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                    "current-context": "x",
                }
            )
        )
        return path

    user: dict[str, object] = {
        "token": "t0ken-value",
        "as": "jane",
        "as-uid": "42",
        "as-groups": ["devs", "ops"],
        "as-user-extra": {"scopes/team": ["a", "b"]},
    }
    config = load_config(kubeconfig=kubeconfig(user))
    assert config.headers == (
        ("Impersonate-User", "jane"),
        ("Impersonate-Uid", "42"),
        ("Impersonate-Group", "devs"),
        ("Impersonate-Group", "ops"),
        ("Impersonate-Extra-scopes%2Fteam", "a"),
        ("Impersonate-Extra-scopes%2Fteam", "b"),
    )
    assert "jane" not in repr(config) and "Impersonate-User" in repr(config)
    del user["as"]
    with pytest.raises(ConfigError, match=r"users\[u\]\.user\.as-uid: needs `as`"):
        load_config(kubeconfig=kubeconfig(user))
