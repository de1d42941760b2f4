"""Rendering the IR through Jinja templates into Python source files.

The templates only lay text out; what each annotation, import and name is gets decided here or
in the IR, where it can be tested.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import jinja2

from .errors import SpecError
from .ir import (
    FieldDef,
    ListOf,
    MapOf,
    MethodDef,
    MethodParam,
    ModelDef,
    ModelRef,
    ModuleDef,
    ModuleId,
    Package,
    ResourceDef,
    TypeExpr,
    UnionOf,
)
from .naming import module_alias
from .pytext import (
    ANNOTATED,
    LITERAL,
    NULL_ON_WIRE,
    Code,
    Import,
    annotation,
    docstring,
    literal,
    method_docstring,
)

__all__ = ["RENDERED_MODES", "render_package"]

RENDERED_MODES = frozenset({"send", "list_all", "watch", "lines"})
"""The method modes the client template renders. ``connect`` methods are rendered when the
runtime speaks their protocol (``MethodDef.connect``: exec, attach, port-forward and proxy of
pods, services and nodes); the others stay in the IR with the spec's parameters."""


def _refuse_clashes(module: ModuleDef, imported: set[str], source: str) -> None:
    """A model named like something its module imports (a CRD kind ``Field`` or ``Any``)
    would shadow it and break the module: refuse it by name instead."""
    for model in module.models:
        if model.name in imported:
            raise SpecError(
                source,
                model.source,
                f"a model named {model.name!r} would shadow a name generated code imports",
            )


def _refuse_duplicates(module: ModuleDef, source: str) -> None:
    """Two classes of one module with one name (a kind ``Foos`` and the client of kind
    ``Foo``, plural ``foos``): an error naming where both come from."""
    seen: dict[str, str] = {}
    owners = [(m.name, m.source, f"the model of {m.source}") for m in module.models]
    for r in module.resources:
        if r.model is not None:
            where = next((m.source for m in module.models if m.id == r.model), "")
            for client in (r.client_name, f"Async{r.client_name}"):
                owners.append(
                    (client, where, f"the client of kind {r.gvk.kind} ({r.plural}), {where}")
                )
    for name, where, what in owners:
        if name in seen:
            raise SpecError(
                source,
                where,
                f"two classes named {name} in {module.id.dotted}: {seen[name]} and {what}",
            )
        seen[name] = what


# Names a models module imports besides its specials and the modules it refers to.
_MODEL_MODULE_NAMES = {
    "Annotated",
    "NullOnWire",
    "Any",
    "Field",
    "K8sModel",
    "K8sObject",
    "ListMarkers",
    "Literal",
    "TYPE_CHECKING",
    "lazy_models",
    "_models",
}

# Names the client code may import from the runtime; a model of the same name would clash.
_RUNTIME_NAMES = {
    "Any",
    "OrStatus",
    "PatchType",
    "WatchEvent",
    "Watch",
    "AsyncWatch",
    "ListIterator",
    "AsyncListIterator",
    "ResourceInfo",
    "ResourceClient",
    "AsyncResourceClient",
    "Generator",
    "AsyncGenerator",
    "Sequence",
    "Mapping",
    "Literal",
    "overload",
    "JsonPatchOperation",
}

_FIELD = Import("pydantic", "Field")
_LAZY_MODELS = Import("kubetyped.lazymodule", "lazy_models")
_TYPE_CHECKING = Import("typing", "TYPE_CHECKING")
# A class is declared under `if TYPE_CHECKING or _models.wanted(...)`: its body is indented twice.
_CLASS_BODY = 8
_LIST_MARKERS = Import("kubetyped.model", "ListMarkers")


@dataclass
class _Field:
    """A field as the template prints it; ``code`` is its annotation and what that needs."""

    name: str
    code: Code
    default: str | None  # None: required
    doc: str

    @property
    def annotation(self) -> str:
        return self.code.text


