"""What the server says about itself: version, API groups, resources per group, health.

Only requests and models live here; ``Client``/``AsyncClient`` send them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import Field

from .model import CamelModel
from .paths import group_version_path
from .request import ApiRequest

__all__ = [
    "ApiGroup",
    "ApiResource",
    "GroupVersion",
    "VersionInfo",
    "core_versions_request",
    "group_list_request",
    "health_request",
    "merge_groups",
    "resources_request",
    "version_request",
]


class VersionInfo(CamelModel):
    """``/version``: ``git_version`` is the release, e.g. ``v1.36.3``."""

    major: str = ""
    minor: str = ""
    git_version: str = ""
    git_commit: str = ""
    git_tree_state: str = ""
    build_date: str = ""
    go_version: str = ""
    compiler: str = ""
    platform: str = ""
    emulation_major: str = ""
    emulation_minor: str = ""
    min_compatibility_major: str = ""
    min_compatibility_minor: str = ""


class GroupVersion(CamelModel):
    """One served version of a group: ``group_version="apps/v1"``, ``version="v1"``."""

    group_version: str
    version: str


class ApiGroup(CamelModel):
    """An API group and its served versions; the core group is named ``""``."""

    name: str
    versions: list[GroupVersion] = Field(default_factory=list)
    preferred_version: GroupVersion | None = None


class ApiResource(CamelModel):
    """One resource of a group version, as ``kubectl api-resources`` lists it.

    Subresources appear as their own entries, named ``deployments/status``.
    """

    name: str
    singular_name: str = ""
    namespaced: bool = False
    kind: str = ""
    group: str | None = None
    version: str | None = None
    verbs: list[str] = Field(default_factory=list)
    short_names: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)


class CoreVersions(CamelModel):
    """``/api``: the versions of the core group."""

    versions: list[str] = Field(default_factory=list)


class GroupList(CamelModel):
    """``/apis``: every other group."""

    groups: list[ApiGroup] = Field(default_factory=list)


class ResourceList(CamelModel):
    """``/api/v1`` or ``/apis/{group}/{version}``: the resources of one group version."""

    group_version: str = ""
    resources: list[ApiResource] = Field(default_factory=list)


def version_request() -> ApiRequest[VersionInfo]:
    return ApiRequest("GET", "/version", VersionInfo)


def core_versions_request() -> ApiRequest[CoreVersions]:
    return ApiRequest("GET", "/api", CoreVersions)


def group_list_request() -> ApiRequest[GroupList]:
    return ApiRequest("GET", "/apis", GroupList)


def merge_groups(core: CoreVersions, groups: GroupList) -> list[ApiGroup]:
    """All groups, the core group (``name=""``) first."""
    versions = [GroupVersion(group_version=v, version=v) for v in core.versions]
    first = ApiGroup(
        name="", versions=versions, preferred_version=versions[0] if versions else None
    )
    return [first, *groups.groups]


def resources_request(group_version: str) -> ApiRequest[ResourceList]:
    """The resources of ``"v1"`` (core) or ``"apps/v1"``."""
    group, _, version = group_version.rpartition("/")
    if not version:
        raise ValueError(f"invalid group version {group_version!r}")
    return ApiRequest("GET", group_version_path(group, version), ResourceList)


def health_request(
    endpoint: Literal["livez", "readyz"], *, verbose: bool, exclude: Iterable[str]
) -> ApiRequest[str]:
    """``/livez`` or ``/readyz``; ``verbose`` lists every check, ``exclude`` skips some."""
    params = {"verbose": True if verbose else None, "exclude": list(exclude)}
    return ApiRequest("GET", f"/{endpoint}", str).with_params(params)
