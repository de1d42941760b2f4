"""Python source text for IR pieces: docstrings and type annotations."""

from __future__ import annotations

import textwrap

from .ir import (
    AnyType,
    ListOf,
    LiteralOf,
    MapOf,
    ModelRef,
    ModuleId,
    Primitive,
    Special,
    TypeExpr,
    UnionOf,
)
from .naming import module_alias

__all__ = ["Annotations", "docstring"]

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


class Annotations:
    """Python annotations of IR types as seen from one module, collecting its imports."""

    def __init__(self, module: ModuleId) -> None:
        self.module = module
        self.defined: set[str] = set()  # classes already defined above the current one
        self.forward = False  # the last annotation named a class defined further down
        self.modules: set[ModuleId] = set()
        self.specials: set[str] = set()
        self.typing: set[str] = set()
        self.locals: set[str] = set()  # names of this module's own classes used
        self.null_on_wire = False  # an annotation used kubetyped.model.NullOnWire

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
                self.locals.add(t.name)
                return t.name
            self.modules.add(t.module)
            return f"{module_alias(t.module.segment, t.module.version)}.{t.name}"
        if isinstance(t, ListOf):
            return f"list[{self(t.item)}]"
        if isinstance(t, MapOf):
            if t.null_values:
                self.typing.add("Annotated")
                self.null_on_wire = True
                return f"dict[str, Annotated[{self(t.value)}, NullOnWire]]"
            return f"dict[str, {self(t.value)}]"
        if isinstance(t, UnionOf):
            return " | ".join(self(o) for o in t.options)
        if isinstance(t, LiteralOf):
            self.typing.add("Literal")
            return "Literal[{}]".format(", ".join(f'"{v}"' for v in t.values))
        raise TypeError(f"not a type expression: {t!r}")
