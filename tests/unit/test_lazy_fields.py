"""Models made over their wire dicts (``from_wire``) convert a field when it is first read,
and are otherwise the models ``model_validate`` makes of the same dicts."""

from __future__ import annotations

import copy
import importlib
import json
import pickle
import threading
from pathlib import Path
from typing import Any

import pytest
from kubetyped.codegen.naming import group_module
from kubetyped.k8s.apiextensions.v1 import CustomResourceDefinition
from kubetyped.k8s.core.v1 import ConfigMap, Pod, PodSpec
from kubetyped.lazyfields import RAW, REAL_DICT, from_wire
from kubetyped.model import K8sModel
from kubetyped.watch import WatchDecoder
from pydantic import ValidationError

WIRE = sorted((Path(__file__).parent.parent / "data" / "wire").glob("*.json"))


def _wire(path: Path) -> tuple[type[K8sModel], dict[str, Any]]:
    obj = json.loads(path.read_text())
    group, _, version = obj["apiVersion"].rpartition("/")
    segment = "meta" if obj["kind"] == "Status" else group_module(group)
    cls = getattr(importlib.import_module(f"kubetyped.k8s.{segment}.{version}"), obj["kind"])
    return cls, obj


def _converted(model: K8sModel) -> set[str]:
    """The fields of ``model`` the wire had that were converted so far (read without
    converting the rest; the unset fields hold their defaults from the start)."""
    return {key for key in REAL_DICT.__get__(model) if key in model.model_fields_set}


def _pod() -> dict[str, Any]:
    path = next(p for p in WIRE if p.stem == "core_v1_Pod")
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def _same_by_reads(lazy: Any, eager: Any, where: str) -> int:
    """Compare field by field through attribute reads only (never ``__dict__``, which would
    convert everything at once); returns how many leaves were compared."""
    if isinstance(eager, K8sModel):
        assert type(lazy) is type(eager), where
        leaves = 0
        for name in type(eager).model_fields:
            if hasattr(eager, name):
                leaves += _same_by_reads(
                    getattr(lazy, name), getattr(eager, name), f"{where}.{name}"
                )
        assert lazy.model_extra == eager.model_extra, where
        assert lazy.model_fields_set == eager.model_fields_set, where
        return leaves
    if isinstance(eager, list):
        assert isinstance(lazy, list) and len(lazy) == len(eager), where
        return sum(
            _same_by_reads(a, b, f"{where}[{i}]")
            for i, (a, b) in enumerate(zip(lazy, eager, strict=True))
        )
    if isinstance(eager, dict):
        assert isinstance(lazy, dict) and lazy.keys() == eager.keys(), where
        return sum(_same_by_reads(lazy[k], eager[k], f"{where}[{k!r}]") for k in eager)
    assert type(lazy) is type(eager) and lazy == eager, where
    return 1


@pytest.mark.parametrize("path", WIRE, ids=lambda p: p.stem)
def test_a_wire_object_reads_and_dumps_as_the_eager_model(path: Path) -> None:
    cls, wire = _wire(path)
    eager = cls.model_validate(copy.deepcopy(wire))
    # Field by field, through each field's reader: the same values, of the same types.
    lazy = from_wire(cls, copy.deepcopy(wire))
    assert type(lazy) is cls
    assert _same_by_reads(lazy, eager, cls.__name__) > 0
    # Converted all at once (a dump, ==): the same object and the same wire form.
    fresh = from_wire(cls, copy.deepcopy(wire))
    assert fresh.to_json() == eager.to_json()  # the same keys in the same order
    assert fresh.to_dict() == wire
    assert fresh == eager and eager == from_wire(cls, copy.deepcopy(wire))
    assert json.loads(from_wire(cls, copy.deepcopy(wire)).to_json()) == wire


def test_a_read_converts_that_field_and_nothing_else() -> None:
    pod = from_wire(Pod, _pod())
    assert _converted(pod) == set()
    assert pod.metadata is not None and pod.metadata.name
    assert _converted(pod) == {"metadata"}
    assert _converted(pod.metadata) == {"name"}
    assert pod.spec is not None
    first = pod.spec.containers[0]
    assert _converted(pod.spec) == {"containers"} and _converted(first) == set()
    assert pod.spec is pod.spec  # kept: converted once
    assert RAW in REAL_DICT.__get__(pod)


