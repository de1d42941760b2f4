"""The items of a list kind decoded from JSON, each made a model the first time it is read.

Validating a list answer eagerly builds every item's models at once: for a 2,000-pod list,
two thirds of the decode time and most of the memory go to objects a caller may never read
(it filters by name, counts, or reads a few). So a list kind decoded from JSON (``PodList``,
``ConfigMapList``, a custom resource's list) keeps its ``items`` as the wire dicts that
pydantic-core parsed, in a :class:`LazyItems`, and makes an item its model (``Pod``) when it is
indexed or iterated, replacing the dict, so each item is made at most once. A generated
model is made over its wire dict with ``from_wire`` (see lazyfields): its fields are converted
in turn when read.

``LazyItems`` is a ``list``: the type checker sees ``list[Pod]``, and every list operation
gives models. What differs from eager validation: a field that does not validate raises its
``ValidationError`` when it is read rather than when the list is decoded. Lists built in
Python (``PodList(items=[...])``, ``model_validate`` of a dict) are validated at once, as
always; dumping a list (``to_dict``, ``to_json``, ``model_dump``) converts the unread items
first, so its output is the models'. The wire dicts are validated in Python mode, which reads
JSON's values the same way here: times from text, base64 bytes from text (``Base64Bytes``
decodes text in both modes).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator
from typing import Any, SupportsIndex, overload

from pydantic import BaseModel, GetCoreSchemaHandler
from pydantic_core import core_schema

from .lazyfields import NoCheck, from_wire, wire_model

__all__ = ["LAZY", "LazyItems", "lazy_items"]


class LazyItems(list[Any]):
    """A list whose wire-dict entries become models when read (see the module docstring)."""

    __slots__ = ("_all_read", "_model", "_wire")

    def __init__(self, raw: Iterable[Any], model: type[BaseModel]) -> None:
        super().__init__(raw)
        self._model = model
        # A generated model is made over its wire dict, its fields converted when read.
        self._wire = wire_model(model)
        # Set once a full pass has replaced every dict. No counter: threads reading the same
        # entry at once may both validate it, and a count would then drift.
        self._all_read = False

    def _read(self, index: int) -> Any:
        value = list.__getitem__(self, index)
        if type(value) is dict:
            model = self._model
            value = from_wire(model, value) if self._wire else model.model_validate(value)
            list.__setitem__(self, index, value)
        return value

    def materialize(self) -> LazyItems:
        """Validate every unread item now; returns the list itself."""
        if not self._all_read:
            for index in range(len(self)):
                self._read(index)
            self._all_read = True
        return self

    @overload
    def __getitem__(self, index: SupportsIndex) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...
    def __getitem__(self, index: SupportsIndex | slice) -> Any:
        if isinstance(index, slice):
            return list.__getitem__(self.materialize(), index)
        position = index.__index__()
        if self._all_read:
            return list.__getitem__(self, position)
        if position < 0:
            position += len(self)
        if not 0 <= position < len(self):
            raise IndexError("list index out of range")
        return self._read(position)

    def __iter__(self) -> Iterator[Any]:
        if self._all_read:
            yield from list.__iter__(self)
            return
        index = 0
        while index < len(self):  # the list may change while it is iterated, as a list may
            yield self._read(index)
            index += 1

    def __reversed__(self) -> Iterator[Any]:
        return list.__reversed__(self.materialize())

    def __repr__(self) -> str:
        return list.__repr__(self.materialize())

    def __radd__(self, other: list[Any]) -> list[Any]:
        # ``[] + lazy``: list has no __radd__, but a subclass's reflected method goes first.
        return other + list(self)

    def __copy__(self) -> list[Any]:
        return list(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> list[Any]:
        return copy.deepcopy(list(self), memo)

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[Any, ...]:
        return (list, (list(self),))


def _reading_all(name: str) -> Callable[..., Any]:
    method = getattr(list, name)

    def read_all_first(self: LazyItems, *args: Any, **kwargs: Any) -> Any:
        for arg in args:
            if isinstance(arg, LazyItems):  # lazy == lazy compares models, not dicts
                arg.materialize()
        return method(self.materialize(), *args, **kwargs)

    read_all_first.__name__ = name
    read_all_first.__doc__ = method.__doc__
    return read_all_first


# Every other list operation that reads entries sees models: they are validated first.
for _name in (
    "__contains__", "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__add__",
    "__iadd__", "__mul__", "__rmul__", "__imul__", "copy", "count", "index",
    "pop", "remove", "sort",
):  # fmt: skip
    setattr(LazyItems, _name, _reading_all(_name))


class _LazyItemsMarker(NoCheck):
    """Field metadata of a list kind's ``items``: JSON input becomes a :class:`LazyItems`;
    Python input is validated at once; dumps validate what was not read."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        eager = handler(source)
        model = _item_model(source)
        if model is None:
            return eager

        def keep_raw(value: Any) -> Any:
            if type(value) is list:
                return LazyItems(value, model)
            return value  # None: the wire's null, as eager validation keeps it

        def keep_raw_if_asked(
            value: Any,
            validate: core_schema.ValidatorFunctionWrapHandler,
            info: core_schema.ValidationInfo,
        ) -> Any:
            if info.context is LAZY and type(value) is list:
                return LazyItems(value, model)
            return validate(value)

        def dump(value: Any, serialize: core_schema.SerializerFunctionWrapHandler) -> Any:
            if isinstance(value, LazyItems):
                value.materialize()
            return serialize(value)

        return core_schema.json_or_python_schema(
            json_schema=core_schema.no_info_after_validator_function(
                keep_raw, core_schema.nullable_schema(core_schema.list_schema())
            ),
            python_schema=core_schema.with_info_wrap_validator_function(keep_raw_if_asked, eager),
            serialization=core_schema.wrap_serializer_function_ser_schema(dump, schema=eager),
        )

    def __repr__(self) -> str:
        return "lazy_items"


LAZY: dict[str, Any] = {"kubetyped": "lazy items"}
"""Validation context that makes ``model_validate`` of wire dicts keep list items unread, as
JSON input does: ``PodList.model_validate(from_json(body), context=LAZY)``."""

lazy_items = _LazyItemsMarker()
"""``items`` field metadata that makes a list kind keep its JSON items unvalidated until read."""


def _item_model(source: Any) -> type[BaseModel] | None:
    """``Pod`` for ``list[Pod]``; None for anything else (a list of strings stays eager)."""
    args: tuple[Any, ...] = getattr(source, "__args__", ())
    if getattr(source, "__origin__", None) is list and len(args) == 1:
        item = args[0]
        if isinstance(item, type) and issubclass(item, BaseModel):
            return item
    return None
