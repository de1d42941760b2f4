"""Differential check of our generated models against datamodel-code-generator (DMCG).

What it checks: for every definition of the embedded Kubernetes v1.36 ``/openapi/v2`` spec that
both kubetyped (``kubetyped.k8s``) and DMCG 0.89.0 model, the two classes must agree on

* the set of wire (alias) field names,
* a normalized type category per field (``str``, ``int``, ``float``, ``bool``, ``bytes``,
  ``datetime``, ``any``, ``list[...]``, ``dict[str, ...]``, ``ref:<Definition>``, unions as
  sorted ``a|b``, Optional stripped),
* whether each field is required,

and both sides must model the same definitions.

Why: DMCG is an independent, widely used reading of the same JSON schemas. Where it and our
generator disagree, either the disagreement is one of our deliberate Kubernetes mappings (the
allowlist ``TYPE_RULES``/``REQUIRED_RULES``/``DEFINITION_RULES`` below, one entry per rule, each
saying why) or one of the two generators misread the spec. This catches a dropped field, a wrong
type or a lost ``required`` that our own tests, written by the same hands as the generator,
would not think to look for.

DMCG is fed the raw spec (no fixups, no runtime types): it is the naive oracle, and every
Kubernetes-specific decision of ours must be named by a rule to be accepted.

Usage: ``python tests/differential/dmcg_compare.py [--json FILE] [--examples N] [--keep DIR]``
(``nox -s dmcg`` installs the pinned DMCG and runs it). Exit status: 0 when every difference is
explained by a rule, 1 when some are not, 2 when the comparison could not run.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import enum
import importlib
import importlib.metadata
import json
import sys
import tempfile
import time
import types
import typing
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pydantic
from pydantic import BaseModel, RootModel

DMCG_VERSION = "0.89.0"
OUR_PACKAGE = "kubetyped.k8s"
DMCG_PACKAGE = "dmcg_k8s"  # import name of DMCG's output in the temporary folder
DEFINITION_KEY = "x-kubetyped-definition"

META = "io.k8s.apimachinery.pkg.apis.meta.v1"
APIEXT = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1"
INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
RAW_EXTENSION = "io.k8s.apimachinery.pkg.runtime.RawExtension"

# Models the runtime writes by hand for definitions the generator deliberately skips (they
# belong to no group-version). They are compared like generated ones: the spec still says
# what the server sends.
HAND_WRITTEN: dict[str, tuple[str, str]] = {
    "io.k8s.apimachinery.pkg.version.Info": ("kubetyped.discovery", "VersionInfo"),
    # The runtime's own Status, which the generated meta/v1 module re-exports (one class).
    f"{META}.Status": ("kubetyped.status", "Status"),
}


# ------------------------------------------------------------------------------------------
# Normalized types: a small tree of tuples, so both sides compare with ``==`` and the
# structural diff can point at the exact list item or map value that differs.
# ------------------------------------------------------------------------------------------

Norm = tuple[Any, ...]

STR: Norm = ("str",)
INT: Norm = ("int",)
FLOAT: Norm = ("float",)
BOOL: Norm = ("bool",)
BYTES: Norm = ("bytes",)
DATETIME: Norm = ("datetime",)
ANY: Norm = ("any",)


def ref(definition: str) -> Norm:
    return ("ref", definition)


def list_of(item: Norm) -> Norm:
    return ("list", item)


def dict_of(value: Norm) -> Norm:
    return ("dict", STR, value)


def literal_of(base: Norm) -> Norm:
    return ("literal", base)


def union_of(*options: Norm) -> Norm:
    flat: set[Norm] = set()
    for option in options:
        flat.update(option[1] if option[0] == "union" else (option,))
    if len(flat) == 1:
        return next(iter(flat))
    return ("union", tuple(sorted(flat, key=render)))


def render(norm: Norm, full: bool = False) -> str:
    """Human form; ``full`` names referenced definitions in full instead of by short name."""
    tag = norm[0]
    if tag == "list":
        return f"list[{render(norm[1], full)}]"
    if tag == "set":
        return f"set[{render(norm[1], full)}]"
    if tag == "dict":
        return f"dict[{render(norm[1], full)}, {render(norm[2], full)}]"
    if tag == "union":
        return "|".join(render(option, full) for option in norm[1])
    if tag == "literal":
        return f"literal[{render(norm[1], full)}]"
    if tag == "ref":
        name = str(norm[1])
        return "ref:" + (name if full else name.rpartition(".")[2])
    if tag == "unknown":
        return f"unknown<{norm[1]}>"
    return str(tag)


# pydantic's datetime markers are classes of their own, not datetime subclasses.
_DATETIME_MARKERS = {
    getattr(pydantic, name)
    for name in ("AwareDatetime", "NaiveDatetime", "PastDatetime", "FutureDatetime")
    if hasattr(pydantic, name)
}
_PRIMITIVES: tuple[tuple[type, Norm], ...] = (
    (bool, BOOL),  # before int: bool is an int subclass
    (int, INT),
    (float, FLOAT),
    (str, STR),
    (bytes, BYTES),
    (dt.datetime, DATETIME),  # before date: datetime is a date subclass
    (dt.date, ("date",)),
)


def normalize(tp: Any, name_of: Callable[[type], str], _depth: int = 0) -> Norm:
    """The category of a (resolved) annotation; ``name_of`` names a model class's definition."""
    if _depth > 20:
        return ("unknown", "recursion")

    def again(inner: Any) -> Norm:
        return normalize(inner, name_of, _depth + 1)

    if tp is Any or tp is object:
        return ANY
    if tp is None or tp is type(None):
        return ("none",)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        # Constraints, validators and serializers (Strict, Base64Str's encoder, our Time
        # serializer) change behaviour, not the category this check compares.
        return again(args[0])
    if origin is typing.Union or origin is types.UnionType:
        options = [again(a) for a in args if a is not type(None)]
        return union_of(*options) if options else ("none",)
    if origin is typing.Literal:
        return literal_of(union_of(*(again(type(v)) for v in args)))
    if origin in (list, tuple, Sequence, typing.List):  # noqa: UP006
        return list_of(again(args[0]) if args else ANY)
    if origin in (set, frozenset):
        return ("set", again(args[0]) if args else ANY)
    if origin in (dict, Mapping, typing.Dict):  # noqa: UP006
        return ("dict", again(args[0]), again(args[1])) if args else dict_of(ANY)
    if tp in (list, tuple):
        return list_of(ANY)
    if tp is dict:
        return dict_of(ANY)
    if tp in _DATETIME_MARKERS:
        return DATETIME
    if isinstance(tp, type):
        if issubclass(tp, RootModel):
            # A RootModel is its root's type on the wire (DMCG wraps IntOrString, Time, … so).
            return again(tp.model_fields["root"].annotation)
        if issubclass(tp, BaseModel):
            return ref(name_of(tp))
        if issubclass(tp, enum.Enum):
            return literal_of(union_of(*(again(type(m.value)) for m in tp)))
        for base, norm in _PRIMITIVES:
            if issubclass(tp, base):
                return norm
    # A ForwardRef or string here means the model was never completed: say so, don't guess.
    return ("unknown", repr(tp))


