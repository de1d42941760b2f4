"""The bindings in the editors people use: pyright (strict) and mypy --strict, with and
without the pydantic plugin, over usage files that must pass and files that must fail.

Usage files, checked with each checker as a user's project would see the installed package:

* ``pass_*.py`` (here) and the README's Python examples, verbatim: no diagnostics at all;
* a generated file building every top-level kind of the package from its required fields
  alone (written from the generator's IR, and also run, so the runtime agrees);
* ``fail_*.py``: every line that must fail says how, per checker::

      ObjectMeta(nmae="x")  # expect pyright: No parameter named "nmae" | mypy: Unexpected keyword

  (``mypy`` applies to both mypy runs; ``mypy-plain`` or ``mypy-plugin`` to one; not
  ``# pyright:``, which pyright reads as a setting). Each such line must get an error
  containing the text, and no other line may get one.

All of it runs twice: over ``kubetyped.k8s`` as committed, and with a CRD package of the
cert-manager CRDs on top of it (``--crd`` alone: package ``crds``, importing ``kubetyped.k8s``
for every Kubernetes type), which also gets ``crd_*.py``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kubetyped.codegen.cli import main as generate_main
from kubetyped.codegen.crd import add_crds
from kubetyped.codegen.ir import (
    AnyType,
    ListOf,
    LiteralOf,
    MapOf,
    ModelDef,
    ModelRef,
    ModuleId,
    Package,
    Primitive,
    Special,
    TypeExpr,
    UnionOf,
)
from kubetyped.codegen.load import load_spec
from kubetyped.codegen.naming import module_alias
from kubetyped.codegen.parse import parse_spec

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent
CRDS = sorted((ROOT / "tests" / "data" / "crds").glob("*.yaml")) + sorted(
    (HERE / "crds").glob("*.yaml")
)
CHECKERS = ("pyright", "mypy-plain", "mypy-plugin")
# pyright resolves third-party imports (pydantic, httpx) through this interpreter, not
# whichever python is first on PATH.
PYRIGHT = (sys.executable, "-m", "pyright", "--outputjson", "--pythonpath", sys.executable)
PACKAGE = "kubetyped.k8s"
CRD_PACKAGE = "crds"

# -- the usage file of every kind -----------------------------------------------------------

_SPECIAL_VALUES = {
    "IntOrString": "1",
    "Quantity": '"1"',
    "Time": "NOW",
    "MicroTime": "NOW",
    "DateTime": "NOW",
    "Base64Bytes": 'b"x"',
    "RawExtension": "{}",
    "FieldsV1": "{}",
    "Patch": "{}",
    "JSON": "{}",
}


class _KindsWriter:
    """Python source building each top-level kind from its required fields, recursively."""

    def __init__(self, package: Package, crd_modules: frozenset[ModuleId] = frozenset()) -> None:
        self.models: dict[ModelRef, ModelDef] = {
            m.id: m for module in package.modules.values() for m in module.models
        }
        self.modules: set[ModuleId] = set()
        self.crd_modules = crd_modules  # imported from the CRD package, not kubetyped.k8s

    def ref(self, ref: ModelRef) -> str:
        self.modules.add(ref.module)
        return f"{module_alias(ref.module.segment, ref.module.version)}.{ref.name}"

    def value(self, t: TypeExpr, depth: int) -> str:
        if isinstance(t, Primitive):
            return {"str": '"x"', "int": "1", "float": "1.0", "bool": "True"}[t.name]
        if isinstance(t, Special):
            return _SPECIAL_VALUES[t.name]
        if isinstance(t, LiteralOf):
            return f'"{t.values[0]}"'
        if isinstance(t, AnyType | MapOf):
            return "{}"
        if isinstance(t, ListOf):
            return "[]"
        if isinstance(t, UnionOf):
            return self.value(t.options[0], depth)
        if isinstance(t, ModelRef):
            return self.build(self.models[t], depth + 1)
        raise TypeError(t)

    def build(self, model: ModelDef, depth: int = 0) -> str:
        if depth > 20:
            raise ValueError(f"required fields of {model.name} nest too deep")
        args = [
            f"{f.name}={self.value(f.type, depth)}"
            for f in model.fields
            if f.required and f.literal is None
        ]
        return f"{self.ref(model.id)}({', '.join(args)})"

    def source(self) -> str:
        kinds = sorted(
            (m for m in self.models.values() if m.gvk and any(f.literal for f in m.fields)),
            key=lambda m: (m.id.module, m.name),
        )
        # One call per kind: checkers infer a long list literal loosely (pyright stops
        # checking the items of one past 64 entries), a call's argument never.
        lines = [f"built({self.build(m)})" for m in kinds]
        imports = [
            f"from {CRD_PACKAGE if m in self.crd_modules else PACKAGE}.{m.segment} "
            f"import {m.version} as {module_alias(m.segment, m.version)}"
            for m in sorted(self.modules)
        ]
        return "\n".join(
            [
                '"""Every top-level kind built from its required fields alone (generated by',
                'tests/typecheck/test_checkers.py)."""',
                "",
                "from datetime import datetime, timezone",
                "",
                "from kubetyped.model import K8sModel",
                *imports,
                "",
                "NOW = datetime.now(timezone.utc)",
                "KINDS: list[K8sModel] = []",
                "",
                "",
                "def built(obj: K8sModel) -> None:",
                "    KINDS.append(obj)",
                "",
                "",
                *lines,
                f"assert len(KINDS) == {len(kinds)}",
                "",
            ]
        )


