"""``Client`` and ``AsyncClient``: send :class:`~kubetyped.request.ApiRequest` s to a cluster.

As in httpx, ``_BaseClient`` does everything but I/O (building requests, logging, retry and
error decisions, decoding); the two clients only send, read and sleep. This is the one module
of the runtime that imports httpx.

Logging, on the ``kubetyped`` logger: every exchange at DEBUG, the way ``kubectl -v6`` prints
it (``GET https://host/api/v1/namespaces/x/pods 200 OK in 5 milliseconds``), never with
headers; server ``Warning`` headers at WARNING unless a ``warning_handler`` is given.

What a call may cost is bounded: ``timeout`` is the total time of one attempt (connect, send,
and the whole answer), retries stop at the policy's ``max_retries`` and ``max_elapsed``, and a
response or stream line larger than ``max_response_bytes`` / ``max_line_bytes`` is refused.
A client is safe to share between threads (sync) or tasks (asyncio): see ``transport``.
"""

from __future__ import annotations

import logging
import ssl
import time
from collections.abc import (
    AsyncGenerator,
    Callable,
    Generator,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from functools import lru_cache
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeAlias, TypeVar

import httpx

from ._base_errors import ConfigError
from .discovery import (
    ApiGroup,
    ApiResource,
    VersionInfo,
    core_versions_request,
    group_list_request,
    health_request,
    merge_groups,
    resources_request,
    version_request,
)
from .errors import (
    InvalidRequest,
    ResponseTooLarge,
    TransportError,
    cause_text,
    decode_error,
    error_from_response,
)
from .proxy import check_proxy_url, proxy_from_environment
from .redact import redact_url
from .request import ApiRequest, ParamValue, decode, encode_params
from .retry import RetryPolicy
from .status import parse_warnings
from .transport import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_LINE_BYTES,
    DEFAULT_MAX_RESPONSE_BYTES,
    BodyLimit,
    async_transport,
    deadline,
    http2_disabled,
    sync_transport,
)
from .watch import LineBuffer

if TYPE_CHECKING:
    from typing_extensions import Self

    from .cluster import StrPath

__all__ = ["AsyncClient", "Client", "ClusterConfigLike", "WarningHandler"]

logger = logging.getLogger("kubetyped")

T = TypeVar("T")
H = TypeVar("H", httpx.Client, httpx.AsyncClient)

Kubeconfig: TypeAlias = "StrPath | Sequence[StrPath]"
"""One kubeconfig file, or several merged the way ``KUBECONFIG`` merges them."""

WarningHandler = Callable[[str], None]
"""Receives each server warning message; the default logs it at WARNING."""

# Failures before any answer after which a GET may safely be sent again (client-go's
# "connection reset" and "probable EOF"); the retry policy still decides. A refused or
# unroutable connection is not among them: kubectl fails at once there, and so do we.
_TRANSIENT = (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)
_EOF = (ssl.SSLEOFError, ssl.SSLZeroReturnError, ConnectionResetError, ConnectionAbortedError)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: BaseException | None = exc
    while seen is not None:
        yield seen
        seen = seen.__cause__ or seen.__context__


def _is_transient(exc: httpx.RequestError) -> bool:
    if isinstance(exc, httpx.ConnectError):
        # Only an EOF or reset during the handshake (a server restarting) can heal.
        return any(isinstance(cause, _EOF) for cause in _chain(exc))
    return isinstance(exc, _TRANSIENT)


def _is_tls_failure(exc: BaseException) -> bool:
    """A TLS failure that cannot heal: a refused certificate (ours or the server's), no
    shared protocol, https to a plain-http port. httpx reports these as a ConnectError, but
    unlike a dropped connection a retry cannot help (client-go does not retry them either).
    An EOF in the handshake, as from a restarting server, stays retryable."""
    return any(
        isinstance(seen, ssl.SSLError)
        and not isinstance(seen, (ssl.SSLEOFError, ssl.SSLZeroReturnError, ssl.SSLSyscallError))
        for seen in _chain(exc)
    )


class ClusterConfigLike(Protocol):
    """What a client needs of :class:`kubetyped.config.ClusterConfig`.

    ``httpx_options()`` gives keyword arguments for ``httpx.Client`` (``base_url``,
    ``verify``, ``auth``, ``proxy``); an optional ``request_extensions`` dict (such as
    ``sni_hostname``) is added to every request.
    """

    @property
    def server(self) -> str: ...

    @property
    def namespace(self) -> str | None: ...

    def httpx_options(self) -> Mapping[str, Any]: ...


