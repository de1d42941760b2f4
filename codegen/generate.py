"""The pipeline: load -> fixups -> IR -> templates -> formatted files."""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from kubetyped.redact import redact_url

from .crd import CrdSet, add_crd_set, load_crds
from .errors import SpecError
from .format import format_sources
from .ir import ListOf, MapOf, ModelRef, ModuleId, Package, TypeExpr, UnionOf
from .load import load_spec
from .parse import parse_spec
from .render import render_package

__all__ = ["DEFAULT_BASE", "Provenance", "generate_files", "generate_from_spec"]

logger = logging.getLogger("kubetyped.codegen")

DEFAULT_BASE = "kubetyped.k8s"


def _title(source: str) -> str:
    """How generated files name their source: a file's name, or a URL without credentials."""
    if "://" not in source:
        return Path(source).name.removesuffix(".gz")
    parts = urlsplit(redact_url(source))  # never write user:password into code
    return urlunsplit(parts._replace(query="", fragment=""))


@dataclass
class Provenance:
    """Where a generated package came from; written into its ``__init__``."""

    spec: str
    server: str | None = None
    crds: list[str] = field(default_factory=list)
    base: str | None = None
    sha256: str = ""
    generator: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "spec": self.spec,
            "server": self.server,
            "crds": list(self.crds),
            "base": self.base,
            "sha256": self.sha256,
            "generator": self.generator,
        }


def _generator_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"kubetyped {version('kubetyped')}"
    except PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "kubetyped"


def _content_hash(spec: dict[str, Any], crds: CrdSet | None) -> str:
    """sha256 over the spec (as canonical JSON, before CRDs) and the CRD files' bytes."""
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True, separators=(",", ":")).encode())
    for crd_file in crds.files if crds else ():
        digest.update(b"\0" + crd_file.name.encode() + b"\0" + crd_file.data)
    return digest.hexdigest()


_DEFINITION = re.compile(r"/definitions/([^/\s]+)((?:/[^/\s]+)*)")


def _locate(exc: SpecError, crds: CrdSet | None) -> SpecError:
    """An error about a definition a CRD gave: name its file, document and JSON pointer."""
    if not crds or not crds.origins:
        return exc

    def place(pointer: str) -> tuple[str, str] | None:
        match = _DEFINITION.fullmatch(pointer)
        if match is None:
            return None
        name = match[1].replace("~1", "/").replace("~0", "~")
        if name not in crds.origins:
            return None
        where, base = crds.origins[name]
        return where, base + match[2]

    def in_message(match: re.Match[str]) -> str:
        found = place(match[0])
        return f"{found[0]} {found[1]}" if found else match[0]

    found = place(exc.where)
    message = _DEFINITION.sub(in_message, exc.message)
    if found is None:
        return SpecError(exc.source, exc.where, message) if message != exc.message else exc
    return SpecError(found[0], found[1], message)


def _refs(t: TypeExpr | None) -> Iterator[ModelRef]:
    if isinstance(t, ModelRef):
        yield t
    elif isinstance(t, ListOf):
        yield from _refs(t.item)
    elif isinstance(t, MapOf):
        yield from _refs(t.value)
    elif isinstance(t, UnionOf):
        for option in t.options:
            yield from _refs(option)


def _only_crds(package: Package, crds: CrdSet, base: str) -> None:
    """Keep the CRDs' group-versions only; everything else is imported from ``base``."""
    names = set(crds.origins)
    kept = {}
    for module_id, module in package.modules.items():
        tops = {m.source.split("/")[2].replace("~1", "/").replace("~0", "~") for m in module.models}
        if tops & names:
            if tops - names:
                other = sorted(tops - names)[0]
                raise SpecError(
                    package.title,
                    f"/definitions/{sorted(tops & names)[0]}",
                    f"this CRD's group-version {module_id.dotted} is also one of {base} "
                    f"(/definitions/{other}); generate one package with --spec and --crd",
                )
            kept[module_id] = module
    package.modules = kept
    package.base = base
    wanted: dict[ModuleId, set[str]] = {}
    for module in kept.values():
        types: list[TypeExpr | None] = [f.type for m in module.models for f in m.fields]
        types += [
            t for r in module.resources for op in r.operations for t in (op.body, op.response)
        ]
        for t in types:
            for ref in _refs(t):
                if ref.module not in kept:
                    wanted.setdefault(ref.module, set()).add(ref.name)
    for module_id, classes in sorted(wanted.items()):
        dotted = f"{base}.{module_id.dotted}"
        try:
            imported = importlib.import_module(dotted)
        except ImportError as exc:
            raise SpecError(base, "", f"cannot import {dotted} from the base: {exc}") from None
        missing = sorted(c for c in classes if not hasattr(imported, c))
        if missing:
            raise SpecError(
                base,
                "",
                f"{dotted} has no {', '.join(missing)}: the base was generated from another "
                "spec; give the one it was generated from with --spec",
            )


def generate_from_spec(
    spec: dict[str, Any],
    source: str,
    package_name: str,
    *,
    crds: CrdSet | None = None,
    base: str | None = None,
    server: str | None = None,
) -> dict[str, str]:
    """Every file of the generated package, formatted: relative path -> text.

    With ``base``, only the group-versions of ``crds`` are written; every other type they use
    is imported from the ``base`` package (``kubetyped.k8s``), which must have been generated
    from this ``spec``.
    """
    provenance = Provenance(
        spec=_title(source),
        server=server,
        crds=[f.name for f in crds.files] if crds else [],
        base=base,
        sha256=_content_hash(spec, crds),
        generator=_generator_version(),
    )
    if crds:
        # The CRDs are added to a copy: the caller's spec stays as it was (CRDs only add
        # definitions and paths, so copying those two mappings is enough).
        spec = {
            **spec,
            "definitions": dict(spec.get("definitions") or {}),
            "paths": dict(spec.get("paths") or {}),
        }
        add_crd_set(spec, crds)
    try:
        package = parse_spec(spec, source)
        package.title = _title(source)
        if crds and base:
            _only_crds(package, crds, base)
            names = ", ".join(_title(s) for s in crds.sources)
            package.title = f"the CRDs of {names} on {base}"
        for warning in package.warnings:
            logger.warning("%s: %s", package.title, warning)
        for fixup in package.fixups:
            logger.info("fixup applied: %s", fixup)
        files = render_package(package, package_name, provenance.as_dict())
    except SpecError as exc:
        raise _locate(exc, crds) from None
    return format_sources(files)


def generate_files(
    spec_source: str | Path | None,
    package_name: str,
    crds: Sequence[str | Path] = (),
    base: str | None = None,
) -> dict[str, str]:
    """Load a spec (``None``: the embedded default), add CRDs (files, folders, URLs) and
    generate the package; with ``base``, a package of the CRDs alone on top of that one."""
    spec, source = load_spec(spec_source)
    crd_set = load_crds(crds) if crds else None
    return generate_from_spec(spec, source, package_name, crds=crd_set, base=base)