def _field(f: FieldDef, here: ModuleId, defined: set[str]) -> _Field:
    code = annotation(f.type, here)
    if f.literal is not None:
        code = Code(f"Literal[{literal(f.literal)}]", frozenset({LITERAL}))
    if (not f.required or f.nullable) and f.literal is None:
        code = code.wrap("", " | None")
    if f.null_on_wire and f.literal is None and not f.has_markers:
        code = code.wrap("Annotated[", ", NullOnWire]").needs(ANNOTATED, NULL_ON_WIRE)
    if f.has_markers:
        markers = []
        if f.list_type:
            markers.append(f"list_type={literal(f.list_type)}")
        if f.list_map_keys:
            keys = ", ".join(literal(k) for k in f.list_map_keys)
            markers.append(f"list_map_keys=({keys},)")
        if f.map_type:
            markers.append(f"map_type={literal(f.map_type)}")
        if f.patch_strategy:
            markers.append(f"patch_strategy={literal(f.patch_strategy)}")
        if f.patch_merge_key:
            markers.append(f"patch_merge_key={literal(f.patch_merge_key)}")
        null = "NullOnWire, " if f.null_on_wire else ""
        code = code.wrap("Annotated[", f", {null}ListMarkers({', '.join(markers)})]")
        code = code.needs(ANNOTATED, _LIST_MARKERS, *([NULL_ON_WIRE] if f.null_on_wire else []))
    if code.locals - defined:
        # Only classes in a reference cycle get here; all others are defined before use, so
        # their annotations are real objects that pydantic need not evaluate from strings.
        code = replace(code, text=repr(code.text))
    value = literal(f.literal) if f.literal is not None else ("None" if not f.required else None)
    default: str | None = value
    if f.name != f.wire_name:
        # `default=` by keyword and the wire name as validation_alias: pyright and mypy read
        # dataclass_transform field specifiers by keyword (a positional default looks like
        # none), and would take an `alias=` as the constructor's keyword, where the
        # snake_case attribute name belongs.
        wire = literal(f.wire_name)
        alias = f"validation_alias={wire}, serialization_alias={wire}"
        default = f"Field(default={value}, {alias})" if value is not None else f"Field({alias})"
        code = code.needs(_FIELD)
    doc = docstring(f.description, _CLASS_BODY) if f.description else ""
    return _Field(f.name, code, default, doc)


@dataclass
class _Model:
    name: str
    base: str
    doc: str
    fields: list[_Field]
    gvk: tuple[str, str, str] | None
    uses: str  # the classes of its module its fields name, as a tuple literal


def _local_refs(t: TypeExpr, module: ModuleId) -> Iterator[str]:
    if isinstance(t, ModelRef) and t.module == module:
        yield t.name
    elif isinstance(t, ListOf):
        yield from _local_refs(t.item, module)
    elif isinstance(t, MapOf):
        yield from _local_refs(t.value, module)
    elif isinstance(t, UnionOf):
        for option in t.options:
            yield from _local_refs(option, module)


def _definition_order(models: list[ModelDef]) -> list[ModelDef]:
    """Models ordered so each comes after the models of its module that it uses.

    Depth-first from the alphabetical order, so the result is deterministic; a cycle
    (JSONSchemaProps refers to itself) is cut where it is met.
    """
    by_name = {m.name: m for m in models}
    done: dict[str, ModelDef] = {}
    visiting: set[str] = set()

    def visit(model: ModelDef) -> None:
        if model.name in done or model.name in visiting:
            return
        visiting.add(model.name)
        for f in model.fields:
            for name in sorted(set(_local_refs(f.type, model.id.module))):
                if name in by_name:
                    visit(by_name[name])
        visiting.discard(model.name)
        done[model.name] = model

    for model in sorted(models, key=lambda m: m.name):
        visit(model)
    return list(done.values())


