"""IDE-grade types: mypy in strict mode over the generated package and typed usage files."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_REVEALED = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): note: Revealed type is \"(?P<type>.*)\"$")


def link_tree(dest: Path) -> Path:
    """A folder where ``kubetyped`` is laid out as installed, for mypy (which cannot follow
    setuptools' editable import hooks)."""
    pkg = dest / "kubetyped"
    pkg.mkdir(parents=True)
    for entry in (ROOT / "runtime").iterdir():
        if entry.name != "__pycache__":
            (pkg / entry.name).symlink_to(entry)
    (pkg / "codegen").symlink_to(ROOT / "codegen")
    (pkg / "k8s").symlink_to(ROOT / "generated")
    return dest


def run_mypy(root: Path, *targets: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MYPYPATH": str(root)}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--no-incremental",
            "--cache-dir",
            os.devnull,
            *targets,
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def revealed(output: str) -> dict[int, str]:
    return {int(m["line"]): m["type"] for m in map(_REVEALED.match, output.splitlines()) if m}


def expected(source: Path) -> dict[int, str]:
    """``reveal_type(x)  # T`` lines of a usage file: line number -> T."""
    found = {}
    for number, line in enumerate(source.read_text().splitlines(), 1):
        if "reveal_type(" in line and "  # " in line:
            found[number] = line.rpartition("  # ")[2].strip()
    return found


@pytest.fixture(scope="session")
def typing_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return link_tree(tmp_path_factory.mktemp("typing"))


HERE = Path(__file__).parent
USAGE = sorted(HERE.glob("usage_*.py"))


def test_generated_package_is_strict_clean(typing_root: Path) -> None:
    result = run_mypy(
        typing_root, "-p", "kubetyped.k8s", "-p", "kubetyped.model", "-p", "kubetyped.types"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout


def test_hand_written_code_is_strict_clean(typing_root: Path) -> None:
    runtime = sorted(p.stem for p in (ROOT / "runtime").glob("*.py") if p.stem != "__init__")
    targets = ["-p", "kubetyped.codegen", "-p", "kubetyped.testing", "-m", "kubetyped"]
    for name in runtime:
        targets += ["-m", f"kubetyped.{name}"]
    result = run_mypy(typing_root, *targets)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("usage", USAGE, ids=lambda p: p.stem)
def test_revealed_types(typing_root: Path, usage: Path) -> None:
    shutil.copy(usage, typing_root / usage.name)
    result = run_mypy(typing_root, usage.name)
    want = expected(usage)
    assert want, f"{usage.name} has no reveal_type expectations"
    got = revealed(result.stdout)
    assert got == want, result.stdout
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert not errors, errors
