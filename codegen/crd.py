"""CustomResourceDefinition files as OpenAPI v2 definitions and paths.

The API server publishes each served version of a CRD in ``/openapi/v2`` the same way: the
``openAPIV3Schema`` as a definition named by the reversed group (``io.cert-manager.v1.Certificate``)
with ``metadata`` pointing at ObjectMeta, a ``…List`` definition, and the REST paths. Doing the
same here lets one parser serve a live cluster, a saved spec and CRD files alike.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubetyped import yamlio
from kubetyped.request import PATCH_CONTENT_TYPES

from .errors import SpecError

__all__ = [
    "CrdDocument",
    "CrdFile",
    "CrdSet",
    "add_crd_set",
    "add_crds",
    "crd_documents",
    "load_crds",
]

logger = logging.getLogger("kubetyped.codegen")

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
# Custom resources take every patch type but strategic merge (they have no merge keys).
_PATCH_TYPES = [PATCH_CONTENT_TYPES[t] for t in ("json", "merge", "apply")]


@dataclass
class CrdFile:
    """A file (or URL) the CRDs came from, as the user named it, and its bytes."""

    name: str
    data: bytes


@dataclass
class CrdDocument:
    """One CustomResourceDefinition: its file, its document index there, and where in that
    document it starts (``""``, or ``/items/3`` inside a ``List``)."""

    file: str
    index: int
    at: str
    body: dict[str, Any]

    @property
    def label(self) -> str:
        """How messages name it: ``crds/certs.yaml#2`` (document 2, counted from 0)."""
        return f"{self.file}#{self.index}"


@dataclass
class CrdSet:
    """Everything ``--crd`` named: the files read, their CRDs, and definition origins."""

    sources: list[str] = field(default_factory=list)  # the arguments, as given
    files: list[CrdFile] = field(default_factory=list)
    documents: list[CrdDocument] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # notes on documents that are not CRDs
    # definition name -> (file#document, JSON pointer of its schema in that document)
    origins: dict[str, tuple[str, str]] = field(default_factory=dict)


_SUFFIXES = (".yaml", ".yml", ".json")


def _read(source: str | Path) -> list[CrdFile]:
    """The files of one ``--crd`` argument: a file, a folder (recursively) or a URL."""
    text = str(source)
    if text.startswith(("http://", "https://")):
        import httpx  # only needed for URLs

        try:
            response = httpx.get(text, follow_redirects=True, timeout=60)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise SpecError(text, "", f"download failed: {exc}") from None
        return [CrdFile(text, response.content)]
    path = Path(text)
    if path.is_dir():
        # As `kubectl apply -R -f dir`: every .yaml, .yml and .json file, in a stable order.
        found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in _SUFFIXES)
        return [CrdFile(str(p), p.read_bytes()) for p in found]
    try:
        return [CrdFile(text, path.read_bytes())]
    except OSError as exc:
        raise SpecError(text, "", f"cannot read: {exc.strerror}") from None


def _documents(crd_file: CrdFile) -> Iterator[tuple[int, str, Any]]:
    """Every document of a file (the items of a ``List`` one by one), read as kubectl does."""
    try:
        documents = yamlio.load_all_located(crd_file.data)
    except yamlio.YAMLError as exc:
        raise SpecError(crd_file.name, exc.where, f"invalid YAML: {exc.reason}") from None
    for index, document in enumerate(documents):
        value = document.value
        if isinstance(value, dict) and value.get("kind") == "List":
            for i, item in enumerate(value.get("items") or ()):
                yield index, f"/items/{i}", item
        else:
            yield index, "", value


def load_crds(sources: Iterable[str | Path]) -> CrdSet:
    """Read every CustomResourceDefinition that files, folders or URLs hold.

    Multi-document files and ``List`` documents are read item by item; documents of other
    kinds are skipped with a note (as in a folder of manifests that also holds CRDs).
    """
    crds = CrdSet()
    for source in sources:
        crds.sources.append(str(source))
        files = _read(source)
        if not files:
            raise SpecError(str(source), "", "no .yaml, .yml or .json files in this folder")
        crds.files.extend(files)
        for crd_file in files:
            for index, at, value in _documents(crd_file):
                if value is None:
                    continue
                kind = value.get("kind") if isinstance(value, dict) else None
                if kind == "CustomResourceDefinition" and isinstance(value, dict):
                    crds.documents.append(CrdDocument(crd_file.name, index, at, value))
                else:
                    what = f"kind {kind}" if isinstance(kind, str) else "no kind"
                    note = f"{crd_file.name}#{index}{at}: skipped ({what}, not a CRD)"
                    crds.skipped.append(note)
                    logger.warning("%s", note)
    if crds.sources and not crds.documents:
        names = ", ".join(str(s) for s in sources)
        raise SpecError(names, "", "no CustomResourceDefinition found")
    return crds


def crd_documents(paths: Iterable[str | Path]) -> list[tuple[str, dict[str, Any]]]:
    """Every CustomResourceDefinition in the files, folders or URLs, named ``file#document``."""
    return [(doc.label, doc.body) for doc in load_crds(paths).documents]


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
    spec: dict[str, Any],
    crd: dict[str, Any],
    version: dict[str, Any],
    source: str,
    index: int,
    at: str = "",
) -> tuple[str, str]:
    """Add one served version; return the names of its two definitions."""
    group = crd["spec"]["group"]
    names = crd["spec"]["names"]
    _required(names, ("kind", "plural"), source, f"{at}/spec/names")
    _required(version, ("name",), source, f"{at}/spec/versions/{index}")
    kind, plural = names["kind"], names["plural"]
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
                source,
                f"{at}/spec/versions/{index}",
                f"{group}/{name} {key.rpartition('.')[2]} is defined twice "
                "(CRD and spec, or two CRDs)",
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
    return f"{prefix}.{kind}", f"{prefix}.{list_kind}"


def add_crd_set(spec: dict[str, Any], crds: CrdSet) -> int:
    """Add every served version of the CRDs read to ``spec``; return how many.

    ``crds.origins`` then tells, for each definition added, the file, document and JSON
    pointer of its schema, so errors about it can name them.
    """
    added = 0
    for doc in crds.documents:
        where, crd = doc.label, doc.body
        body = crd.get("spec")
        if not isinstance(body, dict) or not {"group", "names", "versions"} <= body.keys():
            raise SpecError(
                where,
                f"{doc.at}/spec",
                "not a CustomResourceDefinition spec (group, names, versions)",
            )
        _required(body, ("group",), where, f"{doc.at}/spec")
        if not isinstance(body["versions"], list):
            raise SpecError(where, f"{doc.at}/spec/versions", "expected a list")
        for i, version in enumerate(body["versions"]):
            if not isinstance(version, dict):
                raise SpecError(where, f"{doc.at}/spec/versions/{i}", "expected an object")
            if version.get("served", True):
                for name in _add_version(spec, crd, version, where, i, doc.at):
                    crds.origins[name] = (
                        where,
                        f"{doc.at}/spec/versions/{i}/schema/openAPIV3Schema",
                    )
                added += 1
    return added


def add_crds(spec: dict[str, Any], paths: Iterable[str | Path]) -> int:
    """Add every served version of the CRDs in files, folders or URLs to ``spec``."""
    return add_crd_set(spec, load_crds(paths))
