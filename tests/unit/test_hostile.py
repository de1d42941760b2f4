"""The client against hostile networks: small servers of the test's own on 127.0.0.1 that
trickle, lie, bomb, drop and proxy, and the rules that keep a call bounded and its secrets
safe. (The real API server's side of the same rules is in tests/e2e/test_hostile_cluster.py.)"""

from __future__ import annotations

import gzip
import inspect
import json
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import truststore
from kubetyped.auth import BearerToken
from kubetyped.client import AsyncClient, Client
from kubetyped.config import ClusterConfig, make_ssl_context
from kubetyped.errors import (
    ConfigError,
    InvalidRequest,
    NotFound,
    ResponseTooLarge,
    TransportError,
)
from kubetyped.kubeconfig import read_kubeconfig
from kubetyped.proxy import proxy_from_environment
from kubetyped.request import ApiRequest
from kubetyped.retry import RetryPolicy
from kubetyped.transport import sync_transport

Handler = Callable[[socket.socket, bytes], None]


class TinyServer:
    """A TCP server on 127.0.0.1 that reads one request head and hands the socket to
    ``handler``; it records every request head it saw."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.heads: list[bytes] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        self._sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            head = b""
            while b"\r\n\r\n" not in head:
                data = conn.recv(65536)
                if not data:
                    return
                head += data
            self.heads.append(head)
            try:
                self.handler(conn, head)
            except OSError:
                pass  # the client gave up, as it should

    def close(self) -> None:
        self._stop.set()
        self._sock.close()


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], TinyServer]]:
    servers: list[TinyServer] = []

    def start(handler: Handler) -> TinyServer:
        server = TinyServer(handler)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def run(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


def client(mode: str, server: str, **kwargs: Any) -> Client | AsyncClient:
    config = kwargs.pop("config", None) or ClusterConfig(server=server)
    return Client(config, **kwargs) if mode == "sync" else AsyncClient(config, **kwargs)


async def close(c: Client | AsyncClient) -> None:
    await run(c.close() if isinstance(c, Client) else c.aclose())


def answer(body: bytes, *, headers: str = "Content-Type: application/json\r\n") -> bytes:
    return f"HTTP/1.1 200 OK\r\n{headers}Content-Length: {len(body)}\r\n\r\n".encode() + body


def trickle(prefix: bytes, stop: threading.Event | None = None) -> Handler:
    """Send ``prefix`` then one byte every 0.1 s for up to 60 s: each read succeeds, so
    only a total deadline can end the call."""

    def handler(conn: socket.socket, head: bytes) -> None:
        conn.sendall(prefix)
        for _ in range(600):
            conn.sendall(b" ")
            time.sleep(0.1)
        conn.sendall(b"{}")

    return handler


# --- 1 and 2: raw requests keep their query, and stay on the cluster ------------------------


async def test_a_query_in_the_path_is_kept(mode: str, serve: Any) -> None:
    server = serve(lambda conn, head: conn.sendall(answer(b"{}")))
    c = client(mode, server.url)
    try:
        await run(
            c.request(
                "DELETE",
                "/api/v1/namespaces/ns/configmaps?labelSelector=app%3Ddel&dryRun=All",
                params={"propagationPolicy": "Background"},
            )
        )
    finally:
        await close(c)
    line = server.heads[0].split(b"\r\n", 1)[0]
    assert line == (
        b"DELETE /api/v1/namespaces/ns/configmaps"
        b"?labelSelector=app%3Ddel&dryRun=All&propagationPolicy=Background HTTP/1.1"
    )


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{other}/api/v1/secrets",
        "https://127.0.0.1:{other}/api",
        "//127.0.0.1:{other}/api",
        "{server}/api/v1/namespaces",  # even this server: over another scheme, maybe
        "api/v1/namespaces",
    ],
)
async def test_credentials_never_leave_the_cluster(mode: str, serve: Any, target: str) -> None:
    server = serve(lambda conn, head: conn.sendall(answer(b"{}")))
    other = serve(lambda conn, head: conn.sendall(answer(b"{}")))
    config = ClusterConfig(server=server.url, auth=BearerToken("s3cret-token"))
    c = client(mode, server.url, config=config)
    try:
        with pytest.raises(InvalidRequest, match="takes a path on the cluster"):
            await run(c.request("GET", target.format(other=other.port, server=server.url)))
    finally:
        await close(c)
    assert other.heads == [] and server.heads == []


# --- 3: a total deadline; keepalive for streams ----------------------------------------------


@pytest.mark.parametrize("phase", ["headers", "body"])
async def test_a_trickling_server_cannot_hold_a_call(mode: str, serve: Any, phase: str) -> None:
    prefix = b"HTTP/1.1 200 OK\r\n" if phase == "headers" else answer(b"")[:-2]
    if phase == "body":
        prefix = (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 6002\r\n\r\n"
        )
    server = serve(trickle(prefix))
    c = client(mode, server.url, timeout=1.0)
    try:
        with pytest.raises(TransportError, match=r"no complete answer within the 1 s timeout"):
            await run(c.request("GET", "/version"))
    finally:
        await close(c)


def test_every_connection_has_tcp_keepalive(serve: Any) -> None:
    server = serve(lambda conn, head: conn.sendall(answer(b"{}")))
    transport = sync_transport(verify=True, proxy=None)
    with httpx.Client(transport=transport) as http, http.stream("GET", server.url) as response:
        sock = response.extensions["network_stream"].get_extra_info("socket")
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
        if hasattr(socket, "TCP_KEEPIDLE"):
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 15


# --- 5: no secret reaches any logger ---------------------------------------------------------


async def test_a_password_in_the_server_url_reaches_no_log(
    mode: str, serve: Any, caplog: pytest.LogCaptureFixture
) -> None:
    server = serve(lambda conn, head: conn.sendall(answer(b"{}")))
    url = server.url.replace("http://", "http://bob:UrlPassw0rd@")
    caplog.set_level(logging.DEBUG)  # every logger: kubetyped, httpx, httpcore
    c = client(mode, url)
    try:
        await run(c.request("GET", "/version"))
    finally:
        await close(c)
    assert b"authorization: basic ym9iolvybfbhc3n3mhjk" in server.heads[0].lower()
    assert "UrlPassw0rd" not in caplog.text and "Ym9iOlVybFBhc3N3MHJk" not in caplog.text
    assert "HTTP Request: GET" in caplog.text  # httpx's own INFO line was captured


# --- 6: proxies by Go's rules ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("server", "no_proxy", "proxied"),
    [
        ("https://10.1.2.3:6443", "", True),
        ("https://127.0.0.1:6443", "", False),
        ("https://localhost:6443", "", False),
        ("https://[::1]:6443", "", False),
        ("https://10.1.2.3:6443", "10.0.0.0/8", False),
        ("https://10.1.2.3:6443", "127.0.0.0/8", True),
        ("https://api.example.com", "example.com", False),
        ("https://example.com", "example.com", False),
        ("https://example.com", ".example.com", True),
        ("https://api.example.com", ".example.com", False),
        ("https://notexample.com", "example.com", True),
        ("https://api.example.com:6443", "example.com:443", True),
        ("https://api.example.com:6443", "example.com:6443", False),
        ("https://10.1.2.3:6443", "*", False),
        ("https://10.1.2.3:6443", " 10.1.2.3 ", False),
    ],
)
def test_proxy_from_environment_follows_go(server: str, no_proxy: str, proxied: bool) -> None:
    env = {"HTTPS_PROXY": "proxy.corp:3128", "NO_PROXY": no_proxy}
    expected = "http://proxy.corp:3128" if proxied else None
    assert proxy_from_environment(server, env) == expected


def test_proxy_variables_by_scheme() -> None:
    env = {"http_proxy": "http://p1:1", "HTTPS_PROXY": "socks5://p2:2"}
    assert proxy_from_environment("http://10.0.0.1", env) == "http://p1:1"
    assert proxy_from_environment("https://10.0.0.1", env) == "socks5://p2:2"
    with pytest.raises(ConfigError, match=r"\$HTTPS_PROXY: unsupported proxy socks4://"):
        proxy_from_environment("https://10.0.0.1", {"HTTPS_PROXY": "socks4://p:1"})


async def test_loopback_is_never_proxied(
    mode: str, serve: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = serve(lambda conn, head: conn.sendall(answer(b'{"via":"proxy"}')))
    server = serve(lambda conn, head: conn.sendall(answer(b"{}")))
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    c = client(mode, server.url)
    try:
        await run(c.request("GET", "/version"))
    finally:
        await close(c)
    assert proxy.heads == [] and len(server.heads) == 1


def kubeconfig(tmp_path: Path, cluster: dict[str, Any], user: dict[str, Any]) -> Path:
    import yaml

    path = tmp_path / "config"
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": cluster}],
                "users": [{"name": "u", "user": user}],
                "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "x",
            }
        )
    )
    return path


def test_a_socks_proxy_url_is_taken_and_others_refused(tmp_path: Path) -> None:
    good = kubeconfig(
        tmp_path, {"server": "https://10.0.0.1", "proxy-url": "socks5://127.0.0.1:1080"}, {}
    )
    assert read_kubeconfig(good).cluster_config(None).proxy == "socks5://127.0.0.1:1080"
    Client(read_kubeconfig(good).cluster_config(None)).close()  # socksio is installed
    bad = kubeconfig(
        tmp_path, {"server": "https://10.0.0.1", "proxy-url": "socks4://127.0.0.1:1080"}, {}
    )
    with pytest.raises(ConfigError, match=r"clusters\[c\]\.cluster\.proxy-url: unsupported"):
        read_kubeconfig(bad).cluster_config(None)


def test_credentials_for_a_plain_http_server_never_go_through_a_proxy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.corp:3128")
    config = ClusterConfig(server="http://10.0.0.1:8080", auth=BearerToken("tok"))
    with pytest.raises(ConfigError, match=r"\$HTTP_PROXY: the proxy would see .* clear text"):
        Client(config)
    Client(ClusterConfig(server="http://10.0.0.1:8080")).close()  # no credentials: fine


# --- 7: fail fast, and name the culprit ------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def recording_policy(sleeps: list[float]) -> RetryPolicy:
    async def async_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    return RetryPolicy(sleep=sleeps.append, async_sleep=async_sleep)


async def test_connection_refused_fails_at_once(mode: str) -> None:
    sleeps: list[float] = []
    c = client(mode, f"http://127.0.0.1:{closed_port()}", retry=recording_policy(sleeps))
    try:
        with pytest.raises(TransportError, match="ConnectError"):
            await run(c.request("GET", "/version"))
    finally:
        await close(c)
    assert sleeps == []


async def test_a_dead_proxy_is_named(mode: str, tmp_path: Path) -> None:
    sleeps: list[float] = []
    proxy = f"http://127.0.0.1:{closed_port()}"
    config = read_kubeconfig(
        kubeconfig(tmp_path, {"server": "http://10.0.0.1:8080", "proxy-url": proxy}, {})
    ).cluster_config(None)
    c = client(mode, "", config=config, retry=recording_policy(sleeps))
    try:
        with pytest.raises(TransportError, match=f"the proxy {proxy} \\(from proxy-url\\) failed"):
            await run(c.request("GET", "/version"))
    finally:
        await close(c)
    assert sleeps == []


async def test_a_truncated_answer_is_not_retried(mode: str, serve: Any) -> None:
    def truncated(conn: socket.socket, head: bytes) -> None:
        conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{"kind":')

    server = serve(truncated)
    sleeps: list[float] = []
    c = client(mode, server.url, retry=recording_policy(sleeps))
    try:
        with pytest.raises(TransportError, match="the answer broke off before its end"):
            await run(c.request("GET", "/version"))
    finally:
        await close(c)
    assert sleeps == [] and len(server.heads) == 1


# --- 8: bounded memory -----------------------------------------------------------------------


async def test_a_gzip_bomb_is_stopped(mode: str, serve: Any) -> None:
    bomb = gzip.compress(b"0" * (64 * 2**20), compresslevel=9)  # 64 MiB in about 64 KiB

    def handler(conn: socket.socket, head: bytes) -> None:
        conn.sendall(answer(bomb, headers="Content-Encoding: gzip\r\n"))

    server = serve(handler)
    c = client(mode, server.url, max_response_bytes=2**20)
    try:
        with pytest.raises(
            ResponseTooLarge,
            match=r"GET .*/version: .* larger than 1,048,576 bytes .*max_response_bytes",
        ):
            await run(c.request("GET", "/version"))
    finally:
        await close(c)


async def test_an_endless_stream_line_is_stopped(mode: str, serve: Any) -> None:
    def handler(conn: socket.socket, head: bytes) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"x" * 65536
        for _ in range(1024):  # 64 MiB without a newline
            conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))

    server = serve(handler)
    c = client(mode, server.url, max_line_bytes=2**20)
    req: ApiRequest[bytes] = ApiRequest("GET", "/watch", bytes)
    try:
        with pytest.raises(
            ResponseTooLarge,
            match=r"GET .*/watch: .* longer than 1,048,576 bytes; raise Client\(max_line_bytes",
        ):
            if isinstance(c, Client):
                list(c.stream_lines(req))
            else:
                [line async for line in c.stream_lines(req)]
    finally:
        await close(c)


# --- 9: the small ones -----------------------------------------------------------------------


async def test_warnings_are_sanitized(mode: str, serve: Any) -> None:
    evil = '299 - "\x1b[31mred\x1b[0m\x07 alert"'

    def handler(conn: socket.socket, head: bytes) -> None:
        conn.sendall(answer(b"{}", headers=f"Warning: {evil}\r\n"))

    server = serve(handler)
    seen: list[str] = []
    c = client(mode, server.url, warning_handler=seen.append)
    try:
        await run(c.request("GET", "/version"))
    finally:
        await close(c)
    assert seen == ["\\x1b[31mred\\x1b[0m\\x07 alert"]


async def test_a_huge_status_message_is_trimmed(mode: str, serve: Any) -> None:
    message = "x" * (10 * 2**20)
    status = {"kind": "Status", "code": 404, "reason": "NotFound", "message": message}
    body = json.dumps(status).encode()

    def handler(conn: socket.socket, head: bytes) -> None:
        conn.sendall(
            f"HTTP/1.1 404 Not Found\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body
        )

    server = serve(handler)
    c = client(mode, server.url)
    try:
        with pytest.raises(NotFound) as info:
            await run(c.request("GET", "/version"))
    finally:
        await close(c)
    assert len(str(info.value)) < 3000
    assert "more characters in .status.message" in str(info.value)
    assert info.value.message == message


async def test_a_huge_selector_is_a_clear_error(mode: str) -> None:
    c = client(mode, "http://127.0.0.1:1")
    try:
        with pytest.raises(InvalidRequest, match="cannot make a URL of this request"):
            await run(c.request("GET", "/api/v1/pods", params={"labelSelector": "a" * 70000}))
    finally:
        await close(c)


async def test_a_closed_client_says_so(mode: str) -> None:
    c = client(mode, "http://127.0.0.1:1")
    await close(c)
    with pytest.raises(InvalidRequest, match="the client is closed"):
        await run(c.request("GET", "/version"))


def test_kubeconfig_errors_carry_no_secret_as_context(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text("users:\n- name: u\n  user:\n    token: s3cret: [unclosed\n")
    with pytest.raises(ConfigError) as info:
        read_kubeconfig(path)
    assert info.value.__context__ is None and info.value.__cause__ is None
    bad = kubeconfig(tmp_path, {"server": "https://x", "certificate-authority-data": "s3cr*t"}, {})
    with pytest.raises(ConfigError, match="invalid base64") as info:
        read_kubeconfig(bad).cluster_config(None)
    assert info.value.__context__ is None


def test_exec_output_errors_carry_no_secret_as_context() -> None:
    from kubetyped.auth import ExecConfig, _parse_credential

    config = ExecConfig(
        command="plugin", args=(), env=(), api_version="client.authentication.k8s.io/v1"
    )
    with pytest.raises(ConfigError, match="not valid JSON") as info:
        _parse_credential(b'{"token": "s3cret-token"', config)
    assert info.value.__context__ is None


def test_without_a_ca_the_system_trust_store_is_used() -> None:
    context = make_ssl_context()
    assert isinstance(context, truststore.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
