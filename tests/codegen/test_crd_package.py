"""CRD packages on top of the base: ``--crd`` alone writes only the CRDs' group-versions and
imports every Kubernetes type from ``kubetyped.k8s``; inline objects that are Kubernetes types
written out in full use the base class, the others get short names."""

from __future__ import annotations

import json
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

CERT_MANAGER = Path("/work/shared/crds/cert-manager")
LOCAL = sorted((Path(__file__).resolve().parents[1] / "data" / "crds").glob("*.yaml"))
needs_cert_manager = pytest.mark.skipif(
    not CERT_MANAGER.is_dir(), reason="the shared cert-manager CRDs are not here"
)

AFFINITY = {
    "nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [
                {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a", "b"]}]}
            ]
        }
    },
    "podAntiAffinity": {
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {
                "weight": 10,
                "podAffinityTerm": {
                    "topologyKey": "kubernetes.io/hostname",
                    "labelSelector": {"matchLabels": {"app": "solver"}},
                },
            }
        ]
    },
}
CERTIFICATE = {
    "apiVersion": "cert-manager.io/v1",
    "kind": "Certificate",
    "metadata": {
        "name": "web-tls",
        "namespace": "prod",
        "labels": {"app": "web"},
        "creationTimestamp": "2024-05-01T10:00:00Z",
        "resourceVersion": "4711",
        "uid": "0b5b6a8e-1d2c-4c1e-9a55-0d6f2f8a1b11",
    },
    "spec": {
        "secretName": "web-tls",
        "commonName": "example.com",
        "dnsNames": ["example.com", "www.example.com"],
        "duration": "2160h0m0s",
        "renewBefore": "360h0m0s",
        "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": "letsencrypt"},
        "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
        "usages": ["digital signature", "key encipherment", "server auth"],
        "secretTemplate": {"labels": {"team": "web"}, "annotations": {"a": "b"}},
        "subject": {"organizations": ["Example Inc"], "countries": ["DE"]},
        "keystores": {"pkcs12": {"create": True, "passwordSecretRef": {"name": "p", "key": "k"}}},
        "additionalOutputFormats": [{"type": "CombinedPEM"}],
    },
    "status": {
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "lastTransitionTime": "2024-05-01T10:01:00Z",
                "message": "Certificate is up to date and has not expired",
                "observedGeneration": 1,
                "reason": "Ready",
            }
        ],
        "notAfter": "2024-07-30T10:00:00Z",
        "notBefore": "2024-05-01T10:00:00Z",
        "renewalTime": "2024-07-15T10:00:00Z",
        "revision": 1,
    },
}
ACME_SPEC = {
    "acme": {
        "server": "https://acme-v02.api.letsencrypt.org/directory",
        "email": "ops@example.com",
        "privateKeySecretRef": {"name": "le-account"},
        "solvers": [
            {
                "selector": {"dnsZones": ["example.com"]},
                "dns01": {
                    "route53": {
                        "region": "eu-central-1",
                        "accessKeyIDSecretRef": {"name": "aws", "key": "id"},
                        "secretAccessKeySecretRef": {"name": "aws", "key": "secret"},
                    }
                },
            },
            {
                "http01": {
                    "ingress": {
                        "ingressClassName": "nginx",
                        "podTemplate": {
                            "metadata": {"labels": {"solver": "yes"}},
                            "spec": {
                                "affinity": AFFINITY,
                                "tolerations": [
                                    {"key": "spot", "operator": "Exists", "effect": "NoSchedule"}
                                ],
                                "nodeSelector": {"kubernetes.io/os": "linux"},
                                "priorityClassName": "low",
                            },
                        },
                    }
                }
            },
        ],
    }
}
ISSUER = {
    "apiVersion": "cert-manager.io/v1",
    "kind": "Issuer",
    "metadata": {"name": "le", "namespace": "prod"},
    "spec": ACME_SPEC,
    "status": {
        "acme": {
            "uri": "https://acme-v02.api.letsencrypt.org/acme/acct/1",
            "lastRegisteredEmail": "ops@example.com",
        },
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "lastTransitionTime": "2024-05-01T10:00:00Z",
                "reason": "ACMEAccountRegistered",
                "message": "ok",
                "observedGeneration": 2,
            }
        ],
    },
}
CLUSTER_ISSUER = {
    "apiVersion": "cert-manager.io/v1",
    "kind": "ClusterIssuer",
    "metadata": {"name": "vault"},
    "spec": {
        "vault": {
            "server": "https://vault.example.com:8200",
            "path": "pki/sign/example-dot-com",
            "caBundle": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==",
            "auth": {
                "kubernetes": {
                    "role": "cert-manager",
                    "mountPath": "/v1/auth/kubernetes",
                    "serviceAccountRef": {"name": "vault-issuer"},
                }
            },
        }
    },
}