# ------------------------------------------------------------------------------------------
# The allowlist: every intended divergence between our runtime types and DMCG's naive view,
# one rule each, matched by what the spec says at the differing spot (never by field name
# lists), so a rule keeps covering new fields of the same kind and nothing else.
#
# Not listed because the category is the same on both sides (the difference is in validation
# or serialization, which this check does not see): Quantity (both ``str``; ours also accepts
# numbers) and Time/MicroTime (both ``datetime``; ours serializes the server's formats).
# ------------------------------------------------------------------------------------------

TARGET = ("target",)  # stands for ``ref:<the definition the spec's $ref points at>``


@dataclass(frozen=True)
class FieldContext:
    """What the spec says about one field, as the rules need it."""

    definition: str
    wire: str
    schema: dict[str, Any]  # the raw property schema
    single_gvk: bool  # the definition is one top-level kind (one group-version-kind)
    spec_required: bool  # required in the raw spec (what DMCG sees)
    fixed_required: bool  # required once our fixups have run (what our generator sees)
    hand_written: bool


def ref_target(schema: dict[str, Any] | None) -> str | None:
    target = (schema or {}).get("$ref")
    if isinstance(target, str) and target.startswith("#/definitions/"):
        return target[len("#/definitions/") :].replace("~1", "/").replace("~0", "~")
    return None


