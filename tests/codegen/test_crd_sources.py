"""``--crd`` as ``kubectl apply -f`` takes it: files, folders, multi-document files, ``List``
documents; documents of other kinds skipped with a note; YAML read as kubectl reads it
(kubetyped.yamlio, the project's one YAML reader), with the YAML 1.1 traps meaning what they
mean to kubectl."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from kubetyped import yamlio
from kubetyped.auth import BearerToken
from kubetyped.codegen.cli import main
from kubetyped.codegen.crd import load_crds
from kubetyped.codegen.errors import SpecError
from kubetyped.kubeconfig import read_kubeconfig

DATA = Path(__file__).resolve().parents[1] / "data"
TRAPS = DATA / "crd-traps" / "traps.yaml"
CERT_MANAGER = Path("/work/shared/crds/cert-manager")


def _crd(kind: str, group: str = "example.io") -> dict[str, object]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{kind.lower()}s.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"kind": kind, "plural": f"{kind.lower()}s"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {"spec": {"type": "object"}},
                        }
                    },
                }
            ],
        },
    }


def test_a_folder_is_read_like_kubectl_apply_f(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "crds"
    (folder / "nested").mkdir(parents=True)
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}}
    # A multi-document file: a CRD, a Deployment (skipped), an empty document, a CRD.
    (folder / "a.yaml").write_text(
        "# flow-style YAML documents\n"
        + "\n---\n".join(json.dumps(d) for d in (_crd("Alpha"), deployment))
        + "\n---\n---\n"
        + json.dumps(_crd("Beta"))
    )
    items = {"apiVersion": "v1", "kind": "List", "items": [_crd("Gamma"), deployment]}
    (folder / "nested" / "b.yml").write_text(json.dumps(items))
    (folder / "nested" / "c.json").write_text(json.dumps(_crd("Delta")))
    (folder / "README.md").write_text("not a manifest")
    with caplog.at_level(logging.WARNING, "kubetyped.codegen"):
        crds = load_crds([folder])
    kinds = [d.body["spec"]["names"]["kind"] for d in crds.documents]
    assert kinds == ["Alpha", "Beta", "Gamma", "Delta"]
    assert [d.label for d in crds.documents] == [
        f"{folder}/a.yaml#0",
        f"{folder}/a.yaml#3",
        f"{folder}/nested/b.yml#0",
        f"{folder}/nested/c.json#0",
    ]
    assert crds.skipped == [
        f"{folder}/a.yaml#1: skipped (kind Deployment, not a CRD)",
        f"{folder}/nested/b.yml#0/items/1: skipped (kind Deployment, not a CRD)",
    ]
    assert crds.skipped[0] in caplog.text
    out = tmp_path / "pkg"
    assert main(["generate", "--crd", str(folder), "--out", str(out), "--package", "pkg"]) == 0
    source = (out / "example_io" / "v1.py").read_text()
    for kind in ("Alpha", "Beta", "Gamma", "Delta"):
        assert f"class {kind}(K8sObject):" in source


def test_a_folder_without_crds_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "d.yaml").write_text("apiVersion: v1\nkind: ConfigMap\n")
    with pytest.raises(SpecError, match="no CustomResourceDefinition found"):
        load_crds([tmp_path])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SpecError, match="no .yaml, .yml or .json files"):
        load_crds([empty])


def test_the_yaml_traps_read_as_kubectl_reads_them() -> None:
    (doc,) = load_crds([TRAPS]).documents
    version = doc.body["spec"]["versions"][0]
    assert version["served"] is True and version["storage"] is True
    props = version["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
    assert props["operator"]["enum"] == ["=", "!=", "=~", "!~"]
    assert props["enabled"]["default"] is False
    assert props["paused"]["default"] is False
    assert props["mode"]["default"] == 15 and props["mode"]["maximum"] == 1000
    assert props["since"]["default"] == "2024-01-01"
    assert "default" in props["note"] and props["note"]["default"] is None


def test_inf_is_refused_as_kubectl_refuses_it(tmp_path: Path) -> None:
    # kubectl: YAMLToJSON -> json.Marshal(+Inf) fails ("json: unsupported value: +Inf").
    bad = tmp_path / "inf.yaml"
    bad.write_text(TRAPS.read_text().replace("maximum: 1_000", "maximum: .inf"))
    with pytest.raises(SpecError, match=r"inf.yaml: line \d+.*invalid YAML"):
        load_crds([bad])


def test_the_traps_crd_generates_and_its_objects_read_as_kubectl_reads_them(
    tmp_path: Path,
) -> None:
    import subprocess
    import sys

    out = tmp_path / "traps"
    assert main(["generate", "--crd", str(TRAPS), "--out", str(out), "--package", "traps"]) == 0
    manifest = (
        "apiVersion: traps.example.io/v1\nkind: Rule\nmetadata: {name: r}\n"
        "spec:\n  operator: =\n  enabled: yes\n  paused: off\n  mode: 0o17\n"
        "  since: 2024-01-01\n  note: ~\nstatus:\n  seen: on\n"
    )
    wire = yamlio.load(manifest)
    assert wire["spec"] == {
        "operator": "=",
        "enabled": True,
        "paused": False,
        "mode": 15,
        "since": "2024-01-01",
        "note": None,
    }
    code = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(tmp_path)!r})\n"
        "from traps.traps_example_io.v1 import Rule\n"
        f"wire = json.loads({json.dumps(json.dumps(wire))})\n"
        "rule = Rule.model_validate(wire)\n"
        "assert rule.to_dict() == wire, rule.to_dict()\n"
        "assert rule.spec.operator == '=' and rule.spec.mode == 15\n"
        "assert rule.status.seen is True\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_kubeconfig_is_read_as_kubectl_reads_it(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters:\n- name: k\n  cluster: {server: 'https://127.0.0.1:6443'}\n"
        "users:\n- name: u\n  user:\n    token: =\n"  # PyYAML: no constructor for the value tag
        "contexts:\n- name: c\n  context: {cluster: k, user: u}\n"
    )
    config = read_kubeconfig(path).cluster_config()
    assert config.server == "https://127.0.0.1:6443"
    assert isinstance(config.auth, BearerToken)
    assert config.auth._header == "Bearer ="  # kubectl sends the token "="


@pytest.mark.skipif(not CERT_MANAGER.is_dir(), reason="shared cert-manager CRDs not here")
def test_the_shared_cert_manager_folder_reads() -> None:
    crds = load_crds([CERT_MANAGER])
    kinds = sorted(d.body["spec"]["names"]["kind"] for d in crds.documents)
    assert {"Certificate", "Issuer", "ClusterIssuer"} <= set(kinds)
