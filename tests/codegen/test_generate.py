"""The generator end to end: determinism, --check, bad input, every bundled spec."""

from __future__ import annotations

import gzip
import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from kubetyped.codegen.cli import main
from kubetyped.codegen.errors import SpecError
from kubetyped.codegen.fixups import FIXUPS
from kubetyped.codegen.generate import generate_files, generate_from_spec
from kubetyped.codegen.load import DEFAULT_SPEC, load_spec

ROOT = Path(__file__).resolve().parents[2]
# v1.31-v1.35 are kept for tests; v1.36 is the embedded default.
SPECS = sorted(
    [
        *(ROOT / "tests" / "data" / "specs").glob("*.json.gz"),
        ROOT / "codegen" / "data" / DEFAULT_SPEC,
    ],
    key=lambda p: p.name,
)


@pytest.fixture(scope="module")
def default_files() -> dict[str, str]:
    return generate_files(None, "kubetyped.k8s")


def test_all_six_specs_are_here() -> None:
    assert [p.name.split(".openapi")[0] for p in SPECS] == [
        f"kubernetes-v1.{n}" for n in range(31, 37)
    ]


def test_generated_folder_is_up_to_date() -> None:
    # The CI gate: generated/ must be exactly what the generator writes today.
    assert (
        main(
            ["generate", "--check", "--out", str(ROOT / "generated"), "--package", "kubetyped.k8s"]
        )
        == 0
    )


def test_output_is_deterministic(default_files: dict[str, str]) -> None:
    again = generate_files(None, "kubetyped.k8s")
    assert again == default_files
    assert {"__init__.py", "py.typed", "core/v1.py", "apps/v1.py", "meta/v1.py"} <= set(again)


