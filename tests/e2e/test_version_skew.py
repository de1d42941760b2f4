"""Version skew against the real server: bindings generated from the v1.31 spec read a
v1.36 Pod carrying fields v1.31 does not know (``spec.resources``, pod-level resources, and
``spec.securityContext.seLinuxChangePolicy`` one level further down), change a label and
``replace`` it; the fields are still there on the server (a Pod's spec is immutable, so the
server would also refuse a replace that dropped them)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest
from _support import unique
from kubetyped import Client
from kubetyped.codegen.generate import generate_files
from kubetyped.codegen.output import write_tree
from kubetyped.k8s.core import v1 as core_v1
from kubetyped.k8s.meta.v1 import ObjectMeta

pytestmark = pytest.mark.e2e

OLD_SPEC = Path("/work/shared/specs/kubernetes-v1.31.openapi-v2.json.gz")


@pytest.fixture(scope="module")
def k8s131(tmp_path_factory: pytest.TempPathFactory) -> object:
    if not OLD_SPEC.exists():
        pytest.skip("the shared v1.31 spec is not here")
    root = tmp_path_factory.mktemp("skew")
    write_tree(root / "k8s131", generate_files(OLD_SPEC, "k8s131"))
    sys.path.insert(0, str(root))
    try:
        return importlib.import_module("k8s131.core.v1")
    finally:
        sys.path.remove(str(root))


def test_old_bindings_keep_new_fields_through_replace(kubeconfig: Path, k8s131: object) -> None:
    old_v1: object = k8s131
    assert "resources" not in old_v1.PodSpec.model_fields  # type: ignore[attr-defined]
    with Client(kubeconfig=kubeconfig) as client:
        ns = unique("skew")
        core_v1.Namespaces(client).create(core_v1.Namespace(metadata=ObjectMeta(name=ns)))
        new = core_v1.Pod.model_validate(
            {
                "metadata": {"name": "p", "labels": {"app": "skew"}},
                "spec": {
                    "resources": {"limits": {"cpu": "1", "memory": "64Mi"}},
                    "securityContext": {"seLinuxChangePolicy": "Recursive"},
                    "containers": [{"name": "c", "image": "registry.k8s.io/pause:3.10"}],
                },
            }
        )
        created = core_v1.Pods(client).create(new, namespace=ns).to_dict()
        if "resources" not in created["spec"] or "seLinuxChangePolicy" not in created["spec"].get(
            "securityContext", {}
        ):
            pytest.skip("this server drops the v1.36 fields (feature gates off)")

        pods = old_v1.Pods(client)  # type: ignore[attr-defined]
        pod = pods.get("p", namespace=ns)
        assert pod.spec.model_extra["resources"] == created["spec"]["resources"]
        assert pod.spec.security_context.model_extra == {"seLinuxChangePolicy": "Recursive"}
        pod.metadata.labels["app"] = "changed"
        replaced = pods.replace("p", pod, namespace=ns)
        assert replaced.metadata.labels == {"app": "changed"}

        after = core_v1.Pods(client).get("p", namespace=ns).to_dict()
        assert after["metadata"]["labels"] == {"app": "changed"}
        assert after["spec"]["resources"] == created["spec"]["resources"]
        assert after["spec"]["securityContext"]["seLinuxChangePolicy"] == "Recursive"
        assert after["spec"] == created["spec"]
        core_v1.Namespaces(client).delete(ns)