def kinds_usage(crds: list[Path]) -> str:
    spec, source = load_spec(None)
    before = set(spec["definitions"])
    add_crds(spec, crds)
    package = parse_spec(spec, source)
    crd_modules = frozenset(
        module_id
        for module_id, module in package.modules.items()
        if any(m.source.split("/")[2] not in before for m in module.models)
    )
    return _KindsWriter(package, crd_modules).source()


# -- the README's examples ------------------------------------------------------------------


def readme_usage() -> str:
    """The README's Python blocks, verbatim, in order, as one module."""
    blocks = re.findall(r"^```python\n(.*?)^```", (ROOT / "README.md").read_text(), re.S | re.M)
    assert len(blocks) >= 2, "the README's Python examples are gone"
    return '"""The README\'s Python examples, verbatim."""\n\n' + "\n".join(blocks)


# -- a user's project ----------------------------------------------------------------------


@dataclass
class Project:
    """A folder laid out like a user's project with kubetyped installed, and its files."""

    root: Path
    passing: list[str]
    failing: list[str]


def _link_runtime(dest: Path, package: Path, crd_package: Path | None) -> None:
    pkg = dest / "kubetyped"
    pkg.mkdir(parents=True)
    for entry in (ROOT / "runtime").iterdir():
        if entry.name != "__pycache__":
            (pkg / entry.name).symlink_to(entry)
    (pkg / "k8s").symlink_to(package)
    if crd_package is not None:
        (dest / CRD_PACKAGE).symlink_to(crd_package)


def _project(
    root: Path, package: Path, crds: list[Path], crd_package: Path | None = None
) -> Project:
    _link_runtime(root / "site", package, crd_package)
    passing = ["usage_readme.py", "usage_kinds.py"]
    (root / "usage_readme.py").write_text(readme_usage())
    (root / "usage_kinds.py").write_text(kinds_usage(crds))
    pattern = ["pass_*.py", "crd_*.py"] if crds else ["pass_*.py"]
    for glob in pattern:
        for source in sorted(HERE.glob(glob)):
            (root / source.name).write_text(source.read_text())
            passing.append(source.name)
    failing = []
    for source in sorted(HERE.glob("fail_*.py")):
        (root / source.name).write_text(source.read_text())
        failing.append(source.name)
    (root / "pyrightconfig.json").write_text(
        json.dumps(
            {
                "typeCheckingMode": "strict",
                "pythonVersion": "3.10",
                "extraPaths": ["site"],
                "include": passing + failing,
            }
        )
    )
    common = "[mypy]\nstrict = True\npython_version = 3.10\nfollow_imports = silent\n"
    (root / "mypy-plain.ini").write_text(common)
    (root / "mypy-plugin.ini").write_text(common + "plugins = pydantic.mypy\n")
    return Project(root, passing, failing)


@pytest.fixture(scope="session")
def default_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return _project(tmp_path_factory.mktemp("default"), ROOT / "generated", [])


@pytest.fixture(scope="session")
def crd_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    out = tmp_path_factory.mktemp("crdpkg") / CRD_PACKAGE
    args = ["generate", "--out", str(out), "--package", CRD_PACKAGE]
    for crd in CRDS:
        args += ["--crd", str(crd)]
    assert generate_main(args) == 0
    return _project(tmp_path_factory.mktemp("crd"), ROOT / "generated", CRDS, out)


# -- running the checkers ------------------------------------------------------------------


@dataclass(frozen=True)
class Diagnostic:
    file: str
    line: int
    message: str


def run_checker(checker: str, project: Project) -> list[Diagnostic]:
    """Every error (pyright: and warning) the checker reports in the project's files."""
    env = {**os.environ, "PYRIGHT_PYTHON_IGNORE_WARNINGS": "1"}
    if checker == "pyright":
        result = subprocess.run(
            [*PYRIGHT, "-p", "pyrightconfig.json"],
            cwd=project.root,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        try:
            report = json.loads(result.stdout)
        except json.JSONDecodeError:
            raise AssertionError(result.stdout + result.stderr) from None
        return [
            Diagnostic(
                Path(d["file"]).name,
                d["range"]["start"]["line"] + 1,
                d["message"].replace("\n", " "),
            )
            for d in report["generalDiagnostics"]
            if d["severity"] in ("error", "warning")
        ]
    env["MYPYPATH"] = str(project.root / "site")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            f"{checker}.ini",
            "--no-incremental",
            "--cache-dir",
            os.devnull,
            *project.passing,
            *project.failing,
        ],
        cwd=project.root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    found = []
    for line in result.stdout.splitlines():
        m = re.match(r"^(?P<file>[^:]+):(?P<line>\d+): error: (?P<message>.*)$", line)
        if m:
            found.append(Diagnostic(m["file"], int(m["line"]), m["message"]))
    if result.returncode not in (0, 1) or (result.returncode == 1 and not found):
        raise AssertionError(result.stdout + result.stderr)
    return found


