"""The intermediate representation: what to generate, with every decision already made.

The parser fills it from a spec (OpenAPI v2 ``definitions`` and ``paths`` today; a CRD's
``openAPIV3Schema`` or an OpenAPI v3 document map onto the same classes), the templates only
render it. Type expressions are small frozen values so they can be compared and tested.

A resource client is described twice, on purpose: ``OperationDef`` is what the spec lists (one
per path and HTTP method, with the Kubernetes rules parse decided for it), ``MethodDef`` is one
Python method, described by ONE parameter list (``MethodParam``) from which the templates render
both the signature and the request call, so a parameter cannot reach one and miss the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "GVK",
    "NONE",
    "AnyType",
    "ConnectCall",
    "FieldDef",
    "ListOf",
    "LiteralOf",
    "MapOf",
    "MethodDef",
    "MethodParam",
    "ModelDef",
    "ModelRef",
    "ModuleDef",
    "ModuleId",
    "OperationDef",
    "NamedType",
    "Package",
    "ParamDef",
    "ParamLocation",
    "Primitive",
    "RequestDef",
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
    name: Literal["str", "int", "float", "bytes", "bool", "None"]


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


@dataclass(frozen=True)
class NamedType:
    """A class imported from a module, with type arguments: ``NamedType("collections.abc",
    "Mapping", (Primitive("str"), AnyType()))`` is ``Mapping[str, Any]``."""

    source: str
    name: str
    args: tuple[TypeExpr, ...] = ()


TypeExpr = (
    Primitive | Special | AnyType | ModelRef | ListOf | MapOf | UnionOf | LiteralOf | NamedType
)

NONE = Primitive("None")


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
    # The Kubernetes rules, decided by the parser from the path and the spec:
    takes_name: bool = False  # the path names one object (``.../{name}``)
    answers_status: bool = False  # a 2xx answer may be a Status instead of ``response``
    text: bool = False  # the answer is text (a log), not JSON
    follow: str | None = None  # the query parameter that keeps a text answer streaming
    apply: bool = False  # a patch also offered as server-side apply of the resource's kind
    path_params: tuple[str, ...] = ()  # path parameters besides name and namespace ({path})


ParamLocation = Literal["path", "query", "body", "header", "client"]
"""Where a method's argument goes: a path segment (``name``, ``namespace``, ``{path}``), a
query parameter, the body, a header (the patch type is the Content-Type), or the client
itself (``resume`` of a watch: it changes what the client does, not what it sends)."""

Passed = Literal["positional", "keyword", "query", "wrapper"]
"""How the runtime call receives an argument: positionally, as its keyword ``keyword``, in the
``params`` mapping under its wire name, or as keyword ``keyword`` of the mode's wrapper
(``_watch(..., resume=resume)``)."""

Default = bool | int | str | None


@dataclass(frozen=True)
class MethodParam:
    """One parameter of a client method: the signature entry and how the request sends it."""

    name: str  # the Python parameter
    wire_name: str  # the query parameter, path placeholder or runtime keyword it becomes
    type: TypeExpr
    location: ParamLocation
    passed: Passed
    keyword: str = ""  # the runtime's keyword, for passed "keyword" and "wrapper"
    required: bool = False  # no default
    default: Default = None
    doc: str = ""
    positional: bool = False  # before the bare ``*`` of the signature

    @property
    def call_rank(self) -> int:
        return _CALL_RANK[self.location]


# The order the runtime call takes its keywords in: query options it knows by name (apply's
# field_manager, force), then path, body, header.
_CALL_RANK: dict[str, int] = {"query": 0, "client": 0, "path": 1, "body": 2, "header": 3}


Mode = Literal["send", "list_all", "watch", "lines", "connect"]
"""What a method does with its request: send it and decode the answer; iterate every page;
watch; stream text lines; or hand over to the runtime's exec, attach, port-forward or proxy
(``MethodDef.connect``)."""


@dataclass(frozen=True)
class RequestDef:
    """The request a method builds: the HTTP method(s), the subresource, the runtime call."""

    methods: tuple[str, ...]  # as the spec lists them; the first is sent
    subresource: str | None = None
    call: Literal["_request", "_apply_request"] = "_request"

    @property
    def method(self) -> str:
        return self.methods[0]


@dataclass(frozen=True)
class ConnectCall:
    """How a connect method (exec, attach, port-forward, proxy) calls the runtime:
    ``function(self.client, *fixed, parameter=parameter, ...)``, the
    async flavour ``async_function``, awaited in an ``async def`` when ``awaited`` (a plain
    ``def`` returning an async context manager otherwise)."""

    function: NamedType
    async_function: NamedType
    awaited: bool = True
    fixed: tuple[str, ...] = ()  # string arguments after the client (``"pods"``)


@dataclass
class MethodDef:
    """One method of a resource client, sync and async alike."""

    name: str
    verb: Verb  # the operation's verb: "connect" marks exec, attach, portforward, proxy
    mode: Mode
    summary: str  # the docstring's first line
    params: list[MethodParam]
    request: RequestDef
    response: TypeExpr  # what a 2xx answer decodes to (the item model for list_all, watch)
    returns: TypeExpr  # the sync method's return type
    async_returns: TypeExpr  # the async method's
    or_status: TypeExpr | None = None  # the Status the answer may be instead of ``response``
    details: str = ""  # the docstring's paragraph after the summary
    overloads: list[list[MethodParam]] = field(default_factory=list)  # @overload stubs
    connect: ConnectCall | None = None  # the runtime call of a ``connect`` method

    def sent(self, passed: Passed) -> list[MethodParam]:
        """The parameters the call receives one way, in the call's order."""
        found = [p for p in self.params if p.passed == passed]
        return sorted(found, key=lambda p: p.call_rank) if passed == "keyword" else found


@dataclass
class ResourceDef:
    """A REST resource: the kind it serves, where it lives, and what can be done to it."""

    gvk: GVK
    plural: str
    namespaced: bool
    model: ModelRef | None
    list_model: ModelRef | None
    operations: list[OperationDef] = field(default_factory=list)
    client_name: str = ""  # ``Deployments``; ``Async`` + it is the asyncio flavour
    methods: list[MethodDef] = field(default_factory=list)  # sorted by name

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
