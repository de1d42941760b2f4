"""codegen/clients.py: operations become methods, each described by one parameter list."""

from __future__ import annotations

import pytest
from codegen_tiny_spec import tiny_spec
from kubetyped.codegen.clients import STATUS, client_class_name, resource_methods
from kubetyped.codegen.ir import (
    GVK,
    NONE,
    AnyType,
    ListOf,
    LiteralOf,
    MethodDef,
    ModelRef,
    ModuleId,
    NamedType,
    OperationDef,
    ParamDef,
    Primitive,
    ResourceDef,
    UnionOf,
)
from kubetyped.codegen.parse import parse_spec

WIDGETS = ModuleId("widgets_example_io", "v1")
WIDGET = ModelRef(WIDGETS, "Widget")


@pytest.mark.parametrize(
    ("kind", "plural", "name"),
    [
        ("Deployment", "deployments", "Deployments"),
        ("NetworkPolicy", "networkpolicies", "NetworkPolicies"),
        ("Endpoints", "endpoints", "EndpointsResource"),
        ("IPAddress", "ipaddresses", "IPAddresses"),
    ],
)
def test_client_class_name(kind: str, plural: str, name: str) -> None:
    assert client_class_name(kind, plural) == name


def _methods() -> dict[str, MethodDef]:
    package = parse_spec(tiny_spec(), "tiny.json")
    widgets = next(r for r in package.modules[WIDGETS].resources if r.plural == "widgets")
    return {m.name: m for m in widgets.methods}


def test_one_method_per_operation_and_purpose() -> None:
    assert sorted(_methods()) == [
        "apply",
        "apply_status",
        "create",
        "create_eviction",
        "delete",
        "delete_collection",
        "exec",
        "get",
        "get_status",
        "list",
        "list_all",
        "log",
        "log_lines",
        "patch",
        "patch_scale",
        "patch_status",
        "proxy",
        "replace",
        "watch",
    ]


def test_every_parameter_has_one_way_into_the_request() -> None:
    for method in _methods().values():
        names = [p.name for p in method.params]
        assert len(names) == len(set(names)), method.name
        positional = [p.positional for p in method.params]
        assert positional == sorted(positional, reverse=True), method.name  # before the *
        for p in method.params:
            assert p.passed in ("positional", "keyword", "query", "wrapper"), (method.name, p)
            assert (p.passed in ("keyword", "wrapper")) == bool(p.keyword), (method.name, p)
            assert not (p.positional and not p.required), (method.name, p)
            if p.passed == "query":
                assert p.location == "query" and p.wire_name, (method.name, p)
        sent = [
            p for kind in ("positional", "keyword", "query", "wrapper") for p in method.sent(kind)
        ]
        assert sorted(p.name for p in sent) == sorted(names), method.name


def test_name_exactly_where_the_path_names_one_object() -> None:
    methods = _methods()
    with_name = {n for n, m in methods.items() if any(p.name == "name" for p in m.params)}
    assert with_name == {
        "create_eviction",
        "delete",
        "exec",
        "get",
        "get_status",
        "log",
        "log_lines",
        "patch",
        "patch_scale",
        "patch_status",
        "proxy",
        "replace",
    }
    name = next(p for p in methods["get"].params if p.name == "name")
    assert (name.location, name.keyword, name.positional, name.required) == (
        "path",
        "name",
        True,
        True,
    )


def test_log_leaves_follow_to_log_lines() -> None:
    methods = _methods()
    assert "follow" not in {p.wire_name for p in methods["log"].params}
    assert "follow" in {p.wire_name for p in methods["log_lines"].params}
    assert methods["log"].mode == "send" and methods["log_lines"].mode == "lines"
    assert methods["log_lines"].returns == NamedType(
        "collections.abc", "Generator", (Primitive("str"), NONE, NONE)
    )


