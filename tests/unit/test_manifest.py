"""Manifests offline: loading, errors that name file/line/document/pointer, dumping, the kind
registry, generic objects, apply order, wait conditions, and ``kubetyped validate``."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from kubetyped import manifest
from kubetyped.apply import apply_order
from kubetyped.codegen.cli import main
from kubetyped.generic import GenericObject
from kubetyped.k8s.apps.v1 import Deployment
from kubetyped.k8s.core.v1 import ConfigMap, Namespace
from kubetyped.manifest import ManifestError
from kubetyped.registry import KindRegistry, registry
from kubetyped.wait import condition_met, generation_observed

ROOT = Path(__file__).resolve().parents[2]

GOOD = """\
apiVersion: v1
kind: Namespace
metadata: {name: prod}
---
# an empty document
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: a, namespace: prod}
    data: {on: "yes", date: 2024-01-02}
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web, namespace: prod}
    spec:
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec: {containers: [{name: web, image: nginx, resources: {limits: {cpu: 1}}}]}
"""


def test_load_typed_objects_with_their_sources() -> None:
    objs = manifest.load(GOOD, name="good.yaml")
    assert [type(o) for o in objs] == [Namespace, ConfigMap, Deployment]
    cm = objs[1]
    assert isinstance(cm, ConfigMap)
    assert cm.data == {"true": "yes", "date": "2024-01-02"}  # go-yaml v2: the key `on` is true
    src = manifest.source_of(cm)
    assert src is not None
    assert (src.file, src.document, src.line, src.pointer) == ("good.yaml", 2, 10, "/items/0")
    assert str(src) == "good.yaml:10: document 2 /items/0"
    assert manifest.source_of(ConfigMap()) is None


def test_load_paths_folders_streams_and_json(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text(GOOD)
    (tmp_path / "a.json").write_text(
        json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "j"}})
    )
    (tmp_path / "notes.txt").write_text("not a manifest")
    objs = manifest.load(tmp_path)
    assert [o.metadata.name for o in objs if o.metadata] == ["j", "prod", "a", "web"]
    first = manifest.source_of(objs[0])
    assert first is not None and first.file == str(tmp_path / "a.json")
    with (tmp_path / "b.yaml").open("rb") as stream:
        assert len(manifest.load(stream)) == 3
    assert len(manifest.load((tmp_path / "b.yaml").read_bytes())) == 3


def test_unknown_kinds_load_as_generic_objects() -> None:
    text = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 3}\n"
    (obj,) = manifest.load(text)
    assert isinstance(obj, GenericObject)
    assert obj.metadata is not None and obj.metadata.name == "w"
    assert obj["spec"] == {"size": 3} and "spec" in obj and obj.get("status") is None
    assert obj.to_dict() == {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": {"size": 3},
    }


def test_generic_objects_round_trip_exactly() -> None:
    wire = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {
            "name": "w",
            "creationTimestamp": "2024-01-01T00:00:00Z",
            "managedFields": [{"manager": "m", "fieldsV1": {"f:spec": {}}}],
            "futureField": {"x": 1},
        },
        "spec": {"a": [1, 2.5, None, True, {"b": ""}]},
        "status": {},
    }
    obj = GenericObject.model_validate(wire)
    assert obj.to_dict() == wire
    assert json.loads(obj.to_json()) == wire
    built = GenericObject(api_version="v1", kind="Thing", spec={"x": 1})
    assert built.to_dict() == {"apiVersion": "v1", "kind": "Thing", "spec": {"x": 1}}
    built["status"] = {"ok": True}
    assert built["status"] == {"ok": True}


@pytest.mark.parametrize(
    ("text", "line", "document", "message"),
    [
        ("a: 1\n---\nkind: [\n", 4, 1, "expected the node content"),
        ("apiVersion: v1\nmetadata: {name: x}\n", 1, 0, "kind not set"),
        ("apiVersion: v1\nkind: ConfigMap\n---\n- a\n- b\n", 4, 1, "not an object"),
        ("---\njust text\n", 2, 0, "not an object: the document is a str"),
        ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [x]\n", 4, 0, "/metadata/name"),
        ("apiVersion: v1\nkind: ConfigMap\ndata: {a: .inf}\n", 3, 0, "not a JSON number"),
    ],
)
def test_bad_manifests_name_file_line_and_document(
    text: str, line: int, document: int, message: str
) -> None:
    with pytest.raises(ManifestError) as info:
        manifest.load(text, name="bad.yaml")
    problem = info.value.problems[0]
    assert (problem.file, problem.line, problem.document) == ("bad.yaml", line, document)
    assert message in str(info.value)
    assert str(info.value).startswith(f"bad.yaml:{line}: document {document}")


def test_binary_and_missing_files(tmp_path: Path) -> None:
    binary = tmp_path / "image.yaml"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    with pytest.raises(ManifestError, match=r"image.yaml:\d+: document 0: not UTF-8"):
        manifest.load(binary)
    with pytest.raises(ManifestError, match="no such file or folder"):
        manifest.load(tmp_path / "missing.yaml")


def test_dump_yaml_as_kubectl_prints_and_reads_back() -> None:
    cm = ConfigMap.model_validate(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "c", "labels": {"z": "1", "a": "y"}},
            "data": {"b": "on", "a": "0o17", "c": "=", "d": "2024-01-02", "e": "plain"},
        }
    )
    text = manifest.dump_yaml([cm, cm])
    assert text.startswith("apiVersion: v1\nkind: ConfigMap\nmetadata:\n")
    assert "  a: 'y'\n" in text and "  b: 'on'\n" in text and "  a: '0o17'\n" in text
    assert "e: plain\n" in text and "\n---\n" in text
    again = manifest.load(text)
    assert [o.to_dict() for o in again] == [cm.to_dict(), cm.to_dict()]
    listed = json.loads(manifest.dump_json([cm, cm]))
    assert listed["kind"] == "List" and len(listed["items"]) == 2
    assert list(json.loads(manifest.dump_json([cm]))) == ["apiVersion", "kind", "metadata", "data"]


def test_registry_imports_nothing_until_asked() -> None:
    code = (
        "import sys\n"
        "from kubetyped import registry\n"
        "info = registry.lookup('apps/v1', 'Deployment')\n"
        "assert info is not None and info.client == 'Deployments' and info.namespaced\n"
        "assert 'kubetyped.k8s.apps.v1' not in sys.modules, sorted(sys.modules)\n"
        "assert registry.model_for('apps/v1', 'Deployment').__name__ == 'Deployment'\n"
        "assert 'kubetyped.k8s.apps.v1' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_registry_lookups() -> None:
    assert registry.model_for("apps/v1", "Deployment") is Deployment
    clients = registry.clients_for("v1", "ConfigMap")
    assert clients is not None and [c.__name__ for c in clients] == [
        "ConfigMaps",
        "AsyncConfigMaps",
    ]
    assert registry.model_for("example.com/v1", "Widget") is None
    assert registry.clients_for("v1", "Status") is None
    info = registry.lookup("rbac.authorization.k8s.io/v1", "ClusterRole")
    assert (
        info is not None and info.namespaced is False and info.group == "rbac.authorization.k8s.io"
    )
    with pytest.raises(ValueError, match="not a package generated by kubetyped"):
        KindRegistry(("json",))


def test_registry_takes_a_crd_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    crd = ROOT.parent / "shared" / "crds" / "cert-manager" / "cert-manager.io_issuers.yaml"
    if not crd.exists():
        crd = next((ROOT / "tests" / "data" / "crds").rglob("*.yaml"))
    out = tmp_path / "mycluster"
    # --base none: the whole spec and the CRD in one package (--crd alone writes the CRD's
    # group-versions only, on top of kubetyped.k8s), so both packages have apps/v1.
    args = ["generate", "--out", str(out), "--package", "mycluster", "--crd", str(crd)]
    assert main([*args, "--base", "none"]) == 0
    monkeypatch.syspath_prepend(str(tmp_path))
    reg = KindRegistry()
    reg.register_package("mycluster")
    assert reg.packages == ["kubetyped.k8s", "mycluster"]
    found = [k for k in reg.kinds() if k.package == "mycluster" and k.client]
    crd_kinds = [k for k in found if "." in k.group and not k.group.endswith("k8s.io")]
    assert crd_kinds, "the CRD's kind is in the index"
    model = reg.model_for(crd_kinds[0].api_version, crd_kinds[0].kind)
    assert model is not None and model.__module__.startswith("mycluster.")
    # The registered package wins over the default for the kinds both have.
    deployment = reg.model_for("apps/v1", "Deployment")
    assert deployment is not None and deployment.__module__ == "mycluster.apps.v1"


def test_apply_order() -> None:
    kinds = [
        "Widget",
        "Deployment",
        "Service",
        "Role",
        "ConfigMap",
        "CustomResourceDefinition",
        "Namespace",
    ]
    versions = {"Deployment": "apps/v1", "Role": "rbac.authorization.k8s.io/v1"}
    versions |= {"CustomResourceDefinition": "apiextensions.k8s.io/v1", "Widget": "example.com/v1"}
    objs = [
        {"apiVersion": versions.get(k, "v1"), "kind": k, "metadata": {"name": "x"}} for k in kinds
    ]
    objs.insert(0, {"apiVersion": "example.com/v1", "kind": "Service", "metadata": {"name": "x"}})
    ordered = [f"{o['apiVersion']} {o['kind']}" for o in apply_order(objs)]
    assert ordered == [
        "v1 Namespace",
        "apiextensions.k8s.io/v1 CustomResourceDefinition",
        "v1 ConfigMap",
        "rbac.authorization.k8s.io/v1 Role",
        "v1 Service",
        "apps/v1 Deployment",
        "example.com/v1 Service",  # a custom resource, whatever its kind is called
        "example.com/v1 Widget",
    ]


def test_wait_conditions() -> None:
    def obj(
        generation: int, conditions: list[dict[str, Any]], observed: int | None = None
    ) -> dict[str, Any]:
        status: dict[str, Any] = {"conditions": conditions}
        if observed is not None:
            status["observedGeneration"] = observed
        return {"metadata": {"generation": generation}, "status": status}

    available = {"type": "Available", "status": "True"}
    assert condition_met(obj(1, [available]), "Available")
    assert condition_met(obj(1, [available]), "available")  # kubectl compares case-insensitively
    assert not condition_met(obj(1, [available]), "Available", "False")
    assert not condition_met(obj(2, [{**available, "observedGeneration": 1}]), "Available")
    assert not condition_met(obj(1, []), "Available")
    assert generation_observed(obj(2, [], observed=2))
    assert not generation_observed(obj(2, [], observed=1))
    assert not generation_observed(obj(2, []))


# -- kubetyped validate ----------------------------------------------------------------------


def validate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["validate", *args])
    out, err = capsys.readouterr()
    return code, out + err


def readme_examples(tmp_path: Path) -> list[tuple[Path, int]]:
    """The README's YAML blocks, each with the problem count its first line announces."""
    blocks = re.findall(r"^```yaml\n(.*?)^```", (ROOT / "README.md").read_text(), re.S | re.M)
    found = []
    for i, block in enumerate(blocks):
        m = re.match(r"# kubetyped validate: (\d+) problems", block)
        if m:
            path = tmp_path / f"readme-{i}.yaml"
            path.write_text(block)
            found.append((path, int(m.group(1))))
    assert len(found) >= 2, "the README's manifest examples are gone"
    return found


