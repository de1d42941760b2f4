"""A small hand-written OpenAPI v2 spec for the generator's unit tests.

One group-version (``widgets.example.io/v1``) with a namespaced ``Widget`` that has every
kind of operation the generator knows (list/watch at two scopes, create, get, replace,
patch with apply, delete, deletecollection, status, scale, a text log that follows, an
eviction that may answer with a Status, exec and proxy connections) and a cluster-scoped
``Gadget`` with get and list only; plus the meta/v1 types they refer to.
"""

from __future__ import annotations

from typing import Any

META = "io.k8s.apimachinery.pkg.apis.meta.v1"
GROUP = "widgets.example.io"
W = "io.example.widgets.v1"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/definitions/{name}"}


def _q(name: str, kind: str = "string", description: str = "") -> dict[str, Any]:
    return {"in": "query", "name": name, "type": kind, "description": description}


def _gvk(kind: str, group: str = GROUP) -> dict[str, str]:
    return {"group": group, "version": "v1", "kind": kind}


def _op(
    action: str, kind: str, response: str | None, *params: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": _gvk(kind),
        "parameters": list(params),
        "responses": {"200": {"schema": _ref(response)}} if response else {"200": {}},
        "description": f"{action} {kind}",
    }
    op.update(extra)
    return op


def _body(name: str) -> dict[str, Any]:
    return {"in": "body", "name": "body", "schema": _ref(name)}


PATCH_TYPES = [
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
]