@pytest.fixture(scope="module")
def crd_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("crdpkg")
    args = ["generate", "--crd", str(CERT_MANAGER), "--out", str(root / "cm"), "--package", "cm"]
    assert main(args) == 0
    return root


def _run(root: Path, code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", f"import sys\nsys.path.insert(0, {str(root)!r})\n" + code],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@needs_cert_manager
def test_only_the_crd_groups_are_written(crd_package: Path) -> None:
    files = sorted(
        p.relative_to(crd_package / "cm").as_posix() for p in (crd_package / "cm").rglob("*.py")
    )
    assert files == [
        "__init__.py",
        "_kinds.py",
        "acme_cert_manager_io/__init__.py",
        "acme_cert_manager_io/_v1_clients.py",
        "acme_cert_manager_io/v1.py",
        "cert_manager_io/__init__.py",
        "cert_manager_io/_v1_clients.py",
        "cert_manager_io/v1.py",
    ]
    source = (crd_package / "cm" / "cert_manager_io" / "v1.py").read_text()
    assert "from kubetyped.k8s.meta import v1 as meta_v1" in source
    assert "class ObjectMeta" not in source
    assert "metadata: meta_v1.ObjectMeta | None" in source
    kinds = (crd_package / "cm" / "_kinds.py").read_text()
    assert "from kubetyped" not in kinds
    spec = __import__("importlib.util").util.spec_from_file_location(
        "k", crd_package / "cm" / "_kinds.py"
    )
    module = __import__("importlib.util").util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    assert module.KINDS[("cert-manager.io/v1", "Certificate")] == (
        "cert_manager_io.v1",
        "Certificate",
        "Certificates",
        "certificates",
        True,
    )
    assert "apps/v1" not in kinds


@needs_cert_manager
def test_kubernetes_types_inside_crds_are_the_base_classes(crd_package: Path) -> None:
    out = _run(
        crd_package,
        "from kubetyped.k8s.core import v1 as core\n"
        "from cm.cert_manager_io import v1 as cm\n"
        "spec = cm.PodTemplate.model_fields['spec'].annotation.__args__[0]\n"
        "assert spec.model_fields['affinity'].annotation.__args__[0] is core.Affinity\n"
        "tol = spec.model_fields['tolerations'].annotation.__args__[0].__args__[0]\n"
        "assert tol is core.Toleration, tol\n"
        "names = [n for n in dir(cm) if isinstance(getattr(cm, n), type)]\n"
        "print(max(len(n) for n in names))\n",
    )
    assert int(out) <= 30  # before: 183 characters


@needs_cert_manager
def test_real_objects_round_trip_exactly(crd_package: Path) -> None:
    objects = json.dumps([CERTIFICATE, ISSUER, CLUSTER_ISSUER])
    _run(
        crd_package,
        "import json\n"
        "from kubetyped.k8s.core.v1 import Affinity\n"
        "from cm.cert_manager_io.v1 import Certificate, Issuer, ClusterIssuer\n"
        f"cert, issuer, cluster = json.loads({json.dumps(objects)})\n"
        "for model, wire in ((Certificate, cert), (Issuer, issuer), (ClusterIssuer, cluster)):\n"
        "    obj = model.model_validate(wire)\n"
        "    assert obj.to_dict() == wire, (model, obj.to_dict())\n"
        "    assert model.model_validate_json(json.dumps(wire)).to_dict() == wire\n"
        "issuer = Issuer.model_validate(issuer)\n"
        "pod = issuer.spec.acme.solvers[1].http01.ingress.pod_template.spec\n"
        "assert isinstance(pod.affinity, Affinity)\n"
        "assert pod.affinity.node_affinity.required_during_scheduling_ignored_during_execution.node_selector_terms[0].match_expressions[0].values == ['a', 'b']\n"
        "built = Certificate(spec=Certificate.model_validate(cert).spec)\n"
        "assert built.to_dict()['apiVersion'] == 'cert-manager.io/v1'\n",
    )


@needs_cert_manager
def test_check_works_for_crd_packages(crd_package: Path) -> None:
    args = [
        "generate",
        "--check",
        "--crd",
        str(CERT_MANAGER),
        "--out",
        str(crd_package / "cm"),
        "--package",
        "cm",
    ]
    assert main(args) == 0
    init = crd_package / "cm" / "__init__.py"
    text = init.read_text()
    assert "__kubetyped_source__" in text and "base: kubetyped.k8s" in text
    init.write_text(text + "\n# changed\n")
    try:
        assert main(args) == 1
    finally:
        init.write_text(text)


@needs_cert_manager
def test_nested_classes_before_and_after() -> None:
    """The figures of the issue's closing note (464 nested classes before this change)."""
    spec, source = load_spec(None)
    before = set(spec["definitions"])
    add_crds(spec, [CERT_MANAGER])
    crd_defs = set(spec["definitions"]) - before
    package = parse_spec(spec, source)
    nested = [
        m
        for module in package.modules.values()
        for m in module.models
        if m.source.split("/")[2] in crd_defs and m.source.count("/") > 2
    ]
    matched = {f"{r.module.dotted}.{r.name}" for _, r in package.matched}
    assert len(nested) < 120
    assert {
        "core.v1.Affinity",
        "core.v1.Toleration",
        "core.v1.SeccompProfile",
        "core.v1.Sysctl",
    } <= matched


def _crd(kind: str, schema: dict[str, object], group: str = "example.io") -> dict[str, object]:
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
                    "schema": {"openAPIV3Schema": schema},
                }
            ],
        },
    }


