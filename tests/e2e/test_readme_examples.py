"""The README's Python examples, run as written against the real server.

Every ```python block of README.md, in order, as one script (as ``tests/typecheck`` checks
them), in a fresh interpreter whose ``KUBECONFIG`` names the session server, from a folder
whose ``deploy/`` holds the README's first YAML manifest and a ``Widget`` CRD with one widget.

The test server runs no controllers (no kube-controller-manager, no kubelet): while the script
runs, a thread here does the Deployment controller's part the examples wait for, setting each
Deployment's ``observedGeneration``, replica counts and ``Available`` condition.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubetyped import Client, NotFound
from kubetyped.k8s.apps.v1 import Deployments

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]

WIDGETS = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: sprocket
  namespace: prod
spec:
  size: 3
"""


def readme_blocks(fence: str) -> list[str]:
    return re.findall(rf"^```{fence}\n(.*?)^```", (ROOT / "README.md").read_text(), re.S | re.M)


def play_deployment_controller(kubeconfig: Path, stop: threading.Event) -> None:
    """What kube-controller-manager would do for the examples: report every Deployment's
    current generation as observed, its replicas as ready, and the Deployment Available."""
    with Client(kubeconfig=kubeconfig) as client:
        deployments = Deployments(client)
        while not stop.wait(0.2):
            for d in deployments.list_all(all_namespaces=True):
                meta, spec = d.metadata, d.spec
                if meta is None or meta.name is None or meta.generation is None:
                    continue
                observed = d.status.observed_generation if d.status else None
                if observed == meta.generation:
                    continue
                replicas = spec.replicas if spec and spec.replicas is not None else 1
                status = {
                    "observedGeneration": meta.generation,
                    "replicas": replicas,
                    "readyReplicas": replicas,
                    "availableReplicas": replicas,
                    "updatedReplicas": replicas,
                    "conditions": [
                        {
                            "type": "Available",
                            "status": "True",
                            "reason": "MinimumReplicasAvailable",
                        }
                    ],
                }
                try:
                    deployments.patch_status(
                        meta.name, {"status": status}, namespace=meta.namespace, patch_type="merge"
                    )
                except NotFound:
                    pass  # deleted meanwhile


@pytest.fixture
def controller(kubeconfig: Path) -> Iterator[None]:
    stop = threading.Event()
    thread = threading.Thread(
        target=play_deployment_controller, args=(kubeconfig, stop), daemon=True
    )
    thread.start()
    yield
    stop.set()
    thread.join(10)
    with Client(kubeconfig=kubeconfig) as client:
        try:  # the Deployment the "Talking to a cluster" example applied in "default"
            Deployments(client).delete("web", namespace="default")
        except NotFound:
            pass


def test_the_readme_python_examples_run_as_written(
    kubeconfig: Path, tmp_path: Path, controller: None
) -> None:
    blocks = readme_blocks("python")
    assert len(blocks) >= 4, "the README's Python examples are gone"
    script = tmp_path / "readme_examples.py"
    script.write_text("\n".join(blocks))
    manifests = [b for b in readme_blocks("yaml") if b.startswith("# kubetyped validate: 0 ")]
    assert len(manifests) == 1, "the README's valid manifest is gone"
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "app.yaml").write_text(manifests[0])
    (tmp_path / "deploy" / "widgets.yaml").write_text(WIDGETS)

    env = {key: value for key, value in os.environ.items() if not key.startswith("KUBERNETES_")}
    env["KUBECONFIG"] = str(kubeconfig)
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert 'deployments.apps "nope" not found' in out  # the NotFound example
    assert "Deployment/prod/web: ok" in out and "Namespace/prod: ok" in out  # apply_all
    assert "sprocket {'size': 3}" in out  # the dynamic client's widget
    assert "kind: Deployment" in out and "name: web" in out  # dump_yaml
