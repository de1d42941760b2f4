"""What the query parameters of the Kubernetes API accept, where the spec only says ``string``.

The spec types ``propagationPolicy``, ``dryRun`` and the like as plain strings and lists the
values in prose; the API server accepts only those values, so the bindings type them as
``Literal``s. Each entry is checked against the description of every bundled spec
(tests/codegen/test_params.py), so a value the API adds or drops is noticed.
"""

from __future__ import annotations

__all__ = ["NOT_OFFERED", "QUERY_VALUES"]

QUERY_VALUES: dict[str, tuple[str, ...]] = {
    # metav1.DryRunAll is the only value ("All: all dry run stages will be processed").
    "dryRun": ("All",),
    "fieldValidation": ("Ignore", "Warn", "Strict"),
    "propagationPolicy": ("Orphan", "Background", "Foreground"),
    # metav1.ResourceVersionMatchNotOlderThan, metav1.ResourceVersionMatchExact.
    "resourceVersionMatch": ("NotOlderThan", "Exact"),
    # The log stream of a container (pods/log).
    "stream": ("All", "Stdout", "Stderr"),
}
"""Wire name of a query parameter -> the values the API server accepts."""

NOT_OFFERED = frozenset({"pretty"})
"""Query parameters left out of the bindings: ``pretty`` formats JSON for people reading it,
which a typed client decodes anyway."""
