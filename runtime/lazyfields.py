"""Models decoded from wire data whose fields are converted the first time they are read.

A pod is 168 model instances; building them all costs pydantic-core about four times what
parsing the JSON costs, and a watch or an informer decodes every object it sees while its
handlers read a few fields of each. :func:`from_wire` makes the model from the parsed wire
dict at once but converts a field only when it is read (``pod.spec`` becomes a ``PodSpec``
whose own fields wait in turn), storing the result, so each field is converted at most once
and what is never read is never built. A model with no model in its fields (a port, an env
var, a condition) is validated whole when it is reached: it costs about one field's read.

Each field of such a class gets a descriptor on the class (made with the class's plan, on its
first ``from_wire``): reading an unconverted field calls it, and once the value is kept in the
instance dict, attribute lookup finds it there without a call, as for any pydantic model.

The object is the model class itself (``type(pod) is Pod``) and behaves as one built by
``model_validate`` of the same dict: everything that looks at the whole object (dumps,
``==``, ``repr``, copies, pickling, setting a field) first converts every field, through
the model's ``__dict__`` (see ``K8sModel``). What differs: a field that does not validate
raises its ``ValidationError`` when it is read, not when the object is decoded, and a required
field the wire left out is missing (``AttributeError``), as with ``model_construct``.
"""

from __future__ import annotations

import copy
import functools
import threading
import types
import typing
from collections.abc import Callable
from typing import Annotated, Any, TypeVar, cast

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails, InitErrorDetails

__all__ = ["RAW", "NoCheck", "from_wire", "has_required", "materialize", "wire_model"]

M = TypeVar("M", bound=BaseModel)

REAL_DICT: Any = BaseModel.__dict__["__dict__"]
"""The instance dict itself, under ``K8sModel``'s ``__dict__`` property."""
_instance_dict = REAL_DICT.__get__
# pydantic's slots, set as ``model_construct`` sets them, without a lookup by name.
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


class _Raw:
    """Key of the wire dict in an unconverted model's instance dict. Not a string, so no
    attribute lookup can find it; taken out once every field is converted."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "RAW"


RAW: Any = _Raw()


class NoCheck:
    """Base of field metadata that checks nothing of a value that is not null (merge markers,
    ``NullOnWire``, the lazy items marker): a field with only such metadata may take the
    readers' fast paths."""

    __slots__ = ()


def wire_model(cls: object) -> bool:
    """Whether ``cls`` is a generated model (a ``K8sModel``), which ``from_wire`` can make."""
    return isinstance(cls, type) and issubclass(cls, BaseModel) and hasattr(cls, "_k8s_names")


_IMMUTABLE = (type(None), str, int, float, bool)
_MISSING: Any = object()


class _Plan:
    """What ``from_wire`` and the fields' descriptors need of one model class, made on its
    first use."""

    __slots__ = (
        "defaults",
        "eager",
        "fields",
        "make",
        "model",
        "names",
        "new",
        "required",
        "shapes",
    )

    def __init__(self, model: type[BaseModel]) -> None:
        self.model = model
        self.new = model.__new__  # object.__new__, looked up once
        fields = model.__pydantic_fields__
        self.names: dict[str, str] = model._k8s_names()  # type: ignore[attr-defined]
        # A field the wire leaves out starts as its default, in the instance dict, so reading
        # it costs a dict lookup; most fields of most objects are unset.
        self.defaults = {
            name: info.default
            for name, info in fields.items()
            if not info.is_required()
            and info.default_factory is None
            and isinstance(info.default, _IMMUTABLE)
        }
        self.fields = {name: _field(model, name, info) for name, info in fields.items()}
        # Each field's descriptor goes on the class, unless the name is taken there (a method
        # a field shadows): such a field is converted when the object is made.
        self.eager: set[str] = set()
        for name, field in self.fields.items():
            if isinstance(getattr(model, name, None), (_Field, type(None))):
                type.__setattr__(model, name, field)
            else:
                self.eager.add(name)
        # How the model is made when a field holding it is read. One with no model in its
        # fields (a port, an env var, a condition) is about the size of one field: validated
        # whole, its fields then cost nothing to read.
        leaf = not any(_has_model(info.annotation) for info in fields.values())
        self.make: Callable[[dict[str, Any]], Any] = (
            model.model_validate if leaf else functools.partial(from_wire, model)
        )
        self.required = frozenset(
            _wire_name(name, info) for name, info in fields.items() if info.is_required()
        )
        # The objects of a kind on the wire come in a few shapes (the same keys, in the same
        # order): what a shape means is worked out once and kept, a bounded number of them.
        self.shapes: dict[tuple[str, ...], _Shape] = {}

    def shape(self, raw: dict[str, Any]) -> _Shape:
        """What the keys of ``raw`` mean for this model: fields set, unknown keys, defaults."""
        values = dict(self.defaults)
        fields_set: set[str] = set()
        extra: list[str] = []
        for key in raw:
            name = self.names.get(key)
            if name is None:
                extra.append(key)
                fields_set.add(key)
            else:
                fields_set.add(name)
                values.pop(name, None)  # read from the wire when asked
        eager = tuple(self.fields[name] for name in self.eager & fields_set)
        shape = _Shape(values, frozenset(fields_set), tuple(extra), eager)
        if len(self.shapes) < _SHAPES:
            self.shapes[tuple(raw)] = shape
        return shape


