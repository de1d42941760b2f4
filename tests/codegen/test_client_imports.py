"""Importing a resource client pays for its own group only (issue 11): the models of other
groups and the exec/port-forward machinery are imported by the methods that use them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import json, sys
{statement}
print(json.dumps(sorted(sys.modules)))
"""


def _loaded(statement: str) -> set[str]:
    code = PROBE.format(statement=statement)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout))


@pytest.mark.parametrize(
    ("module", "client", "unrelated"),
    [
        # get_scale (autoscaling), evict (policy), create_token (authentication), exec (wsproto)
        ("kubetyped.k8s.core.v1", "Pods", ["autoscaling", "policy", "authentication"]),
        ("kubetyped.k8s.apps.v1", "Deployments", ["autoscaling"]),
    ],
)
def test_a_client_imports_only_what_its_models_need(
    module: str, client: str, unrelated: list[str]
) -> None:
    models = {name for name in _loaded(f"import {module}") if name.startswith("kubetyped.k8s")}
    with_client = _loaded(f"from {module} import {client}")
    k8s = {name for name in with_client if name.startswith("kubetyped.k8s")}
    clients_module = module.rsplit(".", 1)[0] + "._" + module.rsplit(".", 1)[1] + "_clients"
    # The models module imports nothing until a class is built; the clients module imports
    # the modules its signatures name: its own, and meta/v1 (ListMeta, Status, DeleteOptions).
    meta = {"kubetyped.k8s.meta", "kubetyped.k8s.meta.v1"}
    assert module in models and not meta & models
    assert k8s == models | {clients_module} | meta
    assert not any(f"kubetyped.k8s.{group}.v1" in with_client for group in unrelated)
    assert not {"kubetyped.connect", "kubetyped.exec", "wsproto"} & with_client


def test_a_method_imports_what_its_answer_decodes_to_when_called() -> None:
    """In a fresh interpreter: get_scale decodes to autoscaling/v1 Scale, imported by the call."""
    code = """
import json, sys, httpx
from kubetyped import Client, ClusterConfig
from kubetyped.k8s.apps.v1 import Deployments
assert "kubetyped.k8s.autoscaling.v1" not in sys.modules
scale = {"apiVersion": "autoscaling/v1", "kind": "Scale", "spec": {"replicas": 3}}
answer = lambda request: httpx.Response(200, json=scale)
with Client(ClusterConfig(server="https://k8s.test"), transport=httpx.MockTransport(answer)) as c:
    got = Deployments(c).get_scale("web", namespace="x")
from kubetyped.k8s.autoscaling.v1 import Scale
print(type(got) is Scale and got.spec is not None and got.spec.replicas == 3)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
