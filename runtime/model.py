"""Base classes of every generated model.

Two promises live here rather than in each generated class: unknown fields survive a
read-modify-write (``extra="allow"`` at every depth), and a top-level kind always sends its
``apiVersion`` and ``kind`` even when the caller never set them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

__all__ = ["CamelModel", "K8sModel", "K8sObject", "ListMarkers"]


@dataclass(frozen=True)
class ListMarkers:
    """Kubernetes merge markers of a field, kept as field metadata for merge and apply helpers.

    Read them with ``Model.model_fields["name"].metadata``.
    """

    list_type: str | None = None
    list_map_keys: tuple[str, ...] = ()
    map_type: str | None = None
    patch_strategy: str | None = None
    patch_merge_key: str | None = None


class K8sModel(BaseModel):
    """A Kubernetes object or part of one: snake_case attributes, wire names as aliases."""

    model_config = ConfigDict(
        extra="allow",
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        defer_build=True,
        # A validation error must not quote its input: it may be a Secret's data, and errors
        # end up in logs and tracebacks.
        hide_input_in_errors=True,
    )

    def to_dict(self) -> dict[str, Any]:
        """The wire form: JSON types, wire names, only what was set."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)

    def to_json(self) -> bytes:
        """The wire form as JSON bytes, ready to send."""
        return self.model_dump_json(by_alias=True, exclude_unset=True).encode()


class K8sObject(K8sModel):
    """A top-level kind with a fixed ``apiVersion`` and ``kind``.

    The generated subclass declares both as ``Literal`` fields with defaults, so a wrong kind
    is rejected, and an object constructed in Python carries both in ``exclude_unset`` dumps.
    """

    __k8s_group__: ClassVar[str]
    __k8s_version__: ClassVar[str]
    __k8s_kind__: ClassVar[str]

    def __init__(self, /, **data: Any) -> None:
        super().__init__(**data)
        # An object built in Python is sent to a server, which needs apiVersion and kind.
        # Objects validated from wire data keep exactly what they were given: the server
        # leaves both off the items of a list, and a round trip must not add them.
        self.__pydantic_fields_set__.update(("api_version", "kind"))

    # Tell pydantic this __init__ is not "custom": model_validate must not route wire data
    # through it (that would mark apiVersion/kind set, and cost a Python call per object).
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]


class CamelModel(K8sModel):
    """A hand-written runtime model (``Status``, discovery answers) whose wire names are its
    attribute names in camelCase: ``retry_after_seconds`` is ``retryAfterSeconds``."""

    model_config = ConfigDict(alias_generator=to_camel)
