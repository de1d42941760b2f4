"""Bindings for a cluster's CRDs against the real server: install the cert-manager
Certificate CRD (moved to a group of its own), regenerate with ``--from-cluster`` and as a CRD
package (``--crd`` alone, on top of kubetyped.k8s), then create, get, list, patch (merge and
server-side apply), update the status of and delete a Certificate through the generated typed
client, sync and async."""

from __future__ import annotations

import importlib
import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from _support import Api, run, unique
from kubetyped.codegen.cli import main
from kubetyped.codegen.naming import group_module
from kubetyped.k8s.meta.v1 import ObjectMeta
from test_subresources import renamed_crd

pytestmark = pytest.mark.e2e


async def _install(api: Api, manifest: dict[str, Any]) -> None:
    from kubetyped.k8s.apiextensions import v1 as apiextensions_v1

    crd = apiextensions_v1.CustomResourceDefinition.model_validate(manifest)
    await run(api.crds.create(crd))
    deadline = time.monotonic() + 20
    while True:
        status = await run(api.crds.get_status(crd.metadata.name))
        conditions = {c.type: c.status for c in status.status.conditions or []}
        if conditions.get("Established") == "True":
            return
        assert time.monotonic() < deadline, conditions
        await api.sleep(0.1)


def _import(root: Path, dotted: str) -> Any:
    sys.path.insert(0, str(root))
    try:
        return importlib.import_module(dotted)
    finally:
        sys.path.remove(str(root))


async def test_certificate_through_generated_bindings(
    api: Api, namespace: str, kubeconfig: Path, tmp_path: Path
) -> None:
    group = unique(f"{api.mode}.crd") + ".kubetyped.test"
    manifest = renamed_crd("cert-manager.io_certificates.yaml", group)
    await _install(api, manifest)
    segment = group_module(group)

    # --from-cluster: the server's /openapi/v2, the new CRD included.
    name = unique("cluster").replace("-", "_")
    args = ["generate", "--from-cluster", "--kubeconfig", str(kubeconfig)]
    assert main([*args, "--out", str(tmp_path / name), "--package", name]) == 0
    source = _import(tmp_path, name).__kubetyped_source__
    assert (
        source["server"].startswith("Kubernetes v1.")
        and "/openapi/v2 (Kubernetes v1." in source["spec"]
    )
    models = _import(tmp_path, f"{name}.{segment}.v1")
    assert models.Certificate.model_fields  # the CRD's kind, generated from the server

    # --crd alone: a package of the CRD only, on top of kubetyped.k8s.
    crd_file = tmp_path / "certificates.json"
    crd_file.write_text(json.dumps(manifest))
    crd_name = unique("crds").replace("-", "_")
    crd_args = ["generate", "--crd", str(crd_file), "--out", str(tmp_path / crd_name)]
    assert main([*crd_args, "--package", crd_name]) == 0
    crd_models = _import(tmp_path, f"{crd_name}.{segment}.v1")

    # A full package has its own ObjectMeta; a CRD package takes kubetyped.k8s's.
    own_meta = _import(tmp_path, f"{name}.meta.v1").ObjectMeta
    for mod, meta in ((models, own_meta), (crd_models, ObjectMeta)):
        certs = api.bind(mod.Certificates, mod.AsyncCertificates)
        cert_name = unique("web")
        cert = mod.Certificate(
            metadata=meta(name=cert_name, labels={"app": "web"}),
            spec=mod.CertificateSpec.model_validate(
                {
                    "secretName": "web-tls",
                    "dnsNames": ["example.com"],
                    "issuerRef": {"name": "le", "kind": "ClusterIssuer"},
                    "privateKey": {"algorithm": "ECDSA", "size": 256},
                }
            ),
        )
        created = await run(certs.create(cert, namespace=namespace))
        assert created.metadata.uid and created.spec.private_key.size == 256
        got = await run(certs.get(cert_name, namespace=namespace))
        raw = await api.raw_json(
            f"/apis/{group}/v1/namespaces/{namespace}/certificates/{cert_name}"
        )
        assert got.to_dict() == raw  # what the server sent, exactly
        listed = await run(certs.list(namespace=namespace))
        assert cert_name in [c.metadata.name for c in listed.items]

        merged = await run(
            certs.patch(cert_name, {"spec": {"dnsNames": ["a.example"]}}, namespace=namespace)
        )
        assert merged.spec.dns_names == ["a.example"]
        applied = mod.Certificate(
            metadata=meta(name=cert_name, namespace=namespace),
            spec=mod.CertificateSpec.model_validate(
                {"secretName": "web-tls", "issuerRef": {"name": "le"}, "commonName": "ssa"}
            ),
        )
        ssa = await run(certs.apply(applied, field_manager="e2e", force=True))
        assert ssa.spec.common_name == "ssa"

        current = await run(certs.get(cert_name, namespace=namespace))
        current.status = mod.CertificateStatus.model_validate(
            {
                "conditions": [
                    {
                        "type": "Ready",
                        "status": "True",
                        "reason": "Issued",
                        "lastTransitionTime": "2024-05-01T10:01:00Z",
                    }
                ],
                "revision": 1,
            }
        )
        updated = await run(certs.replace_status(cert_name, current, namespace=namespace))
        assert updated.status.revision == 1 and updated.status.conditions[0].reason == "Issued"

        await run(certs.delete(cert_name, namespace=namespace))
        remaining = await run(certs.list(namespace=namespace))
        assert cert_name not in [c.metadata.name for c in remaining.items]
    await run(api.crds.delete(manifest["metadata"]["name"]))