_SHAPES = 256


class _Shape:
    """The meaning of one set of wire keys for a model."""

    __slots__ = ("eager", "extra", "fields_set", "values")

    def __init__(
        self,
        values: dict[Any, Any],
        fields_set: frozenset[str],
        extra: tuple[str, ...],
        eager: tuple[_Field, ...],
    ) -> None:
        self.values = values  # the defaults of the fields the wire leaves out
        self.fields_set = fields_set
        self.extra = extra
        self.eager = eager  # fields converted at once (see _Plan.eager)


_plans_lock = threading.Lock()


def _plan(model: type[BaseModel]) -> _Plan:
    """``model``'s own plan (a subclass makes its own), made on first use."""
    plan: _Plan | None = getattr(model, "__k8s_plan__", None)
    if plan is not None and plan.model is model:
        return plan
    with _plans_lock:  # two threads make one plan
        plan = model.__dict__.get("__k8s_plan__")
        if plan is None:
            plan = _Plan(model)
            type.__setattr__(model, "__k8s_plan__", plan)
    return plan


def from_wire(model: type[M], raw: dict[str, Any]) -> M:
    """``model`` over the wire dict ``raw``, its fields converted when first read.

    ``raw`` becomes the object's: do not change it afterwards.
    """
    plan = _plan(model)
    shape = plan.shapes.get(tuple(raw)) or plan.shape(raw)
    values = shape.values.copy()
    values[RAW] = raw
    obj = plan.new(model)
    REAL_DICT.__set__(obj, values)
    _set_fields_set(obj, set(shape.fields_set))
    _set_extra(obj, {key: raw[key] for key in shape.extra} if shape.extra else {})
    _set_private(obj, None)
    for field in shape.eager:
        field.__get__(obj)
    return obj


def _has_model(annotation: Any) -> bool:
    return wire_model(annotation) or any(_has_model(arg) for arg in typing.get_args(annotation))


def has_required(model: type[BaseModel], raw: dict[str, Any]) -> bool:
    """Whether the wire dict holds every field ``model`` requires (its own, not its parts')."""
    return _plan(model).required.issubset(raw)


def materialize(values: dict[Any, Any], model: type[BaseModel]) -> None:
    """Convert every field still unread in the instance dict ``values``, in place."""
    raw = values.get(RAW)
    if raw is None:
        return
    # Everything at once is pydantic-core's work (the eager decode's cost), not a reader call
    # per field; the readers are left for wire data that does not validate as a whole (a
    # required field left out, a bad value: raised by the field's reader, named).
    try:
        validated = REAL_DICT.__get__(model.model_validate(raw))
    except ValidationError:
        validated = None
    converted = {}
    for name, field in _plan(model).fields.items():
        value = values.get(name, _MISSING)
        if value is _MISSING:
            value = validated[name] if validated is not None else field.read(raw)
        if value is not _MISSING:
            converted[name] = value
    # In field order, as pydantic makes it (dumps and repr follow it). The wire dict goes with
    # the rest, so a thread reading a field meanwhile finds either the value or the wire dict.
    values.update(converted)
    for name in converted:
        values[name] = values.pop(name)
    values.pop(RAW, None)


def _wire_name(name: str, info: FieldInfo) -> str:
    return info.validation_alias if isinstance(info.validation_alias, str) else name


class _Field:
    """One field of the models ``from_wire`` makes, on their class: its first read converts the
    value from the wire dict and keeps it in the instance dict, where later reads find it."""

    __slots__ = ("convert", "exact", "name", "wire_name")

    def __init__(
        self, name: str, wire_name: str, convert: Callable[[Any], Any], exact: type | None
    ) -> None:
        self.name, self.wire_name = name, wire_name
        self.convert = convert  # the wire's value -> the field's, or _MISSING
        self.exact = exact  # a type whose wire values are the field's values as they are

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:  # on the class, as pydantic has it: no attribute
            raise AttributeError(self.name)
        values = _instance_dict(obj)
        raw = values.get(RAW)
        value = _MISSING if raw is None else raw.get(self.wire_name, _MISSING)
        if type(value) is not self.exact:
            # A model not made over wire data (model_construct) that lacks the field raises.
            value = _MISSING if raw is None else self.convert(value)
            if value is _MISSING:
                raise AttributeError(
                    f"{type(obj).__name__!r} object has no attribute {self.name!r}"
                )
        # Threads reading a field at once each convert it; all of them get the first one kept,
        # so a change made through one thread's part is not lost to another's copy.
        return values.setdefault(self.name, value)

    def read(self, raw: dict[str, Any]) -> Any:
        """The field's value from the wire dict ``raw``; ``_MISSING`` for a required field the
        wire left out."""
        value = raw.get(self.wire_name, _MISSING)
        return value if type(value) is self.exact else self.convert(value)