def _load_config(kubeconfig: Kubeconfig | None, context: str | None) -> ClusterConfigLike:
    from .config import load_config  # loading kubeconfig pulls in YAML and auth: only on use

    config: ClusterConfigLike = load_config(kubeconfig=kubeconfig, context=context)
    return config


def _log_warning(message: str) -> None:
    logger.warning("server warning: %s", message)


def _user_agent() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"kubetyped/{version('kubetyped')}"
    except PackageNotFoundError:
        return "kubetyped"


def _safe_url(url: httpx.URL) -> str:
    # A server URL may carry user:password; it must not reach logs or error messages.
    return redact_url(str(url))


def _printable(text: str) -> str:
    """``text`` with control characters (terminal escapes among them) shown as ``\\xNN``."""
    return (
        text
        if text.isprintable()
        else "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
    )


def _located(request: httpx.Request, exc: ResponseTooLarge) -> ResponseTooLarge:
    return ResponseTooLarge(f"{request.method} {_safe_url(request.url)}: {exc}")


def _invalid_url(method: str, path: str, exc: httpx.InvalidURL) -> InvalidRequest:
    # httpx refuses URLs over 64 KiB, such as a request with a huge label selector.
    return InvalidRequest(f"{method} {path}: cannot make a URL of this request: {exc}")


def _split_credentials(server: str) -> tuple[str, httpx.BasicAuth | None]:
    """A server URL without ``user:password@`` and the basic auth it carried: httpx logs
    request URLs at INFO, so credentials must not ride in them."""
    url = httpx.URL(server)
    if not url.userinfo:
        return server, None
    auth = httpx.BasicAuth(url.username, url.password)
    return str(url.copy_with(username=None, password=None)), auth


_URL_CACHE_MAX_CHARS = 2048
"""URLs longer than this (a long label selector) are parsed every time rather than kept."""


@lru_cache(maxsize=512)
def _parsed_url(text: str) -> httpx.URL:
    # httpx parses a URL in pure Python (a check of every character, then each part), about
    # 15 us; a client calls the same few URLs again and again (a collection to create in,
    # an object to poll). An httpx.URL is immutable, so the parse is kept, keyed by the text.
    return httpx.URL(text)


def _url(text: str) -> httpx.URL:
    return _parsed_url(text) if len(text) <= _URL_CACHE_MAX_CHARS else httpx.URL(text)