def expectations(source: str, checker: str) -> dict[int, str]:
    """Line -> the text the checker's error on that line must contain."""
    found: dict[int, str] = {}
    for number, line in enumerate(source.splitlines(), 1):
        m = re.search(r"  # expect ((?:pyright|mypy|mypy-plain|mypy-plugin): .*)$", line)
        if not m:
            continue
        for part in m[1].split(" | "):
            name, _, text = part.partition(": ")
            if name == checker or (name == "mypy" and checker.startswith("mypy")):
                found[number] = text.strip()
    return found


def _by_line(diagnostics: list[Diagnostic], file: str) -> Iterator[tuple[int, str]]:
    for d in diagnostics:
        if d.file == file:
            yield d.line, d.message


def check(checker: str, project: Project) -> None:
    diagnostics = run_checker(checker, project)
    unexpected = [d for d in diagnostics if d.file not in project.failing]
    assert not unexpected, "\n".join(f"{d.file}:{d.line}: {d.message}" for d in unexpected)
    for file in project.failing:
        want = expectations((project.root / file).read_text(), checker)
        assert want, f"{file} expects nothing of {checker}"
        got: dict[int, list[str]] = {}
        for line, message in _by_line(diagnostics, file):
            got.setdefault(line, []).append(message)
        missing = {
            line: text
            for line, text in want.items()
            if not any(text in message for message in got.get(line, []))
        }
        extra = {line: messages for line, messages in got.items() if line not in want}
        assert not missing and not extra, (
            f"{checker} on {file}: expected but not reported {missing}; "
            f"reported but not expected {extra}; all reported {got}"
        )


@pytest.mark.parametrize("checker", CHECKERS)
def test_usage_files(checker: str, default_project: Project) -> None:
    check(checker, default_project)


@pytest.mark.parametrize("checker", CHECKERS)
def test_usage_files_with_crds(checker: str, crd_project: Project) -> None:
    check(checker, crd_project)


@pytest.mark.parametrize("fixture", ["default_project", "crd_project"])
def test_every_kind_builds_from_its_required_fields(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    """The generated usage file runs: the runtime accepts what the checkers accept."""
    project: Project = request.getfixturevalue(fixture)
    result = subprocess.run(
        [sys.executable, "usage_kinds.py"],
        cwd=project.root,
        env={**os.environ, "PYTHONPATH": str(project.root / "site")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def pyright_strict(root: Path, config_name: str, include: str) -> tuple[list[str], Any]:
    """pyright (strict) over ``include`` below ``root``: its errors and warnings, and the
    whole JSON report."""
    config = root / config_name
    config.write_text(
        json.dumps(
            {
                "typeCheckingMode": "strict",
                "pythonVersion": "3.10",
                "extraPaths": ["site"],
                "include": [include],
            }
        )
    )
    result = subprocess.run(
        [*PYRIGHT, "-p", config.name],
        cwd=root,
        env={**os.environ, "PYRIGHT_PYTHON_IGNORE_WARNINGS": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(result.stdout)
    problems = [
        f"{d['file']}:{d['range']['start']['line'] + 1}: {d['message']}"
        for d in report["generalDiagnostics"]
        if d["severity"] in ("error", "warning")
    ]
    return problems, report


def test_generated_package_is_pyright_strict_clean(default_project: Project) -> None:
    """pyright in strict mode over all of ``kubetyped.k8s`` (mypy --strict: test_types.py)."""
    problems, report = pyright_strict(
        default_project.root, "pyright-package.json", "site/kubetyped/k8s"
    )
    assert not problems, "\n".join(problems[:50])
    assert report["summary"]["filesAnalyzed"] >= 90


def test_crd_package_is_strict_clean(crd_project: Project) -> None:
    """pyright (strict) and mypy --strict over the CRD package itself (``crds``, on top of
    ``kubetyped.k8s``): its imports of the base, its nested classes and its clients."""
    problems, report = pyright_strict(crd_project.root, "pyright-crds.json", f"site/{CRD_PACKAGE}")
    assert not problems, "\n".join(problems[:50])
    assert report["summary"]["filesAnalyzed"] >= 4
    mypy = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--config-file",
            "mypy-plain.ini",
            "-p",
            CRD_PACKAGE,
        ],
        cwd=crd_project.root,
        env={**os.environ, "MYPYPATH": str(crd_project.root / "site")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert mypy.returncode == 0, mypy.stdout[-5000:]