def test_validate_readme_examples(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for path, count in readme_examples(tmp_path):
        code, out = validate(capsys, str(path))
        assert code == (1 if count else 0), out
        assert f"{count} problem(s)" in out
        if count:
            # The comment on each line at fault names the path the error names.
            for line in path.read_text().splitlines():
                if "  # /" in line:
                    pointer = line.split("  # ", 1)[1].split(":", 1)[0]
                    assert re.search(
                        rf"{re.escape(str(path))}:\d+: document 0 {re.escape(pointer)}:", out
                    ), out
            assert f"{path}:7: document 0 /spec/replicas: Input should be a valid integer" in out


BAD = {
    "syntax.yaml": ("apiVersion: v1\nkind: ConfigMap\ndata: {a: [}\n", "syntax.yaml:3: document 0"),
    "nokind.yaml": (
        "apiVersion: v1\nmetadata: {name: x}\n",
        "nokind.yaml:1: document 0: kind not set",
    ),
    "unknown.yaml": (
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n",
        "unknown.yaml:2: document 0 /kind: unknown apiVersion example.com/v1 (kind Widget)",
    ),
    "typo.yaml": (
        "apiVersion: apps/v1\nkind: Deploymnet\nmetadata: {name: w}\n",
        "typo.yaml:2: document 0 /kind: no kind Deploymnet in apps/v1; did you mean Deployment?",
    ),
    "list.yaml": (
        "---\n- 1\n- 2\n",
        "list.yaml:2: document 0: not an object: the document is a list",
    ),
    "binary.json": ("\x00\x01\x02", "binary.json:1: document 0: not text: contains a NUL byte"),
    "fields.yaml": (
        "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports:\n    - port: http\n      protocl: TCP\n",
        "fields.yaml:7: document 0 /spec/ports/0/protocl: unknown field",
    ),
}


def test_validate_a_folder_of_good_and_bad(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good"
    good.mkdir()
    (good / "app.yaml").write_text(GOOD)
    assert validate(capsys, str(good)) == (0, "3 object(s) valid, 0 problem(s)\n")
    bad = tmp_path / "bad"
    bad.mkdir()
    for name, (text, _) in BAD.items():
        (bad / name).write_text(text)
    (bad / "app.yaml").write_text(GOOD)
    code, out = validate(capsys, str(bad))
    assert code == 1
    for _, expected in BAD.values():
        assert expected in out, out
    assert (
        "fields.yaml:6: document 0 /spec/ports/0/port: Input should be a valid integer (got string)"
        in out
    )
    assert "Traceback" not in out
    code, out = validate(capsys, "--output", "json", str(bad / "typo.yaml"), str(good))
    report = json.loads(out)
    assert code == 1 and report["valid"] == 3
    assert report["problems"] == [
        {
            "file": str(bad / "typo.yaml"),
            "line": 2,
            "document": 0,
            "path": "/kind",
            "kind": "apps/v1 Deploymnet",
            "message": "no kind Deploymnet in apps/v1; did you mean Deployment?",
        }
    ]
