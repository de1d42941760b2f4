"""codegen/generate.py: the pipeline leaves the spec it is given as it was."""

from __future__ import annotations

import copy
from pathlib import Path

from codegen_tiny_spec import tiny_spec
from kubetyped.codegen.crd import load_crds
from kubetyped.codegen.generate import generate_from_spec

CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gizmos.toys.example.io}
spec:
  group: toys.example.io
  scope: Namespaced
  names: {kind: Gizmo, plural: gizmos}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                mode: {type: string, enum: [Fast, Slow]}
"""


def test_crds_and_fixups_leave_the_callers_spec_alone(tmp_path: Path) -> None:
    (tmp_path / "gizmo.yaml").write_text(CRD)
    spec = tiny_spec()
    before = copy.deepcopy(spec)
    files = generate_from_spec(
        spec, "tiny.json", "toypkg", crds=load_crds([tmp_path / "gizmo.yaml"])
    )
    assert spec == before
    gizmos = files["toys_example_io/v1.py"]
    assert 'mode: Literal["Fast", "Slow"] | str | None = None' in gizmos
    assert "class Gizmos(ResourceClient):" in files["toys_example_io/_v1_clients.py"]