def test_status_answers_are_typed_and_decoded() -> None:
    methods = _methods()
    delete = methods["delete"]
    assert delete.or_status == STATUS and delete.response == WIDGET
    assert delete.returns == UnionOf((WIDGET, STATUS))
    assert methods["delete_collection"].response == ModelRef(WIDGETS, "WidgetList")
    assert methods["create_eviction"].or_status == STATUS
    assert methods["create"].or_status is None and methods["create"].returns == WIDGET


def test_patch_overloads_tie_the_body_to_the_patch_type() -> None:
    patch = _methods()["patch"]
    main = {p.name: p for p in patch.params}
    assert main["patch_type"].type == LiteralOf(("json", "merge", "strategic"))
    assert main["patch_type"].default == "strategic"
    assert main["patch_type"].location == "header"
    assert "force" not in main  # apply's, which has a method of its own
    json_stub, merge_stub = patch.overloads
    for stub in patch.overloads:
        assert [p.name for p in stub] == list(main)  # the same parameters, other types
    assert {p.name: p for p in json_stub}["patch_type"].required
    assert {p.name: p for p in json_stub}["body"].type.name == "Sequence"  # type: ignore[union-attr]
    assert {p.name: p for p in merge_stub}["patch_type"].type == LiteralOf(("merge", "strategic"))


def test_apply_sends_the_object_with_its_field_manager() -> None:
    apply = _methods()["apply"]
    assert apply.request.call == "_apply_request" and apply.request.subresource is None
    assert [p.name for p in apply.sent("positional")] == ["obj"]
    assert [p.keyword for p in apply.sent("keyword")] == ["field_manager", "force", "namespace"]
    assert [p.wire_name for p in apply.sent("query")] == ["dryRun"]
    assert _methods()["apply_status"].request.subresource == "status"


def test_list_and_watch_across_namespaces() -> None:
    methods = _methods()
    for name in ("list", "list_all", "watch"):
        assert "all_namespaces" in {p.name for p in methods[name].params}, name
    assert "all_namespaces" not in {p.name for p in methods["get"].params}
    assert "continue_" not in {p.name for p in methods["list_all"].params}
    resume = methods["watch"].sent("wrapper")
    assert [(p.name, p.location, p.default) for p in resume] == [("resume", "client", True)]


def test_connect_methods_are_structured_and_marked() -> None:
    methods = _methods()
    exec_ = methods["exec"]
    assert (exec_.verb, exec_.mode) == ("connect", "connect")
    assert exec_.request.methods == ("GET", "POST") and exec_.request.subresource == "exec"
    types = {p.name: p.type for p in exec_.params}
    assert types["command"] == UnionOf((ListOf(Primitive("str")), NONE))
    assert types["stdin"] == UnionOf((Primitive("bool"), NONE))
    proxy = methods["proxy"]
    paths = [p for p in proxy.params if p.name == "path"]
    assert [p.location for p in paths] == ["path"]  # /proxy/{path}; ?path= left out


def test_a_resource_listed_at_two_scopes_has_one_list() -> None:
    op = OperationDef("list", "GET", "/x", "cluster", None, [], None, None)
    namespaced = OperationDef(
        "list",
        "GET",
        "/ns/x",
        "namespaced",
        None,
        [ParamDef("limit", "limit", Primitive("int"))],
        None,
        None,
    )
    op.scope = "all-namespaces"
    resource = ResourceDef(GVK("g", "v1", "X"), "xs", True, ModelRef(WIDGETS, "X"), None)
    resource.operations = [op, namespaced]
    methods = resource_methods(resource)
    assert [m.name for m in methods] == ["list", "list_all"]
    assert "limit" in {p.name for p in methods[0].params}
    assert methods[1].response == ModelRef(WIDGETS, "X")


def test_a_resource_without_a_model_still_gets_typed_methods() -> None:
    op = OperationDef("get", "GET", "/x/{name}", "cluster", None, [], None, None, takes_name=True)
    resource = ResourceDef(GVK("g", "v1", "X"), "xs", False, None, None, [op])
    (get,) = resource_methods(resource)
    assert get.response == AnyType()
