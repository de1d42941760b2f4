"""A generated package records where it came from: ``__kubetyped_source__`` and the
``__init__`` docstring name the spec (file, URL or server and version), the CRD files, the
base, a sha256 of the input and the generator's version."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import kubetyped.k8s
from kubetyped.codegen.generate import generate_files

LOCAL = sorted((Path(__file__).resolve().parents[1] / "data" / "crds").glob("*.yaml"))


def test_the_shipped_bindings_name_their_spec() -> None:
    source = kubetyped.k8s.__kubetyped_source__
    assert source["spec"] == "kubernetes-v1.36.openapi-v2.json"
    assert source["crds"] == [] and source["base"] is None and source["server"] is None
    assert len(source["sha256"]) == 64
    assert source["generator"].startswith("kubetyped ")
    assert f"sha256: {source['sha256']}" in (kubetyped.k8s.__doc__ or "")


def _source(files: dict[str, str], tmp_path: Path, name: str) -> dict[str, object]:
    (tmp_path / name).mkdir()
    (tmp_path / name / "__init__.py").write_text(files["__init__.py"])
    code = f"import sys, json\nsys.path.insert(0, {str(tmp_path)!r})\nimport {name}\nprint(json.dumps({name}.__kubetyped_source__))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return dict(json.loads(out))


def test_a_crd_package_names_its_files_base_and_content(tmp_path: Path) -> None:
    files = generate_files(None, "p", LOCAL, base="kubetyped.k8s")
    source = _source(files, tmp_path, "p")
    assert source["crds"] == [str(p) for p in LOCAL]
    assert source["base"] == "kubetyped.k8s"
    assert source["sha256"] != kubetyped.k8s.__kubetyped_source__["sha256"]
    # The hash follows the content: a changed CRD file gives another one.
    changed = tmp_path / LOCAL[0].name
    changed.write_text(LOCAL[0].read_text().replace("description:", "description: x", 1))
    other = _source(
        generate_files(None, "q", [changed, *LOCAL[1:]], base="kubetyped.k8s"), tmp_path, "q"
    )
    assert other["sha256"] != source["sha256"]
