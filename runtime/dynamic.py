"""The dynamic client: a resource client for any kind the server serves, found by discovery.

``DynamicClient(client).resource("example.com/v1", "Widget")`` (or ``.by_name("widgets")``,
``.for_object(obj)``) gives a :class:`DynamicResource` with the verbs of the generated clients
(get, list, list_all, watch, create, replace, patch, apply, delete, delete_collection, and
the ``status`` and ``scale`` subresources where served). It answers with the registry's model
when a package knows the kind, else with :class:`~kubetyped.generic.GenericObject`, which
keeps every field and sends it back unchanged. Discovery answers are cached per group
version and fetched again when a kind or resource is not found in them (a CRD installed
since). ``AsyncDynamicClient`` is the same for ``AsyncClient``, with ``await`` on
``resource()`` and on every verb but ``list_all`` and ``watch``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ._base_errors import KubetypedError
from .discovery import ApiResource
from .errors import NotFound
from .generic import GenericList, GenericObject
from .listwatch import AsyncListIterator, AsyncWatch, ListIterator, Watch
from .model import K8sModel
from .registry import KindRegistry
from .registry import registry as default_registry
from .request import ApiRequest, OrStatus, ParamValue, PatchType
from .resource import AsyncResourceClient, ResourceClient, ResourceInfo, _Resource
from .status import Status

if TYPE_CHECKING:
    from .client import AsyncClient, Client

__all__ = [
    "AsyncDynamicClient",
    "AsyncDynamicResource",
    "DynamicClient",
    "DynamicResource",
    "UnknownResource",
]


class UnknownResource(KubetypedError, LookupError):
    """The server serves no such kind or resource (after discovery was fetched again)."""


# Keyword arguments of the verbs -> their wire names.
_WIRE = {
    "allow_watch_bookmarks": "allowWatchBookmarks",
    "continue_": "continue",
    "dry_run": "dryRun",
    "field_manager": "fieldManager",
    "field_selector": "fieldSelector",
    "field_validation": "fieldValidation",
    "grace_period_seconds": "gracePeriodSeconds",
    "label_selector": "labelSelector",
    "limit": "limit",
    "orphan_dependents": "orphanDependents",
    "propagation_policy": "propagationPolicy",
    "resource_version": "resourceVersion",
    "resource_version_match": "resourceVersionMatch",
    "send_initial_events": "sendInitialEvents",
    "timeout_seconds": "timeoutSeconds",
}


def _params(
    extra: Mapping[str, ParamValue | None] | None, **kwargs: ParamValue | None
) -> dict[str, ParamValue | None]:
    params: dict[str, ParamValue | None] = {_WIRE[k]: v for k, v in kwargs.items()}
    params.update(extra or {})
    return params


def _scale_model() -> type[K8sModel]:
    from kubetyped.k8s.autoscaling.v1 import Scale

    return Scale


class _Requests(_Resource[Any]):
    """Builds the request of each verb; the sync and async classes only send them."""

    __slots__ = ()

    model: ClassVar[type[K8sModel]]
    list_model: ClassVar[type[K8sModel]]

    def _check(self, verb: str, subresource: str | None = None) -> None:
        if subresource is not None:
            if subresource not in self.info.subresources:
                raise UnknownResource(
                    f"{self.info.plural}.{self.info.group or 'core'}: the server serves no "
                    f"{subresource!r} subresource"
                )
        elif self.info.verbs and verb not in self.info.verbs:
            raise UnknownResource(
                f"{self.info.plural}.{self.info.group or 'core'} does not support {verb!r} "
                f"(it supports {', '.join(sorted(self.info.verbs))})"
            )

    def _response(self, subresource: str | None) -> type[K8sModel]:
        return _scale_model() if subresource == "scale" else self.model

    def _get(
        self, name: str, namespace: str | None, subresource: str | None, params: Any
    ) -> ApiRequest[Any]:
        self._check("get", subresource)
        return self._request(
            "GET",
            name=name,
            namespace=namespace,
            subresource=subresource,
            params=params,
            response=self._response(subresource),
        )

    def _list(
        self, namespace: str | None, all_namespaces: bool, params: Any, item: bool
    ) -> ApiRequest[Any]:
        self._check("list")
        return self._request(
            "GET",
            namespace=namespace,
            all_namespaces=all_namespaces,
            params=params,
            response=self.model if item else self.list_model,
        )

    def _write(
        self,
        method: str,
        name: str | None,
        body: Any,
        namespace: str | None,
        subresource: str | None,
        params: Any,
        patch_type: PatchType | None = None,
    ) -> ApiRequest[Any]:
        verb = {"POST": "create", "PUT": "update", "PATCH": "patch"}[method]
        self._check(verb, subresource)
        if namespace is None and self.info.namespaced and isinstance(body, Mapping):
            namespace = (body.get("metadata") or {}).get("namespace")
        return self._request(
            method,
            name=name,
            namespace=namespace,
            subresource=subresource,
            body=body,
            patch_type=patch_type,
            params=params,
            response=self._response(subresource),
        )

    def _patch_type(self, patch_type: PatchType | None, body: Any) -> PatchType:
        if patch_type is not None:
            return patch_type
        if isinstance(body, Sequence) and not isinstance(body, (str, bytes)):
            return "json"
        # Custom resources take no strategic merge patch: a merge patch is what works.
        return "merge" if self.model is GenericObject else "strategic"

    def _apply(
        self,
        obj: K8sModel | Mapping[str, Any],
        field_manager: str,
        force: bool,
        namespace: str | None,
        subresource: str | None,
        params: Any,
    ) -> ApiRequest[Any]:
        self._check("patch", subresource)
        return self._apply_request(
            obj,
            field_manager=field_manager,
            force=force,
            namespace=namespace,
            subresource=subresource,
            params=params,
            response=self._response(subresource),
        )

    def _delete(self, name: str, namespace: str | None, params: Any, body: Any) -> ApiRequest[Any]:
        self._check("delete")
        return self._request(
            "DELETE",
            name=name,
            namespace=namespace,
            params=params,
            body=body,
            response=OrStatus(self.model, Status),
        )

    def _delete_collection(self, namespace: str | None, params: Any) -> ApiRequest[Any]:
        self._check("deletecollection")
        return self._request(
            "DELETE", namespace=namespace, params=params, response=OrStatus(self.list_model, Status)
        )


class DynamicResource(ResourceClient, _Requests):
    """The resource client of one kind, built from discovery (see the module docstring).

    Methods return the registry's model of the kind, or a ``GenericObject``.
    """

    def get(
        self, name: str, *, namespace: str | None = None, subresource: str | None = None
    ) -> Any:
        """Read the object ``name`` (or its ``status``/``scale`` subresource)."""
        return self._send(self._get(name, namespace, subresource, None))

    def get_status(self, name: str, *, namespace: str | None = None) -> Any:
        """Read the object ``name`` through its status subresource."""
        return self.get(name, namespace=namespace, subresource="status")

    def get_scale(self, name: str, *, namespace: str | None = None) -> Any:
        """Read the ``autoscaling/v1`` Scale of the object ``name``."""
        return self.get(name, namespace=namespace, subresource="scale")

    def list(
        self,
        *,
        namespace: str | None = None,
        all_namespaces: bool = False,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
        continue_: str | None = None,
        resource_version: str | None = None,
        resource_version_match: str | None = None,
        timeout_seconds: int | None = None,
        params: Mapping[str, ParamValue | None] | None = None,
    ) -> Any:
        """One page of objects: the kind's ``…List`` model, or a ``GenericList``."""
        query = _params(
            params,
            label_selector=label_selector,
            field_selector=field_selector,
            limit=limit,
            continue_=continue_,
            resource_version=resource_version,
            resource_version_match=resource_version_match,
            timeout_seconds=timeout_seconds,
        )
        return self._send(self._list(namespace, all_namespaces, query, item=False))

    def list_all(
        self,
        *,
        namespace: str | None = None,
        all_namespaces: bool = False,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
        params: Mapping[str, ParamValue | None] | None = None,
    ) -> ListIterator[Any]:
        """Every object of every page (``limit`` objects a page, default 500)."""
        query = _params(
            params, label_selector=label_selector, field_selector=field_selector, limit=limit
        )
        return self._list_all(self._list(namespace, all_namespaces, query, item=True))

    def watch(
        self,
        *,
        namespace: str | None = None,
        all_namespaces: bool = False,
        label_selector: str | None = None,
        field_selector: str | None = None,
        resource_version: str | None = None,
        allow_watch_bookmarks: bool | None = None,
        timeout_seconds: int | None = None,
        params: Mapping[str, ParamValue | None] | None = None,
    ) -> Watch[Any]:
        """A resumable watch of the objects (see :class:`~kubetyped.listwatch.Watch`)."""
        query = _params(
            params,
            label_selector=label_selector,
            field_selector=field_selector,
            resource_version=resource_version,
            allow_watch_bookmarks=allow_watch_bookmarks,
            timeout_seconds=timeout_seconds,
        )
        return self._watch(self._list(namespace, all_namespaces, query, item=True))

    def create(
        self,
        body: K8sModel | Mapping[str, Any],
        *,
        namespace: str | None = None,
        dry_run: str | None = None,
        field_manager: str | None = None,
        field_validation: str | None = None,
    ) -> Any:
        """Create an object."""
        query = _params(
            None, dry_run=dry_run, field_manager=field_manager, field_validation=field_validation
        )
        return self._send(self._write("POST", None, body, namespace, None, query))

    def replace(
        self,
        name: str,
        body: K8sModel | Mapping[str, Any],
        *,
        namespace: str | None = None,
        subresource: str | None = None,
        dry_run: str | None = None,
        field_manager: str | None = None,
        field_validation: str | None = None,
    ) -> Any:
        """Replace the object ``name`` (or its ``status``/``scale``) with ``body``."""
        query = _params(
            None, dry_run=dry_run, field_manager=field_manager, field_validation=field_validation
        )
        return self._send(self._write("PUT", name, body, namespace, subresource, query))

    def replace_status(self, name: str, body: K8sModel | Mapping[str, Any], **kw: Any) -> Any:
        """Replace the status of the object ``name`` (its ``status`` subresource)."""
        return self.replace(name, body, subresource="status", **kw)

    def replace_scale(self, name: str, body: K8sModel | Mapping[str, Any], **kw: Any) -> Any:
        """Replace the Scale of the object ``name``."""
        return self.replace(name, body, subresource="scale", **kw)

    def patch(
        self,
        name: str,
        body: K8sModel | Mapping[str, Any] | Sequence[Mapping[str, Any]],
        *,
        namespace: str | None = None,
        subresource: str | None = None,
        patch_type: PatchType | None = None,
        dry_run: str | None = None,
        field_manager: str | None = None,
        field_validation: str | None = None,
    ) -> Any:
        """Patch the object ``name``: a list of operations is a JSON patch; a mapping is a
        strategic merge patch for built-in kinds and a merge patch for custom resources."""
        query = _params(
            None, dry_run=dry_run, field_manager=field_manager, field_validation=field_validation
        )
        kind = self._patch_type(patch_type, body)
        return self._send(self._write("PATCH", name, body, namespace, subresource, query, kind))

    def patch_status(self, name: str, body: Any, **kw: Any) -> Any:
        """Patch the status of the object ``name``."""
        return self.patch(name, body, subresource="status", **kw)

    def patch_scale(self, name: str, body: Any, **kw: Any) -> Any:
        """Patch the Scale of the object ``name``."""
        return self.patch(name, body, subresource="scale", **kw)

    def apply(
        self,
        obj: K8sModel | Mapping[str, Any],
        *,
        field_manager: str,
        force: bool = False,
        namespace: str | None = None,
        subresource: str | None = None,
        dry_run: str | None = None,
        field_validation: str | None = None,
    ) -> Any:
        """Server-side apply ``obj`` (named by its ``metadata.name``) as ``field_manager``."""
        query = _params(None, dry_run=dry_run, field_validation=field_validation)
        return self._send(self._apply(obj, field_manager, force, namespace, subresource, query))

    def apply_status(self, obj: K8sModel | Mapping[str, Any], **kw: Any) -> Any:
        """Server-side apply the status of ``obj``."""
        return self.apply(obj, subresource="status", **kw)

    def delete(
        self,
        name: str,
        *,
        namespace: str | None = None,
        grace_period_seconds: int | None = None,
        propagation_policy: str | None = None,
        dry_run: str | None = None,
    ) -> Any:
        """Delete the object ``name``: the object while finalizers keep it, else a Status."""
        query = _params(
            None,
            grace_period_seconds=grace_period_seconds,
            propagation_policy=propagation_policy,
            dry_run=dry_run,
        )
        return self._send(self._delete(name, namespace, query, None))

    def delete_collection(
        self,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        propagation_policy: str | None = None,
        dry_run: str | None = None,
    ) -> Any:
        """Delete every object matching the selectors in a namespace (or cluster)."""
        query = _params(
            None,
            label_selector=label_selector,
            field_selector=field_selector,
            propagation_policy=propagation_policy,
            dry_run=dry_run,
        )
        return self._send(self._delete_collection(namespace, query))


