"""List kinds decoded from JSON validate their items when read, and nothing else changes."""

from __future__ import annotations

import copy
import importlib
import json
import pickle
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar, Literal

import pytest
from kubetyped.codegen.naming import group_module
from kubetyped.k8s.core.v1 import ConfigMap, ConfigMapList, Pod, PodList, SecretList
from kubetyped.lazyitems import LAZY, LazyItems
from kubetyped.model import K8sModel, K8sObject
from kubetyped.request import decode
from pydantic import ValidationError
from pydantic_core import from_json

WIRE = sorted((Path(__file__).parent.parent / "data" / "wire").glob("*.json"))


@pytest.fixture(autouse=True)
def _no_serializer_warnings() -> Iterator[None]:
    # Dumping a list whose items were never read must not warn (pydantic warns when a list
    # field holds dicts where models belong).
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def _body(*names: str) -> bytes:
    items = [
        {"metadata": {"name": name, "namespace": "default"}, "data": {"k": name}} for name in names
    ]
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "ConfigMapList",
            "metadata": {"resourceVersion": "7"},
            "items": items,
        }
    ).encode()


def _unread(items: list[Any]) -> list[bool]:
    return [type(list.__getitem__(items, i)) is dict for i in range(len(items))]


def test_decode_leaves_items_unread_until_read() -> None:
    lst = decode(ConfigMapList, _body("a", "b", "c"))
    assert isinstance(lst.items, LazyItems) and isinstance(lst.items, list)
    assert len(lst.items) == 3 and _unread(lst.items) == [True, True, True]
    assert lst.metadata is not None and lst.metadata.resource_version == "7"
    second = lst.items[1]
    assert isinstance(second, ConfigMap) and second.data == {"k": "b"}
    assert _unread(lst.items) == [True, False, True]
    assert lst.items[1] is second  # validated once, then kept
    assert lst.items[-1].metadata.name == "c"  # type: ignore[union-attr]
    assert [cm.metadata.name for cm in lst.items] == ["a", "b", "c"]  # type: ignore[union-attr]
    assert _unread(lst.items) == [False, False, False]


def test_model_validate_json_is_lazy_and_python_input_is_not() -> None:
    assert isinstance(ConfigMapList.model_validate_json(_body("a")).items, LazyItems)
    wire = json.loads(_body("a"))
    eager = ConfigMapList.model_validate(wire)
    assert type(eager.items) is list and isinstance(eager.items[0], ConfigMap)
    asked = ConfigMapList.model_validate(from_json(_body("a")), context=LAZY)
    assert isinstance(asked.items, LazyItems)
    built = ConfigMapList(items=[ConfigMap(data={"x": "y"})])
    assert type(built.items) is list


def test_python_input_is_still_validated_at_once() -> None:
    with pytest.raises(ValidationError):
        ConfigMapList.model_validate({"items": [{"data": "not a map"}]})


def test_a_bad_item_raises_when_its_field_is_read_not_when_decoded() -> None:
    body = json.dumps({"items": [{"metadata": {"name": "ok"}}, {"data": 5}]}).encode()
    lst = decode(ConfigMapList, body)
    assert lst.items[0].metadata.name == "ok"  # type: ignore[union-attr]
    bad = lst.items[1]  # type: ignore[index]
    with pytest.raises(ValidationError, match=r"for ConfigMap\ndata\n"):
        _ = bad.data
    with pytest.raises(ValueError, match=r"for ConfigMap\ndata\n"):  # wrapped by the dump
        lst.to_dict()


def test_null_items_stay_null() -> None:
    lst = decode(ConfigMapList, b'{"items": null}')
    assert lst.items is None  # Go's nil slice, kept as the eager decode keeps it
    assert lst.to_dict() == {"items": None}


def test_list_operations_see_models() -> None:
    names = ["c", "a", "b"]
    eager = ConfigMapList.model_validate(json.loads(_body(*names))).items

    def fresh() -> list[ConfigMap]:
        return decode(ConfigMapList, _body(*names)).items

    assert fresh() == eager and not (fresh() != eager)
    assert fresh()[0:2] == eager[0:2]
    assert list(reversed(fresh())) == list(reversed(eager))
    assert eager[2] in fresh()
    assert fresh().index(eager[1]) == 1 and fresh().count(eager[0]) == 1
    assert fresh().copy() == eager and copy.copy(fresh()) == eager
    assert copy.deepcopy(fresh()) == eager
    assert pickle.loads(pickle.dumps(fresh())) == eager
    assert fresh() + [] == eager and [] + fresh() == eager and fresh() * 1 == eager
    popped = fresh().pop()
    assert popped == eager[-1]
    ordered = fresh()
    ordered.sort(key=lambda cm: cm.metadata.name or "")  # type: ignore[union-attr]
    assert [cm.metadata.name for cm in ordered] == ["a", "b", "c"]  # type: ignore[union-attr]
    assert repr(fresh()) == repr(eager)
    assert sorted(fresh(), key=lambda cm: cm.metadata.name or "") == ordered  # type: ignore[union-attr]


