"""codegen/parse.py on a small hand-written spec: the Kubernetes rules it decides for each
operation (carried in the IR for the client builder and the templates), module groups, and
that the caller's spec is never changed."""

from __future__ import annotations

import copy

import pytest
from codegen_tiny_spec import META, W, tiny_spec
from kubetyped.codegen.errors import SpecError
from kubetyped.codegen.ir import ListOf, ModelRef, ModuleId, OperationDef, Primitive, ResourceDef
from kubetyped.codegen.parse import parse_spec

WIDGETS = ModuleId("widgets_example_io", "v1")


def _resource(plural: str, spec: dict[str, object] | None = None) -> ResourceDef:
    package = parse_spec(spec or tiny_spec(), "tiny.json")
    return next(r for r in package.modules[WIDGETS].resources if r.plural == plural)


def _op(verb: str, sub: str | None = None, scope: str = "namespaced") -> OperationDef:
    ops = [
        op
        for op in _resource("widgets").operations
        if op.verb == verb and op.subresource == sub and op.scope == scope
    ]
    assert len(ops) == 1, ops
    return ops[0]


@pytest.mark.parametrize(
    ("verb", "sub", "takes_name"),
    [
        ("get", None, True),
        ("replace", None, True),
        ("patch", None, True),
        ("delete", None, True),
        ("get", "status", True),
        ("create", "eviction", True),
        ("list", None, False),
        ("watch", None, False),
        ("create", None, False),
        ("deletecollection", None, False),
    ],
)
def test_which_operations_take_a_name_is_decided_by_the_path(
    verb: str, sub: str | None, takes_name: bool
) -> None:
    assert _op(verb, sub).takes_name is takes_name


@pytest.mark.parametrize(
    ("verb", "sub", "answers"),
    [
        ("delete", None, True),
        ("deletecollection", None, True),
        ("create", "eviction", True),
        ("create", None, False),
        ("replace", None, False),
        ("get", None, False),
    ],
)
def test_which_operations_may_answer_with_a_status(
    verb: str, sub: str | None, answers: bool
) -> None:
    assert _op(verb, sub).answers_status is answers


def test_a_text_answer_with_follow_is_marked_for_a_streaming_method() -> None:
    log = _op("get", "log")
    assert (log.text, log.follow, log.response) == (True, "follow", Primitive("str"))
    assert (_op("get").text, _op("get").follow) == (False, None)


def test_apply_only_where_the_body_is_of_the_resource_kind() -> None:
    assert _op("patch").apply and _op("patch", "status").apply
    assert "apply" in _op("patch", "scale").patch_types
    assert not _op("patch", "scale").apply  # a Scale is not a Widget


def test_apply_needs_the_apply_patch_content_type() -> None:
    spec = tiny_spec()
    path = "/apis/widgets.example.io/v1/namespaces/{namespace}/widgets/{name}"
    spec["paths"][path]["patch"]["consumes"] = ["application/merge-patch+json"]
    (patch,) = [
        op
        for op in _resource("widgets", spec).operations
        if op.verb == "patch" and op.subresource is None
    ]
    assert patch.patch_types == ("merge",) and not patch.apply


def test_watch_is_split_from_list_with_the_parameters_of_each() -> None:
    listing, watch = _op("list"), _op("watch")
    assert {p.wire_name for p in listing.params} == {"continue", "labelSelector", "limit"}
    assert {p.wire_name for p in watch.params} == {"allowWatchBookmarks", "labelSelector"}
    assert _op("list", scope="all-namespaces").scope == "all-namespaces"


def test_deprecated_watch_paths_and_pretty_are_not_operations() -> None:
    resource = _resource("widgets")
    assert not [op for op in resource.operations if "/watch/" in op.path]
    assert all(p.wire_name != "pretty" for op in resource.operations for p in op.params)


def test_connect_operations_are_kept_with_typed_parameters() -> None:
    resource = _resource("widgets")
    execs = [op for op in resource.operations if op.subresource == "exec"]
    assert sorted(op.method for op in execs) == ["GET", "POST"]
    assert all(op.verb == "connect" for op in execs)
    command = next(p for p in execs[0].params if p.wire_name == "command")
    assert command.type == ListOf(Primitive("str"))  # repeated on the wire: an argv
    proxies = [op for op in resource.operations if op.subresource == "proxy"]
    assert {op.path_params for op in proxies} == {(), ("path",)}