@dataclass(frozen=True)
class TypeRule:
    """A type difference at a spot matching ``matches`` is intended when ours is one of
    ``ours`` and DMCG's is one of ``dmcg``."""

    name: str
    why: str
    matches: Callable[[dict[str, Any], FieldContext], bool]
    ours: frozenset[Norm]
    dmcg: frozenset[Norm]


def _refs(*definitions: str) -> Callable[[dict[str, Any], FieldContext], bool]:
    return lambda schema, ctx: ref_target(schema) in definitions


_PROPS = ref(f"{APIEXT}.JSONSchemaProps")

TYPE_RULES: tuple[TypeRule, ...] = (
    TypeRule(
        "int-or-string",
        "The spec declares IntOrString a string (kube-openapi#52), but the server sends ports "
        "and counts as ints: ours is int|str, DMCG reads the declared string.",
        lambda s, ctx: (
            ref_target(s) == INT_OR_STRING
            or s.get("format") == "int-or-string"
            or bool(s.get("x-kubernetes-int-or-string"))
        ),
        frozenset({union_of(INT, STR)}),
        frozenset({STR}),
    ),
    TypeRule(
        "byte",
        "`format: byte` is base64 text on the wire holding arbitrary bytes: ours is bytes, "
        "DMCG's Base64Str decodes to str (and fails on binary Secret data).",
        lambda s, ctx: s.get("type") == "string" and s.get("format") == "byte",
        frozenset({BYTES}),
        frozenset({STR}),
    ),
    TypeRule(
        "free-form",
        "RawExtension, FieldsV1, Patch and JSON hold any JSON and are kept verbatim: ours is "
        "a dict or Any, DMCG makes an empty model that silently drops the content.",
        _refs(RAW_EXTENSION, f"{META}.FieldsV1", f"{META}.Patch", f"{APIEXT}.JSON"),
        frozenset({ANY, dict_of(ANY)}),
        frozenset({TARGET, ANY, dict_of(ANY)}),
    ),
    TypeRule(
        "json-schema-props-or-array",
        "JSONSchemaPropsOrArray has no type in the spec; it is a schema or a list of schemas.",
        _refs(f"{APIEXT}.JSONSchemaPropsOrArray"),
        frozenset({union_of(_PROPS, list_of(_PROPS))}),
        frozenset({ANY}),
    ),
    TypeRule(
        "json-schema-props-or-bool",
        "JSONSchemaPropsOrBool has no type in the spec; it is a schema or a boolean.",
        _refs(f"{APIEXT}.JSONSchemaPropsOrBool"),
        frozenset({union_of(_PROPS, BOOL)}),
        frozenset({ANY}),
    ),
    TypeRule(
        "json-schema-props-or-string-array",
        "JSONSchemaPropsOrStringArray has no type in the spec; it is a schema or a list of "
        "strings.",
        _refs(f"{APIEXT}.JSONSchemaPropsOrStringArray"),
        frozenset({union_of(_PROPS, list_of(STR))}),
        frozenset({ANY}),
    ),
    TypeRule(
        "number",
        "`type: number` fields (JSONSchemaProps minimum/maximum/multipleOf) keep integers "
        "integers so a CRD round-trips `minimum: 1` unchanged: ours is int|float.",
        lambda s, ctx: s.get("type") == "number",
        frozenset({union_of(INT, FLOAT)}),
        frozenset({FLOAT}),
    ),
    TypeRule(
        "gvk-literal",
        "apiVersion and kind of a single-GVK top-level kind are Literal constants with "
        "defaults, so a wrong kind is rejected; DMCG keeps the spec's plain string.",
        lambda s, ctx: (
            s is ctx.schema
            and ctx.single_gvk
            and not ctx.hand_written
            and ctx.wire in ("apiVersion", "kind")
        ),
        frozenset({literal_of(STR)}),
        frozenset({STR}),
    ),
    TypeRule(
        "runtime-status",
        "The runtime's Status (kubetyped.status, re-exported as meta/v1 Status) decodes any "
        "error body: apiVersion and kind stay plain strings, and metadata a dict (the runtime "
        "cannot name the generated ListMeta).",
        lambda s, ctx: (
            s is ctx.schema and ctx.definition == f"{META}.Status" and ctx.wire == "metadata"
        ),
        frozenset({dict_of(ANY)}),
        frozenset({ref(f"{META}.ListMeta")}),
    ),
)


