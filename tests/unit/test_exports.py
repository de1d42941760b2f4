"""The public surface of ``kubetyped``: complete, lazy, and free of the HTTP stack at import."""

import ast
import importlib
import inspect
import subprocess
import sys
from pathlib import Path

import kubetyped
from kubetyped import errors
from kubetyped._base_errors import KubetypedError


def test_every_exported_name_is_the_object_of_its_home_module() -> None:
    assert kubetyped.__all__ == sorted([*kubetyped._WHERE, *errors.__all__])
    for name, module in kubetyped._WHERE.items():
        home = importlib.import_module(f"kubetyped.{module}")
        assert getattr(kubetyped, name) is getattr(home, name), name
    for name in errors.__all__:
        assert getattr(kubetyped, name) is getattr(errors, name), name
    assert set(kubetyped.__all__) <= set(dir(kubetyped))


def test_errors_all_lists_every_exception_and_nothing_else() -> None:
    # errors.__all__ is the one list of exception names: kubetyped exports it as it is.
    defined = {
        name
        for name, value in vars(errors).items()
        if inspect.isclass(value) and issubclass(value, KubetypedError)
    }
    assert set(errors.__all__) == defined
    assert "error_from_status" not in kubetyped.__all__
    # Tracebacks name every exception where users import it from, not a private module.
    for name in errors.__all__:
        assert getattr(errors, name).__module__ == "kubetyped.errors", name


def test_type_checkers_see_what_runs() -> None:
    """The ``TYPE_CHECKING`` imports of ``kubetyped/__init__`` name the same homes as ``_WHERE``
    and take the exceptions from ``errors`` with ``*``, so no list of them is kept twice."""
    tree = ast.parse(Path(kubetyped.__file__).read_text())
    block = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
    )
    seen: dict[str, str] = {}
    star: list[str] = []
    for node in block.body:
        assert isinstance(node, ast.ImportFrom) and node.module is not None
        for alias in node.names:
            if alias.name == "*":
                star.append(node.module)
            else:
                assert alias.asname == alias.name, "re-export with `import X as X`"
                seen[alias.name] = node.module
    assert star == ["errors"]
    assert seen == kubetyped._WHERE


def test_unknown_names_raise_attribute_error() -> None:
    for name in ("Nope", "decode_error", "_WHERE2"):
        try:
            getattr(kubetyped, name)
        except AttributeError as exc:
            assert name in str(exc)
        else:
            raise AssertionError(f"kubetyped.{name} must not exist")


def test_importing_models_loads_neither_http_nor_clients() -> None:
    code = (
        "import sys, kubetyped, kubetyped.k8s.core.v1\n"
        "print(sorted(m for m in sys.modules if m.startswith(('httpx', 'kubetyped'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    loaded = result.stdout
    assert "httpx" not in loaded
    assert "kubetyped.k8s.core._v1_clients" not in loaded and "kubetyped.resource" not in loaded
    assert "kubetyped.k8s.autoscaling" not in loaded  # only the clients' subresources use it


def test_clients_load_on_first_use() -> None:
    from kubetyped.k8s.apps import v1

    assert v1.Deployments.info.plural == "deployments"
    assert v1.Deployments.__module__ == "kubetyped.k8s.apps._v1_clients"
    assert "AsyncDeployments" in dir(v1) and "AsyncDeployments" in v1.__all__
    try:
        v1.Deployment2  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "Deployment2" in str(exc)
    else:
        raise AssertionError("unknown names must raise AttributeError")
