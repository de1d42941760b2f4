"""Writing a generated package to disk, or checking that a folder holds exactly it."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["diff_tree", "write_tree"]

_IGNORED = {"__pycache__"}


def _existing(root: Path) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    if not root.is_dir():
        return found
    for path in sorted(root.rglob("*")):
        if path.is_file() and not _IGNORED.intersection(path.relative_to(root).parts):
            found[path.relative_to(root).as_posix()] = path.read_bytes()
    return found


def diff_tree(out: Path, files: dict[str, str]) -> list[str]:
    """The paths that differ between ``out`` and ``files``: changed, missing or extra."""
    have = _existing(out)
    want = {name: text.encode("utf-8") for name, text in files.items()}
    return sorted(name for name in have.keys() | want.keys() if have.get(name) != want.get(name))


def write_tree(out: Path, files: dict[str, str]) -> None:
    """Replace ``out`` with exactly ``files``; a failure leaves the old contents in place.

    Everything is written into a sibling temporary folder first and swapped in by renames,
    so nothing half-written is ever left in ``out``.
    """
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; a package folder is not
    try:
        for name, text in sorted(files.items()):
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        if out.exists():
            out.rename(old)
        staging.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