def _field(model: type[BaseModel], name: str, info: FieldInfo) -> _Field:
    """One field's descriptor: a fast path for what the wire almost always holds (a nested
    model's dict, a list of them, a plain string or number), pydantic for the rest."""
    wire_name = _wire_name(name, info)
    if info.is_required():

        def missing() -> Any:
            return _MISSING

    elif info.default_factory is not None:
        missing = info.default_factory  # type: ignore[assignment]
    else:
        default = info.default

        def missing() -> Any:
            return default if isinstance(default, _IMMUTABLE) else copy.deepcopy(default)

    adapter: list[TypeAdapter[Any]] = []  # made on first use: most fields never need it

    def validate(value: Any) -> Any:
        if value is _MISSING:
            return missing()
        if not adapter:
            parts = (info.annotation, *info.metadata)
            adapter.append(TypeAdapter(cast(Any, Annotated)[parts] if info.metadata else parts[0]))
        try:
            return adapter[0].validate_python(value)
        except ValidationError as exc:  # named as an eager decode would name it
            raise ValidationError.from_exception_data(
                model.__name__,
                [_located(error, wire_name) for error in exc.errors()],
                hide_input=True,
            ) from None

    fast = _fast_path(info)
    if fast is None:
        return _Field(name, wire_name, validate, None)
    inner, nullable = _optional(info.annotation)

    def convert(value: Any) -> Any:
        result = fast(value)
        if result is not _SLOW:
            return result
        # Not the wire's usual shape (a null where the field is not nullable, a wrong type, a
        # leaf that does not validate): pydantic converts it or says why not, from this field.
        return None if value is None and nullable else validate(value)

    return _Field(name, wire_name, convert, inner if inner in (str, int, bool) else None)


_SLOW: Any = object()


def _fast_path(info: FieldInfo) -> Callable[[Any], Any] | None:
    """A conversion of what the wire almost always holds for this field (a nested model's
    dict, a list or map of them, a plain string or number, strings), giving ``_SLOW`` for
    anything else; None where the field has no such path."""
    if not all(isinstance(meta, NoCheck) for meta in info.metadata):
        return None
    inner = _optional(info.annotation)[0]
    origin, args = typing.get_origin(inner), typing.get_args(inner)
    item: Any = args[-1] if origin in (list, dict) and args else None
    keyed_by_str = origin is dict and args[0] is str

    if wire_model(inner):

        def one_model(value: Any) -> Any:
            if type(value) is not dict:
                return _SLOW
            try:
                return _plan(inner).make(value)
            except ValidationError:  # a leaf, validated whole
                return _SLOW

        return one_model
    if origin is list and wire_model(item):

        def model_list(value: Any) -> Any:
            if type(value) is not list or not all(type(entry) is dict for entry in value):
                return _SLOW
            make = _plan(item).make
            try:
                return [make(entry) for entry in value]
            except ValidationError:
                return _SLOW

        return model_list
    if keyed_by_str and wire_model(item):

        def model_map(value: Any) -> Any:
            if type(value) is not dict or not all(type(v) is dict for v in value.values()):
                return _SLOW
            make = _plan(item).make
            try:
                return {key: make(entry) for key, entry in value.items()}
            except ValidationError:
                return _SLOW

        return model_map
    if inner in (str, int, bool):
        return lambda value: value if type(value) is inner else _SLOW
    if origin is list and item is str:
        return lambda value: (
            value if type(value) is list and all(type(v) is str for v in value) else _SLOW
        )
    if keyed_by_str and item is str:
        return lambda value: (
            value if type(value) is dict and all(type(v) is str for v in value.values()) else _SLOW
        )
    return None


def _located(error: ErrorDetails, wire_name: str) -> InitErrorDetails:
    located: InitErrorDetails = {
        "type": error["type"],
        "loc": (wire_name, *error["loc"]),
        "input": error["input"],
    }
    if "ctx" in error:
        located["ctx"] = error["ctx"]
    return located


def _optional(annotation: Any) -> tuple[Any, bool]:
    """``(Foo, True)`` for ``Foo | None``; ``(annotation, False)`` otherwise."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False
