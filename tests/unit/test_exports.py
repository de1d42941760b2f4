"""The public surface of ``kubetyped``: complete, lazy, and free of the HTTP stack at import."""

import subprocess
import sys

import kubetyped


def test_every_exported_name_resolves() -> None:
    assert kubetyped.__all__ == sorted(kubetyped._WHERE)
    for name in kubetyped.__all__:
        assert getattr(kubetyped, name) is not None


def test_importing_models_does_not_load_httpx() -> None:
    code = "import sys, kubetyped, kubetyped.k8s.core.v1; print('httpx' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
