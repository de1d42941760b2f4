"""Python source text for IR pieces: docstrings, literals and type annotations.

An annotation is a value, :class:`Code`: its text together with everything that text needs
(the names to import, the group-version modules it refers to, the classes of its own module it
names). Rendering has no side effects; a module's imports are the union of its pieces'.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass

from .ir import (
    AnyType,
    Default,
    ListOf,
    LiteralOf,
    MapOf,
    ModelRef,
    ModuleId,
    NamedType,
    Primitive,
    Special,
    TypeExpr,
    UnionOf,
)
from .naming import module_alias

__all__ = [
    "ANNOTATED",
    "ANY",
    "LITERAL",
    "NULL_ON_WIRE",
    "Code",
    "Import",
    "annotation",
    "docstring",
    "literal",
    "method_docstring",
]

_WIDTH = 92


def docstring(text: str, indent: int = 4, hanging: bool = False) -> str:
    """A docstring body: wrapped, escaped, never ending in a quote. With ``hanging``, a line
    that starts indented (an ``Args:`` entry) continues four spaces further in."""
    text = text.strip().replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    if not text:
        return ""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lead = paragraph[: len(paragraph) - len(paragraph.lstrip(" "))]
        lines.extend(
            textwrap.wrap(
                paragraph,
                _WIDTH - indent,
                subsequent_indent=lead + "    " if hanging and lead else "",
                break_long_words=False,
                break_on_hyphens=False,
            )
            or [""]
        )
    body = ("\n" + " " * indent).join(lines)
    if body.endswith('"'):
        body += " "
    if len(lines) == 1:
        return f'"""{body}"""'
    return f'"""{body}\n{" " * indent}"""'


def method_docstring(
    summary: str, args: list[tuple[str, str]], details: str = "", indent: int = 8
) -> str:
    """A Google-style docstring: the summary line, the details, then each argument with the
    first paragraph of its description (hover text in editors)."""
    lines = [summary, *(["", details] if details else [])]
    if args:
        lines += ["", "Args:"]
        for name, text in args:
            first = " ".join((text.strip().split("\n\n")[0]).split())
            first = first[:1].upper() + first[1:] if first else "(not described by the API)"
            lines.append(f"    {name}: {first}")
    return docstring("\n".join(lines), indent=indent, hanging=True)


def literal(value: Default) -> str:
    """A default value as Python source: ``None``, ``False``, ``3``, ``"strategic"``."""
    if value is None or isinstance(value, bool | int):
        return repr(value)
    return json.dumps(value)


@dataclass(frozen=True, order=True)
class Import:
    """``from <source> import <name>``."""

    source: str
    name: str


@dataclass(frozen=True)
class Code:
    """Python source text and what it needs to mean something in its module."""

    text: str
    imports: frozenset[Import] = frozenset()
    modules: frozenset[ModuleId] = frozenset()  # other group-version modules, by alias
    locals: frozenset[str] = frozenset()  # classes of the module the text is written for

    def needs(self, *imports: Import) -> Code:
        """The same text with more imports (a template's ``Literal[...]`` or ``Annotated``)."""
        return Code(self.text, self.imports | set(imports), self.modules, self.locals)

    def wrap(self, before: str, after: str = "") -> Code:
        """This text between ``before`` and ``after`` (``list[`` and ``]``), needing the same."""
        return Code(before + self.text + after, self.imports, self.modules, self.locals)

    @staticmethod
    def join(parts: list[Code], separator: str) -> Code:
        return Code(
            separator.join(p.text for p in parts),
            frozenset().union(*(p.imports for p in parts)),
            frozenset().union(*(p.modules for p in parts)),
            frozenset().union(*(p.locals for p in parts)),
        )


ANY = Import("typing", "Any")
LITERAL = Import("typing", "Literal")
ANNOTATED = Import("typing", "Annotated")
NULL_ON_WIRE = Import("kubetyped.model", "NullOnWire")


def annotation(t: TypeExpr, here: ModuleId) -> Code:
    """The annotation of ``t`` in the module ``here`` (a class of ``here`` by its bare name,
    another module's through that module's alias)."""
    if isinstance(t, Primitive):
        return Code(t.name)
    if isinstance(t, Special):
        return Code(t.name, frozenset({Import("kubetyped.types", t.name)}))
    if isinstance(t, AnyType):
        return Code("Any", frozenset({ANY}))
    if isinstance(t, ModelRef):
        if t.module == here:
            return Code(t.name, locals=frozenset({t.name}))
        alias = module_alias(t.module.segment, t.module.version)
        return Code(f"{alias}.{t.name}", modules=frozenset({t.module}))
    if isinstance(t, ListOf):
        return annotation(t.item, here).wrap("list[", "]")
    if isinstance(t, MapOf):
        value = annotation(t.value, here)
        if t.null_values:
            return value.wrap("dict[str, Annotated[", ", NullOnWire]]").needs(
                ANNOTATED, NULL_ON_WIRE
            )
        return value.wrap("dict[str, ", "]")
    if isinstance(t, UnionOf):
        return Code.join([annotation(o, here) for o in t.options], " | ")
    if isinstance(t, LiteralOf):
        values = ", ".join(json.dumps(v) for v in t.values)
        return Code(f"Literal[{values}]", frozenset({LITERAL}))
    if isinstance(t, NamedType):
        own = Import(t.source, t.name)
        if not t.args:
            return Code(t.name, frozenset({own}))
        args = Code.join([annotation(a, here) for a in t.args], ", ")
        return args.wrap(t.name + "[", "]").needs(own)
    raise TypeError(f"not a type expression: {t!r}")
