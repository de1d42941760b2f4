"""``Client`` and ``AsyncClient``: send :class:`~kubetyped.request.ApiRequest` s to a cluster.

As in httpx, ``_BaseClient`` does everything but I/O (building requests, logging, retry and
error decisions, decoding); the two clients only send, read and sleep. This is the one module
of the runtime that imports httpx.

Logging, on the ``kubetyped`` logger: every exchange at DEBUG, the way ``kubectl -v6`` prints
it (``GET https://host/api/v1/namespaces/x/pods 200 OK in 5 milliseconds``), never with
headers; server ``Warning`` headers at WARNING unless a ``warning_handler`` is given.
"""

from __future__ import annotations

import logging
import os
import ssl
import time
from collections.abc import (
    AsyncGenerator,
    Callable,
    Generator,
    Iterable,
    Mapping,
    Sequence,
)
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import httpx

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
from .errors import TransportError, decode_error, error_from_response
from .request import ApiRequest, ParamValue, decode, encode_params
from .retry import RetryPolicy
from .status import parse_warnings
from .watch import LineBuffer

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["AsyncClient", "Client", "ClusterConfigLike", "WarningHandler"]

logger = logging.getLogger("kubetyped")

T = TypeVar("T")
H = TypeVar("H", httpx.Client, httpx.AsyncClient)

StrPath = str | os.PathLike[str]
Kubeconfig = StrPath | Sequence[StrPath]
"""One kubeconfig file, or several merged the way ``KUBECONFIG`` merges them."""

WarningHandler = Callable[[str], None]
"""Receives each server warning message; the default logs it at WARNING."""

# Failures after which a GET may safely be sent again (the retry policy still decides).
_TRANSIENT = (httpx.ConnectError, httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)


