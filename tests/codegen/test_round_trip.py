"""Real objects go through the generated models and come back byte-for-byte the same."""

from __future__ import annotations

import copy
import importlib
import json
from pathlib import Path
from typing import Any

import pytest
from kubetyped.codegen.naming import group_module
from kubetyped.model import K8sModel

WIRE = sorted((Path(__file__).parent.parent / "data" / "wire").glob("*.json"))


def model_class(obj: dict[str, Any]) -> type[K8sModel]:
    """The generated class for a wire object, found by the documented module rule."""
    group, _, version = obj["apiVersion"].rpartition("/")
    kind = obj["kind"]
    segment = "meta" if kind == "Status" else group_module(group)
    module = importlib.import_module(f"kubetyped.k8s.{segment}.{version}")
    cls = getattr(module, kind)
    assert issubclass(cls, K8sModel)
    return cls  # type: ignore[no-any-return]


def test_enough_kinds() -> None:
    kinds = {
        (json.loads(p.read_text())["apiVersion"], json.loads(p.read_text())["kind"]) for p in WIRE
    }
    groups = {api.rpartition("/")[0] for api, _ in kinds}
    assert len(kinds) >= 30, kinds
    assert len(groups) >= 12, groups


@pytest.mark.parametrize("path", WIRE, ids=lambda p: p.stem)
def test_round_trip(path: Path) -> None:
    wire = json.loads(path.read_text())
    cls = model_class(wire)
    obj = cls.model_validate(copy.deepcopy(wire))
    assert obj.model_dump(mode="json", by_alias=True, exclude_unset=True) == wire
    from_bytes = cls.model_validate_json(path.read_bytes())
    assert from_bytes.model_dump(mode="json", by_alias=True, exclude_unset=True) == wire
    assert from_bytes == obj
    assert json.loads(obj.to_json()) == wire


def _add_unknown(model: K8sModel, wire: dict[str, Any]) -> int:
    """Put an unknown field into every object of the tree, guided by the validated model."""
    wire["zzFutureField"] = {"nested": [1, "two", None], "n": 1.5}
    added = 1
    for name, field in type(model).model_fields.items():
        key = field.serialization_alias or name
        if key not in wire:
            continue
        value = getattr(model, name)
        pairs: list[tuple[Any, Any]] = []
        if isinstance(value, K8sModel):
            pairs = [(value, wire[key])]
        elif isinstance(value, list):
            pairs = list(zip(value, wire[key], strict=True))
        elif isinstance(value, dict):
            pairs = [(v, wire[key][k]) for k, v in value.items()]
        added += sum(_add_unknown(m, w) for m, w in pairs if isinstance(m, K8sModel))
    return added


@pytest.mark.parametrize(
    "name",
    [
        "core_v1_Pod.json",
        "apps_v1_Deployment.json",
        "apiextensions.k8s.io_v1_CustomResourceDefinition.json",
    ],
)
def test_unknown_fields_survive_at_any_depth(name: str) -> None:
    wire = json.loads((WIRE[0].parent / name).read_text())
    cls = model_class(wire)
    assert _add_unknown(cls.model_validate(copy.deepcopy(wire)), wire) > 10
    obj = cls.model_validate(copy.deepcopy(wire))
    assert obj.model_dump(mode="json", by_alias=True, exclude_unset=True) == wire