def _models_source(
    env: jinja2.Environment,
    module: ModuleDef,
    package: Package,
    package_name: str,
    clients: list[str],
) -> str:
    reexported = {m.name: m.runtime for m in module.models if m.runtime}
    defined = set(reexported)  # imported at the top: never a forward reference
    models = []
    for model in _definition_order(module.models):
        if model.runtime:
            continue
        fields = [_field(f, module.id, defined) for f in model.fields]
        defined.add(model.name)
        gvk = (model.gvk.group, model.gvk.version, model.gvk.kind) if model.gvk else None
        has_literals = any(f.literal for f in model.fields)
        base = "K8sObject" if gvk and has_literals else "K8sModel"
        uses = sorted(
            {n for f in model.fields for n in _local_refs(f.type, module.id)}
            - set(reexported)
            - {model.name}
        )
        models.append(
            _Model(
                model.name,
                base,
                docstring(model.description, _CLASS_BODY),
                fields,
                gvk,
                _tuple(uses),
            )
        )
    names = [m.name for m in models] + sorted(reexported) + clients
    if len(set(names)) != len(names):
        _refuse_duplicates(module, package.title)
    code = Code.join([f.code for m in models for f in m.fields], "")
    imports = set(code.imports) | {Import("kubetyped.model", m.base) for m in models}
    imports |= {_LAZY_MODELS, _TYPE_CHECKING}
    imported = _MODEL_MODULE_NAMES | {i.name for i in imports}
    imported |= {a for _, _, a in _module_imports(set(code.modules), package)}
    _refuse_clashes(module, imported, package.title)
    # A runtime class the module re-exports (Status) is imported when first used, unless a
    # class of the module names it.
    named = {
        n
        for m in module.models
        if not m.runtime
        for f in m.fields
        for n in _local_refs(f.type, module.id)
    }
    imports |= {Import(where, name) for name, where in reexported.items() if name in named}
    lazy: dict[str, list[str]] = {}
    if clients:
        lazy[f".{_clients_module(module.id)}"] = sorted(clients)
    for name, where in sorted(reexported.items()):
        if name not in named:
            lazy.setdefault(where, []).append(name)
    stdlib, runtime = _import_groups(imports - {_FIELD, _LAZY_MODELS, _TYPE_CHECKING})
    return env.get_template("module.py.jinja").render(
        module=module,
        package_name=package_name,
        title=package.title,
        models=models,
        lazy_imports=sorted(lazy.items()),
        exports=sorted(names),
        stdlib_imports=stdlib,
        runtime_imports=runtime,
        imports=_module_imports(set(code.modules), package),
        uses_field=_FIELD in imports,
    )


def _tuple(names: list[str]) -> str:
    """A tuple of strings as Python source: ``()``, ``("A",)``, ``("A", "B")``."""
    if len(names) == 1:
        return f"({literal(names[0])},)"
    return f"({', '.join(literal(n) for n in names)})"


def _signature_types(m: MethodDef) -> list[TypeExpr]:
    """The types a method's signatures name (of its overloads too)."""
    params: list[MethodParam] = [p for stub in [m.params, *m.overloads] for p in stub]
    return [*(p.type for p in params), m.returns, m.async_returns]


def _body_types(m: MethodDef) -> list[TypeExpr]:
    """What a method's body names when it runs: the model its answer decodes to (and the
    Status it may answer instead), or the runtime functions a connect method calls."""
    if m.connect is not None:
        return [m.connect.function, m.connect.async_function]
    return [m.response, *([m.or_status] if m.or_status is not None else [])]


def _method_types(m: MethodDef) -> list[TypeExpr]:
    """Every type a method's text names."""
    return [*_signature_types(m), *_body_types(m)]


@dataclass
class _Client:
    """A resource client as the template prints it: its IR and the methods rendered."""

    resource: ResourceDef
    methods: list[MethodDef]

    @property
    def name(self) -> str:
        return self.resource.client_name

    @property
    def async_name(self) -> str:
        return f"Async{self.resource.client_name}"

    @property
    def doc(self) -> str:
        r = self.resource
        return docstring(f"The {r.plural} API of {r.gvk.api_version} ({r.gvk.kind}).")


def _method_doc(m: MethodDef) -> str:
    """The method's docstring: summary, details, then ``Args:`` in signature order."""
    return method_docstring(m.summary, [(p.name, p.doc) for p in m.params], m.details)


