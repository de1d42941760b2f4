"""From an OpenAPI v2 document (Kubernetes ``/openapi/v2``) to the IR.

Two passes: ``definitions`` become models in group-version modules (inline object schemas, as
CRDs have them, become nested models), then ``paths`` become resources with their operations.
Every error names the JSON pointer of the schema it is about.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Hashable
from typing import Any, NoReturn

from kubetyped.request import PATCH_TYPES_BY_CONTENT_TYPE

from .clients import client_class_name, resource_methods
from .errors import SpecError, pointer
from .fixups import fixed_spec
from .ir import (
    GVK,
    AnyType,
    FieldDef,
    ListOf,
    LiteralOf,
    MapOf,
    ModelDef,
    ModelRef,
    ModuleDef,
    ModuleId,
    OperationDef,
    Package,
    ParamDef,
    Primitive,
    ResourceDef,
    Scope,
    Special,
    TypeExpr,
    UnionOf,
    Verb,
)
from .naming import attribute_name, group_module
from .params import NOT_OFFERED, QUERY_DOCS, QUERY_REPEATED, QUERY_VALUES
from .shapes import Shapes

__all__ = ["parse_spec"]

_META = "io.k8s.apimachinery.pkg.apis.meta.v1"
_APIEXT = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1"
_PROPS = ModelRef(ModuleId("apiextensions", "v1"), "JSONSchemaProps")

# Definitions the runtime itself needs (an error is a Status): the generated module re-exports
# the runtime's class, so users meet one class. tests/codegen/test_runtime_models.py checks
# that the runtime's fields are the spec's.
_RUNTIME_MODELS: dict[str, str] = {
    f"{_META}.Status": "kubetyped.status",
    f"{_META}.StatusDetails": "kubetyped.status",
    f"{_META}.StatusCause": "kubetyped.status",
}

# Definitions whose real behaviour is not what their schema says: runtime types instead.
_SPECIAL_DEFINITIONS: dict[str, TypeExpr] = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": Special("IntOrString"),
    "io.k8s.apimachinery.pkg.api.resource.Quantity": Special("Quantity"),
    "io.k8s.apimachinery.pkg.runtime.RawExtension": Special("RawExtension"),
    f"{_META}.Time": Special("Time"),
    f"{_META}.MicroTime": Special("MicroTime"),
    f"{_META}.FieldsV1": Special("FieldsV1"),
    f"{_META}.Patch": Special("Patch"),
    f"{_APIEXT}.JSON": Special("JSON"),
    f"{_APIEXT}.JSONSchemaPropsOrArray": UnionOf((_PROPS, ListOf(_PROPS))),
    f"{_APIEXT}.JSONSchemaPropsOrBool": UnionOf((_PROPS, Primitive("bool"))),
    f"{_APIEXT}.JSONSchemaPropsOrStringArray": UnionOf((_PROPS, ListOf(Primitive("str")))),
}

# Definitions the runtime models by hand: /version's answer is kubetyped.discovery.VersionInfo.
_RUNTIME_DEFINITIONS = {"io.k8s.apimachinery.pkg.version.Info"}

# Packages whose types are served under every group: they get a module of their own.
_FIXED_PACKAGES = {_META: ModuleId("meta", "v1")}

_VERSION = re.compile(r"^v\d+((alpha|beta)\d+)?$")
_STRING_FORMATS: dict[str, TypeExpr] = {
    "int-or-string": Special("IntOrString"),
    "date-time": Special("DateTime"),  # meta/v1 Time and MicroTime come by $ref
    "byte": Special("Base64Bytes"),
}
_PATH = re.compile(
    r"^/(?:api/(?P<core_version>[^/]+)|apis/(?P<group>[^/]+)/(?P<version>[^/]+))"
    r"(?P<namespaced>/namespaces/\{namespace\})?"
    r"/(?P<plural>[^/{]+)(?:/\{name\}(?:/(?P<sub>[^/{]+))?(?:/\{path\})?)?$"
)
_ACTIONS: dict[str, Verb] = {
    "get": "get",
    "list": "list",
    "post": "create",
    "put": "replace",
    "patch": "patch",
    "delete": "delete",
    "deletecollection": "deletecollection",
    "connect": "connect",
}
# Names a nested class never takes: what generated modules import, and runtime types.
_RESERVED_CLASS_NAMES = frozenset(
    {
        "Annotated",
        "Any",
        "AsyncGenerator",
        "AsyncListIterator",
        "AsyncResourceClient",
        "AsyncWatch",
        "Base64Bytes",
        "DateTime",
        "Field",
        "FieldsV1",
        "Generator",
        "IntOrString",
        "JSON",
        "JsonPatchOperation",
        "K8sModel",
        "K8sObject",
        "ListIterator",
        "ListMarkers",
        "Literal",
        "Mapping",
        "MicroTime",
        "NullOnWire",
        "OrStatus",
        "Patch",
        "PatchType",
        "Quantity",
        "RawExtension",
        "ResourceClient",
        "ResourceInfo",
        "Sequence",
        "TYPE_CHECKING",
        "Time",
        "Watch",
        "WatchEvent",
        "overload",
    }
)
# Path words too plain for a class name of their own: ``PodTemplateSpec``, not ``Spec``.
_NOT_ALONE = frozenset({"Spec", "Status", "Metadata", "Template", "Item", "Value", "Ref"})
_WATCH_ONLY = {"watch", "allowWatchBookmarks", "sendInitialEvents"}
# Subresources whose create may answer with a Status rather than the object named in the
# spec (an eviction of a pod with no disruption budget, a binding).
_STATUS_ANSWERS = {"eviction", "binding"}
# Server-side apply sends the resource's own apiVersion/kind: right for the object and its
# status, not for subresources of another kind (scale is an autoscaling/v1 Scale).
_APPLY_SUBRESOURCES = {None, "status"}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_LIST_ONLY = {"watch", "limit", "continue"}


def _gvks(schema: dict[str, Any]) -> list[GVK]:
    return [
        GVK(g.get("group", ""), g.get("version", ""), g.get("kind", ""))
        for g in schema.get("x-kubernetes-group-version-kind", ())
        if isinstance(g, dict)
    ]


class _Parser:
    def __init__(self, spec: dict[str, Any], source: str) -> None:
        self.spec = spec
        self.source = source
        self.definitions: dict[str, Any] = spec.get("definitions", {})
        if not isinstance(self.definitions, dict):
            self.fail(pointer("definitions"), "expected an object of schemas")
        self.modules: dict[ModuleId, ModuleDef] = {}
        self.refs: dict[str, ModelRef] = {}
        self.warnings: list[str] = []
        self.by_gvk: dict[GVK, ModelRef] = {}
        self.shapes = Shapes(self.definitions)
        # Named definitions by shape: an inline object of that shape uses the named class.
        self.base_shapes: dict[Hashable, list[ModelRef]] = {}
        self.base_map_types: dict[ModelRef, Any] = {}  # their x-kubernetes-map-type
        self.match_at: dict[int, ModelRef] = {}  # id of an inline schema -> its named type
        # Inline objects: one class per shape and module, named before any is built.
        self.nested_names: dict[tuple[ModuleId, Hashable], str] = {}
        self.built: dict[tuple[ModuleId, Hashable], ModelRef] = {}
        self.matched: list[tuple[tuple[str, ...], ModelRef]] = []  # path -> named class used
        self.nested_paths: dict[tuple[ModuleId, Hashable], list[tuple[str, ...]]] = {}

    def fail(self, where: str, message: str) -> NoReturn:
        raise SpecError(self.source, where, message)

    # -- where each definition goes -------------------------------------------------------

    def _package_modules(self) -> dict[str, ModuleId]:
        """Map each definition package to the group-version module of the kinds it holds."""
        groups: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
        for name, schema in self.definitions.items():
            package = name.rpartition(".")[0]
            gvks = _gvks(schema) if isinstance(schema, dict) else []
            if len(gvks) == 1:
                groups[package][(gvks[0].group, gvks[0].version)] += 1
        result: dict[str, ModuleId] = {}
        for package in {name.rpartition(".")[0] for name in self.definitions}:
            if package in _FIXED_PACKAGES:
                result[package] = _FIXED_PACKAGES[package]
            elif len(groups[package]) == 1:
                group, version = next(iter(groups[package]))
                result[package] = ModuleId(group_module(group), version)
            else:
                head, _, version = package.rpartition(".")
                if _VERSION.match(version):
                    # No kind tells the group: name it after the package (documented rule).
                    result[package] = ModuleId(group_module(head.rpartition(".")[2]), version)
        return result

    def _module(self, module_id: ModuleId, group: str) -> ModuleDef:
        """The module of a group-version; ``group`` is the API group of a kind placed there
        (``rbac.authorization.k8s.io``), which names the module in docstrings."""
        module = self.modules.get(module_id)
        if module is None:
            module = self.modules[module_id] = ModuleDef(module_id, "")
        if group and not module.group and group_module(group) == module_id.segment:
            module.group = group
        return module

    # -- models ---------------------------------------------------------------------------

    def parse_models(self) -> None:
        packages = self._package_modules()
        placed: dict[ModelRef, str] = {}
        for name in sorted(self.definitions):
            if name in _SPECIAL_DEFINITIONS or name in _RUNTIME_DEFINITIONS:
                continue
            package, _, short = name.rpartition(".")
            module_id = packages.get(package)
            if module_id is None:
                self.warnings.append(f"{pointer('definitions', name)}: no group-version; skipped")
                continue
            ref = ModelRef(module_id, re.sub(r"\W", "_", short))
            if ref in placed:
                self.fail(
                    pointer("definitions", name),
                    f"{ref.module.dotted}.{ref.name} is also generated from {placed[ref]}",
                )
            placed[ref] = name
            self.refs[name] = ref
        self._find_base_shapes()
        self._plan_nested()
        for name, ref in sorted(self.refs.items()):
            schema = self.definitions[name]
            where = pointer("definitions", name)
            if not isinstance(schema, dict):
                self.fail(where, "expected a schema object")
            gvks = _gvks(schema)
            group = gvks[0].group if len(gvks) == 1 else ""
            model = self._model(ref, schema, where, gvks[0] if len(gvks) == 1 else None, group)
            model.runtime = _RUNTIME_MODELS.get(name)

    def _model(
        self, ref: ModelRef, schema: dict[str, Any], where: str, gvk: GVK | None, group: str
    ) -> ModelDef:
        module = self._module(ref.module, group)
        model = ModelDef(ref, where, schema.get("description", ""), [], gvk)
        module.models.append(model)  # before the fields: nested models come after their parent
        if gvk is not None:
            self.by_gvk.setdefault(gvk, ref)
        props = schema.get("properties", {})
        if not isinstance(props, dict):
            self.fail(where + "/properties", "expected an object")
        required = set(schema.get("required", ()))
        taken: set[str] = set()
        for wire, prop in props.items():
            at = where + pointer("properties", wire)
            if not isinstance(prop, dict):
                self.fail(at, "expected a schema object")
            name = attribute_name(wire)
            while name in taken:
                name += "_"
            taken.add(name)
            literal = None
            if gvk is not None and wire == "apiVersion":
                literal = gvk.api_version
            elif gvk is not None and wire == "kind":
                literal = gvk.kind
            field_type = self.type_of(prop, at, ref, wire)
            model.fields.append(
                FieldDef(
                    wire_name=wire,
                    name=name,
                    type=field_type,
                    required=wire in required and literal is None,
                    null_on_wire=wire in required
                    and literal is None
                    and (
                        _go_null(field_type)
                        or (where.removeprefix("/definitions/"), wire) in GO_NULL_POINTERS
                    ),
                    nullable=bool(prop.get("nullable")),
                    description=prop.get("description", ""),
                    literal=literal,
                    list_type=prop.get("x-kubernetes-list-type"),
                    list_map_keys=tuple(prop.get("x-kubernetes-list-map-keys", ())),
                    map_type=prop.get("x-kubernetes-map-type"),
                    patch_strategy=prop.get("x-kubernetes-patch-strategy"),
                    patch_merge_key=prop.get("x-kubernetes-patch-merge-key"),
                )
            )
        return model

    # -- inline objects: the named type of that shape, or a short class name of their own ---

    def _find_base_shapes(self) -> None:
        """Named object definitions that are not kinds, by shape, best first: the stable
        version, then core and meta, then by name."""
        ranked: dict[Hashable, list[tuple[tuple[bool, bool, str, str], ModelRef]]] = {}
        for name, ref in self.refs.items():
            schema = self.definitions[name]
            if not isinstance(schema, dict) or _gvks(schema) or name in _RUNTIME_MODELS:
                continue
            shape = self.shapes.of_definition(name)
            if not (isinstance(shape, tuple) and shape[0] == "object"):
                continue
            unstable = not re.fullmatch(r"v\d+", ref.module.version)
            rank = (unstable, ref.module.segment not in ("core", "meta"), ref.module.dotted, name)
            ranked.setdefault(shape, []).append((rank, ref))
            self.base_map_types[ref] = schema.get("x-kubernetes-map-type")
        self.base_shapes = {shape: [r for _, r in sorted(refs)] for shape, refs in ranked.items()}

    def _base_type(self, shape: Hashable, word: str, map_type: Any = None) -> ModelRef | None:
        """The named type an inline object of this shape at a path ending in ``word`` is: one
        of that name (``Sysctl``, ``SeccompProfile``), else the best of that shape, if the
        shape has two properties or more. One property alone says little (``{name}``
        required is PodOS as much as a reference): such a shape is the named type only where
        the object also carries that type's own ``x-kubernetes-map-type`` and no other type of
        the shape does, as controller-gen writes ``corev1.LocalObjectReference`` (``{name}``,
        atomic) for ``imagePullSecrets``."""
        refs = self.base_shapes.get(shape)
        if not refs:
            return None
        for ref in refs:
            if ref.name.lower() == word.lower():
                return ref
        if isinstance(shape, tuple) and len(shape[1]) >= 2:
            return refs[0]
        marked = [r for r in refs if map_type and self.base_map_types.get(r) == map_type]
        return marked[0] if len(marked) == 1 else None

    def _plan_nested(self) -> None:
        """Walk every definition's inline objects as ``type_of`` will, and name each class:
        the shortest tail of its path (``IssuerRef``, then ``SpecIssuerRef``, ...) that no
        other class of the module takes; a kind's own ``spec`` and ``status`` keep the kind
        (``CertificateSpec``)."""
        for name in sorted(self.refs):
            schema = self.definitions[name]
            props = schema.get("properties") if isinstance(schema, dict) else None
            if not isinstance(props, dict):
                continue
            ref = self.refs[name]
            for wire, prop in props.items():
                if isinstance(prop, dict):
                    self._visit(prop, ref.module, (ref.name, _word(wire)))
        for paths in self.nested_paths.values():  # named after its shortest path
            paths.sort(key=lambda p: (len("".join(p)), p))
        taken: dict[ModuleId, set[str]] = defaultdict(
            lambda: set(_RESERVED_CLASS_NAMES) | self._client_names()
        )
        for ref in self.refs.values():
            taken[ref.module].add(ref.name)
        length = {key: min(2, len(paths[0])) for key, paths in self.nested_paths.items()}
        for key, paths in self.nested_paths.items():
            if len(paths[0]) > 2 and paths[0][-1] not in _NOT_ALONE:
                length[key] = 1
        pending = dict.fromkeys(self.nested_paths)
        while pending:
            wanted = {key: "".join(self.nested_paths[key][0][-length[key] :]) for key in pending}
            counts = Counter((key[0], name) for key, name in wanted.items())
            for key, name in wanted.items():
                path = self.nested_paths[key][0]
                if counts[(key[0], name)] == 1 and name not in taken[key[0]]:
                    self.nested_names[key] = name
                elif length[key] < len(path):
                    length[key] += 1
                    continue
                else:
                    n = 2
                    while f"{name}{n}" in taken[key[0]]:
                        n += 1
                    self.nested_names[key] = f"{name}{n}"
                taken[key[0]].add(self.nested_names[key])
                del pending[key]

    def _client_names(self) -> set[str]:
        """The resource client classes the paths will give (never a nested class's name)."""
        names: set[str] = set()
        paths = self.spec.get("paths")
        for path, item in (paths if isinstance(paths, dict) else {}).items():
            match = _PATH.match(path)
            if match is None or not isinstance(item, dict):
                continue
            for op in item.values():
                gvk = op.get("x-kubernetes-group-version-kind") if isinstance(op, dict) else None
                if isinstance(gvk, dict) and isinstance(gvk.get("kind"), str):
                    name = client_class_name(gvk["kind"], match["plural"])
                    names |= {name, f"Async{name}"}
        return names

    def _visit(self, schema: dict[str, Any], module: ModuleId, path: tuple[str, ...]) -> None:
        """One inline schema, deciding as ``type_of`` does what becomes a class."""
        if "$ref" in schema or schema.get("x-kubernetes-int-or-string"):
            return
        parts = schema.get("allOf")
        if isinstance(parts, list) and len(parts) == 1 and isinstance(parts[0], dict):
            self._visit(parts[0], module, path)
            return
        kind = schema.get("type")
        if kind == "array" and isinstance(schema.get("items"), dict):
            self._visit(schema["items"], module, (*path[:-1], _singular(path[-1])))
        elif kind == "object":
            props = schema.get("properties")
            if schema.get("x-kubernetes-embedded-resource") and not props:
                return
            if isinstance(props, dict) and props:
                shape = self.shapes.of(schema)
                base = self._base_type(shape, path[-1], schema.get("x-kubernetes-map-type"))
                if base is not None:
                    self.matched.append((path, base))
                    self.match_at[id(schema)] = base
                    return
                key = (module, shape)
                if key in self.nested_paths:
                    self.nested_paths[key].append(path)
                    return
                self.nested_paths[key] = [path]
                for wire, prop in props.items():
                    if isinstance(prop, dict):
                        self._visit(prop, module, (*path, _word(wire)))
                return
            extra = schema.get("additionalProperties")
            if isinstance(extra, dict) and extra:
                self._visit(extra, module, path)

    def _nested_ref(self, owner: ModelRef, wire: str) -> ModelRef:
        base = owner.name + "".join(w.capitalize() for w in attribute_name(wire).split("_"))
        # Taken: models placed so far and every definition of the module, even those not
        # reached yet (a CRD Foo with a `list` object must not take the name FooList).
        taken = {m.name for m in self._module(owner.module, "").models}
        taken |= {ref.name for ref in self.refs.values() if ref.module == owner.module}
        name, n = base, 2
        while name in taken:
            name, n = f"{base}{n}", n + 1
        return ModelRef(owner.module, name)

    def resolve_ref(self, ref: Any, where: str) -> TypeExpr:
        if not isinstance(ref, str) or not ref.startswith("#/definitions/"):
            self.fail(where, f"unsupported $ref {ref!r}")
        target = ref[len("#/definitions/") :].replace("~1", "/").replace("~0", "~")
        if target in _SPECIAL_DEFINITIONS:
            return _SPECIAL_DEFINITIONS[target]
        if target in self.refs:
            return self.refs[target]
        if target in self.definitions:
            # A definition that belongs to no group-version: untyped rather than invented.
            return AnyType()
        self.fail(where, f"dangling $ref {ref!r}: no such definition")

    def type_of(
        self, schema: dict[str, Any], where: str, owner: ModelRef | None, wire: str
    ) -> TypeExpr:
        """The type of a property schema; inline objects become nested models of ``owner``."""
        if "$ref" in schema:
            return self.resolve_ref(schema["$ref"], where + "/$ref")
        parts = schema.get("allOf")  # OpenAPI v3's way to put a description next to a $ref
        if isinstance(parts, list) and len(parts) == 1 and isinstance(parts[0], dict):
            return self.type_of(parts[0], where + "/allOf/0", owner, wire)
        if schema.get("x-kubernetes-int-or-string"):
            return Special("IntOrString")
        kind = schema.get("type")
        if kind is None:
            return AnyType()  # JSON, anyOf without a type, preserve-unknown-fields alone
        if kind == "string":
            string = _STRING_FORMATS.get(schema.get("format") or "", Primitive("str"))
            return _open_enum(schema.get("enum")) if string == Primitive("str") else string
        if kind == "integer":
            return Primitive("int")
        if kind == "number":
            return UnionOf((Primitive("int"), Primitive("float")))  # keep integers integers
        if kind == "boolean":
            return Primitive("bool")
        if kind == "array":
            items = schema.get("items")
            if not isinstance(items, dict):
                return ListOf(AnyType())
            return ListOf(self.type_of(items, where + "/items", owner, wire))
        if kind == "object":
            if schema.get("x-kubernetes-embedded-resource") and not schema.get("properties"):
                return MapOf(AnyType())
            if owner and isinstance(schema.get("properties"), dict) and schema["properties"]:
                if id(schema) in self.match_at:
                    return self.match_at[id(schema)]  # a Kubernetes type written out in full
                key = (owner.module, self.shapes.of(schema))
                if key in self.built:
                    return self.built[key]  # the same object under another path
                planned = self.nested_names.get(key)
                nested = (
                    ModelRef(owner.module, planned) if planned else self._nested_ref(owner, wire)
                )
                self.built[key] = nested
                self._model(nested, schema, where, None, "")
                return nested
            extra = schema.get("additionalProperties")
            if isinstance(extra, dict) and extra:
                value = self.type_of(extra, where + "/additionalProperties", owner, wire)
                return MapOf(value, null_values=_go_null_value(value))
            return MapOf(AnyType())
        self.fail(where + "/type", f"unknown type {kind!r}")

    # -- resources ------------------------------------------------------------------------

    def _parameter(self, param: Any, where: str) -> dict[str, Any]:
        if isinstance(param, dict) and "$ref" in param:
            ref = param["$ref"]
            name = ref.rpartition("/")[2] if isinstance(ref, str) else ""
            if not (isinstance(ref, str) and ref.startswith("#/parameters/")):
                self.fail(where + "/$ref", f"unsupported $ref {ref!r}")
            target = self.spec.get("parameters", {}).get(name)
            if not isinstance(target, dict):
                self.fail(where + "/$ref", f"dangling $ref {ref!r}: no such parameter")
            return target
        if not isinstance(param, dict):
            self.fail(where, "expected a parameter object")
        return param

    def parse_resources(self) -> None:
        paths = self.spec.get("paths", {})
        if not isinstance(paths, dict):
            self.fail(pointer("paths"), "expected an object")
        resources: dict[tuple[str, str, str], ResourceDef] = {}
        for path in sorted(paths):
            match = _PATH.match(path)
            if match is None or "/watch/" in path:
                continue  # discovery endpoints; deprecated /watch/ paths are list?watch=true
            item = paths[path]
            group = match["group"] or ""
            version = match["version"] or match["core_version"]
            key = (group, version, match["plural"])
            path_params = item.get("parameters", [])
            for method in ("get", "put", "post", "patch", "delete"):
                op = item.get(method)
                if not isinstance(op, dict):
                    continue
                where = pointer("paths", path, method)
                verb = _ACTIONS.get(op.get("x-kubernetes-action", ""))
                if verb is None:
                    continue
                sub = match["sub"]
                if sub is None and "{name}" not in path and verb == "get":
                    continue
                gvk_raw = op.get("x-kubernetes-group-version-kind", {})
                resource = resources.get(key)
                if resource is None:
                    resource = ResourceDef(GVK(group, version, ""), key[2], False, None, None)
                    resources[key] = resource
                if sub is None and isinstance(gvk_raw, dict) and not resource.gvk.kind:
                    resource.gvk = GVK(group, version, gvk_raw.get("kind", ""))
                resource.namespaced |= bool(match["namespaced"])
                params, body = self._operation_params(
                    [*op.get("parameters", []), *path_params], where
                )
                response = self._response(op, where)
                scope: Scope = "namespaced" if match["namespaced"] else "cluster"
                patch_types = tuple(
                    PATCH_TYPES_BY_CONTENT_TYPE[c]
                    for c in op.get("consumes", ())
                    if c in PATCH_TYPES_BY_CONTENT_TYPE
                )
                text = verb == "get" and response == Primitive("str")
                base = OperationDef(
                    verb,
                    method.upper(),
                    path,
                    scope,
                    sub,
                    params,
                    body,
                    response,
                    op.get("description", ""),
                    op.get("operationId", ""),
                    patch_types,
                    takes_name="{name}" in path,
                    answers_status=verb in ("delete", "deletecollection")
                    or (verb == "create" and sub in _STATUS_ANSWERS),
                    text=text,
                    follow="follow"
                    if text and any(p.wire_name == "follow" for p in params)
                    else None,
                    apply=verb == "patch" and "apply" in patch_types and sub in _APPLY_SUBRESOURCES,
                    path_params=tuple(
                        p for p in _PLACEHOLDER.findall(path) if p not in ("name", "namespace")
                    ),
                )
                if verb == "list":
                    names = {p.wire_name for p in params}
                    base.params = [p for p in params if p.wire_name not in _WATCH_ONLY]
                    resource.operations.append(base)
                    if "watch" in names:
                        resource.operations.append(
                            OperationDef(
                                "watch",
                                "GET",
                                path,
                                scope,
                                sub,
                                [p for p in params if p.wire_name not in _LIST_ONLY],
                                None,
                                None,
                                f"watch changes to objects of kind {resource.gvk.kind}",
                                base.operation_id,
                            )
                        )
                else:
                    resource.operations.append(base)
        for key in sorted(resources):
            resource = resources[key]
            for op in resource.operations:
                if resource.namespaced and op.scope == "cluster" and op.verb in ("list", "watch"):
                    op.scope = "all-namespaces"
            resource.model = self.by_gvk.get(resource.gvk)
            lists: list[ModelRef] = [
                op.response
                for op in resource.operations
                if op.verb == "list"
                and op.subresource is None
                and isinstance(op.response, ModelRef)
            ]
            resource.list_model = lists[0] if lists else None
            if resource.model is None:
                self.warnings.append(f"resource {'/'.join(key)} has no model; skipped")
                continue
            resource.client_name = client_class_name(resource.gvk.kind, resource.plural)
            resource.methods = resource_methods(resource)
            self.modules[resource.model.module].resources.append(resource)

    def _operation_params(
        self, raw_params: list[Any], where: str
    ) -> tuple[list[ParamDef], TypeExpr | None]:
        """The query parameters (sorted by wire name; an operation's own win over its
        path's) and the body type of an operation."""
        params: list[ParamDef] = []
        body: TypeExpr | None = None
        seen: set[str] = set()
        for i, raw in enumerate(raw_params):
            at = f"{where}/parameters/{i}"
            param = self._parameter(raw, at)
            location, wire = param.get("in"), param.get("name", "")
            if location == "body":
                body = self.type_of(param.get("schema", {}), f"{at}/schema", None, "body")
            elif location == "query" and wire not in seen and wire not in NOT_OFFERED:
                seen.add(wire)
                param_type = self.type_of(param, at, None, wire)
                if wire in QUERY_VALUES and param.get("type") == "string":
                    param_type = LiteralOf(QUERY_VALUES[wire])  # the closed set the API takes
                if wire in QUERY_REPEATED and not isinstance(param_type, ListOf):
                    param_type = ListOf(param_type)
                params.append(
                    ParamDef(
                        wire,
                        attribute_name(wire),
                        param_type,
                        QUERY_DOCS.get(wire, param.get("description", "")),
                        bool(param.get("required")),
                    )
                )
        return sorted(params, key=lambda p: p.wire_name), body

    def _response(self, op: dict[str, Any], where: str) -> TypeExpr | None:
        responses = op.get("responses", {})
        for code in ("200", "201"):
            schema = responses.get(code, {}).get("schema")
            if isinstance(schema, dict):
                return self.type_of(schema, f"{where}/responses/{code}/schema", None, "response")
        return None


# Go's nulls. encoding/json writes a nil slice, a nil map and a nil pointer as null unless the
# field is `omitempty`, and metav1.Time writes its zero value as null; the spec's `required`
# only says "not omitempty", never "not null". So a required field whose Go type can be nil
# -- a list, a map, []byte, Time/MicroTime, or a struct (a pointer, or written as one) -- may
# come as null, and so may a map value of those types (`map[string]metav1.Time` holds nulls).
# Strings, numbers and booleans are Go values, never null unless a pointer without
# omitempty (not in the spec's required lists). RawExtension and apiextensions JSON write an
# empty value as null too. tests/codegen/test_go_nulls.py checks it against every model.
_GO_NULLABLE_SPECIALS = frozenset(
    {"Time", "MicroTime", "DateTime", "Base64Bytes", "RawExtension", "JSON", "FieldsV1"}
)


# Required fields whose Go type is a pointer to a string without omitempty: null on the wire,
# though nothing in the spec shows it (found by tests/data/go-nulls, reflecting over
# k8s.io/api; tests/codegen/test_go_nulls.py fails when this table and Go disagree).
GO_NULL_POINTERS = frozenset(
    {
        ("io.k8s.api.admissionregistration.v1.MutatingWebhook", "sideEffects"),
        ("io.k8s.api.admissionregistration.v1.ValidatingWebhook", "sideEffects"),
        ("io.k8s.api.networking.v1.HTTPIngressPath", "pathType"),
    }
)


def _go_null(t: TypeExpr) -> bool:
    """Whether a required field of this type may be null on the wire."""
    if isinstance(t, ListOf | MapOf | ModelRef):
        return True
    return isinstance(t, Special) and t.name in _GO_NULLABLE_SPECIALS


def _go_null_value(t: TypeExpr) -> bool:
    """Whether a map value of this type may be null (a struct value in a map never is)."""
    if isinstance(t, ListOf | MapOf):
        return True
    return isinstance(t, Special) and t.name in _GO_NULLABLE_SPECIALS


def _open_enum(values: Any) -> TypeExpr:
    """A string with known values (an ``enum``, as a server's ``/openapi/v2`` and
    ``/openapi/v3`` and CRDs list them): ``Literal[...] | str``, so editors complete the known
    values and a value a newer server adds still reads. Without an enum of strings, ``str``.
    (The embedded v1.36 spec lists no enums.)"""
    if not isinstance(values, list):
        return Primitive("str")
    known = tuple(dict.fromkeys(v for v in values if isinstance(v, str)))
    return UnionOf((LiteralOf(known), Primitive("str"))) if known else Primitive("str")


def _word(wire: str) -> str:
    """A path word of a class name: ``issuerRef`` -> ``IssuerRef``."""
    return "".join(w.capitalize() for w in attribute_name(wire).split("_"))


def _singular(word: str) -> str:
    """The class name word of a list's items: ``Conditions`` -> ``Condition``."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def parse_spec(spec: dict[str, Any], source: str) -> Package:
    """Turn a loaded spec into the IR, applying the fixups that match it."""
    if "definitions" not in spec:
        raise SpecError(source, pointer("definitions"), "missing: not an OpenAPI v2 document")
    spec, applied = fixed_spec(spec)  # a corrected copy: the caller's spec stays as it was
    parser = _Parser(spec, source)
    parser.parse_models()
    parser.parse_resources()
    package = Package(dict(sorted(parser.modules.items())), source, parser.warnings, applied)
    package.matched = parser.matched
    return package
