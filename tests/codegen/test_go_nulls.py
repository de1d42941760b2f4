"""Go's nulls: every field a Kubernetes server can send as ``null`` reads and round-trips
unchanged, while required lists and maps stay typed as lists and maps.

The rule (codegen/parse.py, ``_go_null``): encoding/json writes a nil slice, a nil map and a
nil pointer as ``null`` unless the field is ``omitempty``, and ``metav1.Time`` writes its zero
value as ``null``; the spec's ``required`` means "not omitempty", not "not null". So a required
field whose Go type can be nil (array, map, ``format: byte``, Time/MicroTime, an object) may be
null, and so may a map value of those kinds (``map[string]metav1.Time``). This test finds those
fields in the spec itself, independently of the generator's IR, and checks every model; then
checks the rule against Go itself: tests/data/go-nulls/main.go reflects over the k8s.io/api
types and lists every field encoding/json can write as null (three required pointers to
strings the spec cannot show are a table in the generator, kept honest here).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubetyped.codegen.ir import MapOf
from kubetyped.codegen.load import load_spec
from kubetyped.codegen.parse import GO_NULL_POINTERS, parse_spec
from kubetyped.k8s.policy.v1 import PodDisruptionBudget
from kubetyped.k8s.storage.v1 import CSINode

_META = "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1."
_NULLABLE_REFS = {_META + "Time", _META + "MicroTime"}
_VALUES = {
    "#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString": 1,
    "#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity": "1",
}


def _nullable(prop: dict[str, Any], definitions: dict[str, Any]) -> bool:
    """May Go write null for a required property of this schema?"""
    ref = prop.get("$ref")
    if ref in _NULLABLE_REFS:
        return True
    if isinstance(ref, str):  # a struct (pointer) or free-form JSON; not a string type
        target = definitions.get(ref.rpartition("/")[2], {})
        return target.get("type") not in ("string", "integer", "number", "boolean")
    return prop.get("type") in ("array", "object") or prop.get("format") == "byte"


def _value(prop: dict[str, Any]) -> Any:
    """A valid non-null value for a required property Go never writes as null."""
    if prop.get("$ref") in _VALUES:
        return _VALUES[prop["$ref"]]
    kind, fmt = prop.get("type"), prop.get("format")
    if kind == "string":
        return 1 if fmt == "int-or-string" else "x"
    if kind in ("integer", "number"):
        return 1
    if kind == "boolean":
        return True
    raise AssertionError(f"no value for {prop}")


def _cases() -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(definition, module, class, wire object with null in every nullable required field)."""
    spec, source = load_spec(None)
    definitions = spec["definitions"]
    package = parse_spec(spec, source)
    for module_id, module in package.modules.items():
        for model in module.models:
            if model.runtime:
                continue
            name = model.source.split("/")[2]
            schema = definitions[name]
            required = set(schema.get("required", ()))
            wire: dict[str, Any] = {}
            nulls = 0
            for prop_name, prop in schema.get("properties", {}).items():
                if prop_name in ("apiVersion", "kind") and model.gvk:
                    continue
                if prop_name in required and _nullable(prop, definitions):
                    wire[prop_name] = None
                    nulls += 1
                elif prop_name in required:
                    wire[prop_name] = _value(prop)
                extra = prop.get("additionalProperties")
                if isinstance(extra, dict) and (
                    extra.get("$ref") in _NULLABLE_REFS
                    or extra.get("type") in ("array", "object")
                    or extra.get("format") == "byte"
                ):
                    wire[prop_name] = {"k": None}  # a nil value inside a map
                    nulls += 1
            if nulls:
                yield name, module_id.dotted, model.name, wire


CASES = list(_cases())


