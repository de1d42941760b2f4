"""Loading a spec: the embedded default, a file (gzipped or plain JSON) or a URL."""

from __future__ import annotations

import gzip
import json
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import SpecError

__all__ = ["DEFAULT_SPEC", "load_spec", "parse_spec_bytes"]

DEFAULT_SPEC = "kubernetes-v1.36.openapi-v2.json.gz"


def parse_spec_bytes(data: bytes, source: str) -> dict[str, Any]:
    """Decode spec bytes (gzip detected by its magic number) into a JSON object."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise SpecError(source, "", f"broken gzip data: {exc}") from None
    try:
        doc = json.loads(data)
    except json.JSONDecodeError as exc:
        raise SpecError(
            source, f"line {exc.lineno} column {exc.colno}", f"invalid JSON: {exc.msg}"
        ) from None
    except UnicodeDecodeError as exc:
        raise SpecError(source, f"byte {exc.start}", "not UTF-8 text") from None
    if not isinstance(doc, dict):
        raise SpecError(source, "", f"expected a JSON object, got {type(doc).__name__}")
    return doc


def load_spec(source: str | Path | None = None) -> tuple[dict[str, Any], str]:
    """Return the spec and a name for messages; ``None`` means the embedded v1.36 spec."""
    if source is None:
        data = (resources.files("kubetyped.codegen") / "data" / DEFAULT_SPEC).read_bytes()
        return parse_spec_bytes(data, f"<embedded {DEFAULT_SPEC}>"), DEFAULT_SPEC
    text = str(source)
    if text.startswith(("http://", "https://")):
        import httpx  # only needed for URLs; keeps the generator's import light

        try:
            response = httpx.get(text, follow_redirects=True, timeout=60)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise SpecError(text, "", f"download failed: {exc}") from None
        return parse_spec_bytes(response.content, text), text
    path = Path(text)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SpecError(text, "", f"cannot read: {exc.strerror}") from None
    return parse_spec_bytes(data, text), text