@dataclass(frozen=True)
class RequiredRule:
    """A requiredness difference on a field matching ``explains`` is intended."""

    name: str
    why: str
    explains: Callable[[FieldContext, bool, bool], bool]  # (field, ours, dmcg)


# No rule for apiVersion/kind of single-GVK kinds: ours default them, but the v1.36 spec never
# marks them required, so there is nothing to excuse (add one if a spec ever does).
REQUIRED_RULES: tuple[RequiredRule, ...] = (
    RequiredRule(
        "fixups",
        "kubetyped.codegen.fixups corrects fields the spec marks wrongly (derived by running "
        "the fixups, so a new fixup is covered and a removed one stops being excused).",
        lambda ctx, ours, dmcg: (
            ctx.fixed_required != ctx.spec_required
            and ours == ctx.fixed_required
            and dmcg == ctx.spec_required
        ),
    ),
    RequiredRule(
        "hand-written-lenient",
        "The hand-written /version model (kubetyped.discovery.VersionInfo) defaults every "
        "field, so an old or partial answer still parses.",
        lambda ctx, ours, dmcg: ctx.hand_written and not ours,
    ),
)

# Definitions that are runtime types on our side (``kubetyped.types``), not model classes.
RUNTIME_TYPES: frozenset[str] = frozenset(
    {
        INT_OR_STRING,
        QUANTITY,
        RAW_EXTENSION,
        f"{META}.Time",
        f"{META}.MicroTime",
        f"{META}.FieldsV1",
        f"{META}.Patch",
        f"{APIEXT}.JSON",
        f"{APIEXT}.JSONSchemaPropsOrArray",
        f"{APIEXT}.JSONSchemaPropsOrBool",
        f"{APIEXT}.JSONSchemaPropsOrStringArray",
    }
)


@dataclass(frozen=True)
class DefinitionRule:
    """A definition that DMCG models and we do not is intended when ``explains`` says so."""

    name: str
    why: str
    explains: Callable[[str], bool]


DEFINITION_RULES: tuple[DefinitionRule, ...] = (
    DefinitionRule(
        "runtime-types",
        "IntOrString, Quantity, Time, MicroTime, RawExtension, FieldsV1, Patch, JSON and "
        "JSONSchemaPropsOr* are runtime types (kubetyped.types) or unions, not models.",
        lambda name: name in RUNTIME_TYPES,
    ),
)


# ------------------------------------------------------------------------------------------
# The two sides: definition name -> model class.
# ------------------------------------------------------------------------------------------


@dataclass
class Side:
    models: dict[str, type[BaseModel]] = field(default_factory=dict)
    names: dict[type, str] = field(default_factory=dict)  # class -> definition name
    problems: dict[str, str] = field(default_factory=dict)  # what could not be used, and why

    def add(self, definition: str, cls: type[BaseModel]) -> None:
        self.models[definition] = cls
        self.names[cls] = definition

    def name_of(self, cls: type) -> str:
        # A class that maps to no definition stays visible as such instead of matching.
        return self.names.get(cls, f"?{cls.__module__}.{cls.__qualname__}")


def _complete(cls: type[BaseModel]) -> None:
    # Our models use defer_build; fields that named a later class need the rebuild.
    if not getattr(cls, "__pydantic_fields_complete__", True):
        cls.model_rebuild(force=True)


def load_ours(spec: dict[str, Any]) -> Side:
    """Our classes, found through the generator's own IR (each model's source pointer)."""
    from kubetyped.codegen.parse import parse_spec

    side = Side()
    package = parse_spec(copy.deepcopy(spec), "embedded")  # parse_spec applies fixups in place
    for module_id, module in package.modules.items():
        python_module = importlib.import_module(f"{OUR_PACKAGE}.{module_id.dotted}")
        for model in module.models:
            parts = model.source.split("/")
            if len(parts) != 3 or parts[1] != "definitions":
                continue  # a nested model of an inline schema: reached through its parent
            definition = parts[2].replace("~1", "/").replace("~0", "~")
            cls = getattr(python_module, model.name, None)
            if cls is None:
                side.problems[definition] = f"IR names {module_id.dotted}.{model.name}, not found"
                continue
            side.add(definition, cls)
    for definition, (module_name, class_name) in HAND_WRITTEN.items():
        side.add(definition, getattr(importlib.import_module(module_name), class_name))
    for definition, cls in list(side.models.items()):
        try:
            _complete(cls)
        except Exception as exc:  # noqa: BLE001 - reported, the other models still compare
            side.problems[definition] = f"model_rebuild failed: {exc!r}"
            del side.models[definition]
    return side


