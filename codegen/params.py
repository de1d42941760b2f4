"""What the query parameters of the Kubernetes API accept, where the spec only says ``string``.

The spec types ``propagationPolicy``, ``dryRun`` and the like as plain strings and lists the
values in prose; the API server accepts only those values, so the bindings type them as
``Literal``s. Each entry is checked against the description of every bundled spec
(tests/codegen/test_params.py), so a value the API adds or drops is noticed.
"""

from __future__ import annotations

__all__ = ["NOT_OFFERED", "QUERY_DOCS", "QUERY_REPEATED", "QUERY_VALUES"]

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

QUERY_REPEATED = frozenset({"command", "ports"})
"""Query parameters the API server reads as a list, repeated (``?command=ls&command=-l``),
where the spec types one value: the argv of ``pods/exec`` (PodExecOptions.Command is a
[]string) and the ports of ``pods/portforward`` (PodPortForwardOptions.Ports, []int32)."""

NOT_OFFERED = frozenset({"pretty"})
"""Query parameters left out of the bindings: ``pretty`` formats JSON for people reading it,
which a typed client decodes anyway."""

QUERY_DOCS: dict[str, str] = {
    "allowWatchBookmarks": (
        "Let the server send ``BOOKMARK`` events, which carry only a newer "
        "``resource_version`` to resume from; servers may ignore it."
    ),
    "continue": (
        "The ``metadata.continue_`` of the previous page, to fetch the next one; a token too "
        "old to serve fails with ``Gone``."
    ),
    "dryRun": (
        '"All": run every stage of the request (validation, admission, defaulting) without '
        "persisting the result."
    ),
    "fieldManager": (
        "The name of the actor making the change, recorded in ``metadata.managed_fields`` "
        "(printable characters, at most 128)."
    ),
    "fieldValidation": (
        'What the server does with unknown or duplicate fields in the body: "Strict" refuses '
        'the request, "Warn" drops them with a warning (the default), "Ignore" drops them '
        "silently."
    ),
    "gracePeriodSeconds": (
        "Seconds before the object is deleted (0: at once); default: the kind's own (a "
        "Pod's ``termination_grace_period_seconds``)."
    ),
    "ignoreStoreReadErrorWithClusterBreakingPotential": (
        "Unsafe: delete an object the server cannot read back (it fails to decrypt or "
        "decode), ignoring finalizers and preconditions; this may break workloads that rely "
        "on the normal deletion flow. Off by default."
    ),
    "limit": (
        "At most this many items per answer (the server may send fewer); the answer's "
        "``metadata.continue_`` then fetches the rest."
    ),
    "orphanDependents": (
        "Deprecated, use ``propagation_policy``: True orphans the dependents, False deletes "
        "them in the background."
    ),
    "propagationPolicy": (
        '"Foreground": delete the dependents first, then the object; "Background": delete '
        'the object now and its dependents after; "Orphan": leave the dependents. Default: '
        "the object's finalizers, else the kind's own default."
    ),
    "resourceVersionMatch": (
        '"NotOlderThan": data at least as new as ``resource_version``; "Exact": data at '
        "exactly ``resource_version`` (list only). Needs ``resource_version``."
    ),
    "sendInitialEvents": (
        'With ``resource_version_match="NotOlderThan"``: begin the watch with an ``ADDED`` '
        "event per existing object, then a ``BOOKMARK`` marking the end of that initial "
        "state."
    ),
}
"""Wire name of a query parameter -> its Args text, where the spec's description of these
apimachinery options is long (the same text on every operation of every resource)."""
