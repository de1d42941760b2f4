"""OpenAPI v3 documents through the v2 parser: references, parameters, request bodies,
responses and property names (a property called ``default`` is not v3's keyword)."""

from __future__ import annotations

import copy
import importlib
import json
import sys
from pathlib import Path
from typing import Any

from kubetyped.codegen.cli import main
from kubetyped.codegen.ir import LiteralOf, ModelRef, ModuleId, Primitive, UnionOf
from kubetyped.codegen.openapi3 import merge_v3
from kubetyped.codegen.parse import parse_spec

GVK = {"group": "example.io", "version": "v1", "kind": "Widget"}
REF = "#/components/schemas/io.example.v1.Widget"
DOC = {
    "openapi": "3.0.0",
    "components": {
        "schemas": {
            "io.example.v1.Widget": {
                "type": "object",
                "x-kubernetes-group-version-kind": [GVK],
                "required": ["items"],
                "properties": {
                    "apiVersion": {"type": "string"},
                    "kind": {"type": "string"},
                    "default": {"type": "string", "default": ""},
                    "items": {"type": "array", "items": {"type": "string"}, "default": []},
                    "part": {
                        "default": {},
                        "allOf": [{"$ref": "#/components/schemas/io.example.v1.Part"}],
                    },
                },
            },
            "io.example.v1.Part": {"type": "object", "properties": {"n": {"type": "integer"}}},
        }
    },
    "paths": {
        "/apis/example.io/v1/namespaces/{namespace}/widgets": {
            "parameters": [
                {"in": "path", "name": "namespace", "required": True, "schema": {"type": "string"}}
            ],
            "post": {
                "x-kubernetes-action": "post",
                "x-kubernetes-group-version-kind": GVK,
                "parameters": [{"in": "query", "name": "dryRun", "schema": {"type": "string"}}],
                "requestBody": {"content": {"application/json": {"schema": {"$ref": REF}}}},
                "responses": {"200": {"content": {"application/json": {"schema": {"$ref": REF}}}}},
            },
        }
    },
}


def test_v3_documents_parse_like_v2() -> None:
    spec = merge_v3({"apis/example.io/v1": DOC})
    package = parse_spec(spec, "v3")
    module = package.modules[ModuleId("example_io", "v1")]
    widget = next(m for m in module.models if m.name == "Widget")
    fields = {f.wire_name: f for f in widget.fields}
    assert set(fields) == {"apiVersion", "kind", "default", "items", "part"}
    assert fields["items"].required and fields["items"].null_on_wire
    assert fields["part"].type == ModelRef(ModuleId("example_io", "v1"), "Part")
    (resource,) = module.resources
    (create,) = resource.operations
    assert create.verb == "create" and create.body == ModelRef(module.id, "Widget")
    assert create.response == ModelRef(module.id, "Widget")
    assert [p.wire_name for p in create.params] == ["dryRun"]


def test_saved_v3_documents_generate(tmp_path: Path) -> None:
    folder = tmp_path / "v3"
    folder.mkdir()
    (folder / "apis__example.io__v1.json").write_text(json.dumps(DOC))
    out = tmp_path / "pkg"
    args = ["generate", "--openapi", "v3", "--spec", str(folder), "--out", str(out)]
    assert main([*args, "--package", "pkg"]) == 0
    assert "class Widget(K8sObject):" in (out / "example_io" / "v1.py").read_text()


def _with_enum() -> dict[str, Any]:
    doc = copy.deepcopy(DOC)
    widget = doc["components"]["schemas"]["io.example.v1.Widget"]
    widget["properties"]["policy"] = {
        "type": "string",
        "enum": ["Always", "Never", "", "Always"],
        "description": "When.",
    }
    widget["properties"]["ints"] = {"type": "integer", "enum": [1, 2]}  # not a string enum
    post = doc["paths"]["/apis/example.io/v1/namespaces/{namespace}/widgets"]["post"]
    post["parameters"].append(
        {"in": "query", "name": "fieldValidation", "schema": {"type": "string", "enum": ["X"]}}
    )
    return doc


def test_v3_enums_are_open_literals() -> None:
    package = parse_spec(merge_v3({"apis/example.io/v1": _with_enum()}), "v3")
    module = package.modules[ModuleId("example_io", "v1")]
    widget = next(m for m in module.models if m.name == "Widget")
    fields = {f.wire_name: f for f in widget.fields}
    known = LiteralOf(("Always", "Never", ""))
    assert fields["policy"].type == UnionOf((known, Primitive("str")))
    assert fields["ints"].type == Primitive("int")
    (create,) = module.resources[0].operations
    validation = next(p for p in create.params if p.wire_name == "fieldValidation")
    assert validation.type == LiteralOf(("Ignore", "Warn", "Strict"))  # the API's closed set


def test_v3_enums_complete_known_values_and_read_new_ones(tmp_path: Path) -> None:
    folder = tmp_path / "v3"
    folder.mkdir()
    (folder / "apis__example.io__v1.json").write_text(json.dumps(_with_enum()))
    out = tmp_path / "enumpkg"
    args = ["generate", "--openapi", "v3", "--spec", str(folder), "--out", str(out)]
    assert main([*args, "--package", "enumpkg"]) == 0
    text = (out / "example_io" / "v1.py").read_text()
    assert 'policy: Literal["Always", "Never", ""] | str | None = None' in text
    sys.path.insert(0, str(tmp_path))
    try:
        widget_class = importlib.import_module("enumpkg.example_io.v1").Widget
    finally:
        sys.path.remove(str(tmp_path))
    for value in ("Never", "Sometimes"):  # a value a newer server adds still reads
        wire = {"apiVersion": "example.io/v1", "kind": "Widget", "items": [], "policy": value}
        widget = widget_class.model_validate(wire)
        assert widget.policy == value
        assert widget.to_dict() == wire