def run_dmcg(spec: dict[str, Any], out: Path) -> None:
    """Generate DMCG's models for the spec's definitions into ``out`` (a package folder)."""
    from datamodel_code_generator import generate
    from datamodel_code_generator.enums import DataModelType, InputFileType

    definitions = copy.deepcopy(spec["definitions"])
    # Tag every schema with its own name: DMCG copies it into the class's json_schema_extra,
    # so the class -> definition map never depends on how DMCG names or renames classes.
    for name, schema in definitions.items():
        schema[DEFINITION_KEY] = name
    document = {"$schema": "http://json-schema.org/draft-04/schema#", "definitions": definitions}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "format of 'int-or-string' not understood": known
        generate(
            document,
            input_file_type=InputFileType.JsonSchema,
            output=out,
            output_model_type=DataModelType.PydanticV2BaseModel,
            model_extra_keys={DEFINITION_KEY},
            disable_timestamp=True,
            formatters=[],  # nobody reads the code; formatting is most of DMCG's runtime
        )


def load_dmcg(root: Path, definitions: Iterable[str]) -> Side:
    """Import DMCG's output module by module; a module that fails is reported, not fatal."""
    side = Side()
    definitions = set(definitions)
    # DMCG turns dashes in package names into underscores; map its modules back.
    packages = {name.rpartition(".")[0] for name in definitions}
    by_module = {p.replace("-", "_"): p for p in packages}
    sys.path.insert(0, str(root.parent))
    try:
        for path in sorted(root.rglob("*.py")):
            parts = path.relative_to(root.parent).with_suffix("").parts
            module_name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            try:
                module = importlib.import_module(module_name)
            except Exception as exc:  # noqa: BLE001
                side.problems[module_name] = f"import failed: {exc!r}"
                continue
            spec_package = by_module.get(module_name.partition(".")[2])
            for attr, cls in vars(module).items():
                if not (isinstance(cls, type) and issubclass(cls, BaseModel)):
                    continue
                generic = (getattr(cls, "__pydantic_generic_metadata__", None) or {}).get("origin")
                if cls.__module__ != module_name or attr != cls.__name__ or generic is not None:
                    # Imported from a sibling module, or a parametrized generic such as
                    # RootModel[str], which pydantic registers in the module that made it.
                    continue
                extra = cls.model_config.get("json_schema_extra")
                definition = extra.get(DEFINITION_KEY) if isinstance(extra, dict) else None
                if definition is None and spec_package:
                    # RootModels carry no config: fall back on module path and class name.
                    definition = f"{spec_package}.{cls.__name__}"
                if isinstance(definition, str) and definition in definitions:
                    side.add(definition, cls)
                elif module_name != DMCG_PACKAGE:  # its __init__ holds the document's Model
                    side.problems[f"{module_name}.{attr}"] = "class maps to no definition"
    finally:
        sys.path.remove(str(root.parent))
    for definition, cls in list(side.models.items()):
        try:
            _complete(cls)
        except Exception as exc:  # noqa: BLE001
            side.problems[definition] = f"model_rebuild failed: {exc!r}"
            del side.models[definition]
    return side


# ------------------------------------------------------------------------------------------
# Comparison
# ------------------------------------------------------------------------------------------


@dataclass
class Difference:
    # definition-only-in-dmcg/-ours, field-only-in-dmcg/-ours, type, required, and
    # rule-not-followed (a spot a type rule covers where ours is not what the rule promises)
    category: str
    definition: str
    field: str = ""
    ours: str = ""
    dmcg: str = ""
    detail: str = ""
    rule: str | None = None  # the allowlist rule that explains it, if any

    def line(self) -> str:
        where = f"{self.definition}.{self.field}" if self.field else self.definition
        text = where
        if self.ours or self.dmcg:
            text += f": ours {self.ours or '-'} vs DMCG {self.dmcg or '-'}"
        return text + (f" ({self.detail})" if self.detail else "")


