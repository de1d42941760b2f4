"""Corrections of known upstream bugs in the Kubernetes spec.

Each fixup says what it corrects and returns the corrected spec, or None where it does not
apply: the test suite runs every fixup against every bundled spec and fails when one no longer
applies, so stale fixups cannot pile up (the rule k8s-openapi follows). A fixup that does not
apply to a user's spec (an older or newer server) is simply skipped.

Fixups never change the spec they are given: a correction copies the dictionaries on its way
down to what it changes, and shares everything else with the original.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["FIXUPS", "Fixup", "apply_fixups", "fixed_spec"]

Spec = dict[str, Any]


@dataclass(frozen=True)
class Fixup:
    name: str
    why: str
    apply: Callable[[Spec], Spec | None]  # the corrected copy, or None: does not apply


def _not_required(definition: str, prop: str) -> Callable[[Spec], Spec | None]:
    def apply(spec: Spec) -> Spec | None:
        definitions = spec.get("definitions", {})
        schema = definitions.get(definition)
        if not isinstance(schema, dict) or prop not in schema.get("required", ()):
            return None
        required = [r for r in schema["required"] if r != prop]
        return {
            **spec,
            "definitions": {**definitions, definition: {**schema, "required": required}},
        }

    return apply


FIXUPS: tuple[Fixup, ...] = (
    Fixup(
        "APIVersions.serverAddressByClientCIDRs",
        "Marked required, but the server sends null for it (kubernetes-client/python#376).",
        _not_required(
            "io.k8s.apimachinery.pkg.apis.meta.v1.APIVersions", "serverAddressByClientCIDRs"
        ),
    ),
    Fixup(
        "events.k8s.io/v1 Event.eventTime",
        "Marked required, but core/v1 Events read through events.k8s.io have none "
        "(k8s-openapi upstream_bugs).",
        _not_required("io.k8s.api.events.v1.Event", "eventTime"),
    ),
)


def fixed_spec(spec: Spec) -> tuple[Spec, list[str]]:
    """The spec with every fixup that matches applied (a copy where one did), and their names.
    ``spec`` itself is left as it was."""
    applied: list[str] = []
    for fixup in FIXUPS:
        corrected = fixup.apply(spec)
        if corrected is not None:
            spec = corrected
            applied.append(fixup.name)
    return spec, applied


def apply_fixups(spec: Spec) -> list[str]:
    """Correct a spec the caller owns, in place (its top-level keys are replaced by the
    corrected ones); return the names of the fixups that applied."""
    corrected, applied = fixed_spec(spec)
    spec.update(corrected)
    return applied