def test_whatever_reads_the_whole_object_converts_it_first() -> None:
    wire = _pod()
    eager = Pod.model_validate(copy.deepcopy(wire))
    assert repr(from_wire(Pod, copy.deepcopy(wire))) == repr(eager)
    assert pickle.loads(pickle.dumps(from_wire(Pod, copy.deepcopy(wire)))) == eager
    assert copy.deepcopy(from_wire(Pod, copy.deepcopy(wire))) == eager
    assert copy.copy(from_wire(Pod, copy.deepcopy(wire))) == eager
    assert from_wire(Pod, copy.deepcopy(wire)).model_copy(deep=True) == eager
    assert dict(from_wire(Pod, copy.deepcopy(wire))) == dict(eager)
    assert vars(from_wire(Pod, copy.deepcopy(wire))) == vars(eager)
    lazy = from_wire(Pod, copy.deepcopy(wire))
    _ = lazy.metadata
    assert RAW not in vars(lazy) and RAW not in REAL_DICT.__get__(lazy)


def test_read_modify_write_keeps_every_field_and_unknown_ones_at_depth() -> None:
    wire = _pod()
    wire["spec"]["containers"][0]["zzFuture"] = {"on": True}
    wire["zzTop"] = [1, "two"]
    pod = from_wire(Pod, copy.deepcopy(wire))
    assert pod.spec is not None
    pod.spec.node_name = "node-9"  # set before anything else of the spec was read
    assert pod.spec.containers[0].model_extra == {"zzFuture": {"on": True}}
    sent = pod.to_dict()
    assert sent["spec"]["nodeName"] == "node-9"
    wire["spec"]["nodeName"] = "node-9"
    assert sent == wire


def test_a_bad_field_raises_when_read_naming_its_model_and_place() -> None:
    wire = _pod()
    wire["spec"]["containers"][0]["ports"] = [{"containerPort": "eighty"}]
    pod = from_wire(Pod, wire)
    assert pod.metadata is not None  # the rest reads
    assert pod.spec is not None
    container = pod.spec.containers[0]
    # A port has no model in it: it is validated whole when the list is read.
    with pytest.raises(ValidationError, match=r"for Container\nports\.0\.containerPort\n"):
        _ = container.ports
    with pytest.raises(ValueError, match="containerPort"):
        pod.to_dict()
    with pytest.raises(ValidationError, match=r"for PodSpec\ncontainers\n"):
        _ = from_wire(PodSpec, {"containers": "not a list"}).containers


def test_a_required_field_the_wire_left_out_is_missing_as_with_model_construct() -> None:
    # A watch bookmark carries only metadata, even for a kind with required fields.
    wire = {"kind": "CustomResourceDefinition", "metadata": {"resourceVersion": "7"}}
    crd = from_wire(CustomResourceDefinition, copy.deepcopy(wire))
    assert crd.metadata is not None and crd.metadata.resource_version == "7"
    with pytest.raises(AttributeError, match="spec"):
        _ = crd.spec
    assert crd.to_dict() == wire


def test_models_built_in_python_are_not_affected() -> None:
    cm = ConfigMap(data={"a": "b"})
    assert RAW not in REAL_DICT.__get__(cm)
    assert vars(cm) is REAL_DICT.__get__(cm)
    with pytest.raises(AttributeError, match="no_such_field"):
        _ = cm.no_such_field  # type: ignore[attr-defined]
    assert not hasattr(from_wire(ConfigMap, {}), "no_such_field")


