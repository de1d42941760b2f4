"""Waiting for an object, as ``kubectl wait`` does: for a condition, a predicate, or deletion.

Built on the watch, not on polling: the object is read once (a condition already met returns
at once), then watched from that read's resourceVersion until the wait is over or
``timeout`` seconds pass (:class:`WaitTimeout`, which tells the last state seen)::

    wait(client, deployment, condition="Available")              # status "True"
    wait(client, crd, condition="Established")
    wait(client, job, condition="Failed", status="False")
    wait(client, deployment, predicate=generation_observed)
    wait(client, pod, deleted=True, timeout=120)

A condition counts only once it speaks of the object's current generation: kubectl's rule
that a condition whose ``observedGeneration`` is older than ``metadata.generation`` is stale.
``target`` is a model or generic object (its ``apiVersion``, ``kind``, name and namespace), or
an ``(api_version, kind, name)`` tuple with ``namespace=``. ``await async_wait(...)`` is the
same for ``AsyncClient``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import anyio

from ._base_errors import KubetypedError
from .dynamic import AsyncDynamicClient, DynamicClient
from .errors import NotFound
from .listwatch import AsyncWatch, Watch
from .model import K8sModel

if TYPE_CHECKING:
    from .client import AsyncClient, Client

__all__ = [
    "WaitTimeout",
    "async_wait",
    "condition_met",
    "generation_observed",
    "wait",
]

Target = K8sModel | Mapping[str, Any] | tuple[str, str, str]
Predicate = Callable[[Any], bool]


class WaitTimeout(KubetypedError, TimeoutError):
    """The wait did not end within its timeout; ``last`` is the last state seen (None: the
    object was not found, or, for ``deleted=True``, it still exists)."""

    def __init__(self, message: str, last: Any = None) -> None:
        super().__init__(message)
        self.last = last


def _data(obj: Any) -> dict[str, Any]:
    if isinstance(obj, K8sModel):
        return obj.to_dict()
    return dict(obj) if isinstance(obj, Mapping) else {}


def condition_met(obj: Any, condition: str, status: str = "True") -> bool:
    """Whether ``status.conditions`` has ``condition`` (case-insensitive, as kubectl) with
    ``status``, observed at the object's current generation."""
    data = _data(obj)
    generation = (data.get("metadata") or {}).get("generation")
    for c in (data.get("status") or {}).get("conditions") or []:
        if not isinstance(c, Mapping) or str(c.get("type", "")).lower() != condition.lower():
            continue
        observed = c.get("observedGeneration")
        if generation is not None and observed is not None and observed < generation:
            return False  # stale: about an older spec
        return str(c.get("status", "")).lower() == status.lower()
    return False


def generation_observed(obj: Any) -> bool:
    """Whether the controller has seen the current spec: ``status.observedGeneration`` is at
    least ``metadata.generation`` (what ``kubectl rollout status`` waits for first)."""
    data = _data(obj)
    generation = (data.get("metadata") or {}).get("generation")
    observed = (data.get("status") or {}).get("observedGeneration")
    return generation is not None and observed is not None and observed >= generation


def _describe_target(target: Target, namespace: str | None) -> tuple[str, str, str, str | None]:
    if isinstance(target, tuple):
        api_version, kind, name = target
        return api_version, kind, name, namespace
    data = _data(target)
    metadata = data.get("metadata") or {}
    found = metadata.get("name")
    if not data.get("apiVersion") or not data.get("kind") or not found:
        raise ValueError("wait needs an object with apiVersion, kind and metadata.name")
    return data["apiVersion"], data["kind"], str(found), namespace or metadata.get("namespace")


def _check(
    condition: str | None, status: str, predicate: Predicate | None, deleted: bool
) -> Predicate:
    chosen = sum(x for x in (condition is not None, predicate is not None, deleted))
    if chosen != 1:
        raise ValueError("wait for one thing: condition=, predicate= or deleted=True")
    if condition is not None:
        return lambda obj: condition_met(obj, condition, status)
    if predicate is not None:
        return predicate
    return lambda obj: False


def _what(kind: str, name: str, condition: str | None, status: str, deleted: bool) -> str:
    if deleted:
        return f"{kind} {name} to be deleted"
    if condition is not None:
        return f"{kind} {name} to have condition {condition}={status}"
    return f"{kind} {name} to satisfy the predicate"


def wait(
    client: Client,
    target: Target,
    *,
    condition: str | None = None,
    status: str = "True",
    predicate: Predicate | None = None,
    deleted: bool = False,
    namespace: str | None = None,
    timeout: float = 60.0,
    dynamic: DynamicClient | None = None,
) -> Any:
    """Wait until the object meets ``condition``/``status`` or ``predicate`` (the object that
    did is returned) or is deleted (None is returned). Raises :class:`WaitTimeout`."""
    done = _check(condition, status, predicate, deleted)
    api_version, kind, name, namespace = _describe_target(target, namespace)
    resource = (dynamic or DynamicClient(client)).resource(api_version, kind)
    what = _what(kind, name, condition, status, deleted)
    deadline = time.monotonic() + timeout
    try:
        last = resource.get(name, namespace=namespace)
    except NotFound:
        if deleted:
            return None
        last = None
    if last is not None and done(last):
        return last
    req = resource._list(namespace, False, {"fieldSelector": f"metadata.name={name}"}, item=True)
    version = getattr(getattr(last, "metadata", None), "resource_version", None)
    if version:
        req = req.with_params({"resourceVersion": version})
    watch = Watch(client, req)
    timer = threading.Timer(max(deadline - time.monotonic(), 0.0), watch.stop)
    timer.daemon = True
    timer.start()
    try:
        for event in watch:
            if event.type == "BOOKMARK":
                continue
            if event.type == "DELETED":
                if deleted:
                    return None
                last = None
                continue
            last = event.object
            if done(last):
                return last
    finally:
        timer.cancel()
        watch.close()
    raise WaitTimeout(f"timed out after {timeout:g}s waiting for {what}", last)


async def async_wait(
    client: AsyncClient,
    target: Target,
    *,
    condition: str | None = None,
    status: str = "True",
    predicate: Predicate | None = None,
    deleted: bool = False,
    namespace: str | None = None,
    timeout: float = 60.0,
    dynamic: AsyncDynamicClient | None = None,
) -> Any:
    """:func:`wait` for ``AsyncClient``."""
    done = _check(condition, status, predicate, deleted)
    api_version, kind, name, namespace = _describe_target(target, namespace)
    what = _what(kind, name, condition, status, deleted)
    last: Any = None
    with anyio.move_on_after(timeout):
        resource = await (dynamic or AsyncDynamicClient(client)).resource(api_version, kind)
        try:
            last = await resource.get(name, namespace=namespace)
        except NotFound:
            if deleted:
                return None
        if last is not None and done(last):
            return last
        req = resource._list(
            namespace, False, {"fieldSelector": f"metadata.name={name}"}, item=True
        )
        version = getattr(getattr(last, "metadata", None), "resource_version", None)
        if version:
            req = req.with_params({"resourceVersion": version})
        watch = AsyncWatch(client, req)
        try:
            async for event in watch:
                if event.type == "BOOKMARK":
                    continue
                if event.type == "DELETED":
                    if deleted:
                        return None
                    last = None
                    continue
                last = event.object
                if done(last):
                    return last
        finally:
            await watch.aclose()
    raise WaitTimeout(f"timed out after {timeout:g}s waiting for {what}", last)