class AsyncDynamicResource(AsyncResourceClient, _Requests):
    """:class:`DynamicResource` for ``AsyncClient``: the same verbs, awaited."""

    async def get(
        self, name: str, *, namespace: str | None = None, subresource: str | None = None
    ) -> Any:
        return await self._send(self._get(name, namespace, subresource, None))

    async def get_status(self, name: str, *, namespace: str | None = None) -> Any:
        return await self.get(name, namespace=namespace, subresource="status")

    async def get_scale(self, name: str, *, namespace: str | None = None) -> Any:
        return await self.get(name, namespace=namespace, subresource="scale")

    async def list(
        self,
        *,
        namespace: str | None = None,
        all_namespaces: bool = False,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
        continue_: str | None = None,
        resource_version: str | None = None,
        resource_version_match: str | None = None,
        timeout_seconds: int | None = None,
        params: Mapping[str, ParamValue | None] | None = None,
    ) -> Any:
        query = _params(
            params,
            label_selector=label_selector,
            field_selector=field_selector,
            limit=limit,
            continue_=continue_,
            resource_version=resource_version,
            resource_version_match=resource_version_match,
            timeout_seconds=timeout_seconds,
        )
        return await self._send(self._list(namespace, all_namespaces, query, item=False))

    def list_all(
        self,
        *,
        namespace: str | None = None,
        all_namespaces: bool = False,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
        params: Mapping[str, ParamValue | None] | None = None,
    ) -> AsyncListIterator[Any]:
        query = _params(
            params, label_selector=label_selector, field_selector=field_selector, limit=limit
        )
        return self._list_all(self._list(namespace, all_namespaces, query, item=True))

    def watch(
        self,
        *,
        namespace: str | None = None,
        all_namespaces: bool = False,
        label_selector: str | None = None,
        field_selector: str | None = None,
        resource_version: str | None = None,
        allow_watch_bookmarks: bool | None = None,
        timeout_seconds: int | None = None,
        params: Mapping[str, ParamValue | None] | None = None,
    ) -> AsyncWatch[Any]:
        query = _params(
            params,
            label_selector=label_selector,
            field_selector=field_selector,
            resource_version=resource_version,
            allow_watch_bookmarks=allow_watch_bookmarks,
            timeout_seconds=timeout_seconds,
        )
        return self._watch(self._list(namespace, all_namespaces, query, item=True))

    async def create(
        self,
        body: K8sModel | Mapping[str, Any],
        *,
        namespace: str | None = None,
        dry_run: str | None = None,
        field_manager: str | None = None,
        field_validation: str | None = None,
    ) -> Any:
        query = _params(
            None, dry_run=dry_run, field_manager=field_manager, field_validation=field_validation
        )
        return await self._send(self._write("POST", None, body, namespace, None, query))

    async def replace(
        self,
        name: str,
        body: K8sModel | Mapping[str, Any],
        *,
        namespace: str | None = None,
        subresource: str | None = None,
        dry_run: str | None = None,
        field_manager: str | None = None,
        field_validation: str | None = None,
    ) -> Any:
        query = _params(
            None, dry_run=dry_run, field_manager=field_manager, field_validation=field_validation
        )
        return await self._send(self._write("PUT", name, body, namespace, subresource, query))

    async def replace_status(self, name: str, body: K8sModel | Mapping[str, Any], **kw: Any) -> Any:
        return await self.replace(name, body, subresource="status", **kw)

    async def replace_scale(self, name: str, body: K8sModel | Mapping[str, Any], **kw: Any) -> Any:
        return await self.replace(name, body, subresource="scale", **kw)

    async def patch(
        self,
        name: str,
        body: K8sModel | Mapping[str, Any] | Sequence[Mapping[str, Any]],
        *,
        namespace: str | None = None,
        subresource: str | None = None,
        patch_type: PatchType | None = None,
        dry_run: str | None = None,
        field_manager: str | None = None,
        field_validation: str | None = None,
    ) -> Any:
        query = _params(
            None, dry_run=dry_run, field_manager=field_manager, field_validation=field_validation
        )
        kind = self._patch_type(patch_type, body)
        return await self._send(
            self._write("PATCH", name, body, namespace, subresource, query, kind)
        )

    async def patch_status(self, name: str, body: Any, **kw: Any) -> Any:
        return await self.patch(name, body, subresource="status", **kw)

    async def patch_scale(self, name: str, body: Any, **kw: Any) -> Any:
        return await self.patch(name, body, subresource="scale", **kw)

    async def apply(
        self,
        obj: K8sModel | Mapping[str, Any],
        *,
        field_manager: str,
        force: bool = False,
        namespace: str | None = None,
        subresource: str | None = None,
        dry_run: str | None = None,
        field_validation: str | None = None,
    ) -> Any:
        query = _params(None, dry_run=dry_run, field_validation=field_validation)
        return await self._send(
            self._apply(obj, field_manager, force, namespace, subresource, query)
        )

    async def apply_status(self, obj: K8sModel | Mapping[str, Any], **kw: Any) -> Any:
        return await self.apply(obj, subresource="status", **kw)

    async def delete(
        self,
        name: str,
        *,
        namespace: str | None = None,
        grace_period_seconds: int | None = None,
        propagation_policy: str | None = None,
        dry_run: str | None = None,
    ) -> Any:
        query = _params(
            None,
            grace_period_seconds=grace_period_seconds,
            propagation_policy=propagation_policy,
            dry_run=dry_run,
        )
        return await self._send(self._delete(name, namespace, query, None))

    async def delete_collection(
        self,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        propagation_policy: str | None = None,
        dry_run: str | None = None,
    ) -> Any:
        query = _params(
            None,
            label_selector=label_selector,
            field_selector=field_selector,
            propagation_policy=propagation_policy,
            dry_run=dry_run,
        )
        return await self._send(self._delete_collection(namespace, query))