def _clients_source(
    env: jinja2.Environment, module: ModuleDef, package: Package, package_name: str
) -> tuple[str, list[str]]:
    """The clients module of a group-version, and the class names it defines.

    Every model is named through its module's alias, those of this module too (``core_v1.Pod``
    in ``core/_v1_clients.py``): importing a client builds no model class (the module builds
    its classes on first use), and the annotations still evaluate in the clients module.
    """
    here = module.id
    clients = [
        _Client(r, [m for m in r.methods if m.mode in RENDERED_MODES or m.connect is not None])
        for r in sorted(module.resources, key=lambda r: r.plural)
    ]
    methods = [m for c in clients for m in c.methods]
    code = Code.join([annotation(t, _ELSEWHERE) for m in methods for t in _method_types(m)], "")
    # Importing a client pays only for its own group: the models of other groups (a Scale, an
    # Eviction) and the exec/port-forward machinery of connect methods are imported by the
    # methods that call them, and by type checkers (TYPE_CHECKING) for the annotations.
    eager = Code.join(
        [annotation(t, _ELSEWHERE) for m in methods if m.connect is None for t in _method_types(m)],
        "",
    )
    lazy_imports = set(code.imports) - set(eager.imports)
    lazy_modules = {m for m in code.modules if m.segment not in (here.segment, "meta")}
    imports = set(code.imports) - lazy_imports | {
        Import("kubetyped.resource", name)
        for name in ("AsyncResourceClient", "ResourceClient", "ResourceInfo")
    }
    if lazy_imports or lazy_modules:
        imports.add(Import("typing", "TYPE_CHECKING"))
    if any(m.or_status is not None for m in methods):
        imports.add(Import("kubetyped.request", "OrStatus"))
    if any(m.overloads for m in methods):
        imports.add(Import("typing", "overload"))
    names = {i.name for i in imports | lazy_imports}
    _refuse_clashes(module, _RUNTIME_NAMES | names, package.title)
    stdlib, runtime = _import_groups(imports)
    # Type checkers need the lazy names the signatures use; the bodies import their own.
    signatures = Code.join(
        [annotation(t, _ELSEWHERE) for m in methods for t in _signature_types(m)], ""
    )
    lazy_stdlib, lazy_runtime = _import_groups(lazy_imports & set(signatures.imports))

    def module_lines(modules: set[ModuleId]) -> list[str]:
        return [
            f"from {source} import {version} as {alias}"
            for source, version, alias in _module_imports(modules, package)
        ]

    def call_time_imports(m: MethodDef, is_async: bool) -> list[str]:
        """The lazy imports a method's body needs when it runs (the model its answer decodes
        to, or the runtime function a connect method calls), as import lines."""
        called = _body_types(m)
        if m.connect is not None:  # the flavour this body calls
            called = [m.connect.async_function if is_async else m.connect.function]
        body = Code.join([annotation(t, _ELSEWHERE) for t in called], "")
        names = _import_groups(set(body.imports) & lazy_imports)
        return [*names[0], *names[1], *module_lines(set(body.modules) & lazy_modules)]

    source = env.get_template("clients.py.jinja").render(
        module=module,
        package_name=package_name,
        title=package.title,
        clients=clients,
        exports=sorted(n for c in clients for n in (c.name, c.async_name)),
        stdlib_imports=stdlib,
        runtime_imports=runtime,
        imports=_module_imports(set(code.modules) - lazy_modules, package),
        type_checking_imports=[
            *lazy_stdlib,
            *lazy_runtime,
            *module_lines(set(signatures.modules) & lazy_modules),
        ],
        call_time_imports=call_time_imports,
        py=lambda t: annotation(t, _ELSEWHERE).text,
        literal=literal,
        method_doc=_method_doc,
    )
    return source, [n for c in clients for n in (c.name, c.async_name)]


# No module: a type rendered "from elsewhere" names every model through its module's alias.
_ELSEWHERE = ModuleId("", "")


def _clients_module(module_id: ModuleId) -> str:
    return f"_{module_id.version}_clients"


