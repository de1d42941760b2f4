"""Rendering the IR through Jinja templates into Python source files.

The templates only lay text out; what each annotation, import and name is gets decided here or
in the IR, where it can be tested.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from dataclasses import dataclass

import jinja2

from .ir import (
    AnyType,
    FieldDef,
    ListOf,
    ModelDef,
    MapOf,
    ModelRef,
    ModuleDef,
    ModuleId,
    Package,
    Primitive,
    Special,
    TypeExpr,
    UnionOf,
)
from .naming import module_alias

__all__ = ["render_package"]

_WIDTH = 92


def docstring(text: str, indent: int = 4) -> str:
    """A docstring body: wrapped, escaped, never ending in a quote."""
    text = text.strip().replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    if not text:
        return '""""""'
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(
            textwrap.wrap(
                paragraph, _WIDTH - indent, break_long_words=False, break_on_hyphens=False
            )
            or [""]
        )
    body = ("\n" + " " * indent).join(lines)
    if body.endswith('"'):
        body += " "
    if len(lines) == 1:
        return f'"""{body}"""'
    return f'"""{body}\n{" " * indent}"""'


class _Annotations:
    """Python annotations of IR types as seen from one module, collecting its imports."""

    def __init__(self, module: ModuleId) -> None:
        self.module = module
        self.defined: set[str] = set()  # classes already defined above the current one
        self.forward = False  # the last annotation named a class defined further down
        self.modules: set[ModuleId] = set()
        self.specials: set[str] = set()
        self.typing: set[str] = set()

    def __call__(self, t: TypeExpr) -> str:
        if isinstance(t, Primitive):
            return t.name
        if isinstance(t, Special):
            self.specials.add(t.name)
            return t.name
        if isinstance(t, AnyType):
            self.typing.add("Any")
            return "Any"
        if isinstance(t, ModelRef):
            if t.module == self.module:
                self.forward |= t.name not in self.defined
                return t.name
            self.modules.add(t.module)
            return f"{module_alias(t.module.segment, t.module.version)}.{t.name}"
        if isinstance(t, ListOf):
            return f"list[{self(t.item)}]"
        if isinstance(t, MapOf):
            return f"dict[str, {self(t.value)}]"
        if isinstance(t, UnionOf):
            return " | ".join(self(o) for o in t.options)
        raise TypeError(f"not a type expression: {t!r}")


@dataclass
class _Field:
    """A field as the template prints it."""

    name: str
    annotation: str
    default: str | None  # None: required
    doc: str


def _field(f: FieldDef, ann: _Annotations) -> _Field:
    ann.forward = False
    annotation = ann(f.type)
    if f.literal is not None:
        ann.typing.add("Literal")
        annotation = f'Literal["{f.literal}"]'
    if not f.required and f.literal is None:
        annotation = f"{annotation} | None"
    if f.has_markers:
        ann.typing.add("Annotated")
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
        annotation = f"Annotated[{annotation}, ListMarkers({', '.join(markers)})]"
    if ann.forward:
        # Only classes in a reference cycle get here; all others are defined before use, so
        # their annotations are real objects that pydantic need not evaluate from strings.
        annotation = repr(annotation)
    value = f'"{f.literal}"' if f.literal is not None else ("None" if not f.required else None)
    if f.name != f.wire_name:
        alias = f'validation_alias="{f.wire_name}", serialization_alias="{f.wire_name}"'
        default = f"Field({value}, {alias})" if value is not None else f"Field({alias})"
    else:
        default = value
    return _Field(f.name, annotation, default, docstring(f.description) if f.description else "")


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


def _module_source(
    env: jinja2.Environment, module: ModuleDef, package: Package, package_name: str
) -> str:
    ann = _Annotations(module.id)
    models = []
    for model in _definition_order(module.models):
        fields = [_field(f, ann) for f in model.fields]
        ann.defined.add(model.name)
        gvk = (model.gvk.group, model.gvk.version, model.gvk.kind) if model.gvk else None
        has_literals = any(f.literal for f in model.fields)
        base = "K8sObject" if gvk and has_literals else "K8sModel"
        models.append(_Model(model.name, base, docstring(model.description), fields, gvk))
    imports = sorted(ann.modules)
    return env.get_template("module.py.jinja").render(
        module=module,
        package_name=package_name,
        title=package.title,
        models=models,
        imports=[(m.segment, m.version, module_alias(m.segment, m.version)) for m in imports],
        specials=sorted(ann.specials),
        typing=sorted(ann.typing),
        uses_field=any(f.default and f.default.startswith("Field(") for m in models for f in m.fields),
        uses_markers=any("ListMarkers(" in f.annotation for m in models for f in m.fields),
        bases=sorted({m.base for m in models}),
    )


def render_package(package: Package, package_name: str) -> dict[str, str]:
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
        files[f"{module_id.segment}/{module_id.version}.py"] = _module_source(
            env, module, package, package_name
        )
        segments.setdefault(module_id.segment, []).append(module_id.version)
    for segment, versions in segments.items():
        files[f"{segment}/__init__.py"] = env.get_template("group_init.py.jinja").render(
            segment=segment, versions=versions, package_name=package_name
        )
    files["__init__.py"] = env.get_template("package_init.py.jinja").render(
        package_name=package_name, title=package.title, modules=list(package.modules)
    )
    files["py.typed"] = ""
    return files