def test_the_rule_finds_the_known_cases() -> None:
    names = {(c[0], f) for c in CASES for f, v in c[3].items() if v is None or v == {"k": None}}
    assert ("io.k8s.api.storage.v1.CSINodeSpec", "drivers") in names
    assert ("io.k8s.api.policy.v1.PodDisruptionBudgetStatus", "disruptedPods") in names
    assert ("io.k8s.api.core.v1.Secret", "data") in names
    assert len(CASES) > 100


@pytest.mark.parametrize(("definition", "module", "cls", "wire"), CASES, ids=[c[0] for c in CASES])
def test_every_model_reads_and_round_trips_null_where_go_writes_it(
    definition: str, module: str, cls: str, wire: dict[str, Any]
) -> None:
    model = getattr(importlib.import_module(f"kubetyped.k8s.{module}"), cls)
    obj = model.model_validate(wire)
    assert obj.to_dict() == wire
    assert model.model_validate_json(obj.to_json()).to_dict() == wire


def test_csinode_with_null_drivers() -> None:
    # kubernetes-client/python#1909: a real cluster's CSINode.
    wire = {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "CSINode",
        "metadata": {"name": "node-1"},
        "spec": {"drivers": None},
    }
    node = CSINode.model_validate(wire)
    assert node.spec.drivers is None
    assert node.to_dict() == wire
    # Built in Python the field is a list, as the type says.
    assert CSINode.model_fields["spec"] is not None


def test_pdb_with_a_null_disrupted_pod_time() -> None:
    wire = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "web", "namespace": "prod"},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}},
        "status": {
            "currentHealthy": 2,
            "desiredHealthy": 1,
            "disruptionsAllowed": 1,
            "expectedPods": 2,
            "disruptedPods": {"web-0": None, "web-1": "2024-05-01T10:00:00Z"},
        },
    }
    pdb = PodDisruptionBudget.model_validate(wire)
    assert pdb.status is not None and pdb.status.disrupted_pods is not None
    assert pdb.status.disrupted_pods["web-0"] is None
    assert pdb.to_dict() == wire


# -- checked against Go itself -------------------------------------------------------------

GO_NULLS = Path(__file__).resolve().parents[1] / "data" / "go-nulls" / "nulls.json"


def test_every_field_go_writes_as_null_accepts_null() -> None:
    """tests/data/go-nulls/main.go reflects over every type client-go's scheme serves
    (k8s.io/api v0.36.3) and lists the fields encoding/json can write as null; each of them
    must be optional, marked NullOnWire, or a map whose values are."""
    go: dict[str, dict[str, str]] = json.loads(GO_NULLS.read_text())
    spec, source = load_spec(None)
    package = parse_spec(spec, source)
    checked, missing = 0, []
    for module in package.modules.values():
        for model in module.models:
            definition = model.source.removeprefix("/definitions/")
            for f in model.fields:
                kind = go.get(definition, {}).get(f.wire_name)
                if kind == "field":
                    checked += 1
                    if f.required and not f.null_on_wire and f.literal is None:
                        missing.append((definition, f.wire_name))
                elif kind == "values":
                    checked += 1
                    if not (isinstance(f.type, MapOf) and f.type.null_values):
                        missing.append((definition, f.wire_name))
    assert not missing
    assert checked > 150
    # The table of pointers the spec cannot show is exactly what Go says.
    for definition, wire in GO_NULL_POINTERS:
        assert go[definition][wire] == "field"


@pytest.mark.parametrize(
    ("module", "cls", "wire"),
    [
        ("networking.v1", "HTTPIngressPath", {"pathType": None, "backend": {}}),
        (
            "admissionregistration.v1",
            "ValidatingWebhook",
            {
                "name": "w",
                "sideEffects": None,
                "admissionReviewVersions": ["v1"],
                "clientConfig": {},
            },
        ),
    ],
)
def test_go_pointers_the_spec_cannot_show(module: str, cls: str, wire: dict[str, Any]) -> None:
    model = getattr(importlib.import_module(f"kubetyped.k8s.{module}"), cls)
    assert model.model_validate(wire).to_dict() == wire
