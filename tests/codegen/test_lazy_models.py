"""Generated model classes are built on first use (issue 11), each in a fresh interpreter.

Importing a group-version module builds none of its classes; asking for one builds it and
exactly the classes its fields name, transitively (across group-versions too); classes in a
reference cycle work; a built class is an ordinary class of the public module, so pickling
finds it there.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from codegen_tiny_spec import W, tiny_spec
from kubetyped.codegen.generate import generate_from_spec

# What a probe prints: the generated classes that exist (module.name), and its own result.
PROBE = """
import json, sys, typing
from kubetyped.model import K8sModel

def built():
    seen, todo = set(), [K8sModel]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    return sorted(f"{c.__module__}.{c.__qualname__}" for c in seen
                  if c.__module__.startswith(PREFIX))

def closure(cls):
    '''The generated classes the fields of ``cls`` name, transitively, read off the classes.'''
    found, todo = set(), [cls]
    while todo:
        current = todo.pop()
        if current in found:
            continue
        found.add(current)
        hints = typing.get_type_hints(current)
        stack = [hints[name] for name in current.model_fields]
        while stack:
            t = stack.pop()
            if isinstance(t, type) and issubclass(t, K8sModel):
                todo.append(t)
            stack.extend(typing.get_args(t))
    return sorted(f"{c.__module__}.{c.__qualname__}" for c in found)

result = None
{code}
print(json.dumps({"built": built(), "result": result}))
"""


def _probe(code: str, prefix: str = "kubetyped.k8s.", path: Path | None = None) -> Any:
    source = PROBE.replace("PREFIX", repr(prefix)).replace("{code}", code)
    if path is not None:
        source = f"import sys; sys.path.insert(0, {str(path)!r})\n" + source
    done = subprocess.run(
        [sys.executable, "-c", source], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_importing_a_module_builds_no_class() -> None:
    out = _probe(
        "import kubetyped.k8s.core.v1 as v1\n"
        "result = [len(v1.__all__), 'Pod' in dir(v1), 'Pod' in vars(v1), 'Pods' in dir(v1)]"
    )
    assert out["built"] == []
    assert out["result"] == [out["result"][0], True, False, True]
    assert out["result"][0] > 250  # 222 models, 34 clients


def test_a_class_is_built_with_exactly_the_classes_it_uses() -> None:
    out = _probe("from kubetyped.k8s.core.v1 import Pod\nresult = closure(Pod)")
    built, closure = out["built"], out["result"]
    assert built == closure
    assert {"kubetyped.k8s.core.v1.PodSpec", "kubetyped.k8s.meta.v1.ObjectMeta"} <= set(built)
    for unused in ("Node", "NodeSpec", "PersistentVolume", "PersistentVolumeSpec", "Service"):
        assert f"kubetyped.k8s.core.v1.{unused}" not in built
    assert 100 < len(built) < 222  # Pod uses about half of core/v1


def test_a_built_class_is_a_class_of_the_public_module() -> None:
    out = _probe(
        "import kubetyped.k8s.core.v1 as v1\n"
        "from kubetyped.k8s.core.v1 import Container\n"
        "result = [Container.__module__, Container.__qualname__, v1.Container is Container,"
        " 'Container' in vars(v1), v1.__dict__['Container'] is Container]"
    )
    assert out["result"] == ["kubetyped.k8s.core.v1", "Container", True, True, True]


def test_unknown_names_are_attribute_errors() -> None:
    out = _probe(
        "import kubetyped.k8s.core.v1 as v1\n"
        "try:\n    v1.Pod2\nexcept AttributeError as e:\n    result = str(e)\n"
    )
    assert out["result"] == "module 'kubetyped.k8s.core.v1' has no attribute 'Pod2'"
    assert out["built"] == []


def test_a_pod_pickles_into_an_interpreter_that_never_built_it() -> None:
    out = _probe(
        "import copy, pickle\n"
        "from kubetyped.k8s.core.v1 import Pod\n"
        "pod = Pod.model_validate({'metadata': {'name': 'p', 'labels': {'a': 'b'}},"
        " 'spec': {'containers': [{'name': 'c', 'image': 'nginx'}]}, 'extra': 1})\n"
        "assert copy.copy(pod) == pod and copy.deepcopy(pod) == pod\n"
        "result = pickle.dumps(pod).hex()\n"
    )
    data = out["result"]
    again = _probe(
        "import pickle\n"
        f"pod = pickle.loads(bytes.fromhex({data!r}))\n"
        "result = [type(pod).__module__, pod.to_dict()]"
    )
    assert again["result"] == [
        "kubetyped.k8s.core.v1",
        {
            "metadata": {"name": "p", "labels": {"a": "b"}},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            "extra": 1,
        },
    ]


def test_a_self_referencing_model_works() -> None:
    out = _probe(
        "from kubetyped.k8s.apiextensions.v1 import JSONSchemaProps\n"
        "data = {'type': 'object', 'properties': {'a': {'type': 'array', 'items': {'type':"
        " 'string'}}}, 'allOf': [{'required': ['a']}], 'not': {'type': 'null'}}\n"
        "props = JSONSchemaProps.model_validate(data)\n"
        "assert type(props.properties['a']) is JSONSchemaProps\n"
        "result = [props.to_dict() == data, closure(JSONSchemaProps)]"
    )
    assert out["result"][0] is True
    assert out["built"] == out["result"][1]


@pytest.fixture(scope="module")
def cyclic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A package whose Tree and Branch name each other (mutual recursion), and Leaf that
    only Branch uses."""
    spec = tiny_spec()
    spec["definitions"][f"{W}.Tree"] = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "branches": {"type": "array", "items": {"$ref": f"#/definitions/{W}.Branch"}},
        },
    }
    spec["definitions"][f"{W}.Branch"] = {
        "type": "object",
        "properties": {
            "tree": {"$ref": f"#/definitions/{W}.Tree"},
            "leaf": {"$ref": f"#/definitions/{W}.Leaf"},
        },
    }
    spec["definitions"][f"{W}.Leaf"] = {
        "type": "object",
        "properties": {"color": {"type": "string"}},
    }
    root = tmp_path_factory.mktemp("cyclic")
    for name, text in generate_from_spec(spec, "cyclic.json", "cyclic").items():
        path = root / "cyclic" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_mutually_referencing_models_are_built_together(cyclic: Path) -> None:
    out = _probe(
        "import pickle\n"
        "from cyclic.widgets_example_io.v1 import Branch\n"
        "data = {'tree': {'name': 'a', 'branches': [{'tree': {'name': 'b'}, 'leaf':"
        " {'color': 'red'}}]}}\n"
        "branch = Branch.model_validate(data)\n"
        "assert pickle.loads(pickle.dumps(branch)) == branch\n"
        "result = [branch.to_dict() == data, type(branch.tree).__name__, closure(Branch)]",
        prefix="cyclic.",
        path=cyclic,
    )
    assert out["result"][:2] == [True, "Tree"]
    expected = ["Branch", "Leaf", "Tree"]
    assert out["result"][2] == [f"cyclic.widgets_example_io.v1.{n}" for n in expected]
    assert out["built"] == out["result"][2]


