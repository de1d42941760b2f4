"""The models the runtime defines itself (``Status``) and the generated package re-exports:
their fields must be the spec's, in every bundled spec."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from kubetyped.codegen.load import load_spec
from kubetyped.codegen.parse import parse_spec
from kubetyped.k8s.meta import v1 as meta_v1
from kubetyped.model import K8sModel

SPECS = [None, *sorted((Path(__file__).parents[1] / "data" / "specs").glob("*.json.gz"))]


@pytest.mark.parametrize("spec_path", SPECS, ids=lambda p: p.name if p else "embedded")
def test_runtime_models_have_the_spec_fields(spec_path: Path | None) -> None:
    spec, source = load_spec(spec_path)
    package = parse_spec(spec, source)
    runtime = [m for module in package.modules.values() for m in module.models if m.runtime]
    assert {m.name for m in runtime} == {"Status", "StatusDetails", "StatusCause"}
    for model in runtime:
        assert model.runtime is not None
        cls = getattr(importlib.import_module(model.runtime), model.name)
        assert issubclass(cls, K8sModel)
        fields = {
            name: info.serialization_alias or info.alias or name
            for name, info in cls.model_fields.items()
        }
        assert fields == {f.name: f.wire_name for f in model.fields}, model.name


def test_one_status_class() -> None:
    from kubetyped import Status
    from kubetyped.errors import ApiError

    assert meta_v1.Status is Status
    assert meta_v1.StatusDetails.__module__ == "kubetyped.status"
    assert ApiError.__init__.__annotations__["status"] in ("Status", Status)