# -- discovery -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Found:
    info: ResourceInfo
    model: type[K8sModel]
    list_model: type[K8sModel]


def _split(api_version: str) -> tuple[str, str]:
    group, _, version = api_version.rpartition("/")
    return group, version


class _Discovery:
    """The discovery cache both clients share: group version -> its resources."""

    def __init__(self, registry: KindRegistry) -> None:
        self.registry = registry
        self.resources: dict[str, list[ApiResource]] = {}
        self.preferred: list[str] | None = None  # group versions, preferred ones, core first
        self.classes: dict[tuple[str, str, bool], type[Any]] = {}
        self.lock = threading.Lock()

    def find_kind(self, api_version: str, kind: str) -> _Found | None:
        resources = self.resources.get(api_version)
        if resources is None:
            return None
        return self._found(api_version, [r for r in resources if r.kind == kind], resources)

    def find_name(self, name: str, api_version: str | None) -> _Found | None:
        """A resource by plural, singular or short name; ``deployments.apps`` names its group."""
        resource, _, group = name.partition(".")
        versions = [api_version] if api_version else (self.preferred or [])
        for gv in versions:
            g, _ = _split(gv)
            if group and g != group:
                continue
            resources = self.resources.get(gv) or []
            matches = [
                r
                for r in resources
                if "/" not in r.name and resource in (r.name, r.singular_name, *r.short_names)
            ]
            found = self._found(gv, matches, resources)
            if found is not None:
                return found
        return None

    def _found(
        self, api_version: str, matches: list[ApiResource], resources: list[ApiResource]
    ) -> _Found | None:
        main = [r for r in matches if "/" not in r.name]
        if not main:
            return None
        r = main[0]
        subs = frozenset(
            x.name.partition("/")[2] for x in resources if x.name.startswith(f"{r.name}/")
        )
        group, version = _split(api_version)
        info = ResourceInfo(
            group=group,
            version=version,
            kind=r.kind,
            plural=r.name,
            namespaced=r.namespaced,
            verbs=frozenset(r.verbs),
            subresources=subs,
        )
        model = self.registry.model_for(api_version, r.kind) or GenericObject
        list_model = self.registry.model_for(api_version, f"{r.kind}List") or GenericList
        return _Found(info, model, list_model)

    def resource_class(self, found: _Found, base: type[Any]) -> type[Any]:
        """The (cached) client class of a resource: ``info`` and the models as class data."""
        key = (found.info.api_version, found.info.plural, base is AsyncDynamicResource)
        with self.lock:
            cls = self.classes.get(key)
            if cls is None or cls.info != found.info:
                name = f"Dynamic{found.info.kind}"
                namespace = {
                    "info": found.info,
                    "model": found.model,
                    "list_model": found.list_model,
                    "__slots__": (),
                }
                cls = type(name, (base,), namespace)
                self.classes[key] = cls
            return cls


