"""Errors about CRDs name the file, the document (``file#N``, counted from 0) and the JSON
pointer inside that document; the command line prints them without a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from kubetyped.codegen.cli import main
from kubetyped.codegen.errors import SpecError
from kubetyped.codegen.generate import generate_files


def _crd(kind: str, plural: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.example.io"},
        "spec": {
            "group": "example.io",
            "scope": "Namespaced",
            "names": {"kind": kind, "plural": plural},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": schema or {"type": "object"}},
                }
            ],
        },
    }


def _write(path: Path, *docs: dict[str, Any]) -> Path:
    path.write_text("# CRDs\n" + "\n---\n".join(json.dumps(d) for d in docs))
    return path


def test_two_kinds_with_one_class_name_name_both_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Kind Foo (plural foos) has the client class Foos; a kind Foos is the model class Foos.
    folder = tmp_path / "crds"
    folder.mkdir()
    _write(folder / "a-foo.yaml", _crd("Foo", "foos"))
    _write(
        folder / "b-foos.yaml", {"apiVersion": "v1", "kind": "ConfigMap"}, _crd("Foos", "fooses")
    )
    code = main(["generate", "--crd", str(folder), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert "two classes named Foos in example_io.v1" in err
    assert f"{folder}/a-foo.yaml#0" in err and f"{folder}/b-foos.yaml#1" in err
    assert "/spec/versions/0/schema/openAPIV3Schema" in err
    assert not (tmp_path / "out").exists()


def test_an_unsupported_schema_names_file_document_and_pointer(tmp_path: Path) -> None:
    schema = {
        "type": "object",
        "properties": {"spec": {"type": "object", "properties": {"x": {"type": "tuple"}}}},
    }
    path = _write(tmp_path / "bad.yaml", {"kind": "Namespace"}, _crd("Bar", "bars", schema))
    with pytest.raises(SpecError) as info:
        generate_files(None, "p", [path], base="kubetyped.k8s")
    assert info.value.source == f"{path}#1"
    assert info.value.where == (
        "/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/x/type"
    )
    assert "unknown type 'tuple'" in str(info.value)


def test_a_ref_inside_a_crd_is_named(tmp_path: Path) -> None:
    schema = {"type": "object", "properties": {"spec": {"$ref": "#/components/x"}}}
    path = _write(tmp_path / "ref.yaml", _crd("Baz", "bazs", schema))
    with pytest.raises(SpecError, match=r"ref.yaml#0: .*/openAPIV3Schema/properties/spec/\$ref"):
        generate_files(None, "p", [path], base="kubetyped.k8s")


def test_bad_crds_name_file_document_and_pointer(tmp_path: Path) -> None:
    broken = _crd("Qux", "quxes")
    broken["spec"]["versions"] = {"name": "v1"}
    path = _write(tmp_path / "qux.yaml", {"kind": "Service"}, {"kind": "Service"}, broken)
    with pytest.raises(SpecError, match=r"qux.yaml#2: /spec/versions: expected a list"):
        generate_files(None, "p", [path])
    twice = _write(tmp_path / "twice.yaml", _crd("Foo", "foos"), _crd("Foo", "foos"))
    with pytest.raises(SpecError, match=r"twice.yaml#1: /spec/versions/0: .*Foo is defined twice"):
        generate_files(None, "p", [twice])
    in_list = {"apiVersion": "v1", "kind": "List", "items": [{"kind": "Pod"}, broken]}
    listed = _write(tmp_path / "list.yaml", in_list)
    with pytest.raises(SpecError, match=r"list.yaml#0: /items/1/spec/versions: expected a list"):
        generate_files(None, "p", [listed])
