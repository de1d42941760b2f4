"""Rendering the IR through Jinja templates into Python source files.

The templates only lay text out; what each annotation, import and name is gets decided here or
in the IR, where it can be tested.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jinja2

from .clients import client_class, client_class_name
from .errors import SpecError
from .ir import (
    FieldDef,
    ListOf,
    MapOf,
    ModelDef,
    ModelRef,
    ModuleDef,
    ModuleId,
    Package,
    TypeExpr,
    UnionOf,
)
from .naming import module_alias
from .pytext import Annotations, docstring


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
            name = client_class_name(r.gvk.kind, r.plural)
            where = next((m.source for m in module.models if m.id == r.model), "")
            for client in (name, f"Async{name}"):
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
}

# Names the client code imports from the runtime; a model of the same name would clash.
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

__all__ = ["render_package"]


@dataclass
class _Field:
    """A field as the template prints it."""

    name: str
    annotation: str
    default: str | None  # None: required
    doc: str
    aliased: bool  # the default is a pydantic Field(...) carrying the wire name
    markers: bool  # the annotation carries ListMarkers


def _field(f: FieldDef, ann: Annotations) -> _Field:
    ann.forward = False
    annotation = ann(f.type)
    if f.literal is not None:
        ann.typing.add("Literal")
        annotation = f'Literal["{f.literal}"]'
    if (not f.required or f.nullable) and f.literal is None:
        annotation = f"{annotation} | None"
    if f.null_on_wire and f.literal is None and not f.has_markers:
        ann.typing.add("Annotated")
        ann.null_on_wire = True
        annotation = f"Annotated[{annotation}, NullOnWire]"
    if f.has_markers:
        ann.typing.add("Annotated")
        ann.null_on_wire |= f.null_on_wire
        null = "NullOnWire, " if f.null_on_wire else ""
        markers = []
        if f.list_type:
            markers.append(f'list_type="{f.list_type}"')
        if f.list_map_keys:
            keys = ", ".join(f'"{k}"' for k in f.list_map_keys)
            markers.append(f"list_map_keys=({keys},)")
        if f.map_type:
            markers.append(f'map_type="{f.map_type}"')
        if f.patch_strategy:
            markers.append(f'patch_strategy="{f.patch_strategy}"')
        if f.patch_merge_key:
            markers.append(f'patch_merge_key="{f.patch_merge_key}"')
        annotation = f"Annotated[{annotation}, {null}ListMarkers({', '.join(markers)})]"
    if ann.forward:
        # Only classes in a reference cycle get here; all others are defined before use, so
        # their annotations are real objects that pydantic need not evaluate from strings.
        annotation = repr(annotation)
    value = f'"{f.literal}"' if f.literal is not None else ("None" if not f.required else None)
    default: str | None = value
    if f.name != f.wire_name:
        # `default=` by keyword and the wire name as validation_alias: pyright and mypy read
        # dataclass_transform field specifiers by keyword (a positional default looks like
        # none), and would take an `alias=` as the constructor's keyword, where the
        # snake_case attribute name belongs.
        alias = f'validation_alias="{f.wire_name}", serialization_alias="{f.wire_name}"'
        default = f"Field(default={value}, {alias})" if value is not None else f"Field({alias})"
    doc = docstring(f.description) if f.description else ""
    return _Field(f.name, annotation, default, doc, f.name != f.wire_name, f.has_markers)


@dataclass
class _Model:
    name: str
    base: str
    doc: str
    fields: list[_Field]
    gvk: tuple[str, str, str] | None


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
    ann = Annotations(module.id)
    reexported = {m.name: m.runtime for m in module.models if m.runtime}
    ann.defined.update(reexported)  # imported at the top: never a forward reference
    models = []
    for model in _definition_order(module.models):
        if model.runtime:
            continue
        fields = [_field(f, ann) for f in model.fields]
        ann.defined.add(model.name)
        gvk = (model.gvk.group, model.gvk.version, model.gvk.kind) if model.gvk else None
        has_literals = any(f.literal for f in model.fields)
        base = "K8sObject" if gvk and has_literals else "K8sModel"
        models.append(_Model(model.name, base, docstring(model.description), fields, gvk))
    names = [m.name for m in models] + sorted(reexported) + clients
    if len(set(names)) != len(names):
        _refuse_duplicates(module, package.title)
    imported = (
        _MODEL_MODULE_NAMES
        | ann.specials
        | {a for _, _, a in _module_imports(ann.modules, package)}
    )
    _refuse_clashes(module, imported, package.title)
    stdlib = {"typing": set(ann.typing) | ({"TYPE_CHECKING", "Any"} if clients else set())}
    runtime = {"kubetyped.model": {m.base for m in models}, "kubetyped.types": set(ann.specials)}
    for name, where in reexported.items():
        runtime.setdefault(where, set()).add(name)
    if any(f.markers for m in models for f in m.fields):
        runtime["kubetyped.model"].add("ListMarkers")
    if ann.null_on_wire:
        runtime["kubetyped.model"].add("NullOnWire")
    return env.get_template("module.py.jinja").render(
        module=module,
        package_name=package_name,
        title=package.title,
        models=models,
        clients=sorted(clients),
        clients_module=_clients_module(module.id),
        exports=sorted(names),
        stdlib_imports=_import_lines(stdlib),
        runtime_imports=_import_lines(runtime),
        imports=_module_imports(ann.modules, package),
        uses_field=any(f.aliased for m in models for f in m.fields),
    )


def _clients_source(
    env: jinja2.Environment, module: ModuleDef, package: Package, package_name: str
) -> tuple[str, list[str]]:
    """The clients module of a group-version, and the class names it defines."""
    ann = Annotations(module.id)
    ann.defined.update(m.name for m in module.models)
    clients = [client_class(r, ann) for r in sorted(module.resources, key=lambda r: r.plural)]
    _refuse_clashes(module, _RUNTIME_NAMES | ann.specials, package.title)
    uses = set().union(*(m.uses for c in clients for m in c.methods))
    modes = {m.mode for c in clients for m in c.methods}
    where = {
        "Any": "typing",
        "Literal": "typing",
        "overload": "typing",
        "Mapping": "collections.abc",
        "Sequence": "collections.abc",
        "JsonPatchOperation": "kubetyped.types",
        "OrStatus": "kubetyped.request",
        "PatchType": "kubetyped.request",
        "WatchEvent": "kubetyped.watch",
        "Watch": "kubetyped.listwatch",
        "AsyncWatch": "kubetyped.listwatch",
        "ListIterator": "kubetyped.listwatch",
        "AsyncListIterator": "kubetyped.listwatch",
    }
    imports: dict[str, set[str]] = {
        "typing": set(ann.typing),
        "collections.abc": {"AsyncGenerator", "Generator"} if "lines" in modes else set(),
        "kubetyped.resource": {"AsyncResourceClient", "ResourceClient", "ResourceInfo"},
        "kubetyped.types": set(ann.specials),
    }
    for name in sorted(uses):
        imports.setdefault(where[name], set()).add(name)
    stdlib = {k: v for k, v in imports.items() if not k.startswith("kubetyped")}
    runtime = {k: v for k, v in imports.items() if k.startswith("kubetyped")}
    source = env.get_template("clients.py.jinja").render(
        module=module,
        package_name=package_name,
        title=package.title,
        clients=clients,
        exports=sorted(n for c in clients for n in (c.name, c.async_name)),
        stdlib_imports=_import_lines(stdlib),
        runtime_imports=_import_lines(runtime),
        local_imports=sorted(ann.locals),
        imports=_module_imports(ann.modules, package),
    )
    return source, [n for c in clients for n in (c.name, c.async_name)]


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


def _import_lines(imports: dict[str, set[str]]) -> list[str]:
    return [
        f"from {module} import {', '.join(sorted(names))}"
        for module, names in sorted(imports.items())
        if names
    ]


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
            kind.client = f'"{client_class_name(r.gvk.kind, r.plural)}"'
            kind.plural = f'"{r.plural}"'
            kind.namespaced = str(r.namespaced)
    return [kinds[key] for key in sorted(kinds)]
