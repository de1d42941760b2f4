"""CRD files through the same pipeline as the spec: typed models and resource clients."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from kubetyped.codegen.cli import main
from kubetyped.codegen.crd import add_crds
from kubetyped.codegen.errors import SpecError
from kubetyped.codegen.generate import generate_files
from kubetyped.codegen.ir import ModuleId
from kubetyped.codegen.load import load_spec
from kubetyped.codegen.parse import parse_spec

CRDS = sorted((Path(__file__).resolve().parents[1] / "data" / "crds").glob("*.yaml"))

CERTIFICATE = {
    "apiVersion": "cert-manager.io/v1",
    "kind": "Certificate",
    "metadata": {
        "name": "web-tls",
        "namespace": "prod",
        "creationTimestamp": "2024-05-01T10:00:00Z",
    },
    "spec": {
        "secretName": "web-tls",
        "dnsNames": ["example.com", "www.example.com"],
        "duration": "2160h0m0s",
        "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": "letsencrypt"},
        "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
        "usages": ["digital signature", "key encipherment"],
        "keystores": {"pkcs12": {"create": True, "passwordSecretRef": {"name": "p", "key": "k"}}},
    },
    "status": {
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "lastTransitionTime": "2024-05-01T10:01:00Z",
                "message": "Certificate is up to date",
                "observedGeneration": 1,
                "reason": "Ready",
            }
        ],
        "notAfter": "2024-07-30T10:00:00Z",
        "revision": 1,
    },
}


def test_crds_become_models_and_resources() -> None:
    spec, source = load_spec(None)
    assert add_crds(spec, CRDS) == 2
    package = parse_spec(spec, source)
    module = package.modules[ModuleId("cert_manager_io", "v1")]
    names = {m.name for m in module.models}
    assert {
        "Certificate",
        "CertificateList",
        "CertificateSpec",
        "IssuerRef",
    } <= names
    (resource,) = [r for r in module.resources if r.plural == "certificates"]
    assert resource.namespaced and resource.subresources == ["status"]
    assert set(resource.verbs) >= {"get", "list", "watch", "create", "replace", "patch", "delete"}
    patch = next(op for op in resource.operations if op.verb == "patch")
    assert "strategic" not in patch.patch_types  # custom resources take no strategic merge
    assert ModuleId("acme_cert_manager_io", "v1") in package.modules


def test_generated_crd_package_validates_real_objects(tmp_path: Path) -> None:
    out = tmp_path / "withcrds"
    args = ["generate", "--out", str(out)] + [a for crd in CRDS for a in ("--crd", str(crd))]
    assert main(args) == 0
    code = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(tmp_path)!r})\n"
        "from withcrds.cert_manager_io.v1 import Certificate, Certificates, AsyncCertificates\n"
        f"wire = json.loads({__import__('json').dumps(__import__('json').dumps(CERTIFICATE))})\n"
        "cert = Certificate.model_validate(wire)\n"
        "assert cert.model_dump(mode='json', by_alias=True, exclude_unset=True) == wire\n"
        "assert cert.spec.dns_names == ['example.com', 'www.example.com']\n"
        "assert cert.spec.private_key.size == 256\n"
        "assert type(cert.status.conditions[0].last_transition_time).__name__ == 'datetime'\n"
        "import inspect\n"
        'assert \'patch_type: Literal["json", "merge"] = "merge"\' in inspect.getsource(Certificates.patch)\n'
        "print(Certificates.info.plural, Certificates.info.namespaced)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "certificates True"


def test_crd_generation_is_deterministic() -> None:
    assert generate_files(None, "p", CRDS) == generate_files(None, "p", CRDS)


def test_broken_crd_files_name_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: CustomResourceDefinition\nspec: [unclosed\n")
    with pytest.raises(SpecError, match=r"bad.yaml: line \d+, column \d+: invalid YAML"):
        generate_files(None, "p", [bad])
    bad.write_text("kind: CustomResourceDefinition\nspec: {group: x.io}\n")
    with pytest.raises(SpecError, match="/spec: not a CustomResourceDefinition spec"):
        generate_files(None, "p", [bad])
    with pytest.raises(SpecError, match="defined twice"):
        generate_files(None, "p", [CRDS[0], CRDS[0]])


def _crd(schema: dict[str, object], kind: str = "Foo") -> dict[str, object]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{kind.lower()}s.example.io"},
        "spec": {
            "group": "example.io",
            "scope": "Namespaced",
            "names": {"kind": kind, "plural": f"{kind.lower()}s", "listKind": f"{kind}List"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": schema},
                }
            ],
        },
    }


def test_nested_names_never_take_a_definitions_name(tmp_path: Path) -> None:
    import yaml

    schema = {
        "type": "object",
        "properties": {"list": {"type": "object", "properties": {"a": {"type": "string"}}}},
    }
    path = tmp_path / "foo.yaml"
    path.write_text(yaml.safe_dump(_crd(schema)))
    spec, source = load_spec(None)
    add_crds(spec, [path])
    module = parse_spec(spec, source).modules[ModuleId("example_io", "v1")]
    names = [m.name for m in module.models]
    assert len(names) == len(set(names))
    foo = next(m for m in module.models if m.name == "Foo")
    field = next(f for f in foo.fields if f.wire_name == "list")
    assert getattr(field.type, "name", None) not in ("FooList", None)


def test_crd_date_times_keep_their_text(tmp_path: Path) -> None:
    import yaml

    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {"at": {"type": "string", "format": "date-time"}},
            }
        },
    }
    path = tmp_path / "foo.yaml"
    path.write_text(yaml.safe_dump(_crd(schema)))
    out = tmp_path / "dt"
    assert main(["generate", "--out", str(out), "--crd", str(path)]) == 0
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(tmp_path)!r})\n"
        "from dt.example_io.v1 import Foo\n"
        "cases = {\n"
        "    '2024-07-30T10:00:00.25Z': '2024-07-30T10:00:00.25Z',\n"
        "    '2024-07-30T10:00:00+02:00': '2024-07-30T10:00:00+02:00',\n"
        "    '2024-07-30T10:00:00.123456-05:30': '2024-07-30T10:00:00.123456-05:30',\n"
        "    '2024-07-30T10:00:00Z': '2024-07-30T10:00:00Z',\n"
        "    '0099-01-01T00:00:00Z': '0099-01-01T00:00:00Z',\n"
        "    '2024-07-30T10:00:00.250Z': '2024-07-30T10:00:00.25Z',\n"
        "    '2024-07-30T10:00:00+00:00': '2024-07-30T10:00:00Z',\n"
        "}\n"
        "for at, sent in cases.items():\n"
        "    foo = Foo.model_validate({'spec': {'at': at}})\n"
        "    assert foo.to_dict()['spec']['at'] == sent, (at, foo.to_dict())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_crd_missing_names_kind_is_named(tmp_path: Path) -> None:
    import yaml

    crd = _crd({"type": "object"})
    del crd["spec"]["names"]["kind"]  # type: ignore[index]
    path = tmp_path / "foo.yaml"
    path.write_text(yaml.safe_dump(crd))
    with pytest.raises(SpecError, match="/spec/names/kind: missing"):
        generate_files(None, "p", [path])


@pytest.mark.parametrize("kind", ["Field", "Generator", "Any"])
def test_a_kind_named_like_an_import_is_refused(tmp_path: Path, kind: str) -> None:
    import yaml

    path = tmp_path / "clash.yaml"
    path.write_text(yaml.safe_dump(_crd({"type": "object"}, kind=kind)))
    with pytest.raises(SpecError, match=f"a model named '{kind}' would shadow"):
        generate_files(None, "p", [path])
