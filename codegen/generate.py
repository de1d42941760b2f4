"""The pipeline: load -> fixups -> IR -> templates -> formatted files."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .crd import add_crds
from .format import format_sources
from .load import load_spec
from .parse import parse_spec
from .render import render_package

__all__ = ["generate_files", "generate_from_spec"]

logger = logging.getLogger("kubetyped.codegen")


def _title(source: str) -> str:
    """How generated files name their source: a file's name, or a URL without credentials."""
    if "://" not in source:
        return Path(source).name.removesuffix(".gz")
    parts = urlsplit(source)
    netloc = parts.netloc.rpartition("@")[2]  # never write user:password into code
    return urlunsplit(parts._replace(netloc=netloc, query="", fragment=""))


def generate_from_spec(spec: dict[str, Any], source: str, package_name: str) -> dict[str, str]:
    """Every file of the generated package, formatted: relative path -> text."""
    package = parse_spec(spec, source)
    package.title = _title(source)
    for warning in package.warnings:
        logger.warning("%s: %s", package.title, warning)
    for fixup in package.fixups:
        logger.info("fixup applied: %s", fixup)
    return format_sources(render_package(package, package_name))


def generate_files(
    spec_source: str | Path | None, package_name: str, crds: Sequence[str | Path] = ()
) -> dict[str, str]:
    """Load a spec (``None``: the embedded default), add CRD files, generate the package."""
    spec, source = load_spec(spec_source)
    if crds:
        add_crds(spec, crds)
    return generate_from_spec(spec, source, package_name)