LABEL_SELECTOR = {  # meta/v1 LabelSelector as controller-gen writes it out
    "type": "object",
    "description": "A label query over a set of resources.",
    "x-kubernetes-map-type": "atomic",
    "properties": {
        "matchExpressions": {
            "type": "array",
            "x-kubernetes-list-type": "atomic",
            "items": {
                "type": "object",
                "required": ["key", "operator"],
                "properties": {
                    "key": {"type": "string", "description": "the label key"},
                    "operator": {"type": "string"},
                    "values": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
        "matchLabels": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}


def test_structural_matching_ignores_descriptions_not_fields(tmp_path: Path) -> None:
    import copy

    different = copy.deepcopy(LABEL_SELECTOR)
    different["properties"]["matchFields"] = {"type": "string"}  # type: ignore[index]
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {"selector": LABEL_SELECTOR, "podSelector": different},
            }
        },
    }
    path = tmp_path / "foo.yaml"
    path.write_text(json.dumps(_crd("Foo", schema)))
    spec, source = load_spec(None)
    add_crds(spec, [path])
    module = parse_spec(spec, source).modules[ModuleId("example_io", "v1")]
    foo_spec = next(m for m in module.models if m.name == "FooSpec")
    types = {f.wire_name: f.type for f in foo_spec.fields}
    assert getattr(types["selector"], "name", None) == "LabelSelector"
    assert types["selector"].module == ModuleId("meta", "v1")  # type: ignore[union-attr]
    assert getattr(types["podSelector"], "name", None) == "PodSelector"


def test_a_crd_group_version_of_the_base_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "apps.yaml"
    path.write_text(json.dumps(_crd("Widget", {"type": "object"}, group="apps")))
    with pytest.raises(SpecError, match="also one of kubetyped.k8s"):
        generate_files(None, "p", [path], base="kubetyped.k8s")


def test_local_crds_generate_a_package_on_the_base(tmp_path: Path) -> None:
    files = generate_files(None, "p", LOCAL, base="kubetyped.k8s")
    assert "core/v1.py" not in files and "cert_manager_io/v1.py" in files


@needs_cert_manager
def test_the_kind_registry_takes_a_crd_package(crd_package: Path) -> None:
    _run(
        crd_package,
        "from kubetyped.registry import KindRegistry\n"
        "reg = KindRegistry()\n"
        "reg.register_package('cm')\n"
        "model = reg.model_for('cert-manager.io/v1', 'Certificate')\n"
        "assert model is not None and model.__module__ == 'cm.cert_manager_io.v1', model\n"
        "deployment = reg.model_for('apps/v1', 'Deployment')\n"
        "assert deployment.__module__ == 'kubetyped.k8s.apps.v1'\n",
    )
