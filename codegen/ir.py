"""The intermediate representation: what to generate, with every decision already made.

The parser fills it from a spec (OpenAPI v2 ``definitions`` and ``paths`` today; a CRD's
``openAPIV3Schema`` or an OpenAPI v3 document map onto the same classes), the templates only
render it. Type expressions are small frozen values so they can be compared and tested.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "GVK",
    "AnyType",
    "FieldDef",
    "ListOf",
    "LiteralOf",
    "MapOf",
    "ModelDef",
    "ModelRef",
    "ModuleDef",
    "ModuleId",
    "OperationDef",
    "Package",
    "ParamDef",
    "Primitive",
    "ResourceDef",
    "Scope",
    "Special",
    "TypeExpr",
    "UnionOf",
    "Verb",
]


@dataclass(frozen=True, order=True)
class ModuleId:
    """A group-version module: ``ModuleId("apps", "v1")`` is ``<package>.apps.v1``."""

    segment: str
    version: str

    @property
    def dotted(self) -> str:
        return f"{self.segment}.{self.version}"


@dataclass(frozen=True)
class Primitive:
    name: Literal["str", "int", "float", "bool"]


@dataclass(frozen=True)
class Special:
    """A runtime type from ``kubetyped.types`` (IntOrString, Quantity, Time, …)."""

    name: str


@dataclass(frozen=True)
class AnyType:
    pass


@dataclass(frozen=True)
class ModelRef:
    module: ModuleId
    name: str


@dataclass(frozen=True)
class ListOf:
    item: TypeExpr


@dataclass(frozen=True)
class MapOf:
    value: TypeExpr
    # Go writes a value of this map as null (a nil slice or []byte, a zero metav1.Time):
    # the values accept null on the wire while their Python type stays ``value``.
    null_values: bool = False


@dataclass(frozen=True)
class UnionOf:
    options: tuple[TypeExpr, ...]


@dataclass(frozen=True)
class LiteralOf:
    """One of fixed strings: ``Literal["Orphan", "Background", "Foreground"]``."""

    values: tuple[str, ...]


TypeExpr = Primitive | Special | AnyType | ModelRef | ListOf | MapOf | UnionOf | LiteralOf


@dataclass(frozen=True)
class GVK:
    group: str
    version: str
    kind: str

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


@dataclass
class FieldDef:
    """One property of a model, with the Kubernetes merge markers the spec gives it."""

    wire_name: str
    name: str
    type: TypeExpr
    required: bool
    nullable: bool = False  # OpenAPI v3 `nullable`: required, but may be null
    # Required, but Go may write null here (a nil slice, map or pointer, a zero Time): null is
    # read and sent back as is, while the Python type stays non-optional for constructors.
    null_on_wire: bool = False
    description: str = ""
    literal: str | None = None  # a fixed value (apiVersion/kind of a top-level kind)
    list_type: str | None = None
    list_map_keys: tuple[str, ...] = ()
    map_type: str | None = None
    patch_strategy: str | None = None
    patch_merge_key: str | None = None

    @property
    def has_markers(self) -> bool:
        return bool(
            self.list_type
            or self.list_map_keys
            or self.map_type
            or self.patch_strategy
            or self.patch_merge_key
        )


@dataclass
class ModelDef:
    """A model class. ``source`` is where it came from: a JSON pointer into the spec."""

    id: ModelRef
    source: str
    description: str
    fields: list[FieldDef]
    gvk: GVK | None = None
    # The runtime module whose class of the same name this model is (re-exported, not
    # generated): one ``Status`` for errors, deletes and watch events alike.
    runtime: str | None = None

    @property
    def name(self) -> str:
        return self.id.name


@dataclass
class ParamDef:
    """A query parameter of an operation."""

    wire_name: str
    name: str
    type: TypeExpr
    description: str = ""
    required: bool = False


Verb = Literal[
    "get", "list", "watch", "create", "replace", "patch", "delete", "deletecollection", "connect"
]
Scope = Literal["namespaced", "cluster", "all-namespaces"]


@dataclass
class OperationDef:
    """One operation of a resource or of one of its subresources."""

    verb: Verb
    method: str
    path: str
    scope: Scope
    subresource: str | None
    params: list[ParamDef]
    body: TypeExpr | None
    response: TypeExpr | None
    description: str = ""
    operation_id: str = ""
    patch_types: tuple[str, ...] = ()  # of a patch: "json", "merge", "strategic", "apply"


@dataclass
class ResourceDef:
    """A REST resource: the kind it serves, where it lives, and what can be done to it."""

    gvk: GVK
    plural: str
    namespaced: bool
    model: ModelRef | None
    list_model: ModelRef | None
    operations: list[OperationDef] = field(default_factory=list)

    @property
    def module(self) -> ModuleId | None:
        return self.model.module if self.model else None

    @property
    def verbs(self) -> list[str]:
        return sorted({op.verb for op in self.operations if op.subresource is None})

    @property
    def subresources(self) -> list[str]:
        return sorted({op.subresource for op in self.operations if op.subresource})


@dataclass
class ModuleDef:
    id: ModuleId
    group: str
    models: list[ModelDef] = field(default_factory=list)
    resources: list[ResourceDef] = field(default_factory=list)


@dataclass
class Package:
    """Everything one generation run produces, before rendering."""

    modules: dict[ModuleId, ModuleDef]
    title: str = ""
    warnings: list[str] = field(default_factory=list)  # what was skipped, and where
    fixups: list[str] = field(default_factory=list)  # the upstream-bug fixups that applied
    # The generated package the modules not in ``modules`` are imported from (a CRD package
    # on top of ``kubetyped.k8s``); None: every module referred to is in this package.
    base: str | None = None
    # Inline objects given a named type of the same shape: (path of class words, the type).
    matched: list[tuple[tuple[str, ...], ModelRef]] = field(default_factory=list)
