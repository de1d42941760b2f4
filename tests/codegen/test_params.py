"""Query parameters: typed with the values the API accepts, ``pretty`` left out, and every
generated method documented (a summary line, then ``Args:``)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path
from typing import Any, get_args

import kubetyped.k8s
import pytest
from kubetyped.codegen.ir import LiteralOf
from kubetyped.codegen.load import load_spec
from kubetyped.codegen.params import NOT_OFFERED, QUERY_VALUES
from kubetyped.codegen.parse import parse_spec
from kubetyped.resource import AsyncResourceClient, ResourceClient

SPECS = [None, *sorted((Path(__file__).parents[1] / "data" / "specs").glob("*.json.gz"))]


def _query_params(spec: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for item in spec["paths"].values():
        for method, op in item.items():
            params = item.get("parameters", []) + (
                op.get("parameters", []) if method != "parameters" else []
            )
            for p in params:
                if "$ref" in p:
                    p = spec["parameters"][p["$ref"].rpartition("/")[2]]
                if p.get("in") == "query":
                    found.setdefault(p["name"], []).append(p)
    return found


@pytest.mark.parametrize("spec_path", SPECS, ids=lambda p: p.name if p else "embedded")
def test_query_values_are_the_ones_the_spec_describes(spec_path: Path | None) -> None:
    spec, _ = load_spec(spec_path)
    params = _query_params(spec)
    for wire, values in QUERY_VALUES.items():
        if wire not in params:
            continue  # older spec (stream came in v1.32)
        for p in params[wire]:
            assert p.get("type") == "string", (wire, p)
            text = p.get("description", "")
            if wire == "resourceVersionMatch":
                # The spec does not list them: apimachinery's ResourceVersionMatch constants,
                # documented in the API concepts page the description links to.
                assert "api-concepts/#resource-versions" in text, text
                continue
            for value in values:
                assert re.search(rf"\b{value}\b", text), (wire, value, text)


def test_parsed_params_are_literals_and_pretty_is_gone() -> None:
    spec, source = load_spec(None)
    package = parse_spec(spec, source)
    seen: set[str] = set()
    for module in package.modules.values():
        for resource in module.resources:
            for op in resource.operations:
                for p in op.params:
                    assert p.wire_name not in NOT_OFFERED
                    if p.wire_name in QUERY_VALUES:
                        assert p.type == LiteralOf(QUERY_VALUES[p.wire_name])
                        seen.add(p.wire_name)
    assert seen == set(QUERY_VALUES)


def _client_classes() -> list[type]:
    found = []
    for info in pkgutil.walk_packages(kubetyped.k8s.__path__, "kubetyped.k8s."):
        if not info.name.rpartition(".")[2].endswith("_clients"):
            continue
        module = importlib.import_module(info.name)
        for name in module.__all__:
            cls = getattr(module, name)
            if issubclass(cls, ResourceClient | AsyncResourceClient):
                found.append(cls)
    return found


def test_every_method_has_a_summary_and_args() -> None:
    classes = _client_classes()
    assert len(classes) > 100
    for cls in classes:
        for name, method in inspect.getmembers(cls, inspect.isfunction):
            if name.startswith("_"):
                continue
            doc = inspect.getdoc(method) or ""
            summary = doc.partition("\n")[0]
            where = f"{cls.__name__}.{name}"
            assert summary.endswith(".") and len(summary.split()) >= 3, where
            assert not summary.lower().startswith(("list or watch", "partially update")), where
            documented = set(re.findall(r"^    (\w+): ", doc, re.M))
            params = set(inspect.signature(method).parameters) - {"self"}
            assert documented == params, (where, params ^ documented)
            assert "pretty" not in params, where


def test_literal_parameters_in_signatures() -> None:
    from kubetyped.k8s.apps.v1 import Deployments

    hints = inspect.get_annotations(Deployments.delete, eval_str=True)
    assert get_args(hints["propagation_policy"]) == (
        get_args(hints["propagation_policy"])[0],
        type(None),
    )
    assert set(get_args(get_args(hints["propagation_policy"])[0])) == {
        "Orphan",
        "Background",
        "Foreground",
    }


def test_query_docs_name_parameters_the_spec_has() -> None:
    from kubetyped.codegen.params import QUERY_DOCS

    spec, _ = load_spec(None)
    assert set(QUERY_DOCS) <= set(_query_params(spec))
    for wire, values in QUERY_VALUES.items():
        if wire in QUERY_DOCS:  # a rewritten text still names every value
            assert all(f'"{v}"' in QUERY_DOCS[wire] for v in values), wire
