"""codegen/fixups.py: corrections return a copy; the spec given is never changed."""

from __future__ import annotations

import copy
from typing import Any

from kubetyped.codegen.fixups import FIXUPS, apply_fixups, fixed_spec

APIVERSIONS = "io.k8s.apimachinery.pkg.apis.meta.v1.APIVersions"


def _spec() -> dict[str, Any]:
    return {
        "definitions": {
            APIVERSIONS: {"required": ["serverAddressByClientCIDRs", "versions"]},
            "io.k8s.api.events.v1.Event": {"required": ["eventTime", "metadata"]},
            "other": {"required": ["x"]},
        },
        "paths": {},
    }


def test_fixed_spec_corrects_a_copy() -> None:
    spec = _spec()
    before = copy.deepcopy(spec)
    fixed, applied = fixed_spec(spec)
    assert spec == before
    assert applied == [f.name for f in FIXUPS]
    assert fixed["definitions"][APIVERSIONS]["required"] == ["versions"]
    assert fixed["definitions"]["io.k8s.api.events.v1.Event"]["required"] == ["metadata"]
    assert fixed["definitions"]["other"] is spec["definitions"]["other"]  # shared, not copied


def test_a_fixup_that_does_not_apply_says_so() -> None:
    spec: dict[str, Any] = {"definitions": {}}
    assert all(f.apply(spec) is None for f in FIXUPS)
    fixed, applied = fixed_spec(spec)
    assert fixed is spec and applied == []


def test_apply_fixups_corrects_a_spec_the_caller_owns() -> None:
    spec = _spec()
    assert apply_fixups(spec) == [f.name for f in FIXUPS]
    assert spec["definitions"][APIVERSIONS]["required"] == ["versions"]
