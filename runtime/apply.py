"""Applying and deleting a set of objects, as ``kubectl apply --server-side`` and ``kubectl
delete -f`` do.

:func:`apply_all` server-side applies every object with one field manager, in dependency
order: Namespaces and CustomResourceDefinitions first, then the kinds others refer to
(ServiceAccounts, Secrets, ConfigMaps, RBAC, ...), workloads, and custom resources last, once
the CRDs of the set are ``Established`` (as kubectl waits for them). A namespaced object
without a namespace gets the ``namespace`` argument or the client's; a namespace on a
cluster-scoped kind is an error of that object. Every object gets an :class:`ApplyResult`;
failures are raised together (:class:`ApplyError`) after the others were applied, unless
``raise_errors=False``. :func:`delete_all` deletes in the reverse order::

    objs = manifest.load("deploy/")
    results = apply_all(client, objs, field_manager="deployer")
    delete_all(client, objs)

``async_apply_all`` and ``async_delete_all`` are the same for ``AsyncClient``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._base_errors import KubetypedError
from .dynamic import AsyncDynamicClient, DynamicClient, UnknownResource
from .errors import ApiError, NotFound
from .model import K8sModel
from .registry import DEFAULT_PACKAGE
from .registry import registry as default_registry
from .wait import async_wait, wait

if TYPE_CHECKING:
    from .client import AsyncClient, Client

__all__ = [
    "ApplyError",
    "ApplyResult",
    "apply_all",
    "apply_order",
    "async_apply_all",
    "async_delete_all",
    "delete_all",
]

# Helm's install order (pkg/release/util/kind_sorter.go), CRDs moved up beside Namespaces:
# what others refer to comes first. Kinds not listed (custom resources) come last.
_ORDER = [
    "Namespace",
    "CustomResourceDefinition",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
]
_RANK = {kind: i for i, kind in enumerate(_ORDER)}
_CRD = ("apiextensions.k8s.io/v1", "CustomResourceDefinition")


@dataclass
class ApplyResult:
    """What became of one object: ``result`` is the server's answer (the applied object, or
    for a delete the object or ``Status``); ``error`` what went wrong instead."""

    obj: Any
    result: Any = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def __str__(self) -> str:
        kind, name = _label(self.obj)
        outcome = f"error: {self.error}" if self.error else "ok"
        return f"{kind}/{name}: {outcome}"


class ApplyError(KubetypedError):
    """Some objects of a set failed; ``results`` has every object's result."""

    def __init__(self, results: list[ApplyResult]) -> None:
        failed = [r for r in results if r.error is not None]
        lines = "\n".join(f"  {r}" for r in failed)
        super().__init__(f"{len(failed)} of {len(results)} objects failed:\n{lines}")
        self.results = results


def _data(obj: K8sModel | Mapping[str, Any]) -> dict[str, Any]:
    return obj.to_dict() if isinstance(obj, K8sModel) else dict(obj)


def _gvk(obj: Any) -> tuple[str, str]:
    data = _data(obj)
    return str(data.get("apiVersion", "")), str(data.get("kind", ""))


def _label(obj: Any) -> tuple[str, str]:
    data = _data(obj) if isinstance(obj, (K8sModel, Mapping)) else {}
    metadata = data.get("metadata") or {}
    name = metadata.get("name", "?")
    if metadata.get("namespace"):
        name = f"{metadata['namespace']}/{name}"
    return str(data.get("kind", "?")), str(name)


def _is_builtin(obj: Any) -> bool:
    """A kind of Kubernetes itself (``kubetyped.k8s`` knows it), not a custom resource."""
    info = default_registry.lookup(*_gvk(obj))
    return info is not None and info.package == DEFAULT_PACKAGE


def _rank(obj: Any) -> int:
    if not _is_builtin(obj):
        return len(_ORDER) + 1  # custom resources: after their CRDs are Established
    return _RANK.get(_gvk(obj)[1], len(_ORDER))


def apply_order(objects: Iterable[Any]) -> list[Any]:
    """The objects in the order :func:`apply_all` applies them (stable within a kind)."""
    return sorted(objects, key=_rank)


def _check_scope(resource: Any, obj: Any) -> None:
    namespace = (_data(obj).get("metadata") or {}).get("namespace")
    if namespace and not resource.info.namespaced:
        kind, name = _label(obj)
        raise ValueError(
            f"{kind} {name} is cluster-scoped: remove metadata.namespace {namespace!r}"
        )


