"""codegen/ir.py: the values every stage shares."""

from __future__ import annotations

from kubetyped.codegen.ir import (
    GVK,
    NONE,
    FieldDef,
    MethodDef,
    MethodParam,
    ModelRef,
    ModuleId,
    OperationDef,
    Primitive,
    RequestDef,
    ResourceDef,
    UnionOf,
)

STR = Primitive("str")


def test_module_ids_and_gvks() -> None:
    assert ModuleId("rbac_authorization", "v1").dotted == "rbac_authorization.v1"
    assert GVK("", "v1", "Pod").api_version == "v1"
    assert GVK("apps", "v1", "Deployment").api_version == "apps/v1"
    assert ModuleId("a", "v1") < ModuleId("b", "v1")  # sorted modules: deterministic output


def test_type_expressions_are_comparable_values() -> None:
    assert UnionOf((STR, NONE)) == UnionOf((Primitive("str"), Primitive("None")))
    assert len({UnionOf((STR, NONE)), UnionOf((STR, NONE))}) == 1


def test_field_markers() -> None:
    assert not FieldDef("a", "a", STR, False).has_markers
    assert FieldDef("a", "a", STR, False, list_type="map").has_markers


def test_resource_verbs_and_subresources_come_from_its_operations() -> None:
    def op(verb: str, sub: str | None) -> OperationDef:
        return OperationDef(verb, "GET", "/", "cluster", sub, [], None, None)  # type: ignore[arg-type]

    resource = ResourceDef(GVK("g", "v1", "X"), "xs", False, None, None)
    resource.operations = [
        op("list", None),
        op("get", None),
        op("get", "status"),
        op("connect", "proxy"),
    ]
    assert resource.verbs == ["get", "list"]
    assert resource.subresources == ["proxy", "status"]


def _param(name: str, location: str, passed: str, keyword: str = "") -> MethodParam:
    return MethodParam(name, name, STR, location, passed, keyword=keyword)  # type: ignore[arg-type]


def test_a_method_sends_its_keywords_in_the_runtime_call_order() -> None:
    params = [
        _param("obj", "body", "positional"),
        _param("namespace", "path", "keyword", "namespace"),
        _param("patch_type", "header", "keyword", "patch_type"),
        _param("body", "body", "keyword", "body"),
        _param("field_manager", "query", "keyword", "field_manager"),
        _param("name", "path", "keyword", "name"),
        _param("limit", "query", "query"),
        _param("resume", "client", "wrapper", "resume"),
    ]
    model = ModelRef(ModuleId("a", "v1"), "X")
    method = MethodDef(
        "m", "patch", "send", "Do it.", params, RequestDef(("PATCH", "POST")), model, model, model
    )
    assert method.request.method == "PATCH"
    assert [p.name for p in method.sent("positional")] == ["obj"]
    # query options the runtime knows by name, then path (in the order given), body, header
    assert [p.name for p in method.sent("keyword")] == [
        "field_manager",
        "namespace",
        "name",
        "body",
        "patch_type",
    ]
    assert [p.name for p in method.sent("query")] == ["limit"]
    assert [p.name for p in method.sent("wrapper")] == ["resume"]
