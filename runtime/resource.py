"""The base classes generated resource clients bind to: the whole contract between them.

A generated class names its resource in ``info`` and turns each typed method into one call of
``_request`` (sync and async alike), handing the result to ``_send``, ``_list_all`` or
``_watch``; the runtime does the rest. The generated code never sees HTTP, the runtime never
sees a particular resource::

    class ConfigMaps(ResourceClient):
        info = ResourceInfo(group="", version="v1", kind="ConfigMap", plural="configmaps",
                            namespaced=True, verbs=frozenset({"get", "list", ...}),
                            subresources=frozenset())

        def get(self, name: str, *, namespace: str | None = None,
                pretty: str | None = None) -> ConfigMap:
            return self._send(self._request(
                "GET", name=name, namespace=namespace, params={"pretty": pretty},
                response=ConfigMap))

        def list(self, *, namespace: str | None = None, all_namespaces: bool = False,
                 label_selector: str | None = None, limit: int | None = None,
                 continue_: str | None = None) -> ConfigMapList:
            return self._send(self._request(
                "GET", namespace=namespace, all_namespaces=all_namespaces,
                params={"labelSelector": label_selector, "limit": limit, "continue": continue_},
                response=ConfigMapList))

        def watch(self, *, namespace: str | None = None, all_namespaces: bool = False,
                  resource_version: str | None = None, ...) -> Generator[WatchEvent[ConfigMap], None, None]:
            return self._watch(self._request(
                "GET", namespace=namespace, all_namespaces=all_namespaces,
                params={"resourceVersion": resource_version, ...}, response=ConfigMap))

    class AsyncConfigMaps(AsyncResourceClient):
        info = ConfigMaps.info

        async def get(self, name: str, *, namespace: str | None = None,
                      pretty: str | None = None) -> ConfigMap:
            return await self._send(self._request(...same arguments...))

        def watch(self, ...) -> AsyncGenerator[WatchEvent[ConfigMap], None]:  # plain def
            return self._watch(self._request(...same arguments...))

The rules:

* ``_request(method, *, name, namespace, all_namespaces, subresource, params, body,
  patch_type, response)`` builds an :class:`~kubetyped.request.ApiRequest`. ``params`` maps
  wire names to values; None values are dropped, booleans sent as ``true``/``false``, lists
  repeated. ``body`` is a model (only the fields that were set are sent), a dict or list
  (patches), or bytes. ``patch_type`` (``"json"``, ``"merge"``, ``"strategic"``, ``"apply"``)
  picks the patch content type; otherwise a body is sent as ``application/json``.
* Namespace of a namespaced resource: the ``namespace`` argument, else the body's
  ``metadata.namespace``, else the client's context namespace. ``all_namespaces=True`` (list
  and watch only) addresses every namespace.
* ``response`` is what a 2xx answer decodes to: a model class, ``str`` or ``bytes`` (text and
  raw answers such as logs), or a :class:`~kubetyped.request.Decoder`. A DELETE answers with
  the object while finalizers keep it, else with a ``Status``: use ``OrStatus(ConfigMap, meta_v1.Status)``.
* ``_text_lines(req)`` streams a text answer (a log, with ``follow``) line by line as str.
* ``_list_all(req)`` and ``_watch(req)`` take the request of the plain list call but with
  ``response=`` the *item* model: ``_list_all`` gives a
  :class:`~kubetyped.listwatch.ListIterator` of every item of every page (``limit``
  defaults to 500) that knows the list's ``resource_version`` once exhausted; ``_watch``
  gives a resumable :class:`~kubetyped.listwatch.Watch` of
  :class:`~kubetyped.watch.WatchEvent` s (reconnects, bookmarks, relist on 410).
  ``_watch(req, resume=False)`` is one raw stream (an ``ERROR`` event is raised as its
  ``ApiError``: ``Gone`` means relist).
* ``_apply_request(obj, field_manager=..., force=..., ...)`` builds a server-side apply: a
  PATCH of type ``application/apply-patch+yaml`` to the object named by ``obj.metadata.name``,
  sending only what the caller set, plus ``apiVersion``/``kind``.
* Async: ``await self._send(...)``; ``_list_all`` and ``_watch`` return async iterators, so the
  generated methods are plain ``def`` returning ``AsyncGenerator[...]``. Close an abandoned
  async iteration promptly with ``contextlib.aclosing``.
* A method named ``list`` shadows the builtin in the annotations of the class body after it
  (mypy: "Function ... is not valid as a type"): write ``builtins.list[...]`` there.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator, Mapping
from contextlib import aclosing, closing
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel

from .listwatch import (
    DEFAULT_PAGE_SIZE,
    AsyncListIterator,
    AsyncWatch,
    ListIterator,
    Watch,
)
from .paths import ResourceInfo, resource_path
from .request import (
    PATCH_CONTENT_TYPES,
    ApiRequest,
    ParamValue,
    PatchType,
    Response,
    encode_body,
    encode_params,
)

if TYPE_CHECKING:
    from .client import AsyncClient, Client, _BaseClient

__all__ = ["DEFAULT_PAGE_SIZE", "AsyncResourceClient", "ResourceClient", "ResourceInfo"]

T = TypeVar("T")
C = TypeVar("C", bound="_BaseClient[Any]")


class _Resource(Generic[C]):
    """What sync and async resource clients share: building requests."""

    info: ClassVar[ResourceInfo]

    __slots__ = ("_client",)

    def __init__(self, client: C) -> None:
        self._client = client

    @property
    def client(self) -> C:
        """The client this resource sends through."""
        return self._client

    def _request(
        self,
        method: str,
        *,
        name: str | None = None,
        namespace: str | None = None,
        all_namespaces: bool = False,
        subresource: str | None = None,
        params: Mapping[str, ParamValue | None] | None = None,
        body: object = None,
        patch_type: PatchType | None = None,
        response: Response[T],
    ) -> ApiRequest[T]:
        """The request of one call; see the module docstring."""
        if patch_type is not None and method != "PATCH":
            raise ValueError(f"patch_type={patch_type!r} needs method PATCH, not {method}")
        namespace = self._namespace(namespace, all_namespaces, body)
        path = resource_path(self.info, namespace=namespace, name=name, subresource=subresource)
        content_type = None
        if patch_type is not None:
            content_type = PATCH_CONTENT_TYPES[patch_type]
        elif body is not None:
            content_type = "application/json"
        return ApiRequest(
            method,
            path,
            response,
            encode_params(params),
            None if body is None else encode_body(body),
            content_type,
        )

    def _apply_request(
        self,
        obj: BaseModel | Mapping[str, Any],
        *,
        field_manager: str,
        force: bool = False,
        namespace: str | None = None,
        subresource: str | None = None,
        params: Mapping[str, ParamValue | None] | None = None,
        response: Response[T],
    ) -> ApiRequest[T]:
        """A server-side apply of ``obj`` (a model or a manifest dict)."""
        if isinstance(obj, BaseModel):
            data = obj.model_dump(mode="json", by_alias=True, exclude_unset=True)
        else:
            data = dict(obj)
        metadata = data.get("metadata") or {}
        if "managedFields" in metadata:
            # The server refuses an apply that carries managedFields, which an object read
            # back from it has: re-applying a read-and-edited object just works.
            metadata = {k: v for k, v in metadata.items() if k != "managedFields"}
            data = {**data, "metadata": metadata}
        name = metadata.get("name")
        if not name:
            raise ValueError(f"apply needs metadata.name on the {self.info.kind}")
        if namespace is None and self.info.namespaced:
            namespace = metadata.get("namespace")  # None: the client's namespace
        # The server rejects an apply body without apiVersion and kind; the object's own win.
        body = {"apiVersion": self.info.api_version, "kind": self.info.kind, **data}
        return self._request(
            "PATCH",
            name=name,
            namespace=namespace,
            subresource=subresource,
            params={**(params or {}), "fieldManager": field_manager, "force": force or None},
            body=body,
            patch_type="apply",
            response=response,
        )

    def _namespace(self, namespace: str | None, all_namespaces: bool, body: object) -> str | None:
        if all_namespaces:
            if namespace is not None:
                raise ValueError("pass namespace or all_namespaces=True, not both")
            return None
        if namespace is not None or not self.info.namespaced:
            return namespace  # a namespace for a cluster-scoped resource: paths says so
        from_body = getattr(getattr(body, "metadata", None), "namespace", None)
        return from_body if isinstance(from_body, str) and from_body else self._client.namespace


def _text(line: bytes) -> str:
    # A container writes what it likes: never fail on bytes that are not UTF-8.
    return line.removesuffix(b"\r").decode("utf-8", "replace")


class ResourceClient(_Resource["Client"]):
    """Base of the generated synchronous resource clients (``ConfigMaps(client)``)."""

    __slots__ = ()

    def __init__(self, client: Client) -> None:
        super().__init__(client)

    def _send(self, req: ApiRequest[T]) -> T:
        return self._client.send(req)

    def _list_all(self, req: ApiRequest[T]) -> ListIterator[T]:
        return ListIterator(self._client, req)

    def _watch(self, req: ApiRequest[T], *, resume: bool = True) -> Watch[T]:
        return Watch(self._client, req, resume=resume)

    # The inner stream is closed with the outer generator (closing/aclosing), so abandoning a
    # followed log ends its connection at once rather than at garbage collection.

    def _text_lines(self, req: ApiRequest[str]) -> Generator[str, None, None]:
        with closing(self._client.stream_lines(req, keep_blank=True)) as lines:
            for line in lines:
                yield _text(line)


class AsyncResourceClient(_Resource["AsyncClient"]):
    """Base of the generated asyncio resource clients (``AsyncConfigMaps(async_client)``)."""

    __slots__ = ()

    def __init__(self, client: AsyncClient) -> None:
        super().__init__(client)

    async def _send(self, req: ApiRequest[T]) -> T:
        return await self._client.send(req)

    def _list_all(self, req: ApiRequest[T]) -> AsyncListIterator[T]:
        return AsyncListIterator(self._client, req)

    def _watch(self, req: ApiRequest[T], *, resume: bool = True) -> AsyncWatch[T]:
        return AsyncWatch(self._client, req, resume=resume)

    async def _text_lines(self, req: ApiRequest[str]) -> AsyncGenerator[str, None]:
        async with aclosing(self._client.stream_lines(req, keep_blank=True)) as lines:
            async for line in lines:
                yield _text(line)