def test_check_names_the_files_that_differ(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pkg"
    assert main(["generate", "--out", str(out)]) == 0
    assert main(["generate", "--check", "--out", str(out)]) == 0
    (out / "apps" / "v1.py").write_text("# edited by hand\n")
    (out / "stray.py").write_text("")
    (out / "core" / "v1.py").unlink()
    capsys.readouterr()
    assert main(["generate", "--check", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "apps/v1.py" in err and "stray.py" in err and "core/v1.py" in err
    assert "batch/v1.py" not in err


def test_plain_and_gzipped_specs_give_the_same_package(tmp_path: Path) -> None:
    spec = SPECS[0]
    plain = tmp_path / spec.name.removesuffix(".gz")
    plain.write_bytes(gzip.decompress(spec.read_bytes()))
    assert generate_files(plain, "p") == generate_files(spec, "p")


def _write_spec(tmp_path: Path, spec: dict[str, Any] | str) -> Path:
    path = tmp_path / "bad.json"
    path.write_text(spec if isinstance(spec, str) else json.dumps(spec))
    return path


def _minimal(**props: Any) -> dict[str, Any]:
    return {
        "swagger": "2.0",
        "definitions": {
            "io.example.v1.Widget": {
                "type": "object",
                "properties": props,
                "x-kubernetes-group-version-kind": [
                    {"group": "example.io", "version": "v1", "kind": "Widget"}
                ],
            }
        },
        "paths": {},
    }


@pytest.mark.parametrize(
    ("spec", "where", "message"),
    [
        ('{"definitions": {', "line 1 column 18", "invalid JSON"),
        (
            _minimal(part={"$ref": "#/definitions/io.example.v1.Missing"}),
            "/definitions/io.example.v1.Widget/properties/part/$ref",
            "dangling $ref",
        ),
        (
            _minimal(size={"type": "decimal"}),
            "/definitions/io.example.v1.Widget/properties/size/type",
            "unknown type 'decimal'",
        ),
        (
            _minimal(tags={"type": "array", "items": {"type": "tuple"}}),
            "/definitions/io.example.v1.Widget/properties/tags/items/type",
            "unknown type 'tuple'",
        ),
        ({"swagger": "2.0"}, "/definitions", "not an OpenAPI v2 document"),
    ],
)
def test_bad_input_names_the_json_pointer_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], spec: Any, where: str, message: str
) -> None:
    path = _write_spec(tmp_path, spec)
    with pytest.raises(SpecError) as info:
        generate_files(path, "p")
    assert where in str(info.value) and message in str(info.value)
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("old")
    assert main(["generate", "--spec", str(path), "--out", str(out)]) == 2
    assert where in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["keep.txt"]  # nothing half-written
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_failed_formatting_leaves_out_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    assert main(["generate", "--out", str(out)]) == 0
    before = sorted(p.relative_to(out) for p in out.rglob("*"))

    def broken(files: dict[str, str]) -> dict[str, str]:
        raise RuntimeError("formatter crashed")

    monkeypatch.setattr("kubetyped.codegen.generate.format_sources", broken)
    with pytest.raises(RuntimeError):
        main(["generate", "--out", str(out)])
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before


@pytest.mark.parametrize("spec_path", SPECS, ids=lambda p: p.name.split(".openapi")[0])
def test_every_bundled_spec_generates_and_imports(tmp_path: Path, spec_path: Path) -> None:
    name = "k8s_" + spec_path.name.split(".openapi")[0].replace("kubernetes-", "").replace(".", "_")
    out = tmp_path / name
    assert main(["generate", "--spec", str(spec_path), "--out", str(out)]) == 0
    # A fresh interpreter, so the six packages never share pydantic state.
    code = (
        "import importlib, pkgutil, sys\n"
        f"sys.path.insert(0, {str(tmp_path)!r})\n"
        f"pkg = importlib.import_module({name!r})\n"
        "mods = [m.name for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.')]\n"
        "for m in mods:\n"
        "    mod = importlib.import_module(m)\n"
        "    for cls in vars(mod).values():\n"
        "        if isinstance(cls, type) and hasattr(cls, 'model_rebuild') and cls.__module__ == m:\n"
        "            cls.model_rebuild(force=True)\n"
        "print(len(mods))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) >= 50


@pytest.mark.parametrize("spec_path", SPECS, ids=lambda p: p.name.split(".openapi")[0])
def test_every_fixup_still_applies(spec_path: Path) -> None:
    spec, _ = load_spec(spec_path)
    stale = [fixup.name for fixup in FIXUPS if not fixup.apply(spec)]
    assert not stale, f"fixups that no longer apply to {spec_path.name}: {stale}"


def test_default_package_layout(default_files: dict[str, str]) -> None:
    modules = {name for name in default_files if name.endswith(".py") and "/" in name}
    for expected in (
        "core/v1.py",
        "apps/v1.py",
        "meta/v1.py",
        "rbac_authorization/v1.py",
        "networking/v1.py",
        "apiextensions/v1.py",
        "flowcontrol_apiserver/v1.py",
        "autoscaling/v2.py",
    ):
        assert expected in modules
    assert not any(name.startswith(("io/", "k8s_io")) for name in modules)


def test_generated_modules_import_and_build() -> None:
    import kubetyped.k8s as pkg

    names = [m.name for m in pkgutil.walk_packages(pkg.__path__, "kubetyped.k8s.")]
    assert len(names) > 50
    for name in names:
        module = importlib.import_module(name)
        for cls in vars(module).values():
            if (
                isinstance(cls, type)
                and getattr(cls, "__module__", "") == name
                and hasattr(cls, "model_rebuild")
            ):
                # True once built; False (not an exception) when a name is left unresolved.
                assert cls.model_rebuild(force=True, raise_errors=False) is True, cls
                assert cls.__pydantic_complete__, cls


def test_generation_is_independent_of_the_spec_object(default_files: dict[str, str]) -> None:
    spec, source = load_spec(None)
    assert generate_from_spec(spec, source, "kubetyped.k8s") == default_files


def test_refuses_to_replace_a_folder_it_did_not_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = tmp_path / "project"
    mine.mkdir()
    (mine / "app.py").write_text("print('mine')\n")
    assert main(["generate", "--out", str(mine)]) == 2
    assert "not a package generated by kubetyped" in capsys.readouterr().err
    assert [p.name for p in mine.iterdir()] == ["app.py"]
    monkeypatch.chdir(mine)
    assert main(["generate", "--out", "."]) == 2
    assert "current folder" in capsys.readouterr().err
    assert (mine / "app.py").read_text() == "print('mine')\n"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["generate", "--out", str(empty)]) == 0
    assert main(["generate", "--out", str(empty)]) == 0  # an earlier output is replaced


def test_header_never_carries_credentials() -> None:
    from kubetyped.codegen.generate import _title

    assert _title("https://user:secret@k8s.example:6443/openapi/v2?token=abc") == (
        "https://k8s.example:6443/openapi/v2"
    )
    assert (
        _title("/specs/kubernetes-v1.31.openapi-v2.json.gz") == "kubernetes-v1.31.openapi-v2.json"
    )


def test_a_body_without_a_schema_still_imports(tmp_path: Path) -> None:
    spec, _ = load_spec(None)
    post = spec["paths"]["/apis/authentication.k8s.io/v1/tokenreviews"]["post"]
    post["parameters"] = [p for p in post.get("parameters", []) if p.get("in") != "body"]
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    out = tmp_path / "nobody"
    assert main(["generate", "--spec", str(path), "--out", str(out)]) == 0
    code = (
        f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n"
        "from nobody.authentication.v1 import TokenReviews\n"
        "import inspect\n"
        "print(inspect.signature(TokenReviews.create, eval_str=True).parameters['body'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "body: Any"


def test_without_the_codegen_extra_the_command_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "jinja2", None)  # as if Jinja2 were not installed
    for name in ("kubetyped.codegen.generate", "kubetyped.codegen.render"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    assert main(["generate", "--out", str(tmp_path / "out")]) == 2
    assert "pip install 'kubetyped[codegen]'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