def test_dumps_equal_the_eager_ones_and_the_wire() -> None:
    body = _body("a", "b")
    wire = json.loads(body)
    eager = ConfigMapList.model_validate(wire)
    for dump in (
        lambda x: x.to_dict(),
        lambda x: json.loads(x.to_json()),
        lambda x: x.model_dump(),
        lambda x: x.model_dump(mode="json", by_alias=True),
    ):
        lst = decode(ConfigMapList, body)
        assert dump(lst) == dump(eager)
    assert decode(ConfigMapList, body).to_dict() == wire
    assert decode(ConfigMapList, body) == eager
    assert copy.deepcopy(decode(ConfigMapList, body)) == eager


def test_secret_bytes_read_from_wire_dicts_as_from_json() -> None:
    body = json.dumps({"items": [{"metadata": {"name": "s"}, "data": {"k": "aGVsbG8="}}]}).encode()
    assert decode(SecretList, body).items[0].data == {"k": b"hello"}
    assert decode(SecretList, body) == SecretList.model_validate_json(body)


def _list_class(obj: dict[str, Any]) -> type[K8sObject] | None:
    group, _, version = obj["apiVersion"].rpartition("/")
    segment = "meta" if obj["kind"] == "Status" else group_module(group)
    module = importlib.import_module(f"kubetyped.k8s.{segment}.{version}")
    cls = getattr(module, obj["kind"] + "List", None)
    return cls if isinstance(cls, type) and issubclass(cls, K8sObject) else None


def _has_list(path: Path) -> bool:
    obj = json.loads(path.read_text())
    return obj["kind"].endswith("List") or _list_class(obj) is not None


# Every real object whose kind has a list kind (Status and the reviews have none).
LISTABLE = [path for path in WIRE if _has_list(path)]


def test_enough_real_objects() -> None:
    assert len(LISTABLE) >= 30


@pytest.mark.parametrize("path", LISTABLE, ids=lambda p: p.stem)
def test_real_objects_read_lazily_equal_the_eager_decode(path: Path) -> None:
    obj = json.loads(path.read_text())
    if obj["kind"].endswith("List"):
        wire = obj
    else:
        list_cls = _list_class(obj)
        assert list_cls is not None
        # Two items, one with fields the models do not know: those survive too.
        future = {**obj, "zzFuture": {"kept": [1, None]}}
        wire = {
            "apiVersion": obj["apiVersion"],
            "kind": list_cls.__k8s_kind__,
            "items": [obj, future],
        }
    group, _, version = wire["apiVersion"].rpartition("/")
    module = importlib.import_module(f"kubetyped.k8s.{group_module(group)}.{version}")
    cls = getattr(module, wire["kind"])
    body = json.dumps(wire).encode()
    lazy = decode(cls, body)
    assert isinstance(lazy.items, LazyItems)
    eager = cls.model_validate(json.loads(body))  # Python input: validated at once
    assert type(eager.items) is list
    item_cls = type(eager.items[0])
    assert lazy.items == [item_cls.model_validate_json(json.dumps(raw)) for raw in wire["items"]]
    assert lazy == eager
    assert lazy.to_dict() == wire == eager.to_dict()


class _Widget(K8sModel):
    name: str | None = None


class WidgetList(K8sObject):
    """A list kind outside the generated packages (a custom resource's, say)."""

    __k8s_group__: ClassVar[str] = "example.com"
    __k8s_version__: ClassVar[str] = "v1"
    __k8s_kind__: ClassVar[str] = "WidgetList"
    api_version: Literal["example.com/v1"] = "example.com/v1"
    kind: Literal["WidgetList"] = "WidgetList"
    items: list[_Widget]


class WidgetSet(K8sObject):
    """Not a list kind by name: items stay eager."""

    __k8s_group__: ClassVar[str] = "example.com"
    __k8s_version__: ClassVar[str] = "v1"
    __k8s_kind__: ClassVar[str] = "WidgetSet"
    items: list[_Widget]


def test_the_rule_is_the_kind_not_the_class() -> None:
    body = b'{"items": [{"name": "w"}]}'
    assert isinstance(decode(WidgetList, body).items, LazyItems)
    assert type(decode(WidgetSet, body).items) is list
    assert isinstance(decode(PodList, b'{"items": []}').items, LazyItems)
    assert not Pod.__dict__.get("__k8s_lazy_items__", False)


def test_threads_reading_one_list_all_get_models() -> None:
    from concurrent.futures import ThreadPoolExecutor

    names = [f"cm-{i}" for i in range(300)]
    lst = decode(ConfigMapList, _body(*names))

    def read(start: int) -> list[str]:
        picked = [lst.items[(start + i) % len(names)] for i in range(len(names))]
        return [cm.metadata.name or "" for cm in picked]  # type: ignore[union-attr]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(read, range(0, 300, 37)))
    assert all(sorted(result) == sorted(names) for result in results)
    assert (
        not any(_unread(lst.items))
        and lst.items == ConfigMapList.model_validate_json(_body(*names)).items
    )
