"""Manifests: YAML and JSON files of Kubernetes objects, to typed objects and back.

``load(source)`` reads every document of a file, a folder (its ``.yaml``, ``.yml`` and
``.json`` files in name order), a string, bytes or an open stream, the way ``kubectl apply -f``
reads it (see :mod:`kubetyped.yamlio`): empty documents are skipped, ``List`` kinds are
flattened, each object becomes the registry's model of its kind, or a
:class:`~kubetyped.generic.GenericObject` for a kind no package knows. Each object remembers
where it came from (:func:`source_of`). Every problem is a :class:`ManifestError` naming the
file, the document (0-based, as ``kubectl`` counts them), the line and the JSON pointer::

    objs = manifest.load("deploy/")            # [Namespace(...), Deployment(...), ...]
    manifest.dump_yaml(objs)                   # back to YAML, as kubectl prints it

:func:`problems` is the offline validation behind ``kubetyped validate``: it also reports
fields the bindings do not know (as ``kubectl --validate=strict``), unknown kinds, and values
of the wrong type that loading would coerce.
"""

from __future__ import annotations

import io
import json
import os
import typing
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pydantic
import yaml
from kubetyped.k8s.meta.v1 import ObjectMeta

from ._base_errors import KubetypedError
from .generic import GenericObject
from .model import K8sModel
from .registry import KindRegistry
from .registry import registry as default_registry
from .yamlio import Document, YAMLError, go_resolves_as_string, load_all_located

__all__ = [
    "ManifestError",
    "Problem",
    "Source",
    "dump_json",
    "dump_yaml",
    "load",
    "problems",
    "source_of",
]

_SUFFIXES = (".yaml", ".yml", ".json")
_MAX_FILE_BYTES = 64 * 1024 * 1024

ManifestSource = str | os.PathLike[str] | bytes | IO[str] | IO[bytes]


@dataclass(frozen=True)
class Source:
    """Where an object was read: ``file`` (``"<string>"``, ``"<stdin>"`` or a path), the
    document's index in it (0-based), the line the object starts on (1-based), and its JSON
    pointer in the document (``""``, or ``/items/2`` for an item of a ``List``)."""

    file: str
    document: int
    line: int
    pointer: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}: document {self.document}"
        return f"{where} {self.pointer}" if self.pointer else where


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a manifest; ``pointer`` is the JSON pointer of the value at fault."""

    file: str
    document: int
    line: int
    pointer: str
    message: str
    kind: str = ""  # "apps/v1 Deployment" when known

    def __str__(self) -> str:
        path = f" {self.pointer}" if self.pointer else ""
        return f"{self.file}:{self.line}: document {self.document}{path}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "document": self.document,
            "path": self.pointer,
            "kind": self.kind,
            "message": self.message,
        }


class ManifestError(KubetypedError, ValueError):
    """A manifest cannot be read; ``problems`` lists every problem found (at least one)."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        first = str(self.problems[0])
        more = len(self.problems) - 1
        super().__init__(first + (f" (and {more} more)" if more else ""))


# Where each loaded object came from; objects are not hashable, so by id with a finalizer.
_SOURCES: dict[int, Source] = {}


def _remember(obj: K8sModel, source: Source) -> None:
    key = id(obj)
    _SOURCES[key] = source
    weakref.finalize(obj, _SOURCES.pop, key, None)


def source_of(obj: object) -> Source | None:
    """Where :func:`load` read ``obj``, or None for an object it did not read."""
    return _SOURCES.get(id(obj))


# -- reading ---------------------------------------------------------------------------------


def _texts(source: ManifestSource, name: str | None) -> Iterator[tuple[str, str | bytes]]:
    """(file name, content) of every file a source stands for."""
    if isinstance(source, bytes):
        yield name or "<bytes>", source
        return
    if isinstance(source, (io.IOBase, io.TextIOBase)) or hasattr(source, "read"):
        data = source.read()
        yield name or getattr(source, "name", None) or "<stream>", data
        return
    if isinstance(source, str) and ("\n" in source or not source.strip()):
        yield name or "<string>", source
        return
    path = Path(source)
    if str(path) == "-":
        import sys

        yield "<stdin>", sys.stdin.buffer.read()
        return
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in _SUFFIXES and p.is_file())
        for file in files:
            yield from _texts(file, None)
        return
    if not path.exists():
        if isinstance(source, str) and (":" in source or "{" in source):
            yield name or "<string>", source  # a one-line manifest such as "{...}"
            return
        raise ManifestError([Problem(str(path), 0, 0, "", "no such file or folder")])
    try:
        if path.stat().st_size > _MAX_FILE_BYTES:
            raise ManifestError([Problem(str(path), 0, 0, "", "larger than 64 MiB")])
        yield str(path), path.read_bytes()
    except OSError as exc:
        raise ManifestError([Problem(str(path), 0, 0, "", exc.strerror or str(exc))]) from None