def test_resources_carry_their_client_name_and_methods() -> None:
    resource = _resource("widgets")
    assert resource.client_name == "Widgets"
    assert [m.name for m in resource.methods] == sorted(m.name for m in resource.methods)
    assert _resource("gadgets").methods[0].name == "get"


def test_a_module_is_named_by_the_api_group_of_its_kinds() -> None:
    package = parse_spec(tiny_spec(), "tiny.json")
    # AAAHelper, no kind, is the module's first definition: the group still comes from Widget.
    assert package.modules[WIDGETS].group == "widgets.example.io"
    assert package.modules[ModuleId("meta", "v1")].group == ""  # Status is a core/v1 kind


def test_the_spec_given_is_left_as_it_was_even_when_a_fixup_applies() -> None:
    spec = tiny_spec()
    spec["definitions"][f"{META}.APIVersions"] = {
        "type": "object",
        "required": ["serverAddressByClientCIDRs", "versions"],
        "properties": {
            "serverAddressByClientCIDRs": {"type": "array", "items": {"type": "string"}},
            "versions": {"type": "array", "items": {"type": "string"}},
        },
    }
    before = copy.deepcopy(spec)
    package = parse_spec(spec, "tiny.json")
    assert package.fixups == ["APIVersions.serverAddressByClientCIDRs"]
    assert spec == before
    model = next(
        m for m in package.modules[ModuleId("meta", "v1")].models if m.name == "APIVersions"
    )
    required = {f.wire_name: f.required for f in model.fields}
    assert required == {"serverAddressByClientCIDRs": False, "versions": True}


def test_an_unknown_type_is_an_error_naming_its_json_pointer() -> None:
    spec = tiny_spec()
    spec["definitions"][f"{W}.Part"]["properties"]["name"] = {"type": "decimal"}
    with pytest.raises(SpecError) as err:
        parse_spec(spec, "tiny.json")
    assert err.value.where == "/definitions/io.example.widgets.v1.Part/properties/name/type"


def test_a_name_only_object_is_local_object_reference_where_its_markers_say_so() -> None:
    spec = tiny_spec()
    definitions = spec["definitions"]
    name = {"type": "string", "description": "Name of the referent."}
    definitions["io.k8s.api.core.v1.LocalObjectReference"] = {
        "type": "object",
        "properties": {"name": name},
        "x-kubernetes-map-type": "atomic",
    }
    definitions["io.k8s.api.core.v1.PodOS"] = {
        "type": "object",
        "required": ["name"],
        "properties": {"name": name},
    }
    definitions["io.k8s.api.core.v1.Pod"] = {
        "type": "object",
        "properties": {"os": {"$ref": "#/definitions/io.k8s.api.core.v1.PodOS"}},
        "x-kubernetes-group-version-kind": [{"group": "", "version": "v1", "kind": "Pod"}],
    }
    inline = {"type": "object", "properties": {"name": {"type": "string", "default": ""}}}
    definitions[f"{W}.Widget"]["properties"]["spec"]["properties"].update(
        {
            # as controller-gen writes corev1.LocalObjectReference: the type it is
            "pullSecrets": {
                "type": "array",
                "items": {**inline, "x-kubernetes-map-type": "atomic"},
            },
            # {name} without the marker, and {name} required: nothing says which type
            "plainRef": inline,
            "credentialsRef": {**inline, "required": ["name"]},
        }
    )
    package = parse_spec(spec, "tiny.json")
    spec_model = next(m for m in package.modules[WIDGETS].models if m.name == "WidgetSpec")
    types = {f.wire_name: f.type for f in spec_model.fields}
    core = ModuleId("core", "v1")
    assert types["pullSecrets"] == ListOf(ModelRef(core, "LocalObjectReference"))
    assert types["plainRef"] == ModelRef(WIDGETS, "PlainRef")
    assert types["credentialsRef"] == ModelRef(WIDGETS, "CredentialsRef")
