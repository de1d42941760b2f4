"""``--openapi v3`` against the real server: ``/openapi/v3`` (discovery, then one document per
group-version) gives the same modules, classes and field names as ``/openapi/v2`` for the
built-in kinds, and a package that imports and reads objects."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import pytest
from _support import unique
from kubetyped import Client, NotFound
from kubetyped.codegen.cli import main
from kubetyped.codegen.load import parse_spec_bytes
from kubetyped.codegen.openapi3 import merge_v3
from kubetyped.codegen.parse import parse_spec

pytestmark = pytest.mark.e2e


def _fields(spec: dict[str, Any]) -> dict[str, dict[str, tuple[str, bool]]]:
    """module.Class -> wire name -> (type, required), for the built-in definitions."""
    package = parse_spec(spec, "server")
    out: dict[str, dict[str, tuple[str, bool]]] = {}
    for module_id, module in package.modules.items():
        for model in module.models:
            if model.source.split("/")[2].startswith("io.k8s."):
                out[f"{module_id.dotted}.{model.name}"] = {
                    f.wire_name: (repr(f.type), f.required) for f in model.fields
                }
    return out


def _resources(spec: dict[str, Any]) -> dict[str, Any]:
    """Each built-in resource's kind, scope, verbs, subresources, patch types and params."""
    package = parse_spec(spec, "server")
    return {
        f"{r.gvk.api_version}/{r.plural}": (
            r.gvk.kind,
            r.namespaced,
            r.verbs,
            r.subresources,
            sorted({t for op in r.operations for t in op.patch_types}),
            sorted(
                (op.verb, op.subresource or "", [p.wire_name for p in op.params])
                for op in r.operations
            ),
        )
        for module in package.modules.values()
        for r in module.resources
        if not r.gvk.group or r.gvk.group.endswith("k8s.io")  # built in, not other tests' CRDs
    }


def test_v2_and_v3_give_the_same_classes_and_fields(kubeconfig: Path) -> None:
    accept = {"Accept": "application/json"}
    with Client(kubeconfig=kubeconfig) as client:
        v2 = parse_spec_bytes(client.request("GET", "/openapi/v2", headers=accept).content, "v2")
        index = client.request("GET", "/openapi/v3", headers=accept).json()
        documents = {}
        for name, entry in index["paths"].items():
            try:
                response = client.request("GET", entry["serverRelativeURL"], headers=accept)
            except NotFound:
                continue  # other tests' CRDs come and go: a deleted one's document is gone
            if response.content:
                documents[name] = parse_spec_bytes(response.content, name)
    ours, theirs = _fields(v2), _fields(merge_v3(documents))
    assert _resources(v2) == _resources(merge_v3(documents))
    assert sorted(ours) == sorted(theirs)
    names = {c: sorted(f) for c, f in ours.items()}
    assert names == {c: sorted(f) for c, f in theirs.items()}
    types = {(c, w): t for c, f in ours.items() for w, t in f.items()}
    other = {(c, w): t for c, f in theirs.items() for w, t in f.items()}
    differ = sorted(k for k in types if types[k] != other[k])
    assert not differ, differ[:20]


def test_a_v3_package_from_the_cluster_imports_and_reads(kubeconfig: Path, tmp_path: Path) -> None:
    name = unique("v3").replace("-", "_")
    args = ["generate", "--from-cluster", "--openapi", "v3", "--kubeconfig", str(kubeconfig)]
    assert main([*args, "--out", str(tmp_path / name), "--package", name]) == 0
    sys.path.insert(0, str(tmp_path))
    try:
        core = importlib.import_module(f"{name}.core.v1")
        source = importlib.import_module(name).__kubetyped_source__
    finally:
        sys.path.remove(str(tmp_path))
    assert "/openapi/v3 (Kubernetes v1." in source["spec"]
    with Client(kubeconfig=kubeconfig) as client:
        namespaces = core.Namespaces(client).list()
        assert "default" in [n.metadata.name for n in namespaces.items]
        wire = client.request("GET", "/api/v1/namespaces/default").json()
    assert core.Namespace.model_validate(wire).to_dict() == wire