def _module_imports(modules: set[ModuleId], package: Package) -> list[tuple[str, str, str]]:
    """(from, version, alias) of each module referred to: a sibling of this package, or a
    module of the base package (``kubetyped.k8s.meta``) that a CRD package builds on."""
    return [
        (
            f"..{m.segment}"
            if m in package.modules or not package.base
            else f"{package.base}.{m.segment}",
            m.version,
            module_alias(m.segment, m.version),
        )
        for m in sorted(modules)
    ]


def _import_groups(imports: set[Import]) -> tuple[list[str], list[str]]:
    """The ``from ... import ...`` lines of the standard library's modules, then of
    kubetyped's, one line per module, sorted."""
    by_source: dict[str, set[str]] = {}
    for i in imports:
        by_source.setdefault(i.source, set()).add(i.name)
    lines = {
        source: f"from {source} import {', '.join(sorted(names))}"
        for source, names in sorted(by_source.items())
    }
    stdlib = [line for source, line in lines.items() if not source.startswith("kubetyped")]
    runtime = [line for source, line in lines.items() if source.startswith("kubetyped")]
    return stdlib, runtime


def render_package(
    package: Package, package_name: str, provenance: dict[str, Any] | None = None
) -> dict[str, str]:
    """Render every file of the package: relative path -> source text (before formatting)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("kubetyped.codegen", "templates"),
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    files: dict[str, str] = {}
    segments: dict[str, list[str]] = {}
    for module_id, module in package.modules.items():
        clients: list[str] = []
        if module.resources:
            source, clients = _clients_source(env, module, package, package_name)
            files[f"{module_id.segment}/{_clients_module(module_id)}.py"] = source
        files[f"{module_id.segment}/{module_id.version}.py"] = _models_source(
            env, module, package, package_name, clients
        )
        segments.setdefault(module_id.segment, []).append(module_id.version)
    for segment, versions in segments.items():
        files[f"{segment}/__init__.py"] = env.get_template("group_init.py.jinja").render(
            segment=segment, versions=versions, package_name=package_name
        )
    origin: dict[str, Any] = provenance or {"spec": package.title}
    files["__init__.py"] = env.get_template("package_init.py.jinja").render(
        package_name=package_name,
        title=package.title,
        modules=list(package.modules),
        base=package.base,
        source_lines=[f"{k}: {v}" for k, v in origin.items() if v],
        source_repr=_py_dict(origin),
    )
    files["_kinds.py"] = env.get_template("kinds.py.jinja").render(
        package_name=package_name, title=package.title, kinds=_kinds(package)
    )
    files["py.typed"] = ""
    return files


def _py_dict(values: dict[str, Any]) -> str:
    """A dict of JSON-like values as Python source (repr is Python's own literal syntax)."""
    return "{" + ", ".join(f"{k!r}: {v!r}" for k, v in values.items()) + "}"


@dataclass
class _Kind:
    """One entry of the kinds index (``_kinds.py``), its values as Python literals."""

    api_version: str
    kind: str
    module: str
    model: str
    client: str = "None"
    plural: str = "None"
    namespaced: str = "None"


def _kinds(package: Package) -> list[_Kind]:
    """Every top-level kind of the package and the client that serves it, sorted."""
    kinds: dict[tuple[str, str], _Kind] = {}
    for module_id, module in package.modules.items():
        for model in module.models:
            if model.gvk is not None and any(f.literal for f in model.fields):
                key = (model.gvk.api_version, model.gvk.kind)
                kinds.setdefault(key, _Kind(*key, module_id.dotted, model.name))
    for module_id, module in package.modules.items():
        for r in module.resources:
            if r.model is None or r.model.module != module_id:
                continue  # served as another module's model: its client lives there
            key = (r.gvk.api_version, r.gvk.kind)
            kind = kinds.setdefault(key, _Kind(*key, module_id.dotted, r.model.name))
            kind.client = f'"{r.client_name}"'
            kind.plural = f'"{r.plural}"'
            kind.namespaced = str(r.namespaced)
    return [kinds[key] for key in sorted(kinds)]