def _unknown_kind(api_version: str, kind: str) -> UnknownResource:
    return UnknownResource(f"the server has no kind {kind} in {api_version}")


def _unknown_name(name: str) -> UnknownResource:
    return UnknownResource(f"the server has no resource named {name!r}")


class DynamicClient:
    """Resource clients for any kind, found through the server's discovery (sync)."""

    def __init__(self, client: Client, *, registry: KindRegistry | None = None) -> None:
        self._client = client
        self._discovery = _Discovery(registry or default_registry)

    @property
    def client(self) -> Client:
        return self._client

    def resource(self, api_version: str, kind: str) -> DynamicResource:
        """The client of ``kind`` in ``api_version`` (``"apps/v1"``, ``"Deployment"``).

        Raises :class:`UnknownResource` when the server does not serve it.
        """
        d = self._discovery
        found = d.find_kind(api_version, kind)
        if found is None:
            self._refresh(api_version)
            found = d.find_kind(api_version, kind)
            if found is None:
                raise _unknown_kind(api_version, kind)
        cls: type[DynamicResource] = d.resource_class(found, DynamicResource)
        return cls(self._client)

    def for_object(self, obj: K8sModel | Mapping[str, Any]) -> DynamicResource:
        """The client of an object's kind (from its ``apiVersion`` and ``kind``)."""
        api_version, kind = _gvk_of(obj)
        return self.resource(api_version, kind)

    def by_name(self, name: str, *, api_version: str | None = None) -> DynamicResource:
        """The client of a resource by name as kubectl takes it: plural, singular or short
        name, optionally with its group (``deployments.apps``, ``deploy``, ``widgets``)."""
        d = self._discovery
        found = None if d.preferred is None else d.find_name(name, api_version)
        if found is None:
            self._refresh_all(api_version)
            found = d.find_name(name, api_version)
            if found is None:
                raise _unknown_name(name)
        cls: type[DynamicResource] = d.resource_class(found, DynamicResource)
        return cls(self._client)

    def invalidate(self) -> None:
        """Forget every discovery answer (they are fetched again on the next lookup)."""
        self._discovery.resources.clear()
        self._discovery.preferred = None

    def _refresh(self, api_version: str) -> None:
        try:
            self._discovery.resources[api_version] = self._client.api_resources(api_version)
        except NotFound:
            self._discovery.resources.pop(api_version, None)

    def _refresh_all(self, api_version: str | None) -> None:
        if api_version is not None:
            self._refresh(api_version)
            return
        groups = self._client.api_groups()
        preferred = [g.preferred_version.group_version for g in groups if g.preferred_version]
        for gv in preferred:
            self._refresh(gv)
        self._discovery.preferred = preferred