def test_threads_asking_at_once_get_one_class() -> None:
    out = _probe(
        "import threading\n"
        "import kubetyped.k8s.core.v1 as v1\n"
        "got, start = [], threading.Barrier(8)\n"
        "def ask():\n"
        "    start.wait()\n"
        "    got.append(v1.Pod if len(got) % 2 else v1.PodList)\n"
        "threads = [threading.Thread(target=ask) for _ in range(8)]\n"
        "[t.start() for t in threads]\n"
        "[t.join() for t in threads]\n"
        "result = [len(got), len({id(c) for c in got} - {id(v1.Pod), id(v1.PodList)}),"
        " closure(v1.PodList)]"
    )
    assert out["result"][:2] == [8, 0]
    assert out["built"] == out["result"][2]


def test_a_client_builds_only_what_its_answers_decode_to() -> None:
    out = _probe(
        "import httpx, typing\n"
        "from kubetyped import Client, ClusterConfig\n"
        "from kubetyped.k8s.core.v1 import Pods\n"
        "before = built()\n"
        "hints = typing.get_type_hints(Pods.get)\n"  # annotations still evaluate
        "pod = {'apiVersion': 'v1', 'kind': 'Pod', 'metadata': {'name': 'p'}}\n"
        "answer = lambda request: httpx.Response(200, json=pod)\n"
        "config = ClusterConfig(server='https://k8s.test')\n"
        "with Client(config, transport=httpx.MockTransport(answer)) as c:\n"
        "    got = Pods(c).get('p', namespace='x')\n"
        "result = [before, hints['return'] is type(got), got.to_dict() == pod,"
        " closure(type(got))]"
    )
    assert out["result"][:3] == [[], True, True]
    assert out["built"] == out["result"][3]


def test_importing_a_module_imports_no_model_machinery() -> None:
    """What the classes use (pydantic, kubetyped.model, meta/v1) is imported by the first
    class built, not by the import of the module."""
    code = "import sys, kubetyped.k8s.core.v1\nprint(sorted(sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(done.stdout.replace("'", '"')))
    assert {"pydantic", "kubetyped.model", "kubetyped.k8s.meta.v1"}.isdisjoint(loaded)
    assert "kubetyped.k8s.core.v1" in loaded