@dataclass(frozen=True)
class Leaf:
    """The innermost spot where two type trees differ, with the spec schema at that spot."""

    ours: Norm
    dmcg: Norm
    schema: dict[str, Any]
    path: str  # "", "[]" (list item), "{}" (map value), nested


def leaf_diffs(ours: Norm, dmcg: Norm, schema: dict[str, Any], path: str = "") -> list[Leaf]:
    if ours == dmcg:
        return []
    if ours[0] == dmcg[0] == "list":
        return leaf_diffs(ours[1], dmcg[1], _sub(schema, "items"), path + "[]")
    if ours[0] == dmcg[0] == "dict" and ours[1] == dmcg[1]:
        return leaf_diffs(ours[2], dmcg[2], _sub(schema, "additionalProperties"), path + "{}")
    return [Leaf(ours, dmcg, schema, path)]


def _sub(schema: dict[str, Any], key: str) -> dict[str, Any]:
    value = schema.get(key)
    return value if isinstance(value, dict) else {}


def explain_type(leaf: Leaf, ctx: FieldContext) -> str | None:
    for rule in TYPE_RULES:
        if not rule.matches(leaf.schema, ctx):
            continue
        target = ref_target(leaf.schema)
        dmcg_ok = {ref(target) if t == TARGET and target else t for t in rule.dmcg}
        if leaf.ours in rule.ours and leaf.dmcg in dmcg_ok:
            return rule.name
    return None


def rule_spots(ours: Norm, schema: dict[str, Any], ctx: FieldContext, path: str = "") -> list[str]:
    """Spots where a type rule applies but our type is not the one the rule promises.

    A rule excuses a difference only when ours is the promised type; this also catches ours
    regressing to DMCG's naive type (``int|str`` back to ``str``), where no difference shows.
    """
    found = []
    for rule in TYPE_RULES:
        if rule.matches(schema, ctx) and ours not in rule.ours:
            expected = " or ".join(sorted(render(t) for t in rule.ours))
            found.append(
                f"{rule.name} wants {expected} at {path or 'the field'}, ours is {render(ours)}"
            )
    if ours[0] == "list":
        found += rule_spots(ours[1], _sub(schema, "items"), ctx, path + "[]")
    elif ours[0] == "dict":
        found += rule_spots(ours[2], _sub(schema, "additionalProperties"), ctx, path + "{}")
    return found


def wire_fields(cls: type[BaseModel]) -> dict[str, pydantic.fields.FieldInfo]:
    """Fields by wire name: the serialization alias, else the alias, else the attribute."""
    result = {}
    for name, info in cls.model_fields.items():
        wire = info.serialization_alias or info.alias
        if wire is None and isinstance(info.validation_alias, str):
            wire = info.validation_alias
        if wire is None and cls.model_config.get("alias_generator"):
            generator = cls.model_config["alias_generator"]
            wire = generator(name) if callable(generator) else None
        result[wire or name] = info
    return result


@dataclass
class Report:
    dmcg_version: str
    spec_definitions: int
    definitions_compared: int = 0
    fields_compared: int = 0
    differences: list[Difference] = field(default_factory=list)
    not_compared: dict[str, dict[str, str]] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    rules_used: Counter[str] = field(default_factory=Counter)

    @property
    def unexplained(self) -> list[Difference]:
        return [d for d in self.differences if d.rule is None]