class AsyncDynamicClient:
    """:class:`DynamicClient` for ``AsyncClient``: ``await dyn.resource(...)``."""

    def __init__(self, client: AsyncClient, *, registry: KindRegistry | None = None) -> None:
        self._client = client
        self._discovery = _Discovery(registry or default_registry)

    @property
    def client(self) -> AsyncClient:
        return self._client

    async def resource(self, api_version: str, kind: str) -> AsyncDynamicResource:
        d = self._discovery
        found = d.find_kind(api_version, kind)
        if found is None:
            await self._refresh(api_version)
            found = d.find_kind(api_version, kind)
            if found is None:
                raise _unknown_kind(api_version, kind)
        cls: type[AsyncDynamicResource] = d.resource_class(found, AsyncDynamicResource)
        return cls(self._client)

    async def for_object(self, obj: K8sModel | Mapping[str, Any]) -> AsyncDynamicResource:
        api_version, kind = _gvk_of(obj)
        return await self.resource(api_version, kind)

    async def by_name(self, name: str, *, api_version: str | None = None) -> AsyncDynamicResource:
        d = self._discovery
        found = None if d.preferred is None else d.find_name(name, api_version)
        if found is None:
            await self._refresh_all(api_version)
            found = d.find_name(name, api_version)
            if found is None:
                raise _unknown_name(name)
        cls: type[AsyncDynamicResource] = d.resource_class(found, AsyncDynamicResource)
        return cls(self._client)

    def invalidate(self) -> None:
        self._discovery.resources.clear()
        self._discovery.preferred = None

    async def _refresh(self, api_version: str) -> None:
        try:
            self._discovery.resources[api_version] = await self._client.api_resources(api_version)
        except NotFound:
            self._discovery.resources.pop(api_version, None)

    async def _refresh_all(self, api_version: str | None) -> None:
        if api_version is not None:
            await self._refresh(api_version)
            return
        groups = await self._client.api_groups()
        preferred = [g.preferred_version.group_version for g in groups if g.preferred_version]
        await asyncio.gather(*(self._refresh(gv) for gv in preferred))
        self._discovery.preferred = preferred


def _gvk_of(obj: K8sModel | Mapping[str, Any]) -> tuple[str, str]:
    if isinstance(obj, Mapping):
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
    else:
        api_version, kind = getattr(obj, "api_version", None), getattr(obj, "kind", None)
    if not isinstance(api_version, str) or not isinstance(kind, str) or not kind:
        raise ValueError("the object has no apiVersion and kind")
    return api_version, kind
