"""Formatting generated sources with ruff, the same way every run."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["format_sources"]

_SETTINGS = ("--line-length", "100", "--target-version", "py310", "--no-cache", "--isolated")


def _ruff() -> list[str]:
    try:
        from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]  # the wheel's locator

        return [str(find_ruff_bin())]
    except ImportError:
        return [sys.executable, "-m", "ruff"]


def format_sources(files: dict[str, str]) -> dict[str, str]:
    """Return the files formatted by ``ruff format`` (one process for the whole package)."""
    sources = {name: text for name, text in files.items() if name.endswith(".py")}
    with tempfile.TemporaryDirectory(prefix="kubetyped-fmt-") as tmp:
        root = Path(tmp)
        for name, text in sources.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        result = subprocess.run(
            [*_ruff(), "format", *_SETTINGS, "--quiet", str(root)],
            capture_output=True,
            text=True,
            check=False,  # a failure is reported below with ruff's own message
        )
        if result.returncode != 0:
            raise RuntimeError(f"ruff format failed on generated code:\n{result.stderr.strip()}")
        formatted = {name: (root / name).read_text(encoding="utf-8") for name in sources}
    return {**files, **formatted}
