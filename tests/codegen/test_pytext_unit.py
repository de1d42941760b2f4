"""codegen/pytext.py: annotations are values that carry what they need; docstrings, literals."""

from __future__ import annotations

import ast

import pytest
from kubetyped.codegen.ir import (
    NONE,
    AnyType,
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
from kubetyped.codegen.pytext import (
    Code,
    Import,
    annotation,
    docstring,
    literal,
    method_docstring,
)

HERE = ModuleId("apps", "v1")
META = ModuleId("meta", "v1")


@pytest.mark.parametrize(
    ("t", "text", "imports"),
    [
        (Primitive("int"), "int", set()),
        (NONE, "None", set()),
        (Special("Quantity"), "Quantity", {Import("kubetyped.types", "Quantity")}),
        (AnyType(), "Any", {Import("typing", "Any")}),
        (ListOf(Special("Time")), "list[Time]", {Import("kubetyped.types", "Time")}),
        (MapOf(Primitive("str")), "dict[str, str]", set()),
        (
            MapOf(Special("Base64Bytes"), null_values=True),
            "dict[str, Annotated[Base64Bytes, NullOnWire]]",
            {
                Import("kubetyped.types", "Base64Bytes"),
                Import("typing", "Annotated"),
                Import("kubetyped.model", "NullOnWire"),
            },
        ),
        (UnionOf((Primitive("int"), NONE)), "int | None", set()),
        (LiteralOf(("a", 'b"c')), 'Literal["a", "b\\"c"]', {Import("typing", "Literal")}),
        (
            NamedType("collections.abc", "Mapping", (Primitive("str"), AnyType())),
            "Mapping[str, Any]",
            {Import("collections.abc", "Mapping"), Import("typing", "Any")},
        ),
        (
            NamedType("kubetyped.types", "JsonPatchOperation"),
            "JsonPatchOperation",
            {Import("kubetyped.types", "JsonPatchOperation")},
        ),
    ],
)
def test_annotation_text_and_imports(t: TypeExpr, text: str, imports: set[Import]) -> None:
    code = annotation(t, HERE)
    assert code.text == text
    assert code.imports == imports
    ast.parse(code.text, mode="eval")  # valid Python


def test_model_refs_name_their_module_or_a_local_class() -> None:
    local = annotation(ListOf(ModelRef(HERE, "Deployment")), HERE)
    assert (local.text, local.locals, local.modules) == ("list[Deployment]", {"Deployment"}, set())
    other = annotation(UnionOf((ModelRef(META, "Status"), NONE)), HERE)
    assert (other.text, other.locals, other.modules) == ("meta_v1.Status | None", set(), {META})


def test_a_generic_collects_what_its_arguments_need() -> None:
    watch = NamedType("kubetyped.listwatch", "Watch", (ModelRef(META, "Event"),))
    code = annotation(watch, HERE)
    assert code.text == "Watch[meta_v1.Event]"
    assert code.imports == {Import("kubetyped.listwatch", "Watch")}
    assert code.modules == {META}


def test_code_values_compose_without_side_effects() -> None:
    a = annotation(Special("Quantity"), HERE)
    b = annotation(ModelRef(HERE, "Pod"), HERE)
    joined = Code.join([a, b], " | ")
    assert joined.text == "Quantity | Pod" and joined.locals == {"Pod"}
    wrapped = joined.wrap("Annotated[", ", X]").needs(Import("typing", "Annotated"))
    assert wrapped.text == "Annotated[Quantity | Pod, X]"
    assert Import("typing", "Annotated") in wrapped.imports
    assert a.imports == {Import("kubetyped.types", "Quantity")}  # the parts are unchanged
    assert annotation(Special("Quantity"), HERE) == a  # the same input, the same value


def test_unknown_type_expressions_are_refused() -> None:
    with pytest.raises(TypeError):
        annotation("str", HERE)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "None"), (False, "False"), (True, "True"), (3, "3"), ("strategic", '"strategic"')],
)
def test_literal(value: bool | int | str | None, text: str) -> None:
    assert literal(value) == text


def test_docstring_wraps_escapes_and_never_ends_in_a_quote() -> None:
    assert docstring("one line") == '"""one line"""'
    assert docstring("") == ""
    assert docstring('say "hi"') == '"""say "hi" """'
    text = docstring('a \\ b """ c ' + "word " * 30)
    assert "\\\\" in text and '\\"\\"\\"' in text
    assert all(len(line) <= 92 for line in text.splitlines())
    assert ast.literal_eval(text).startswith("a \\ b")


def test_method_docstring_lists_arguments_with_their_first_paragraph() -> None:
    text = method_docstring(
        "Read it.",
        [("name", "the name.\n\nMore text."), ("limit", "")],
        details="Some details.",
    )
    value = ast.literal_eval(text)
    assert value.splitlines()[0] == "Read it."
    assert "Some details." in value
    assert "name: The name." in value and "More text" not in value
    assert "limit: (not described by the API)" in value
