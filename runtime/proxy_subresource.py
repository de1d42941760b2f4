"""HTTP requests to a pod, service or node through the API server: ``pods/proxy``,
``services/proxy``, ``nodes/proxy``.

::

    from kubetyped import Client
    from kubetyped.proxy_subresource import proxy

    with Client() as client:
        r = proxy(client, "pods", "web-0", "/healthz", namespace="prod", port=8080)
        r.status_code, r.text                         # the pod's own answer
        proxy(client, "services", "web", "/api", namespace="prod", port="http", scheme="https")
        proxy(client, "nodes", "node-1", "/metrics")   # the kubelet's

The request carries the client's credentials, TLS settings, impersonation and proxy (it is
sent by an httpx client built from them, as exec and port-forward are; HTTP/1.1). The
target's answer is returned as it is, whatever its status: a 404 or 500 of the pod's own is
the caller's to read. Errors of the API server itself, a ``Status`` body (the pod does not
exist, no ``get`` on ``pods/proxy``, a target it refuses, a backend it cannot reach), raise
the matching :class:`~kubetyped.ApiError`.

Not the same as :mod:`kubetyped.proxy`, which is about HTTP proxies between the client and
the cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal
from urllib.parse import quote

import httpx

from .errors import InvalidRequest, TransportError, cause_text, error_from_response
from .request import ParamValue, encode_params
from .status import Status
from .transport import BodyLimit

if TYPE_CHECKING:
    from .client import AsyncClient, Client

__all__ = ["ProxyResource", "proxy", "proxy_async", "proxy_path"]

ProxyResource = Literal["pods", "services", "nodes"]


def _segment(what: str, value: str) -> str:
    if not value or value in (".", "..") or "/" in value or "%" in value:
        raise InvalidRequest(f"invalid {what} {value!r}")
    return quote(value, safe="")


def proxy_path(
    resource: ProxyResource,
    name: str,
    path: str = "",
    *,
    namespace: str | None = None,
    port: int | str | None = None,
    scheme: Literal["http", "https"] | None = None,
) -> str:
    """The API path of a proxy request: ``/api/v1/namespaces/{ns}/pods/{scheme:name:port}/
    proxy/{path}`` (nodes have no namespace).

    ``port`` is a number or (services) a port's name; ``scheme`` the target's protocol
    (``http`` unless given).
    """
    if resource not in ("pods", "services", "nodes"):
        raise InvalidRequest(f"no proxy subresource for {resource!r}")
    target = _segment("name", name)
    if port is not None:
        target = f"{target}:{_segment('port', str(port))}"
    if scheme is not None:
        if scheme not in ("http", "https"):
            raise InvalidRequest(f"scheme must be http or https, not {scheme!r}")
        target = f"{scheme}:{target}"
    if resource == "nodes":
        if namespace is not None:
            raise InvalidRequest("nodes are cluster-scoped: no namespace")
        base = f"/api/v1/nodes/{target}/proxy"
    else:
        if namespace is None:
            raise InvalidRequest(f"{resource} proxy needs a namespace")
        base = f"/api/v1/namespaces/{_segment('namespace', namespace)}/{resource}/{target}/proxy"
    if "?" in path or "#" in path:
        raise InvalidRequest("give the query as params=, not in the path")
    tail = quote(path.lstrip("/"), safe="/:@!$&'()*+,;=-._~")
    # The trailing slash matters to some backends: /proxy/ is their root.
    return f"{base}/{tail}"


def _is_server_status(response: httpx.Response) -> Status | None:
    """The API server's own error ``Status``, or None for an answer of the target."""
    if response.is_success:
        return None
    if not response.headers.get("content-type", "").startswith("application/json"):
        return None
    body = response.content
    if b'"kind":"Status"' not in body.replace(b" ", b""):
        return None
    try:
        status = Status.model_validate_json(body)
    except ValueError:
        return None
    return status if status.kind == "Status" and status.api_version == "v1" else None


def _request(
    http: httpx.Client | httpx.AsyncClient,
    method: str,
    api_path: str,
    params: Mapping[str, ParamValue | None] | None,
    content: bytes | str | None,
    headers: Mapping[str, str] | None,
    extensions: dict[str, object],
) -> httpx.Request:
    try:
        return http.build_request(
            method,
            api_path,
            params=encode_params(params),
            content=content,
            headers={"Accept": "*/*", **(headers or {})},
            extensions=extensions,
        )
    except httpx.InvalidURL as exc:
        raise InvalidRequest(f"{method} {api_path[:100]}: cannot make a URL: {exc}") from None


def _safe(url: httpx.URL) -> str:
    return str(url.copy_with(username=None, password=None))


def _checked(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    if _is_server_status(response) is not None:
        raise error_from_response(
            response.status_code,
            response.content,
            method=request.method,
            url=_safe(request.url),
        )
    return response


def proxy(
    client: Client,
    resource: ProxyResource,
    name: str,
    path: str = "",
    *,
    namespace: str | None = None,
    port: int | str | None = None,
    scheme: Literal["http", "https"] | None = None,
    method: str = "GET",
    params: Mapping[str, ParamValue | None] | None = None,
    content: bytes | str | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """Send an HTTP request to a pod, service or node through the API server's proxy.

    Args:
        client: the cluster to talk to.
        resource: ``"pods"``, ``"services"`` or ``"nodes"``.
        name: the object's name.
        path: the path on the target (``/healthz``).
        namespace: the namespace (pods and services; default: the client's).
        port: the target port (a number, or a service port's name).
        scheme: ``http`` (default) or ``https`` to the target.
        method: the HTTP method.
        params: query parameters for the target.
        content: the request body.
        headers: extra request headers for the target.
    """
    from .websocket import http_for

    if resource != "nodes" and namespace is None:
        namespace = client.namespace
    api_path = proxy_path(resource, name, path, namespace=namespace, port=port, scheme=scheme)
    http, extensions = http_for(client)
    request = _request(http, method, api_path, params, content, headers, extensions)
    try:
        response = http.send(request, stream=True)
        try:
            body = BodyLimit(client.max_response_bytes)
            for chunk in response.iter_bytes():
                body.add(chunk)
            body.into(response)
        finally:
            response.close()
    except httpx.RequestError as exc:
        raise TransportError(f"{method} {_safe(request.url)}: {cause_text(exc)}") from exc
    return _checked(request, response)


async def proxy_async(
    client: AsyncClient,
    resource: ProxyResource,
    name: str,
    path: str = "",
    *,
    namespace: str | None = None,
    port: int | str | None = None,
    scheme: Literal["http", "https"] | None = None,
    method: str = "GET",
    params: Mapping[str, ParamValue | None] | None = None,
    content: bytes | str | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """The asyncio twin of :func:`proxy`."""
    from .websocket import async_http_for

    if resource != "nodes" and namespace is None:
        namespace = client.namespace
    api_path = proxy_path(resource, name, path, namespace=namespace, port=port, scheme=scheme)
    http, extensions = async_http_for(client)
    request = _request(http, method, api_path, params, content, headers, extensions)
    try:
        response = await http.send(request, stream=True)
        try:
            body = BodyLimit(client.max_response_bytes)
            async for chunk in response.aiter_bytes():
                body.add(chunk)
            body.into(response)
        finally:
            await response.aclose()
    except httpx.RequestError as exc:
        raise TransportError(f"{method} {_safe(request.url)}: {cause_text(exc)}") from exc
    return _checked(request, response)
