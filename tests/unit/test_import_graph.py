"""The runtime's modules import one another in one direction only.

A circle hidden by an import inside a function (or under ``TYPE_CHECKING``) works until
someone moves that import; so the graph below counts every import wherever it is written,
and each module must also import on its own, first, in a fresh interpreter.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

RUNTIME = Path(__file__).resolve().parents[2] / "runtime"
PACKAGE = "kubetyped"


def runtime_modules() -> dict[str, Path]:
    """Every module of the runtime by its import name (``kubetyped.testing._server``)."""
    found = {}
    for path in sorted(RUNTIME.rglob("*.py")):
        parts = list(path.relative_to(RUNTIME).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join([PACKAGE, *parts])] = path
    return found


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The runtime modules ``name`` imports anywhere in its source (function bodies and
    ``TYPE_CHECKING`` blocks included); importing a package's own parents does not count."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            target = (base + ("." + node.module if node.module else "")) if node.level else ""
            target = target or (node.module or "")
            candidates = [target, *(f"{target}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        for candidate in candidates:
            parents = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
            if candidate in modules and candidate != name and candidate not in parents:
                found.add(candidate)
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a path ``[a, b, ..., a]``, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for succ in sorted(graph[node]):
            if state.get(succ) == 1:
                return [*path[path.index(succ) :], succ]
            if succ not in state and (cycle := visit(succ)) is not None:
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)) is not None:
            return cycle
    return None


def test_the_import_graph_of_the_runtime_has_no_cycle() -> None:
    modules = runtime_modules()
    graph = {name: imports_of(name, path, modules) for name, path in modules.items()}
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])
    # The arrows the issue named run one way now.
    assert "kubetyped.cluster" in graph["kubetyped.kubeconfig"]
    assert "kubetyped.config" not in graph["kubetyped.kubeconfig"] | graph["kubetyped.incluster"]
    assert graph["kubetyped.paths"] == set()


def test_the_cycle_finder_finds_a_cycle_through_a_function_level_import(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("from .b import B\n")
    (tmp_path / "b.py").write_text("def f():\n    from .c import C\n")
    (tmp_path / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n"
    )
    modules = {f"kubetyped.{p.stem}": p for p in tmp_path.glob("*.py")}
    graph = {name: imports_of(name, path, modules) for name, path in modules.items()}
    assert find_cycle(graph) == ["kubetyped.a", "kubetyped.b", "kubetyped.c", "kubetyped.a"]


def test_each_runtime_module_imports_alone_in_a_fresh_interpreter() -> None:
    """Imported first, a module in a circle finds its partner half-initialised; every module
    is imported first once here, two fresh interpreters at a time."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    pending = sorted(runtime_modules())
    failures: list[str] = []
    running: list[tuple[str, subprocess.Popen[str]]] = []
    while pending or running:
        while pending and len(running) < 2:
            name = pending.pop(0)
            proc = subprocess.Popen(
                [sys.executable, "-c", f"import {name}"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            running.append((name, proc))
        name, proc = running.pop(0)
        output, _ = proc.communicate(timeout=120)
        if proc.returncode != 0:
            failures.append(f"{name}:\n{output.strip().splitlines()[-1]}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name", ["kubetyped.config", "kubetyped.client", "kubetyped.resource"])
def test_modules_of_the_former_circles_import_first(name: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", f"import {name}, kubetyped; kubetyped.ClusterConfig"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