def apply_all(
    client: Client,
    objects: Iterable[K8sModel | Mapping[str, Any]],
    *,
    field_manager: str = "kubetyped",
    force: bool = False,
    dry_run: bool = False,
    namespace: str | None = None,
    timeout: float = 60.0,
    raise_errors: bool = True,
    dynamic: DynamicClient | None = None,
) -> list[ApplyResult]:
    """Server-side apply every object, in dependency order (see the module docstring).

    ``force`` takes over fields other managers own; ``dry_run`` applies nothing;
    ``namespace`` is the default namespace of namespaced objects that have none;
    ``timeout`` bounds the wait for the set's CRDs to be Established.
    """
    dyn = dynamic or DynamicClient(client)
    results: list[ApplyResult] = []
    crds_waited = False
    for obj in apply_order(objects):
        if not crds_waited and not _is_builtin(obj):
            crds_waited = True
            for done in results:
                if _gvk(done.obj) == _CRD and done.ok and not dry_run:
                    wait(client, done.result, condition="Established", timeout=timeout)
        result = ApplyResult(obj)
        results.append(result)
        try:
            resource = dyn.for_object(obj)
            _check_scope(resource, obj)
            ns = namespace if resource.info.namespaced else None
            result.result = resource.apply(
                obj,
                field_manager=field_manager,
                force=force,
                namespace=(_data(obj).get("metadata") or {}).get("namespace") or ns,
                dry_run="All" if dry_run else None,
            )
        except (ApiError, UnknownResource, ValueError) as exc:
            result.error = exc
    if raise_errors and any(r.error for r in results):
        raise ApplyError(results)
    return results


async def async_apply_all(
    client: AsyncClient,
    objects: Iterable[K8sModel | Mapping[str, Any]],
    *,
    field_manager: str = "kubetyped",
    force: bool = False,
    dry_run: bool = False,
    namespace: str | None = None,
    timeout: float = 60.0,
    raise_errors: bool = True,
    dynamic: AsyncDynamicClient | None = None,
) -> list[ApplyResult]:
    """:func:`apply_all` for ``AsyncClient``."""
    dyn = dynamic or AsyncDynamicClient(client)
    results: list[ApplyResult] = []
    crds_waited = False
    for obj in apply_order(objects):
        if not crds_waited and not _is_builtin(obj):
            crds_waited = True
            for done in results:
                if _gvk(done.obj) == _CRD and done.ok and not dry_run:
                    await async_wait(client, done.result, condition="Established", timeout=timeout)
        result = ApplyResult(obj)
        results.append(result)
        try:
            resource = await dyn.for_object(obj)
            _check_scope(resource, obj)
            ns = namespace if resource.info.namespaced else None
            result.result = await resource.apply(
                obj,
                field_manager=field_manager,
                force=force,
                namespace=(_data(obj).get("metadata") or {}).get("namespace") or ns,
                dry_run="All" if dry_run else None,
            )
        except (ApiError, UnknownResource, ValueError) as exc:
            result.error = exc
    if raise_errors and any(r.error for r in results):
        raise ApplyError(results)
    return results


def delete_all(
    client: Client,
    objects: Iterable[K8sModel | Mapping[str, Any]],
    *,
    namespace: str | None = None,
    propagation_policy: str | None = "Background",
    ignore_not_found: bool = True,
    raise_errors: bool = True,
    dynamic: DynamicClient | None = None,
) -> list[ApplyResult]:
    """Delete every object, in the reverse of the apply order (custom resources before their
    CRDs, Namespaces last). An object already gone is fine unless ``ignore_not_found=False``."""
    dyn = dynamic or DynamicClient(client)
    results: list[ApplyResult] = []
    for obj in reversed(apply_order(objects)):
        result = ApplyResult(obj)
        results.append(result)
        try:
            resource = dyn.for_object(obj)
            metadata = _data(obj).get("metadata") or {}
            ns = (metadata.get("namespace") or namespace) if resource.info.namespaced else None
            if resource.info.namespaced and ns is None:
                ns = client.namespace
            result.result = resource.delete(
                metadata.get("name", ""), namespace=ns, propagation_policy=propagation_policy
            )
        except NotFound as exc:
            if not ignore_not_found:
                result.error = exc
        except UnknownResource as exc:
            if not ignore_not_found:  # its CRD went first: the objects went with it
                result.error = exc
        except (ApiError, ValueError) as exc:
            result.error = exc
    if raise_errors and any(r.error for r in results):
        raise ApplyError(results)
    return results


async def async_delete_all(
    client: AsyncClient,
    objects: Iterable[K8sModel | Mapping[str, Any]],
    *,
    namespace: str | None = None,
    propagation_policy: str | None = "Background",
    ignore_not_found: bool = True,
    raise_errors: bool = True,
    dynamic: AsyncDynamicClient | None = None,
) -> list[ApplyResult]:
    """:func:`delete_all` for ``AsyncClient``."""
    dyn = dynamic or AsyncDynamicClient(client)
    results: list[ApplyResult] = []
    for obj in reversed(apply_order(objects)):
        result = ApplyResult(obj)
        results.append(result)
        try:
            resource = await dyn.for_object(obj)
            metadata = _data(obj).get("metadata") or {}
            ns = (metadata.get("namespace") or namespace) if resource.info.namespaced else None
            if resource.info.namespaced and ns is None:
                ns = client.namespace
            result.result = await resource.delete(
                metadata.get("name", ""), namespace=ns, propagation_policy=propagation_policy
            )
        except NotFound as exc:
            if not ignore_not_found:
                result.error = exc
        except UnknownResource as exc:
            if not ignore_not_found:
                result.error = exc
        except (ApiError, ValueError) as exc:
            result.error = exc
    if raise_errors and any(r.error for r in results):
        raise ApplyError(results)
    return results