def compare(spec: dict[str, Any], ours: Side, dmcg: Side, report: Report) -> None:
    from kubetyped.codegen.fixups import apply_fixups

    raw = spec["definitions"]
    fixed_spec = copy.deepcopy(spec)
    apply_fixups(fixed_spec)
    fixed = fixed_spec["definitions"]

    def add(diff: Difference) -> None:
        report.differences.append(diff)
        if diff.rule:
            report.rules_used[diff.rule] += 1

    for name in sorted(set(dmcg.models) - set(ours.models)):
        if name in ours.problems:
            continue  # reported as not compared
        rule = next((r.name for r in DEFINITION_RULES if r.explains(name)), None)
        add(Difference("definition-only-in-dmcg", name, rule=rule))
    for name in sorted(set(ours.models) - set(dmcg.models)):
        if name in dmcg.problems:
            continue
        add(Difference("definition-only-in-ours", name))

    for name in sorted(set(ours.models) & set(dmcg.models)):
        report.definitions_compared += 1
        schema = raw.get(name, {})
        props = schema.get("properties", {})
        gvks = schema.get("x-kubernetes-group-version-kind", [])
        ours_fields = wire_fields(ours.models[name])
        dmcg_fields = wire_fields(dmcg.models[name])
        for wire in sorted(set(dmcg_fields) - set(ours_fields)):
            add(Difference("field-only-in-dmcg", name, wire))
        for wire in sorted(set(ours_fields) - set(dmcg_fields)):
            add(Difference("field-only-in-ours", name, wire))
        for wire in sorted(set(ours_fields) & set(dmcg_fields)):
            report.fields_compared += 1
            ctx = FieldContext(
                definition=name,
                wire=wire,
                schema=props.get(wire, {}),
                single_gvk=len(gvks) == 1,
                spec_required=wire in schema.get("required", ()),
                fixed_required=wire in fixed.get(name, {}).get("required", ()),
                hand_written=name in HAND_WRITTEN,
            )
            o_info, d_info = ours_fields[wire], dmcg_fields[wire]
            o_type = normalize(o_info.annotation, ours.name_of)
            d_type = normalize(d_info.annotation, dmcg.name_of)
            leaves = leaf_diffs(o_type, d_type, ctx.schema)
            broken = rule_spots(o_type, ctx.schema, ctx)
            if ctx.single_gvk and wire in ("apiVersion", "kind"):
                # The category hides the constant; the gvk-literal rule promises the right one.
                gvk = gvks[0]
                group_version = (
                    f"{gvk['group']}/{gvk['version']}" if gvk["group"] else gvk["version"]
                )
                want = group_version if wire == "apiVersion" else gvk["kind"]
                got = typing.get_args(o_info.annotation)
                if typing.get_origin(o_info.annotation) is typing.Literal and got != (want,):
                    broken.append(
                        f"gvk-literal wants Literal[{want!r}], ours is Literal{list(got)}"
                    )
            if broken:
                add(
                    Difference(
                        "rule-not-followed",
                        name,
                        wire,
                        render(o_type),
                        render(d_type),
                        "; ".join(broken),
                    )
                )
            elif leaves:
                rules = [r for r in (explain_type(leaf, ctx) for leaf in leaves) if r]
                # Renders coincide only when two refs share a short name: then name them in full.
                full = render(o_type) == render(d_type)
                add(
                    Difference(
                        "type",
                        name,
                        wire,
                        render(o_type, full),
                        render(d_type, full),
                        "; ".join(
                            f"at {leaf.path}: {render(leaf.ours)} vs {render(leaf.dmcg)}"
                            for leaf in leaves
                            if leaf.path
                        ),
                        "+".join(sorted(set(rules))) if len(rules) == len(leaves) else None,
                    )
                )
            o_req, d_req = o_info.is_required(), d_info.is_required()
            if o_req != d_req:
                rule = next((r.name for r in REQUIRED_RULES if r.explains(ctx, o_req, d_req)), None)
                add(
                    Difference(
                        "required",
                        name,
                        wire,
                        "required" if o_req else "optional",
                        "required" if d_req else "optional",
                        rule=rule,
                    )
                )


# ------------------------------------------------------------------------------------------
# Output
# ------------------------------------------------------------------------------------------


