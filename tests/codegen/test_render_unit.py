"""codegen/render.py and the templates, on a small hand-written spec: the rendered package
imports exactly what it uses, and every method sends every parameter of its signature.

The signature and the request call of a method are rendered from one parameter list; the
checks below fail when they disagree (a parameter in a signature that the request never
sends), both on the text (``unsent_parameters``) and on the requests the methods build.
"""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from codegen_tiny_spec import tiny_spec
from kubetyped.codegen.generate import generate_from_spec
from kubetyped.codegen.ir import (
    NONE,
    ListOf,
    LiteralOf,
    MethodDef,
    ModuleId,
    Primitive,
    TypeExpr,
    UnionOf,
)
from kubetyped.codegen.parse import parse_spec
from kubetyped.codegen.render import RENDERED_MODES, render_package

ROOT = Path(__file__).resolve().parents[2]
WIDGETS = ModuleId("widgets_example_io", "v1")
PACKAGE = "tinypkg"


def unsent_parameters(source: str) -> list[tuple[str, str, str]]:
    """(class, method, parameter) for each parameter of a client method that its body never
    uses: in the signature, but not in the request. ``@overload`` stubs are left out."""
    found: list[tuple[str, str, str]] = []
    for cls in ast.parse(source).body:
        if not isinstance(cls, ast.ClassDef):
            continue
        for fn in cls.body:
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if any(isinstance(d, ast.Name) and d.id == "overload" for d in fn.decorator_list):
                continue
            args = fn.args
            params = [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]
            body = fn.body[1:] if ast.get_docstring(fn) is not None else fn.body
            used = {
                n.id
                for stmt in body
                for n in ast.walk(stmt)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
            }
            found += [(cls.name, fn.name, p) for p in params if p != "self" and p not in used]
    return found


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    return generate_from_spec(tiny_spec(), "tiny.json", PACKAGE)


