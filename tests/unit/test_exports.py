"""The public surface of ``kubetyped``: complete, lazy, and free of the HTTP stack at import."""

import subprocess
import sys

import kubetyped


def test_every_exported_name_resolves() -> None:
    assert kubetyped.__all__ == sorted(kubetyped._WHERE)
    for name in kubetyped.__all__:
        assert getattr(kubetyped, name) is not None


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