def _documents(file: str, data: str | bytes) -> list[Document]:
    try:
        return load_all_located(data)
    except YAMLError as exc:
        raise ManifestError(
            [Problem(file, _document_at(data, exc.line), exc.line or 0, "", exc.reason)]
        ) from None


def _document_at(data: str | bytes, line: int | None) -> int:
    """The index of the document a line is in (counting ``---`` separators before it)."""
    if line is None:
        return 0
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    lines = text.splitlines()[: line - 1]
    starts = [i for i, text_line in enumerate(lines) if text_line.startswith("---")]
    # A leading "---" opens the first document rather than separating two.
    first = (
        1
        if starts and not any(x.strip() and not x.startswith("#") for x in lines[: starts[0]])
        else 0
    )
    return max(len(starts) - first, 0)


@dataclass
class _Raw:
    """One object of a manifest before it becomes a model."""

    data: Any
    source: Source
    doc: Document


def _raw_objects(file: str, documents: list[Document]) -> Iterator[_Raw | Problem]:
    for index, doc in enumerate(documents):
        value = doc.value
        if value is None:
            continue  # an empty document
        if not isinstance(value, dict):
            what = (
                "a list" if isinstance(value, list) else f"a {type(value).__name__} ({value!r:.40})"
            )
            yield Problem(file, index, doc.line, "", f"not an object: the document is {what}")
            continue
        kind = value.get("kind")
        items = value.get("items")
        if isinstance(kind, str) and kind.endswith("List") and isinstance(items, list):
            for i, item in enumerate(items):
                pointer = f"/items/{i}"
                if not isinstance(item, dict):
                    yield Problem(file, index, doc.line_of(pointer), pointer, "not an object")
                    continue
                yield _Raw(item, Source(file, index, doc.line_of(pointer), pointer), doc)
            continue
        yield _Raw(value, Source(file, index, doc.line, ""), doc)


def _problem(raw: _Raw, pointer: str, message: str, kind: str = "") -> Problem:
    full = raw.source.pointer + pointer
    return Problem(raw.source.file, raw.source.document, raw.doc.line_of(full), full, message, kind)


def _pointer(loc: tuple[int | str, ...]) -> str:
    return "".join(f"/{str(p).replace('~', '~0').replace('/', '~1')}" for p in loc)


def _type_label(raw: _Raw) -> str:
    return f"{raw.data.get('apiVersion', '?')} {raw.data.get('kind', '?')}"


def _header_problems(raw: _Raw) -> list[Problem]:
    found = []
    for field in ("apiVersion", "kind"):
        value = raw.data.get(field)
        if value is None or value == "":
            found.append(_problem(raw, "", f"{field} not set"))
        elif not isinstance(value, str):
            found.append(_problem(raw, f"/{field}", f"{field} must be a string, not {value!r}"))
    metadata = raw.data.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        found.append(_problem(raw, "/metadata", "metadata must be an object"))
    return found


def _validation_problems(raw: _Raw, errors: Iterable[Any], kind: str) -> list[Problem]:
    found = []
    for error in errors:
        loc = tuple(p for p in error["loc"] if not _is_union_tag(p))
        message = error["msg"]
        if error["type"] == "missing":
            message = "required field not set"
        elif "input" in error and error["type"].endswith("_type"):
            message += f" (got {_json_type(error['input'])})"
        found.append(_problem(raw, _pointer(loc), message, kind))
    return _dedupe(found)