@pytest.fixture(scope="module")
def package(files: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("render")
    for name, text in files.items():
        path = root / PACKAGE / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_every_parameter_is_sent(files: dict[str, str]) -> None:
    clients = files["widgets_example_io/_v1_clients.py"]
    assert "def list_all(" in clients and "async def patch(" in clients
    assert unsent_parameters(clients) == []


def test_the_check_fails_when_a_signature_and_its_request_disagree(
    files: dict[str, str],
) -> None:
    clients = files["widgets_example_io/_v1_clients.py"]
    broken = clients.replace('"labelSelector": label_selector,', "", 1)
    assert broken != clients
    assert unsent_parameters(broken) == [("Widgets", "list", "label_selector")]
    broken = re.sub(r"\s*resume=resume,?", "", clients, count=1)
    assert unsent_parameters(broken) == [("Widgets", "watch", "resume")]


def test_every_shipped_client_sends_every_parameter() -> None:
    modules = sorted((ROOT / "generated").glob("*/_*_clients.py"))
    assert len(modules) > 20
    for module in modules:
        assert unsent_parameters(module.read_text()) == [], module


def test_the_package_imports_exactly_what_it_uses(package: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--select", "F,E9", str(package)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_module_docstrings_name_the_api_group(files: dict[str, str]) -> None:
    for name in ("widgets_example_io/v1.py", "widgets_example_io/_v1_clients.py"):
        first = ast.get_docstring(ast.parse(files[name])) or ""
        assert "widgets.example.io/v1" in first, first


def test_only_classes_in_a_cycle_are_forward_references(files: dict[str, str]) -> None:
    models = files["widgets_example_io/v1.py"]
    assert 'next: "Part | None" = None' in models
    assert "spec: Annotated[WidgetSpec, NullOnWire]" in models  # defined above: not quoted
    assert models.index("class WidgetSpec(") < models.index("class Widget(")


def test_resource_info_without_subresources(files: dict[str, str]) -> None:
    clients = files["widgets_example_io/_v1_clients.py"]
    assert "subresources=frozenset()," in clients
    assert 'verbs=frozenset({"get", "list"})' in clients


def test_connect_methods_are_in_the_ir_but_not_rendered(files: dict[str, str]) -> None:
    package = parse_spec(tiny_spec(), "tiny.json")
    widgets = next(r for r in package.modules[WIDGETS].resources if r.plural == "widgets")
    assert {m.name for m in widgets.methods if m.mode == "connect"} == {"exec", "proxy"}
    assert "connect" not in RENDERED_MODES
    clients = files["widgets_example_io/_v1_clients.py"]
    assert "def exec(" not in clients and "def proxy(" not in clients


def test_rendering_is_deterministic_and_leaves_the_package_alone() -> None:
    package = parse_spec(tiny_spec(), "tiny.json")
    first = render_package(package, PACKAGE)
    assert render_package(package, PACKAGE) == first


def _value(t: TypeExpr, name: str) -> Any:
    if isinstance(t, UnionOf):
        return _value(next(o for o in t.options if o != NONE), name)
    if isinstance(t, LiteralOf):
        return t.values[-1]
    if isinstance(t, ListOf):
        return [_value(t.item, name), _value(t.item, name)]
    if t == Primitive("bool"):
        return True
    if t == Primitive("int"):
        return 7
    return f"v-{name}"


def _encoded(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return ["true" if v is True else str(v) for v in values]


def _arguments(method: MethodDef, widget: Any) -> tuple[list[Any], dict[str, Any]]:
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for p in method.params:
        value: Any
        if p.name == "all_namespaces" or (p.location == "body" and not p.required):
            continue  # all_namespaces and namespace exclude each other; optional bodies
        if p.location == "body":
            patch = method.verb == "patch" and method.request.call == "_request"
            value = {"spec": {"size": 1}} if patch else widget
        elif p.location == "header":
            value = "merge"
        else:
            value = _value(p.type, p.name)
        if p.positional:
            args.append(value)
        else:
            kwargs[p.name] = value
    return args, kwargs


def test_every_method_sends_what_its_signature_takes(package: Path) -> None:
    sys.path.insert(0, str(package))
    try:
        module = importlib.import_module(f"{PACKAGE}.widgets_example_io.v1")
        meta = importlib.import_module(f"{PACKAGE}.meta.v1")
    finally:
        sys.path.remove(str(package))

    class Capture(module.Widgets):  # type: ignore[name-defined, misc]
        def _send(self, req: Any) -> Any:
            return req

        def _list_all(self, req: Any) -> Any:
            return req

        def _text_lines(self, req: Any) -> Any:
            return req

        def _watch(self, req: Any, *, resume: bool = True) -> Any:
            return req, resume

    client = Capture(SimpleNamespace(namespace="default"))
    widget = module.Widget(metadata=meta.ObjectMeta(name="w1", namespace="ns1"), spec={})
    ir = parse_spec(tiny_spec(), "tiny.json").modules[WIDGETS]
    resource = next(r for r in ir.resources if r.plural == "widgets")
    checked = 0
    for method in resource.methods:
        if method.mode not in RENDERED_MODES:
            continue
        args, kwargs = _arguments(method, widget)
        req = getattr(client, method.name)(*args, **kwargs)
        if method.mode == "watch":
            req, resume = req
            assert resume is kwargs["resume"], method.name
        sent = dict(req.params) | {k: [v for kk, v in req.params if kk == k] for k, _ in req.params}
        for p in method.params:
            if p.location == "query" and p.passed == "query":
                assert sent.get(p.wire_name) == _encoded(kwargs[p.name]), (method.name, p.name)
            if p.name == "field_manager":
                assert sent.get("fieldManager") == [kwargs[p.name]], method.name
            if p.name == "name":
                assert "/v-name" in req.path, (method.name, req.path)
            if p.name == "namespace":
                assert "/namespaces/v-namespace/" in req.path, (method.name, req.path)
            if p.location == "body" and p.required:
                assert req.body, method.name
            if p.location == "header":
                assert req.content_type == "application/merge-patch+json", method.name
        if method.request.subresource:
            assert req.path.endswith("/" + method.request.subresource), (method.name, req.path)
        assert req.method == method.request.method, method.name
        checked += 1
    assert checked == 17