class _NoCookies(httpx.Cookies):
    """A cookie jar that keeps nothing: like client-go and kubectl (no ``http.Client.Jar``),
    a kubetyped client neither stores nor sends cookies. httpx would otherwise run every
    answer through ``http.cookiejar`` (about 20 us a call) for cookies no API server sets."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None

    def set(self, name: str, value: str, domain: str = "", path: str = "/") -> None:
        return None


class _BaseClient(Generic[H]):
    """Everything a client does except I/O."""

    _http: H

    def __init__(
        self,
        config: ClusterConfigLike | None,
        *,
        kubeconfig: Kubeconfig | None,
        context: str | None,
        timeout: float | httpx.Timeout,
        max_retries: int | None,
        retry: RetryPolicy | None,
        warning_handler: WarningHandler | None,
        max_response_bytes: int,
        max_line_bytes: int,
        max_connections: int,
    ) -> None:
        if config is None:
            config = _load_config(kubeconfig, context)
        elif kubeconfig is not None or context is not None:
            raise ValueError("pass either config or kubeconfig/context, not both")
        self._config = config
        if retry is not None and max_retries is not None:
            raise ValueError("pass either max_retries or retry, not both")
        if retry is None:
            retry = RetryPolicy() if max_retries is None else RetryPolicy(max_retries=max_retries)
        self._retry = retry
        self._warning_handler = warning_handler or _log_warning
        self._timeout = httpx.Timeout(timeout)
        # The total time of one attempt; a float is that, an httpx.Timeout's read value is.
        self._deadline = timeout if isinstance(timeout, (int, float)) else timeout.read
        self._max_response_bytes = max_response_bytes
        self._max_line_bytes = max_line_bytes
        self._max_connections = max_connections
        self._proxy, self._proxy_source = self._choose_proxy(config)
        self._verify: Any = config.httpx_options().get("verify", True)
        # A stream (watch, log -f) may rightly be silent for minutes: no read timeout.
        self._stream_timeout = httpx.Timeout(
            connect=self._timeout.connect,
            read=None,
            write=self._timeout.write,
            pool=self._timeout.pool,
        )
        self._extensions: dict[str, Any] = dict(getattr(config, "request_extensions", None) or {})

    @property
    def config(self) -> ClusterConfigLike:
        """The cluster settings this client uses."""
        return self._config

    @property
    def namespace(self) -> str:
        """The context's namespace, used when a namespaced call names none (``default``)."""
        return self._config.namespace or "default"

    @property
    def max_response_bytes(self) -> int:
        """The largest answer body (after decompression) this client accepts."""
        return self._max_response_bytes

    def url(self, req: ApiRequest[Any]) -> str:
        """The full URL ``req`` is sent to."""
        return _safe_url(self._build(req).url)

    @property
    def retry(self) -> RetryPolicy:
        """The retry rules and budget this client follows."""
        return self._retry

    def upgrade_settings(self) -> tuple[dict[str, Any], Any, str | None, dict[str, Any]]:
        """What a connection that leaves HTTP needs to be made as every request of this client
        is: httpx client options (base URL, auth, impersonation headers, timeout), the TLS
        verification (``verify``), the proxy URL and the per-request extensions.

        For :mod:`kubetyped.websocket` (exec, attach, port-forward), which opens its own
        HTTP/1.1-only httpx client: the WebSocket upgrade cannot run over HTTP/2.
        """
        return self._http_options(), self._verify, self._proxy, dict(self._extensions)

    @staticmethod
    def _choose_proxy(config: ClusterConfigLike) -> tuple[str | None, str]:
        configured: str | None = config.httpx_options().get("proxy")
        if configured:
            return check_proxy_url(configured, "proxy-url"), "proxy-url"
        proxy = proxy_from_environment(config.server)
        source = "$HTTPS_PROXY" if config.server.startswith("https:") else "$HTTP_PROXY"
        return proxy, source

    def _http_options(self) -> dict[str, Any]:
        """Keyword arguments for the httpx client; the transport is the caller's to add."""
        options = dict(self._config.httpx_options())
        options.pop("verify", None)  # the transport's, built by the client
        options.pop("proxy", None)
        options["base_url"], basic = _split_credentials(str(options["base_url"]))
        if basic is not None and options.get("auth") is None:
            options["auth"] = basic
        if (
            self._proxy
            and options["base_url"].startswith("http:")
            and (options.get("auth") is not None or basic is not None)
        ):
            raise ConfigError(
                f"{self._proxy_source}: the proxy would see this cluster's credentials in "
                f"clear text, since the server {_safe_url(httpx.URL(options['base_url']))} is "
                "plain http; use https, or list the server in NO_PROXY"
            )
        # A list keeps repeated headers (one Impersonate-Group per group) apart.
        extra: list[tuple[str, str]] = httpx.Headers(options.get("headers") or {}).multi_items()
        options["headers"] = httpx.Headers(
            [("Accept", "application/json"), ("User-Agent", _user_agent()), *extra]
        )
        options["timeout"] = self._timeout
        # Proxies are chosen above by Go's rules; netrc and friends are not kubectl's.
        options["trust_env"] = False
        return options

    def _adopt(self, http: H) -> H:
        """``http``, made this client's: no cookie jar, and its base URL kept as text."""
        http._cookies = _NoCookies()  # the public setter would copy it into a real jar
        self._base = str(http.base_url).rstrip("/")
        return http

    def _build(self, req: ApiRequest[Any], *, stream: bool = False) -> httpx.Request:
        try:
            # The whole URL in one string, parsed once: httpx would parse the path, join it to
            # the base URL and merge the query, three parses of a URL in pure Python, which
            # under load cost more than the rest of building a request.
            url = self._base + req.path
            if req.params:
                url += "?" + str(httpx.QueryParams(req.params))
            return self._http.build_request(
                req.method,
                _url(url),
                content=req.body,
                headers={"Content-Type": req.content_type} if req.content_type else None,
                timeout=self._stream_timeout if stream else httpx.USE_CLIENT_DEFAULT,
                extensions=self._extensions,
            )
        except httpx.InvalidURL as exc:
            raise _invalid_url(req.method, req.path, exc) from None

    def _build_raw(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, ParamValue | None] | None,
        json: object,
        content: bytes | str | None,
        headers: Mapping[str, str] | None,
    ) -> httpx.Request:
        target: httpx.URL
        try:
            target = httpx.URL(path)
        except httpx.InvalidURL as exc:
            raise _invalid_url(method, path[:100], exc) from None
        if target.is_absolute_url or target.host or not target.path.startswith("/"):
            # Like `kubectl get --raw`: only paths on this cluster, so that its credentials
            # never go to another host (nor to this one over another scheme or port).
            raise InvalidRequest(
                f"{method} {_safe_url(target)}: request() takes a path on the cluster, such as "
                "/api/v1/namespaces; not a URL"
            )
        # A query written in the path is kept, and params= add to it (httpx would drop it).
        query = (*target.params.multi_items(), *encode_params(params))
        try:
            return self._http.build_request(
                method,
                target.copy_with(query=None),
                params=query,
                json=json,
                content=content,
                headers=headers,
                extensions=self._extensions,
            )
        except httpx.InvalidURL as exc:
            raise _invalid_url(method, target.path, exc) from None

    def _check_open(self, request: httpx.Request) -> None:
        if self._http.is_closed:
            raise InvalidRequest(
                f"{request.method} {_safe_url(request.url)}: the client is closed; use a new one"
            )

    def _deadline_for(self, stream: bool) -> float | None:
        return None if stream else self._deadline

    def _after_response(
        self,
        request: httpx.Request,
        response: httpx.Response,
        attempt: int,
        started: float,
        first_started: float,
    ) -> float | None:
        """Log an answer; return the wait before retrying it, None if it is a final success,
        or raise its ``ApiError`` (the body of an error has been read)."""
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s %d %s in %d milliseconds",
                request.method,
                _safe_url(request.url),
                response.status_code,
                response.reason_phrase,
                round((time.perf_counter() - started) * 1000),
            )
        # Every answer's warnings reach the handler, also those of an answer about to be retried.
        warnings = self._warn(response)
        if response.is_success:
            return None
        url = _safe_url(request.url)
        retry_after = response.headers.get("Retry-After")
        delay = self._retry.delay_after_response(attempt, response.status_code, retry_after)
        if delay is not None and self._retry.allows(first_started, delay):
            self._log_retry(request, url, delay, attempt, f"HTTP {response.status_code}")
            return delay
        raise error_from_response(
            response.status_code,
            response.content,
            method=request.method,
            url=url,
            warnings=warnings,
        )

    def _warn(self, response: httpx.Response) -> list[str]:
        """Hand the answer's ``Warning`` headers to the warning handler; return them."""
        warnings = [_printable(w) for w in parse_warnings(response.headers.get_list("Warning"))]
        for message in warnings:
            self._warning_handler(message)
        return warnings

    def _after_error(
        self,
        request: httpx.Request,
        exc: httpx.RequestError,
        attempt: int,
        started: float,
        first_started: float,
    ) -> float:
        """Log a failed send; return the wait before retrying it or raise ``TransportError``."""
        url = _safe_url(request.url)
        elapsed = round((time.perf_counter() - started) * 1000)
        logger.debug(
            "%s %s failed in %d milliseconds: %s", request.method, url, elapsed, cause_text(exc)
        )
        delay = None
        if _is_transient(exc) and not _is_tls_failure(exc):
            delay = self._retry.delay_after_error(attempt, request.method)
            if delay is not None and not self._retry.allows(first_started, delay):
                delay = None
        if delay is None:
            raise self._transport_error(request, exc, attempt) from exc
        self._log_retry(request, url, delay, attempt, type(exc).__name__)
        return delay

    def _transport_error(
        self, request: httpx.Request, exc: httpx.RequestError, attempt: int
    ) -> TransportError:
        """The error that names the real culprit: the proxy, the timeout, or the server."""
        where = f"{request.method} {_safe_url(request.url)}"
        retried = f" (after {attempt} retries)" if attempt else ""
        if self._proxy and isinstance(exc, (httpx.ConnectError, httpx.ProxyError)):
            proxy = _safe_url(httpx.URL(self._proxy))
            return TransportError(
                f"{where}: the proxy {proxy} (from {self._proxy_source}) failed: "
                f"{cause_text(exc)}{retried}"
            )
        if isinstance(exc, httpx.PoolTimeout):
            waited = self._timeout.pool
            return TransportError(
                f"{where}: no connection to the server was free within "
                f"{waited if waited is not None else 0:g} s: all {self._max_connections} "
                "(max_connections) are busy, each with as many calls and watches as it can "
                "carry (one over HTTP/1.1; over HTTP/2, as many as the server allows at "
                f"once); raise max_connections or make fewer calls at a time{retried}"
            )
        if isinstance(exc, httpx.TimeoutException) and self._deadline is not None:
            return TransportError(
                f"{where}: no complete answer within the {self._deadline:g} s timeout "
                f"({cause_text(exc)}); Client(timeout=...) sets it{retried}"
            )
        return TransportError(f"{where}: {cause_text(exc)}{retried}")

    def _log_retry(
        self, request: httpx.Request, url: str, delay: float, attempt: int, why: str
    ) -> None:
        logger.debug(
            "retrying %s %s in %.1f seconds after %s (retry %d of %d)",
            request.method,
            url,
            delay,
            why,
            attempt + 1,
            self._retry.max_retries,
        )

    def _broken_body(self, request: httpx.Request, exc: httpx.RequestError) -> TransportError:
        """A body cut off or stalled: not retried, as in client-go (the request was served)."""
        if isinstance(exc, httpx.TimeoutException):
            return self._transport_error(request, exc, 0)
        url = _safe_url(request.url)
        logger.debug("%s %s body broke: %s", request.method, url, cause_text(exc))
        return TransportError(
            f"{request.method} {url}: the answer broke off before its end: {cause_text(exc)}"
        )

    def _broken_stream(self, request: httpx.Request, exc: httpx.RequestError) -> TransportError:
        url = _safe_url(request.url)
        logger.debug("%s %s stream broke: %s", request.method, url, cause_text(exc))
        return TransportError(f"{request.method} {url}: stream broke: {cause_text(exc)}")

    def _decode(self, req: ApiRequest[T], request: httpx.Request, response: httpx.Response) -> T:
        try:
            return decode(req.response, response.content)
        except ValueError as exc:
            what = getattr(req.response, "__name__", type(req.response).__name__)
            context = (
                f"{request.method} {_safe_url(request.url)}: cannot decode the answer as {what}"
            )
            raise decode_error(context, exc) from exc


