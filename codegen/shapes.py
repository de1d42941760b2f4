"""Structural shapes of schemas, to find a CRD's inline objects that are Kubernetes types.

controller-gen writes a Go type used in a CRD (``corev1.Affinity``, ``ResourceRequirements``,
``metav1.LabelSelector``) out in full, while the API server's ``/openapi/v2`` names it by
``$ref``. Two schemas have the same *shape* when they have the same properties with the same
shapes, the same required fields and the same int-or-string and format markers; descriptions,
enums, defaults, validations and merge markers are left out. A shape is a hashable value, so
equal shapes are found by a dictionary lookup.

The spellings that differ between the two sources mean the same thing here: a ``$ref`` to
``Time`` or ``MicroTime`` is ``format: date-time``; ``Quantity`` is int-or-string with a
``pattern``; ``IntOrString`` is int-or-string without one; ``RawExtension`` is an object that
keeps unknown fields.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

__all__ = ["Shapes"]

_META = "io.k8s.apimachinery.pkg.apis.meta.v1"
_REF_SHAPES: dict[str, Hashable] = {
    f"{_META}.Time": "date-time",
    f"{_META}.MicroTime": "date-time",
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": "int-or-string",
    "io.k8s.apimachinery.pkg.api.resource.Quantity": "quantity",
    "io.k8s.apimachinery.pkg.runtime.RawExtension": "free-object",
    f"{_META}.FieldsV1": "free-object",
}


class Shapes:
    """Shapes of the schemas of one spec; ``$ref`` targets are expanded (and memoized)."""

    def __init__(self, definitions: dict[str, Any]) -> None:
        self.definitions = definitions
        self._by_name: dict[str, Hashable] = {}
        self._by_id: dict[int, Hashable] = {}
        self._expanding: set[str] = set()

    def of_definition(self, name: str) -> Hashable:
        if name in _REF_SHAPES:
            return _REF_SHAPES[name]
        if name not in self._by_name:
            if name in self._expanding:  # a recursive type: matches only itself
                return ("recursive", name)
            self._expanding.add(name)
            try:
                schema = self.definitions.get(name)
                self._by_name[name] = (
                    self.of(schema) if isinstance(schema, dict) else ("missing", name)
                )
            finally:
                self._expanding.discard(name)
        return self._by_name[name]

    def of(self, schema: dict[str, Any]) -> Hashable:
        key = id(schema)
        if key not in self._by_id:
            self._by_id[key] = self._shape(schema)
        shape: Hashable = self._by_id[key]
        return shape

    def _shape(self, schema: dict[str, Any]) -> Hashable:
        ref = schema.get("$ref")
        if isinstance(ref, str):
            return self.of_definition(ref.rpartition("/")[2].replace("~1", "/").replace("~0", "~"))
        parts = schema.get("allOf")
        if isinstance(parts, list) and len(parts) == 1 and isinstance(parts[0], dict):
            return self.of(parts[0])
        if schema.get("x-kubernetes-int-or-string"):
            return "quantity" if "pattern" in schema else "int-or-string"
        kind = schema.get("type")
        props = schema.get("properties")
        if kind is None and isinstance(props, dict) and props:
            kind = "object"
        if kind == "string":
            fmt = schema.get("format")
            return str(fmt) if fmt in ("date-time", "byte") else "string"
        if kind in ("integer", "number", "boolean"):
            return str(kind)
        if kind == "array":
            items = schema.get("items")
            return ("array", self.of(items) if isinstance(items, dict) else "any")
        if kind == "object":
            if isinstance(props, dict) and props:
                fields = tuple(
                    sorted(
                        (name, self.of(prop) if isinstance(prop, dict) else "any")
                        for name, prop in props.items()
                    )
                )
                required = tuple(sorted(str(r) for r in schema.get("required", ())))
                return ("object", fields, required)
            extra = schema.get("additionalProperties")
            if isinstance(extra, dict) and extra:
                return ("map", self.of(extra))
            return "free-object"
        return "any"
