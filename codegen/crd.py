"""CustomResourceDefinition files as OpenAPI v2 definitions and paths.

The API server publishes each served version of a CRD in ``/openapi/v2`` the same way: the
``openAPIV3Schema`` as a definition named by the reversed group (``io.cert-manager.v1.Certificate``)
with ``metadata`` pointing at ObjectMeta, a ``…List`` definition, and the REST paths. Doing the
same here lets one parser serve a live cluster, a saved spec and CRD files alike.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from .errors import SpecError, pointer

__all__ = ["add_crds", "crd_documents"]

_META = "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1."


def _query(*names: str) -> list[dict[str, Any]]:
    types = {
        "allowWatchBookmarks": "boolean",
        "force": "boolean",
        "sendInitialEvents": "boolean",
        "watch": "boolean",
        "gracePeriodSeconds": "integer",
        "limit": "integer",
        "timeoutSeconds": "integer",
    }
    return [
        {"in": "query", "name": n, "type": types.get(n, "string"), "uniqueItems": True}
        for n in names
    ]


_LIST = _query(
    "allowWatchBookmarks",
    "continue",
    "fieldSelector",
    "labelSelector",
    "limit",
    "resourceVersion",
    "resourceVersionMatch",
    "sendInitialEvents",
    "timeoutSeconds",
    "watch",
)
_WRITE = _query("dryRun", "fieldManager", "fieldValidation")
_PATCH = _query("dryRun", "fieldManager", "fieldValidation", "force")
_DELETE = _query("dryRun", "gracePeriodSeconds", "propagationPolicy")
_DELETE_ALL = _DELETE + _query(
    "continue", "fieldSelector", "labelSelector", "limit", "resourceVersion", "resourceVersionMatch"
)
# Custom resources take every patch type but strategic merge (the server has no merge keys).
_PATCH_TYPES = [
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/apply-patch+yaml",
]


def crd_documents(paths: Iterable[str | Path]) -> list[tuple[str, dict[str, Any]]]:
    """Every CustomResourceDefinition in the YAML files (multi-document files allowed)."""
    found: list[tuple[str, dict[str, Any]]] = []
    for path in paths:
        try:
            docs = list(yaml.safe_load_all(Path(path).read_text(encoding="utf-8")))
        except OSError as exc:
            raise SpecError(str(path), "", f"cannot read: {exc.strerror}") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1} column {mark.column + 1}" if mark else ""
            raise SpecError(
                str(path), where, f"invalid YAML: {getattr(exc, 'problem', exc)}"
            ) from None
        for i, doc in enumerate(docs):
            if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                found.append((f"{path}#{i}", doc))
    return found


def _reversed(group: str) -> str:
    return ".".join(reversed(group.split(".")))


def _op(
    action: str,
    description: str,
    ref: str | None,
    params: list[dict[str, Any]],
    gvk: dict[str, str],
    body: str | None = None,
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "description": description,
        "parameters": copy.deepcopy(params),
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": gvk,
        "responses": {"200": {"schema": {"$ref": ref}}} if ref else {"200": {}},
    }
    if action == "patch":
        op["consumes"] = list(_PATCH_TYPES)
        body = _META + "Patch"
    if body:
        op["parameters"].append({"in": "body", "name": "body", "schema": {"$ref": body}})
    return op


def _required(value: Any, keys: tuple[str, ...], source: str, where: str) -> None:
    for key in keys:
        if not isinstance(value, dict) or not isinstance(value.get(key), str) or not value[key]:
            raise SpecError(
                source, f"{where}/{key}", "missing: a CustomResourceDefinition needs it"
            )


def _add_version(
    spec: dict[str, Any], crd: dict[str, Any], version: dict[str, Any], source: str, index: int
) -> None:
    group = crd["spec"]["group"]
    names = crd["spec"]["names"]
    _required(names, ("kind", "plural"), source, "/spec/names")
    _required(version, ("name",), source, f"/spec/versions/{index}")
    kind, plural = names["kind"], names["plural"]
    where = f"{source}/spec/versions/{index}"
    list_kind = names.get("listKind") or f"{kind}List"
    name = version["name"]
    schema = copy.deepcopy(
        (version.get("schema") or {}).get("openAPIV3Schema") or {"type": "object"}
    )
    gvk = {"group": group, "version": name, "kind": kind}
    schema.setdefault("properties", {})
    schema["properties"]["metadata"] = {"$ref": _META + "ObjectMeta"}
    for prop in ("apiVersion", "kind"):
        schema["properties"].setdefault(prop, {"type": "string"})
    schema["x-kubernetes-group-version-kind"] = [gvk]
    prefix = f"{_reversed(group)}.{name}"
    model, listing = f"#/definitions/{prefix}.{kind}", f"#/definitions/{prefix}.{list_kind}"
    definitions = spec.setdefault("definitions", {})
    for key in (f"{prefix}.{kind}", f"{prefix}.{list_kind}"):
        if key in definitions:
            raise SpecError(
                where, pointer("definitions", key), "defined twice (CRD and spec, or two CRDs)"
            )
    definitions[f"{prefix}.{kind}"] = schema
    definitions[f"{prefix}.{list_kind}"] = {
        "type": "object",
        "required": ["items"],
        "properties": {
            "apiVersion": {"type": "string"},
            "items": {"type": "array", "items": {"$ref": model}},
            "kind": {"type": "string"},
            "metadata": {"$ref": _META + "ListMeta"},
        },
        "x-kubernetes-group-version-kind": [{**gvk, "kind": list_kind}],
    }
    status, delete = _META + "Status", _META + "DeleteOptions"
    base = f"/apis/{group}/{name}"
    scoped = (
        f"{base}/namespaces/{{namespace}}/{plural}"
        if crd["spec"].get("scope") == "Namespaced"
        else f"{base}/{plural}"
    )
    paths = spec.setdefault("paths", {})
    paths[scoped] = {
        "get": _op("list", f"list objects of kind {kind}", listing, _LIST, gvk),
        "post": _op("post", f"create a {kind}", model, _WRITE, gvk, model),
        "delete": _op(
            "deletecollection", f"delete collection of {kind}", status, _DELETE_ALL, gvk, delete
        ),
    }
    if scoped != f"{base}/{plural}":
        paths[f"{base}/{plural}"] = {
            "get": _op("list", f"list objects of kind {kind}", listing, _LIST, gvk)
        }
    paths[f"{scoped}/{{name}}"] = {
        "get": _op("get", f"read the specified {kind}", model, [], gvk),
        "put": _op("put", f"replace the specified {kind}", model, _WRITE, gvk, model),
        "patch": _op("patch", f"partially update the specified {kind}", model, _PATCH, gvk),
        "delete": _op("delete", f"delete a {kind}", status, _DELETE, gvk, delete),
    }
    subresources = version.get("subresources") or {}
    if "status" in subresources:
        paths[f"{scoped}/{{name}}/status"] = {
            "get": _op("get", f"read status of the specified {kind}", model, [], gvk),
            "put": _op("put", f"replace status of the specified {kind}", model, _WRITE, gvk, model),
            "patch": _op(
                "patch", f"partially update status of the specified {kind}", model, _PATCH, gvk
            ),
        }
    if "scale" in subresources:
        scale = "#/definitions/io.k8s.api.autoscaling.v1.Scale"
        paths[f"{scoped}/{{name}}/scale"] = {
            "get": _op("get", f"read scale of the specified {kind}", scale, [], gvk),
            "put": _op("put", f"replace scale of the specified {kind}", scale, _WRITE, gvk, scale),
            "patch": _op(
                "patch", f"partially update scale of the specified {kind}", scale, _PATCH, gvk
            ),
        }


def add_crds(spec: dict[str, Any], paths: Iterable[str | Path]) -> int:
    """Add every served version of the CRDs in ``paths`` to ``spec``; return how many."""
    added = 0
    for where, crd in crd_documents(paths):
        body = crd.get("spec")
        if not isinstance(body, dict) or not {"group", "names", "versions"} <= body.keys():
            raise SpecError(
                where, "/spec", "not a CustomResourceDefinition spec (group, names, versions)"
            )
        _required(body, ("group",), where, "/spec")
        if not isinstance(body["versions"], list):
            raise SpecError(where, "/spec/versions", "expected a list")
        for i, version in enumerate(body["versions"]):
            if not isinstance(version, dict):
                raise SpecError(where, f"/spec/versions/{i}", "expected an object")
            if version.get("served", True):
                _add_version(spec, crd, version, where, i)
                added += 1
    return added