def _json_type(value: Any) -> str:
    """What a YAML value is as kubectl sees it: ``n`` is a boolean (false), ``1e3`` a number."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {'true' if value else 'false'}"
    if isinstance(value, (int, float)):
        return f"number {value}"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _is_union_tag(part: int | str) -> bool:
    # pydantic names the union member it tried ("int", "str", "function-after[...]").
    return isinstance(part, str) and (part in ("int", "str", "float", "bool") or "[" in part)


def _dedupe(found: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, str]] = set()
    result = []
    for p in found:
        if (p.pointer, p.message) not in seen:
            seen.add((p.pointer, p.message))
            result.append(p)
    return result


def _build(raw: _Raw, reg: KindRegistry, *, strict: bool) -> K8sModel | list[Problem]:
    header = _header_problems(raw)
    if header:
        return header
    api_version, kind = raw.data["apiVersion"], raw.data["kind"]
    label = f"{api_version} {kind}"
    model = reg.model_for(api_version, kind)
    if model is None:
        if strict:
            return [_problem(raw, "/kind", _unknown_kind(reg, api_version, kind), label)]
        model = GenericObject
    lax_errors: list[Any] = []
    obj: K8sModel | None = None
    try:
        obj = model.model_validate(raw.data)
    except pydantic.ValidationError as exc:
        lax_errors = exc.errors(include_url=False)
    if strict:
        found = _validation_problems(raw, _strict_errors(raw, model, lax_errors), label)
        unknown = _unknown_fields(model, raw.data, "")
        found += [_problem(raw, p, "unknown field", label) for p in unknown]
        if found:
            return _dedupe(found)
    elif lax_errors:
        return _validation_problems(raw, lax_errors, label)
    assert obj is not None
    _remember(obj, raw.source)
    return obj


def _strict_errors(raw: _Raw, model: type[K8sModel], lax_errors: list[Any]) -> list[Any]:
    """What the API server's strict JSON decoding refuses, including what loading coerces
    (``replicas: "3"``): the model validated strictly, from JSON as the server reads it.

    A number where a string is declared is fine for a field that takes numbers too
    (``Quantity``: ``cpu: 1``): one the lax validation, which refuses numbers for every other
    string, did not complain about.
    """
    lax_at = {tuple(e["loc"]) for e in lax_errors}
    try:
        model.model_validate_json(json.dumps(raw.data), strict=True)
    except pydantic.ValidationError as exc:
        kept = []
        for error in exc.errors(include_url=False):
            number = isinstance(error.get("input"), (int, float))
            if error["type"] == "string_type" and number and tuple(error["loc"]) not in lax_at:
                continue
            kept.append(error)
        return kept + lax_errors
    return lax_errors


def _unknown_kind(reg: KindRegistry, api_version: str, kind: str) -> str:
    others = sorted(k.api_version for k in reg.kinds() if k.kind == kind)
    if others:
        return f"no kind {kind} in {api_version}; {kind} is in {', '.join(others)}"
    known = {k.api_version for k in reg.kinds()}
    if api_version not in known:
        return f"unknown apiVersion {api_version} (kind {kind}); no registered package has it"
    import difflib

    close = difflib.get_close_matches(
        kind, [k.kind for k in reg.kinds() if k.api_version == api_version], n=1
    )
    hint = f"; did you mean {close[0]}?" if close else ""
    return f"no kind {kind} in {api_version}{hint}"


def _unknown_fields(model: type[K8sModel], data: Any, pointer: str) -> Iterator[str]:
    """JSON pointers of the fields of ``data`` no model declares, at every depth, found by
    walking the model's fields (free-form parts, ``dict[str, Any]``, are not checked)."""
    if not isinstance(data, dict) or model is GenericObject:
        if model is GenericObject and isinstance(data, dict):
            yield from _unknown_fields(ObjectMeta, data.get("metadata"), f"{pointer}/metadata")
        return
    names = model.__dict__.get("__k8s_names__") or model._k8s_names()
    fields = model.model_fields
    for key, value in data.items():
        attr = names.get(key)
        if attr is None:
            yield f"{pointer}/{_escape(key)}"
            continue
        yield from _unknown_in(fields[attr].annotation, value, f"{pointer}/{_escape(key)}")