def print_summary(report: Report, examples: int) -> None:
    t = report.timings
    print(
        f"dmcg_compare: kubetyped vs datamodel-code-generator {report.dmcg_version}, "
        f"{report.spec_definitions} spec definitions"
    )
    print(
        "  time: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in t.items() if k != "total")
        + f"; total {t.get('total', 0):.1f} s"
    )
    print(f"  definitions compared: {report.definitions_compared}")
    print(f"  fields compared:      {report.fields_compared}")
    for side, problems in report.not_compared.items():
        if problems:
            print(f"  not compared ({side} side could not be used): {len(problems)}")
            for what, why in list(problems.items())[:examples]:
                print(f"    {what}: {why}")

    explained = [d for d in report.differences if d.rule]
    print(f"  explained differences: {len(explained)}")
    by_rule: dict[tuple[str, str], list[Difference]] = defaultdict(list)
    for diff in explained:
        by_rule[(diff.category, diff.rule or "")].append(diff)
    for (category, rule), diffs in sorted(by_rule.items()):
        sample = ", ".join(
            ".".join(filter(None, (d.definition.rpartition(".")[2], d.field))) for d in diffs[:3]
        )
        print(f"    {category:<24} {rule:<34} {len(diffs):>4}  e.g. {sample}")
    used = {(c.split("-")[0], r) for c, rules in by_rule for r in rules.split("+")}
    unused = [f"type:{r.name}" for r in TYPE_RULES if ("type", r.name) not in used]
    unused += [f"required:{r.name}" for r in REQUIRED_RULES if ("required", r.name) not in used]
    unused += [
        f"definition:{r.name}" for r in DEFINITION_RULES if ("definition", r.name) not in used
    ]
    if unused:
        print(f"  rules that explained nothing (stale?): {', '.join(unused)}")

    unexplained = report.unexplained
    print(f"  UNEXPLAINED differences: {len(unexplained)}")
    by_category: dict[str, list[Difference]] = defaultdict(list)
    for diff in unexplained:
        by_category[diff.category].append(diff)
    for category, diffs in sorted(by_category.items()):
        print(f"    {category} ({len(diffs)}):")
        for diff in diffs[:examples]:
            print(f"      {diff.line()}")
        if len(diffs) > examples:
            print(f"      … {len(diffs) - examples} more (--json FILE lists all)")
    print("  result: " + ("FAIL, unexplained differences" if unexplained else "OK"))


def write_json(report: Report, path: Path) -> None:
    data = {
        "dmcg_version": report.dmcg_version,
        "spec_definitions": report.spec_definitions,
        "definitions_compared": report.definitions_compared,
        "fields_compared": report.fields_compared,
        "timings_seconds": {k: round(v, 3) for k, v in report.timings.items()},
        "not_compared": report.not_compared,
        "rules": {
            "type": {r.name: r.why for r in TYPE_RULES},
            "required": {r.name: r.why for r in REQUIRED_RULES},
            "definition": {r.name: r.why for r in DEFINITION_RULES},
        },
        "rules_used": dict(report.rules_used),
        "unexplained": [asdict(d) for d in report.unexplained],
        "explained": [asdict(d) for d in report.differences if d.rule],
    }
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the full report here")
    parser.add_argument("--examples", type=int, default=20, help="examples per category")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep DMCG's output here")
    args = parser.parse_args(argv)

    try:
        version = importlib.metadata.version("datamodel-code-generator")
    except importlib.metadata.PackageNotFoundError:
        print(
            f"datamodel-code-generator is not installed: pip install "
            f"datamodel-code-generator=={DMCG_VERSION} (or run `nox -s dmcg`)",
            file=sys.stderr,
        )
        return 2
    if version != DMCG_VERSION:
        # The rules describe DMCG's view at the pinned version; another one may read differently.
        print(
            f"warning: DMCG {version} installed, rules are written for {DMCG_VERSION}",
            file=sys.stderr,
        )

    from kubetyped.codegen.load import load_spec

    started = time.perf_counter()
    spec, _ = load_spec(None)
    report = Report(version, len(spec["definitions"]))

    with tempfile.TemporaryDirectory(prefix="dmcg-compare-") as tmp:
        out = (args.keep.resolve() if args.keep else Path(tmp)) / DMCG_PACKAGE
        if out.exists():
            print(f"{out} exists; pass an empty --keep folder", file=sys.stderr)
            return 2
        t = time.perf_counter()
        run_dmcg(spec, out)
        report.timings["DMCG generate"] = time.perf_counter() - t
        t = time.perf_counter()
        dmcg = load_dmcg(out, spec["definitions"])
        report.timings["DMCG import"] = time.perf_counter() - t
    t = time.perf_counter()
    ours = load_ours(spec)
    report.timings["ours parse+import"] = time.perf_counter() - t
    t = time.perf_counter()
    compare(spec, ours, dmcg, report)
    report.timings["compare"] = time.perf_counter() - t
    report.timings["total"] = time.perf_counter() - started
    report.not_compared = {"ours": ours.problems, "DMCG": dmcg.problems}

    print_summary(report, args.examples)
    if args.json:
        write_json(report, args.json)
        print(f"  full report: {args.json}")
    return 1 if report.unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