def tiny_spec() -> dict[str, Any]:
    """A fresh copy of the spec (tests may change it)."""
    list_params = [
        _q("continue", description="The continue token."),
        _q("labelSelector", description="A label selector."),
        _q("limit", "integer", "At most this many."),
        _q("watch", "boolean", "Watch instead of list."),
        _q("allowWatchBookmarks", "boolean"),
        _q("pretty"),
    ]
    write = [_q("dryRun"), _q("fieldManager", description="The field manager.")]
    patch = [*write, _q("force", "boolean", "Force the apply.")]
    ns = "/apis/widgets.example.io/v1/namespaces/{namespace}/widgets"
    one = ns + "/{name}"
    return {
        "swagger": "2.0",
        "definitions": {
            f"{META}.ObjectMeta": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "namespace": {"type": "string"}},
            },
            f"{META}.ListMeta": {
                "type": "object",
                "properties": {"continue": {"type": "string"}},
            },
            f"{META}.Status": {
                "type": "object",
                "properties": {
                    "apiVersion": {"type": "string"},
                    "kind": {"type": "string"},
                    "message": {"type": "string"},
                },
                "x-kubernetes-group-version-kind": [_gvk("Status", "")],
            },
            f"{META}.DeleteOptions": {
                "type": "object",
                "properties": {"gracePeriodSeconds": {"type": "integer"}},
            },
            f"{META}.Patch": {"type": "object"},
            f"{META}.Time": {"type": "string", "format": "date-time"},
            # Sorted before every kind of its package, and no kind itself: the module's API
            # group must still come from the kinds.
            f"{W}.AAAHelper": {"type": "object", "properties": {"x": {"type": "string"}}},
            f"{W}.Widget": {
                "description": "A widget.",
                "type": "object",
                "required": ["spec"],
                "properties": {
                    "apiVersion": {"type": "string"},
                    "kind": {"type": "string"},
                    "metadata": _ref(f"{META}.ObjectMeta"),
                    "spec": {
                        "type": "object",
                        "properties": {
                            "size": {"type": "integer", "description": "How big."},
                            "parts": {
                                "type": "array",
                                "items": _ref(f"{W}.Part"),
                                "x-kubernetes-list-type": "map",
                                "x-kubernetes-list-map-keys": ["name"],
                            },
                            "labels": {
                                "type": "object",
                                "additionalProperties": {"type": "string"},
                            },
                        },
                    },
                    "created": _ref(f"{META}.Time"),
                },
                "x-kubernetes-group-version-kind": [_gvk("Widget")],
            },
            f"{W}.WidgetList": {
                "type": "object",
                "required": ["items"],
                "properties": {
                    "apiVersion": {"type": "string"},
                    "items": {"type": "array", "items": _ref(f"{W}.Widget")},
                    "kind": {"type": "string"},
                    "metadata": _ref(f"{META}.ListMeta"),
                },
                "x-kubernetes-group-version-kind": [_gvk("WidgetList")],
            },
            # Refers to itself: a forward reference in its own annotation.
            f"{W}.Part": {
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string"}, "next": _ref(f"{W}.Part")},
            },
            f"{W}.Eviction": {
                "type": "object",
                "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"}},
                "x-kubernetes-group-version-kind": [_gvk("Eviction")],
            },
            f"{W}.Scale": {
                "type": "object",
                "properties": {"replicas": {"type": "integer"}},
                "x-kubernetes-group-version-kind": [_gvk("Scale")],
            },
            f"{W}.Gadget": {
                "type": "object",
                "properties": {
                    "apiVersion": {"type": "string"},
                    "kind": {"type": "string"},
                    "metadata": _ref(f"{META}.ObjectMeta"),
                },
                "x-kubernetes-group-version-kind": [_gvk("Gadget")],
            },
            f"{W}.GadgetList": {
                "type": "object",
                "properties": {"items": {"type": "array", "items": _ref(f"{W}.Gadget")}},
                "x-kubernetes-group-version-kind": [_gvk("GadgetList")],
            },
        },
        "paths": {
            ns: {
                "get": _op("list", "Widget", f"{W}.WidgetList", *list_params),
                "post": _op("post", "Widget", f"{W}.Widget", *write, _body(f"{W}.Widget")),
                "delete": _op(
                    "deletecollection",
                    "Widget",
                    f"{META}.Status",
                    _q("labelSelector"),
                    _body(f"{META}.DeleteOptions"),
                ),
            },
            "/apis/widgets.example.io/v1/widgets": {
                "get": _op("list", "Widget", f"{W}.WidgetList", *list_params),
            },
            # Deprecated watch paths are not methods of their own.
            "/apis/widgets.example.io/v1/watch/namespaces/{namespace}/widgets": {
                "get": _op("watchlist", "Widget", None),
            },
            one: {
                "get": _op("get", "Widget", f"{W}.Widget"),
                "put": _op("put", "Widget", f"{W}.Widget", *write, _body(f"{W}.Widget")),
                "patch": _op(
                    "patch",
                    "Widget",
                    f"{W}.Widget",
                    *patch,
                    _body(f"{META}.Patch"),
                    consumes=PATCH_TYPES,
                ),
                "delete": _op(
                    "delete",
                    "Widget",
                    f"{W}.Widget",
                    _q("gracePeriodSeconds", "integer"),
                    _body(f"{META}.DeleteOptions"),
                ),
            },
            one + "/status": {
                "get": _op("get", "Widget", f"{W}.Widget"),
                "patch": _op(
                    "patch",
                    "Widget",
                    f"{W}.Widget",
                    *patch,
                    _body(f"{META}.Patch"),
                    consumes=PATCH_TYPES,
                ),
            },
            one + "/scale": {
                "patch": _op(
                    "patch",
                    "Widget",
                    f"{W}.Scale",
                    *patch,
                    _body(f"{META}.Patch"),
                    consumes=PATCH_TYPES,
                ),
            },
            one + "/log": {
                "get": {
                    **_op(
                        "get",
                        "Widget",
                        None,
                        _q("container", description="The container."),
                        _q("follow", "boolean", "Follow the log."),
                        _q("tailLines", "integer"),
                    ),
                    "responses": {"200": {"schema": {"type": "string"}}},
                },
            },
            one + "/eviction": {
                "post": _op("post", "Widget", f"{W}.Eviction", _body(f"{W}.Eviction")),
            },
            one + "/exec": {
                method: {
                    **_op(
                        "connect",
                        "Widget",
                        None,
                        _q("command", description="The argv."),
                        _q("container"),
                        _q("stdin", "boolean"),
                    ),
                    "responses": {"200": {"schema": {"type": "string"}}},
                }
                for method in ("get", "post")
            },
            one + "/proxy": {
                "get": _op("connect", "Widget", None, _q("path", description="Old way.")),
                "put": _op("connect", "Widget", None, _q("path", description="Old way.")),
            },
            one + "/proxy/{path}": {
                "parameters": [{"in": "path", "name": "path", "type": "string", "required": True}],
                "get": _op("connect", "Widget", None, _q("path", description="Old way.")),
            },
            "/apis/widgets.example.io/v1/gadgets": {
                "get": _op("list", "Gadget", f"{W}.GadgetList", _q("limit", "integer")),
            },
            "/apis/widgets.example.io/v1/gadgets/{name}": {
                "get": _op("get", "Gadget", f"{W}.Gadget"),
            },
        },
    }