def _is_tls_failure(exc: BaseException) -> bool:
    """A TLS failure that cannot heal: a refused certificate (ours or the server's), no
    shared protocol, https to a plain-http port. httpx reports these as a ConnectError, but
    unlike a dropped connection a retry cannot help (client-go does not retry them either).
    An EOF in the handshake, as from a restarting server, stays retryable."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError) and not isinstance(
            seen, (ssl.SSLEOFError, ssl.SSLZeroReturnError, ssl.SSLSyscallError)
        ):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


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
    return str(url.copy_with(username=None, password=None)) if url.userinfo else str(url)


def _describe(exc: Exception) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


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

    def url(self, req: ApiRequest[Any]) -> str:
        """The full URL ``req`` is sent to."""
        return _safe_url(self._build(req).url)

    def _http_options(self, transport: object | None) -> dict[str, Any]:
        options = dict(self._config.httpx_options())
        # A list keeps repeated headers (one Impersonate-Group per group) apart.
        extra: list[tuple[str, str]] = httpx.Headers(options.get("headers") or {}).multi_items()
        options["headers"] = httpx.Headers(
            [("Accept", "application/json"), ("User-Agent", _user_agent()), *extra]
        )
        options["timeout"] = self._timeout
        if transport is not None:
            options["transport"] = transport
        return options

    def _build(self, req: ApiRequest[Any], *, stream: bool = False) -> httpx.Request:
        return self._http.build_request(
            req.method,
            req.path,
            params=req.params,
            content=req.body,
            headers={"Content-Type": req.content_type} if req.content_type else None,
            timeout=self._stream_timeout if stream else httpx.USE_CLIENT_DEFAULT,
            extensions=self._extensions,
        )

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
        return self._http.build_request(
            method,
            path,
            params=encode_params(params),
            json=json,
            content=content,
            headers=headers,
            extensions=self._extensions,
        )

    def _after_response(
        self, request: httpx.Request, response: httpx.Response, attempt: int, started: float
    ) -> float | None:
        """Log an answer; return the wait before retrying it, None if it is a final success,
        or raise its ``ApiError`` (the body of an error has been read)."""
        url = _safe_url(request.url)
        logger.debug(
            "%s %s %d %s in %d milliseconds",
            request.method,
            url,
            response.status_code,
            response.reason_phrase,
            round((time.perf_counter() - started) * 1000),
        )
        if not response.is_success:
            retry_after = response.headers.get("Retry-After")
            delay = self._retry.delay_after_response(attempt, response.status_code, retry_after)
            if delay is not None:
                self._log_retry(request, url, delay, attempt, f"HTTP {response.status_code}")
                return delay
        warnings = parse_warnings(response.headers.get_list("Warning"))
        for message in warnings:
            self._warning_handler(message)
        if response.is_success:
            return None
        raise error_from_response(
            response.status_code,
            response.content,
            method=request.method,
            url=url,
            warnings=warnings,
        )

    def _after_error(
        self, request: httpx.Request, exc: httpx.RequestError, attempt: int, started: float
    ) -> float:
        """Log a failed send; return the wait before retrying it or raise ``TransportError``."""
        url = _safe_url(request.url)
        elapsed = round((time.perf_counter() - started) * 1000)
        logger.debug(
            "%s %s failed in %d milliseconds: %s", request.method, url, elapsed, _describe(exc)
        )
        delay = None
        if isinstance(exc, _TRANSIENT) and not _is_tls_failure(exc):
            delay = self._retry.delay_after_error(attempt, request.method)
        if delay is None:
            raise TransportError(f"{request.method} {url}: {_describe(exc)}") from exc
        self._log_retry(request, url, delay, attempt, type(exc).__name__)
        return delay

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

    def _broken_stream(self, request: httpx.Request, exc: httpx.RequestError) -> TransportError:
        url = _safe_url(request.url)
        logger.debug("%s %s stream broke: %s", request.method, url, _describe(exc))
        return TransportError(f"{request.method} {url}: stream broke: {_describe(exc)}")

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
    already have. ``timeout`` (seconds) applies to each request; streams have no read
    timeout. ``max_retries`` (default 10) bounds retries; ``retry`` replaces the whole
    :class:`~kubetyped.retry.RetryPolicy`. ``warning_handler`` receives server warnings
    instead of the log. ``transport`` replaces the network (``httpx.MockTransport`` in tests).
    Use it as a context manager, or call ``close()``.
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
    ) -> None:
        super().__init__(
            config,
            kubeconfig=kubeconfig,
            context=context,
            timeout=timeout,
            max_retries=max_retries,
            retry=retry,
            warning_handler=warning_handler,
        )
        self._http = httpx.Client(**self._http_options(transport))

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
        self, req: ApiRequest[Any], *, keep_blank: bool = False
    ) -> Generator[bytes, None, None]:
        """Send ``req`` and yield its body line by line as it arrives (watch, ``log -f``)."""
        request = self._build(req, stream=True)
        response = self._exchange(request, stream=True)
        try:
            lines = LineBuffer(keep_blank=keep_blank)
            for chunk in response.iter_bytes():
                yield from lines.feed(chunk)
            yield from lines.flush()
        except httpx.RequestError as exc:
            raise self._broken_stream(request, exc) from exc
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
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                response = self._http.send(request, stream=stream)
                if not response.is_success:
                    try:
                        response.read()  # the error's Status, for the exception
                    except BaseException:
                        response.close()
                        raise
            except httpx.RequestError as exc:
                delay = self._after_error(request, exc, attempt, started)
            else:
                retry = self._after_response(request, response, attempt, started)
                if retry is None:
                    return response
                response.close()
                delay = retry
            self._retry.sleep(delay)
            attempt += 1


class AsyncClient(_BaseClient[httpx.AsyncClient]):
    """The asyncio (or trio) twin of :class:`Client`: the same arguments and methods, awaited;
    ``aclose()`` or ``async with`` to close."""

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
    ) -> None:
        super().__init__(
            config,
            kubeconfig=kubeconfig,
            context=context,
            timeout=timeout,
            max_retries=max_retries,
            retry=retry,
            warning_handler=warning_handler,
        )
        self._http = httpx.AsyncClient(**self._http_options(transport))

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
            lines = LineBuffer(keep_blank=keep_blank)
            async for chunk in response.aiter_bytes():
                for line in lines.feed(chunk):
                    yield line
            for line in lines.flush():
                yield line
        except httpx.RequestError as exc:
            raise self._broken_stream(request, exc) from exc
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
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                response = await self._http.send(request, stream=stream)
                if not response.is_success:
                    try:
                        await response.aread()  # the error's Status, for the exception
                    except BaseException:
                        await response.aclose()
                        raise
            except httpx.RequestError as exc:
                delay = self._after_error(request, exc, attempt, started)
            else:
                retry = self._after_response(request, response, attempt, started)
                if retry is None:
                    return response
                await response.aclose()
                delay = retry
            await self._retry.async_sleep(delay)
            attempt += 1