def _unknown_in(annotation: Any, value: Any, pointer: str) -> Iterator[str]:
    if isinstance(annotation, type) and issubclass(annotation, K8sModel):
        yield from _unknown_fields(annotation, value, pointer)
        return
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        yield from _unknown_in(args[0], value, pointer)
    elif origin in (list, Sequence) and isinstance(value, list) and args:
        for i, item in enumerate(value):
            yield from _unknown_in(args[0], item, f"{pointer}/{i}")
    elif origin in (dict, Mapping) and isinstance(value, dict) and len(args) == 2:
        for key, item in value.items():
            yield from _unknown_in(args[1], item, f"{pointer}/{_escape(str(key))}")
    elif args:  # a union: the model member, if any, for an object value
        models = [a for a in args if isinstance(a, type) and issubclass(a, K8sModel)]
        others = [a for a in args if typing.get_origin(a) is not None]
        for member in models[:1] or others[:1]:
            yield from _unknown_in(member, value, pointer)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _load(
    source: ManifestSource, name: str | None, reg: KindRegistry, *, strict: bool, collect: bool
) -> tuple[list[K8sModel], list[Problem]]:
    objects: list[K8sModel] = []
    found: list[Problem] = []
    try:
        files = list(_texts(source, name))
    except ManifestError as exc:
        if not collect:
            raise
        return objects, exc.problems
    for file, data in files:
        try:
            documents = _documents(file, data)
        except ManifestError as exc:
            if not collect:
                raise
            found.extend(exc.problems)
            continue
        for raw in _raw_objects(file, documents):
            if isinstance(raw, Problem):
                if not collect:
                    raise ManifestError([raw])
                found.append(raw)
                continue
            built = _build(raw, reg, strict=strict)
            if isinstance(built, list):
                if not collect:
                    raise ManifestError(built)
                found.extend(built)
            else:
                objects.append(built)
    return objects, found


def load(
    source: ManifestSource, *, name: str | None = None, registry: KindRegistry | None = None
) -> list[K8sModel]:
    """Every object of a manifest: a path (file or folder; ``"-"`` is stdin), a YAML or JSON
    string, bytes, or an open stream. ``name`` names a string or stream in errors.

    Raises :class:`ManifestError` at the first object that cannot be read.
    """
    objects, _ = _load(source, name, registry or default_registry, strict=False, collect=False)
    return objects


def problems(
    sources: Iterable[ManifestSource], *, registry: KindRegistry | None = None
) -> tuple[int, list[Problem]]:
    """Validate manifests offline against the registry's models: the number of objects that
    passed and every problem (wrong types, required fields not set, unknown fields, unknown
    apiVersion/kind, YAML errors), each naming file, line, document and JSON pointer."""
    reg = registry or default_registry
    passed = 0
    found: list[Problem] = []
    for source in sources:
        objects, more = _load(source, None, reg, strict=True, collect=True)
        passed += len(objects)
        found.extend(more)
    return passed, found


# -- writing ---------------------------------------------------------------------------------


def _wire(obj: K8sModel | dict[str, Any]) -> dict[str, Any]:
    data = obj.to_dict() if isinstance(obj, K8sModel) else dict(obj)
    first: dict[str, Any] = {k: data[k] for k in ("apiVersion", "kind", "metadata") if k in data}
    return {**first, **{k: data[k] for k in sorted(data) if k not in first}}


class _Dumper(yaml.SafeDumper):
    """Quotes every string kubectl would read as something else (``y``, ``on``, ``0o17``)."""

    def represent_str(self, data: str) -> yaml.ScalarNode:
        if not go_resolves_as_string(data):
            return self.represent_scalar("tag:yaml.org,2002:str", data, style="'")
        node: yaml.ScalarNode = super().represent_str(data)
        return node


_Dumper.add_representer(str, _Dumper.represent_str)


def _sorted_deep(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted_deep(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted_deep(v) for v in value]
    return value


def dump_yaml(objects: Iterable[K8sModel | dict[str, Any]]) -> str:
    """Objects as one YAML stream in wire form, as ``kubectl get -o yaml`` prints them: keys
    sorted at every level (``apiVersion``, ``kind``, ``metadata`` first), ``---`` between."""
    docs = []
    for obj in objects:
        wire = _wire(obj)
        head = {k: _sorted_deep(v) for k, v in wire.items()}
        docs.append(
            yaml.dump(
                head,
                Dumper=_Dumper,
                sort_keys=False,
                default_flow_style=False,
                allow_unicode=True,
                width=1 << 30,
            )
        )
    return "---\n".join(docs)


def dump_json(objects: Iterable[K8sModel | dict[str, Any]]) -> str:
    """One object as ``kubectl get -o json`` prints it; several as a ``v1`` ``List``."""
    items = [_wire(obj) for obj in objects]
    if len(items) == 1:
        return json.dumps(items[0], indent=4, ensure_ascii=False) + "\n"
    doc = {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}
    return json.dumps(doc, indent=4, ensure_ascii=False) + "\n"