async def test_older_crd_bindings_keep_newer_fields(
    api: Api, namespace: str, tmp_path: Path
) -> None:
    """Bindings generated from an older version of a CRD read an object of the newer CRD,
    change a label and replace it: the fields the old CRD lacks (at the top of ``spec`` and
    nested in ``spec.privateKey``) are still there on the server."""
    group = unique(f"{api.mode}.skew") + ".kubetyped.test"
    old = renamed_crd("cert-manager.io_certificates.yaml", group)
    old_file = tmp_path / "old.json"
    old_file.write_text(json.dumps(old))
    new = json.loads(json.dumps(old))
    spec = new["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    spec["properties"]["rotationWindow"] = {"type": "string"}
    spec["properties"]["privateKey"]["properties"]["hsm"] = {
        "type": "object",
        "properties": {"slot": {"type": "integer"}},
    }
    await _install(api, new)
    name = unique("oldcrd").replace("-", "_")
    args = ["generate", "--crd", str(old_file), "--out", str(tmp_path / name)]
    assert main([*args, "--package", name]) == 0
    mod = _import(tmp_path, f"{name}.{group_module(group)}.v1")
    assert "rotation_window" not in mod.CertificateSpec.model_fields

    path = f"/apis/{group}/v1/namespaces/{namespace}/certificates"
    body = {
        "apiVersion": f"{group}/v1",
        "kind": "Certificate",
        "metadata": {"name": "skew", "labels": {"app": "web"}},
        "spec": {
            "secretName": "s",
            "issuerRef": {"name": "le"},
            "rotationWindow": "24h",
            "privateKey": {"algorithm": "RSA", "hsm": {"slot": 3}},
        },
    }
    await run(api.client.request("POST", path, json=body))
    certs = api.bind(mod.Certificates, mod.AsyncCertificates)
    cert = await run(certs.get("skew", namespace=namespace))
    assert cert.spec.model_extra == {"rotationWindow": "24h"}
    assert cert.spec.private_key.model_extra == {"hsm": {"slot": 3}}
    cert.metadata.labels["app"] = "changed"
    await run(certs.replace("skew", cert, namespace=namespace))
    after = await api.raw_json(f"{path}/skew")
    assert after["metadata"]["labels"] == {"app": "changed"}
    assert after["spec"]["rotationWindow"] == "24h"
    assert after["spec"]["privateKey"]["hsm"] == {"slot": 3}
    await run(api.crds.delete(new["metadata"]["name"]))