class Client(_BaseClient[httpx.Client]):
    """A synchronous client of one cluster.

    ``Client()`` finds the cluster the way kubectl does (``kubeconfig`` and ``context``, else
    ``$KUBECONFIG``, ``~/.kube/config``, then in-cluster); ``config`` passes settings you
    already have. ``timeout`` (seconds) bounds each attempt of a call in total, from connect
    to the last byte; streams (watch, ``log -f``) have none, and TCP keepalive notices a dead
    one. ``max_retries`` (default 10) bounds retries; ``retry`` replaces the whole
    :class:`~kubetyped.retry.RetryPolicy` (its ``max_elapsed`` is the total time a call may
    spend retrying). ``max_response_bytes`` (256 MiB) and ``max_line_bytes`` (16 MiB, one
    line of a watch or log) bound memory; ``max_connections`` (100) bounds the pool: it
    speaks HTTP/1.1, so each call and each open watch holds a connection, and a call that
    finds them all busy waits for one within its ``timeout``, then raises ``TransportError``
    naming the limit (:class:`AsyncClient` speaks HTTP/2, many calls to a connection).
    ``warning_handler`` receives server warnings instead of the log. ``transport``
    replaces the network (``httpx.MockTransport`` in tests). One client may be shared by
    many threads. Use it as a context manager, or call ``close()``.
    """

    def __init__(
        self,
        config: ClusterConfigLike | None = None,
        *,
        kubeconfig: Kubeconfig | None = None,
        context: str | None = None,
        timeout: float | httpx.Timeout = 60.0,
        transport: httpx.BaseTransport | None = None,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
        warning_handler: WarningHandler | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        super().__init__(
            config,
            kubeconfig=kubeconfig,
            context=context,
            timeout=timeout,
            max_retries=max_retries,
            retry=retry,
            warning_handler=warning_handler,
            max_response_bytes=max_response_bytes,
            max_line_bytes=max_line_bytes,
            max_connections=max_connections,
        )
        options = self._http_options()
        if transport is None:
            transport = sync_transport(
                verify=self._verify, proxy=self._proxy, max_connections=max_connections
            )
        self._http = self._adopt(httpx.Client(**options, transport=transport))

    def send(self, req: ApiRequest[T]) -> T:
        """Send ``req`` and decode its answer; raise ``ApiError`` for an error status."""
        request = self._build(req)
        return self._decode(req, request, self._exchange(request))

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, ParamValue | None] | None = None,
        json: object = None,
        content: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """A raw call, like ``kubectl get --raw``: the response, or ``ApiError`` if not 2xx."""
        return self._exchange(
            self._build_raw(
                method, path, params=params, json=json, content=content, headers=headers
            )
        )

    def stream_lines(
        self,
        req: ApiRequest[Any],
        *,
        keep_blank: bool = False,
        on_open: Callable[[httpx.Response], None] | None = None,
    ) -> Generator[bytes, None, None]:
        """Send ``req`` and yield its body line by line as it arrives (watch, ``log -f``).

        ``on_open`` receives the response once it arrives, so that another thread can end a
        stream blocked in a read (:func:`kubetyped.transport.interrupt`)."""
        request = self._build(req, stream=True)
        response = self._exchange(request, stream=True)
        if on_open is not None:
            on_open(response)
        try:
            lines = LineBuffer(keep_blank=keep_blank, max_line=self._max_line_bytes)
            for chunk in response.iter_bytes():
                yield from lines.feed(chunk)
            yield from lines.flush()
        except httpx.RequestError as exc:
            raise self._broken_stream(request, exc) from exc
        except ResponseTooLarge as exc:
            raise _located(request, exc) from None
        finally:
            response.close()

    def version(self) -> VersionInfo:
        """The server's version (``/version``)."""
        return self.send(version_request())

    def api_groups(self) -> list[ApiGroup]:
        """Every API group the server serves, the core group (``""``) first."""
        return merge_groups(self.send(core_versions_request()), self.send(group_list_request()))

    def api_resources(self, group_version: str) -> list[ApiResource]:
        """The resources of one group version, ``"v1"`` or ``"apps/v1"``."""
        return self.send(resources_request(group_version)).resources

    def livez(self, *, verbose: bool = False, exclude: Iterable[str] = ()) -> str:
        """``/livez``'s text (``ok``); raises ``ServerError`` when a check fails."""
        return self.send(health_request("livez", verbose=verbose, exclude=exclude))

    def readyz(self, *, verbose: bool = False, exclude: Iterable[str] = ()) -> str:
        """``/readyz``'s text (``ok``); raises ``ServerError`` when a check fails."""
        return self.send(health_request("readyz", verbose=verbose, exclude=exclude))

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _exchange(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        self._check_open(request)
        attempt = 0
        first_started = self._retry.clock()
        while True:
            started = time.perf_counter()
            with deadline(self._deadline_for(stream)):
                try:
                    response = self._http.send(request, stream=True)
                except httpx.RequestError as exc:
                    delay = self._after_error(request, exc, attempt, started, first_started)
                else:
                    try:
                        if not stream or not response.is_success:
                            # The whole answer (or the error's Status), within the deadline.
                            body = BodyLimit(self._max_response_bytes)
                            for chunk in response.iter_bytes():
                                body.add(chunk)
                            body.into(response)
                    except httpx.RequestError as exc:
                        response.close()
                        raise self._broken_body(request, exc) from exc
                    except ResponseTooLarge as exc:
                        response.close()
                        raise _located(request, exc) from None
                    except BaseException:
                        response.close()
                        raise
                    retry = self._after_response(request, response, attempt, started, first_started)
                    if retry is None:
                        return response
                    response.close()
                    delay = retry
            self._retry.sleep(delay)
            attempt += 1


class AsyncClient(_BaseClient[httpx.AsyncClient]):
    """The asyncio (or trio) twin of :class:`Client`: the same arguments and methods, awaited;
    ``aclose()`` or ``async with`` to close.

    It speaks HTTP/2 where the server offers it (as client-go does): calls and watches share
    a connection, as many at once as the server allows (kube-apiserver: 100 or more), and a
    new connection opens for the next, up to ``max_connections``; a call finding them all
    full waits within its timeout, then fails with ``TransportError`` naming the limit.
    ``http2=False``, or ``$DISABLE_HTTP2`` set to anything (client-go's switch), keeps it to
    HTTP/1.1: one connection per call or watch."""

    def __init__(
        self,
        config: ClusterConfigLike | None = None,
        *,
        kubeconfig: Kubeconfig | None = None,
        context: str | None = None,
        timeout: float | httpx.Timeout = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
        warning_handler: WarningHandler | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        http2: bool | None = None,
    ) -> None:
        super().__init__(
            config,
            kubeconfig=kubeconfig,
            context=context,
            timeout=timeout,
            max_retries=max_retries,
            retry=retry,
            warning_handler=warning_handler,
            max_response_bytes=max_response_bytes,
            max_line_bytes=max_line_bytes,
            max_connections=max_connections,
        )
        self._http2 = not http2_disabled() if http2 is None else http2
        options = self._http_options()
        if transport is None:
            transport = async_transport(
                verify=self._verify,
                proxy=self._proxy,
                max_connections=max_connections,
                http2=self._http2,
            )
        self._http = self._adopt(httpx.AsyncClient(**options, transport=transport))

    @property
    def http2(self) -> bool:
        """Whether HTTP/2 is offered to the server (it is used where the server takes it)."""
        return self._http2

    async def send(self, req: ApiRequest[T]) -> T:
        """Send ``req`` and decode its answer; raise ``ApiError`` for an error status."""
        request = self._build(req)
        return self._decode(req, request, await self._exchange(request))

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, ParamValue | None] | None = None,
        json: object = None,
        content: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """A raw call, like ``kubectl get --raw``: the response, or ``ApiError`` if not 2xx."""
        return await self._exchange(
            self._build_raw(
                method, path, params=params, json=json, content=content, headers=headers
            )
        )

    async def stream_lines(
        self, req: ApiRequest[Any], *, keep_blank: bool = False
    ) -> AsyncGenerator[bytes, None]:
        """Send ``req`` and yield its body line by line as it arrives (watch, ``log -f``)."""
        request = self._build(req, stream=True)
        response = await self._exchange(request, stream=True)
        try:
            lines = LineBuffer(keep_blank=keep_blank, max_line=self._max_line_bytes)
            async for chunk in response.aiter_bytes():
                for line in lines.feed(chunk):
                    yield line
            for line in lines.flush():
                yield line
        except httpx.RequestError as exc:
            raise self._broken_stream(request, exc) from exc
        except ResponseTooLarge as exc:
            raise _located(request, exc) from None
        finally:
            await response.aclose()

    async def version(self) -> VersionInfo:
        """The server's version (``/version``)."""
        return await self.send(version_request())

    async def api_groups(self) -> list[ApiGroup]:
        """Every API group the server serves, the core group (``""``) first."""
        core = await self.send(core_versions_request())
        return merge_groups(core, await self.send(group_list_request()))

    async def api_resources(self, group_version: str) -> list[ApiResource]:
        """The resources of one group version, ``"v1"`` or ``"apps/v1"``."""
        return (await self.send(resources_request(group_version))).resources

    async def livez(self, *, verbose: bool = False, exclude: Iterable[str] = ()) -> str:
        """``/livez``'s text (``ok``); raises ``ServerError`` when a check fails."""
        return await self.send(health_request("livez", verbose=verbose, exclude=exclude))

    async def readyz(self, *, verbose: bool = False, exclude: Iterable[str] = ()) -> str:
        """``/readyz``'s text (``ok``); raises ``ServerError`` when a check fails."""
        return await self.send(health_request("readyz", verbose=verbose, exclude=exclude))

    async def aclose(self) -> None:
        """Close the connections."""
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _exchange(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        self._check_open(request)
        attempt = 0
        first_started = self._retry.clock()
        while True:
            started = time.perf_counter()
            with deadline(self._deadline_for(stream)):
                try:
                    response = await self._http.send(request, stream=True)
                except httpx.RequestError as exc:
                    delay = self._after_error(request, exc, attempt, started, first_started)
                else:
                    try:
                        if not stream or not response.is_success:
                            # The whole answer (or the error's Status), within the deadline.
                            body = BodyLimit(self._max_response_bytes)
                            async for chunk in response.aiter_bytes():
                                body.add(chunk)
                            body.into(response)
                    except httpx.RequestError as exc:
                        await response.aclose()
                        raise self._broken_body(request, exc) from exc
                    except ResponseTooLarge as exc:
                        await response.aclose()
                        raise _located(request, exc) from None
                    except BaseException:
                        await response.aclose()
                        raise
                    retry = self._after_response(request, response, attempt, started, first_started)
                    if retry is None:
                        return response
                    await response.aclose()
                    delay = retry
            await self._retry.async_sleep(delay)
            attempt += 1
