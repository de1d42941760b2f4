"""Corrections of known upstream bugs in the Kubernetes spec.

Each fixup says what it corrects and reports whether it applied: the test suite runs every
fixup against every bundled spec and fails when one no longer applies, so stale fixups cannot
pile up (the rule k8s-openapi follows). A fixup that does not apply to a user's spec (an older
or newer server) is simply skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["FIXUPS", "Fixup", "apply_fixups"]

Spec = dict[str, Any]


@dataclass(frozen=True)
class Fixup:
    name: str
    why: str
    apply: Callable[[Spec], bool]


def _not_required(definition: str, prop: str) -> Callable[[Spec], bool]:
    def apply(spec: Spec) -> bool:
        schema = spec.get("definitions", {}).get(definition)
        if not isinstance(schema, dict) or prop not in schema.get("required", ()):
            return False
        schema["required"] = [r for r in schema["required"] if r != prop]
        return True

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


def apply_fixups(spec: Spec) -> list[str]:
    """Apply every fixup that matches; return the names of those that applied."""
    return [fixup.name for fixup in FIXUPS if fixup.apply(spec)]
