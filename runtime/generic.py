"""Objects of kinds no binding knows: typed ``apiVersion``, ``kind`` and ``metadata``, the rest
kept as data.

A :class:`GenericObject` is what a manifest or the dynamic client gives for a kind the
registry does not know (a custom resource with no generated package). Everything but the
three typed fields is kept exactly as it came (``obj.model_extra["spec"]``, or ``obj["spec"]``)
and sent back unchanged: ``to_dict``/``to_json`` are the models' own::

    obj = GenericObject.model_validate({"apiVersion": "example.com/v1", "kind": "Widget",
                                        "metadata": {"name": "w"}, "spec": {"size": 3}})
    obj.metadata.name   # "w" (an ObjectMeta)
    obj["spec"]         # {"size": 3}
    obj.to_dict() == the input
"""

from __future__ import annotations

from typing import Any

from kubetyped.k8s.meta.v1 import ListMeta, ObjectMeta
from pydantic import BaseModel, Field

from .model import K8sModel

__all__ = ["GenericList", "GenericObject"]


class GenericObject(K8sModel):
    """An object of any kind: ``api_version``, ``kind`` and ``metadata`` typed, the rest data."""

    api_version: str = Field(
        default="", validation_alias="apiVersion", serialization_alias="apiVersion"
    )
    kind: str = ""
    metadata: ObjectMeta | None = None

    def __init__(self, /, **data: Any) -> None:
        # Any keyword is a field of the object: there is no schema to check it against.
        BaseModel.__init__(self, **data)
        # Like a model built in Python, it is sent with its apiVersion and kind (when given).
        self.__pydantic_fields_set__.update(n for n in ("api_version", "kind") if getattr(self, n))

    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    def __getitem__(self, wire_name: str) -> Any:
        """A top-level field by its wire name: ``obj["spec"]``."""
        return self.to_dict()[wire_name] if wire_name in _TYPED else self._extra()[wire_name]

    def __setitem__(self, wire_name: str, value: Any) -> None:
        """Set a top-level field other than the typed three: ``obj["spec"] = {...}``."""
        if wire_name in _TYPED:
            raise KeyError(f"set {wire_name} through its attribute")
        self._extra()[wire_name] = value
        self.__pydantic_fields_set__.add(wire_name)

    def __contains__(self, wire_name: object) -> bool:
        return wire_name in _TYPED or wire_name in self._extra()

    def get(self, wire_name: str, default: Any = None) -> Any:
        """A top-level field other than the typed three, or ``default``."""
        return self._extra().get(wire_name, default)

    def _extra(self) -> dict[str, Any]:
        extra = self.__pydantic_extra__
        if extra is None:  # pragma: no cover - extra="allow" always gives a dict
            raise TypeError("GenericObject keeps unknown fields")
        return extra


_TYPED = frozenset({"apiVersion", "kind", "metadata"})


class GenericList(K8sModel):
    """A list of objects of a kind no binding knows (``WidgetList``)."""

    api_version: str = Field(
        default="", validation_alias="apiVersion", serialization_alias="apiVersion"
    )
    kind: str = ""
    metadata: ListMeta | None = None
    items: list[GenericObject] = Field(default_factory=list)