def test_threads_reading_one_object_at_once_see_the_same_values() -> None:
    wire = _pod()
    eager = Pod.model_validate(copy.deepcopy(wire))
    pods = [from_wire(Pod, copy.deepcopy(wire)) for _ in range(50)]
    start = threading.Barrier(8)
    failures: list[BaseException] = []

    def reader(which: int) -> None:
        start.wait()
        try:
            for pod in pods:
                if which % 2:
                    assert pod.to_dict() == wire
                else:
                    assert pod.spec is not None and eager.spec is not None
                    assert pod.spec.containers[0].image == eager.spec.containers[0].image
                    assert pod.status == eager.status
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            failures.append(exc)

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    assert all(pod == eager for pod in pods)


def test_watch_events_carry_unconverted_objects() -> None:
    line = json.dumps({"type": "MODIFIED", "object": _pod()}).encode()
    event = WatchDecoder(Pod).decode(line)
    assert event.type == "MODIFIED" and type(event.object) is Pod
    assert _converted(event.object) == set()
    assert event.object == Pod.model_validate(_pod())


def test_objects_of_one_shape_share_nothing_but_its_meaning() -> None:
    # The same keys in the same order: what they mean is worked out once per class and kept.
    first = from_wire(ConfigMap, {"data": {"a": "1"}, "zz": [1]})
    second = from_wire(ConfigMap, {"data": {"b": "2"}, "zz": [2]})
    other = from_wire(ConfigMap, {"zz": 3, "binaryData": {}})
    assert first.model_extra == {"zz": [1]} and second.model_extra == {"zz": [2]}
    assert other.model_extra == {"zz": 3} and other.model_fields_set == {"zz", "binary_data"}
    first.model_fields_set.add("immutable")
    first.set_extra("yy", 1)
    assert second.model_fields_set == {"data", "zz"} and second.model_extra == {"zz": [2]}
    assert (first.data, second.data, other.data) == ({"a": "1"}, {"b": "2"}, None)
    assert second.to_dict() == {"data": {"b": "2"}, "zz": [2]}


def test_the_classes_read_as_pydantic_classes_do() -> None:
    # Each field's converter sits on the class; the class itself still has no such attribute.
    from_wire(Pod, {"metadata": {"name": "a"}})
    with pytest.raises(AttributeError, match="metadata"):
        _ = Pod.metadata  # type: ignore[misc]
    assert not hasattr(Pod, "spec")
    # A model built in Python without a field (model_construct) still lacks it.
    with pytest.raises(AttributeError, match="'PodSpec' object has no attribute 'containers'"):
        _ = PodSpec.model_construct().containers
    # A subclass made after its parent's converters are on the parent gets its own fields (as
    # pydantic collects them: no converter taken for a default), and the parent's are untouched.
    from_wire(ConfigMap, {})

    class Labelled(ConfigMap):
        owner: str = "nobody"

    mine = from_wire(Labelled, {"data": {"a": "1"}, "owner": "me"})
    assert (mine.data, mine.owner) == ({"a": "1"}, "me")
    assert Labelled().data is None and Labelled.model_fields["data"].default is None
    assert from_wire(ConfigMap, {"owner": "me"}).model_extra == {"owner": "me"}


def test_a_field_named_as_a_method_is_converted_at_once_and_the_method_kept() -> None:
    with pytest.warns(UserWarning, match="shadows an attribute"):

        class Odd(K8sModel):
            set_extra: dict[str, int] | None = None  # type: ignore[assignment]
            name: str | None = None

    odd = from_wire(Odd, {"set_extra": {"a": 1}, "name": "n"})
    assert REAL_DICT.__get__(odd)["set_extra"] == {"a": 1}  # converted when made
    assert odd.set_extra == {"a": 1} and odd.name == "n"
    assert callable(Odd.set_extra)


def test_threads_converting_one_field_at_once_all_get_the_first_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pod = from_wire(Pod, _pod())
    field = Pod.__dict__["metadata"]
    convert = field.convert
    kept: list[Any] = []

    def another_thread_first(value: Any) -> Any:
        # While this read converts, another thread converts the same field and keeps it.
        kept.append(REAL_DICT.__get__(pod).setdefault("metadata", convert(value)))
        return convert(value)

    monkeypatch.setattr(field, "convert", another_thread_first)
    meta = pod.metadata
    assert meta is kept[0] and REAL_DICT.__get__(pod)["metadata"] is meta
