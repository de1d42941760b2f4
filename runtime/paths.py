"""A resource's metadata (:class:`ResourceInfo`) and the URL paths of the REST API built from it."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

__all__ = ["ResourceInfo", "group_version_path", "resource_path"]


@dataclass(frozen=True, slots=True)
class ResourceInfo:
    """Where a resource lives and what it supports; ``group`` is ``""`` for the core group.

    Every generated resource client carries one (``Deployments.info``); it is all the runtime
    knows of a resource.
    """

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    verbs: frozenset[str] = frozenset()
    subresources: frozenset[str] = frozenset()

    @property
    def api_version(self) -> str:
        """``v1`` for the core group, else ``{group}/{version}`` (``apps/v1``)."""
        return f"{self.group}/{self.version}" if self.group else self.version


def group_version_path(group: str, version: str) -> str:
    """``/api/v1`` for the core group, ``/apis/{group}/{version}`` for every other."""
    return f"/apis/{group}/{version}" if group else f"/api/{version}"


def resource_path(
    info: ResourceInfo,
    *,
    namespace: str | None,
    name: str | None = None,
    subresource: str | None = None,
) -> str:
    """The path of a collection, an object, or an object's subresource.

    ``namespace=None`` on a namespaced resource addresses all namespaces (list and watch only,
    so ``name`` must then be None). A cluster-scoped resource takes no namespace.
    """
    parts = [group_version_path(info.group, info.version)]
    if info.namespaced:
        if namespace is not None:
            parts += ["namespaces", _segment("namespace", namespace)]
        elif name is not None:
            raise ValueError(
                f"{info.kind} is namespaced: a namespace is needed to address {name!r}"
            )
    elif namespace is not None:
        raise ValueError(f"{info.kind} is cluster-scoped: namespace {namespace!r} was given")
    parts.append(info.plural)
    if name is not None:
        parts.append(_segment("name", name))
    if subresource is not None:
        if name is None:
            raise ValueError(f"subresource {subresource!r} needs the name of an object")
        if not subresource or subresource.startswith("/"):
            raise ValueError(f"invalid subresource {subresource!r}")
        parts.append(subresource)
    return "/".join(parts)


def _segment(what: str, value: str) -> str:
    # "." and ".." would be collapsed by URL normalization, turning delete("..") into a
    # delete of the namespace; "/" and "%" would address another path. client-go refuses the
    # same names (IsValidPathSegmentName).
    if not value:
        raise ValueError(f"{what} must not be empty")
    if value in (".", "..") or "/" in value or "%" in value:
        raise ValueError(f"invalid {what} {value!r}: may not be '.', '..' or contain '/' or '%'")
    return quote(value, safe="")
