"""Base classes of every generated model.

Three promises live here rather than in each generated class:

* unknown fields in wire data survive a read-modify-write (``extra="allow"`` at every depth:
  ``model_validate``, ``model_validate_json``, responses and watch events keep them and
  ``to_dict`` sends them back);
* a keyword the model does not know is an error when the model is built in Python
  (``DeploymentSpec(replica=2)`` raises ``UnknownFieldError``: "DeploymentSpec has no field
  'replica'; did you mean 'replicas'?"), and a type error in pyright and mypy alike;
  ``set_extra`` sets a field the bindings do not know (one a newer server has) on purpose;
* a top-level kind always sends its ``apiVersion`` and ``kind`` even when the caller never set
  them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler
from pydantic.alias_generators import to_camel
from pydantic_core import core_schema

from .lazyfields import RAW, REAL_DICT, NoCheck, materialize
from .lazyitems import lazy_items

__all__ = [
    "CamelModel",
    "K8sModel",
    "K8sObject",
    "ListMarkers",
    "NullOnWire",
    "UnknownFieldError",
]


@dataclass(frozen=True)
class ListMarkers(NoCheck):
    """Kubernetes merge markers of a field, kept as field metadata for merge and apply helpers.

    Read them with ``Model.model_fields["name"].metadata``.
    """

    list_type: str | None = None
    list_map_keys: tuple[str, ...] = ()
    map_type: str | None = None
    patch_strategy: str | None = None
    patch_merge_key: str | None = None


class _NullOnWire(NoCheck):
    """``Annotated[list[Foo], NullOnWire]``: the type users see and construct with is
    ``list[Foo]``, but wire data may hold ``null`` here, as Go's encoding/json writes a nil
    slice, map or pointer and a zero ``metav1.Time``; the null is kept and sent back as is."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.nullable_schema(handler(source))

    def __repr__(self) -> str:
        return "NullOnWire"


NullOnWire = _NullOnWire()


class UnknownFieldError(TypeError):
    """Raised when a model is built in Python with a keyword it has no field for.

    ``model`` is the class name, ``name`` the unknown keyword and ``suggestion`` the closest
    field (its attribute name), if one is close enough.
    """

    def __init__(self, model: str, name: str, suggestion: str | None) -> None:
        message = f"{model} has no field {name!r}"
        if suggestion is not None:
            message += f"; did you mean {suggestion!r}?"
        else:
            message += " (set a field the bindings do not know with set_extra)"
        super().__init__(message)
        self.model = model
        self.name = name
        self.suggestion = suggestion


class K8sModel(BaseModel):
    """A Kubernetes object or part of one: snake_case attributes, wire names as aliases."""

    # What type checkers see: building a model in Python takes its fields, with their types,
    # and nothing else. pyright and plain mypy read that from the dataclass_transform
    # signature; the pydantic mypy plugin reads it here, without settings of its own:
    # `extra="forbid"` leaves `**kwargs` out of its __init__ (as `init_forbid_extra` would)
    # and `strict=True` types its arguments (as `init_typed` would).
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        defer_build=True,
        # A validation error must not quote its input: it may be a Secret's data, and
        # errors end up in logs and tracebacks.
        hide_input_in_errors=True,
    )
    if not TYPE_CHECKING:
        # What runs: wire data keeps the fields it came with, at every depth (__init__ refuses
        # unknown keywords itself, naming the closest known field), and is validated laxly
        # as the API server's JSON needs (a Time from its text, a Quantity from a number).
        model_config = {**model_config, "extra": "allow", "strict": False}

    # Keyword names each model accepts (attribute and wire names), built on first use.
    __k8s_names__: ClassVar[dict[str, str] | None] = None

    def __init__(self, /, **data: Any) -> None:
        names = type(self).__dict__.get("__k8s_names__") or type(self)._k8s_names()
        for key in data:
            if key not in names:
                raise UnknownFieldError(type(self).__name__, key, _closest(key, names))
        super().__init__(**data)

    # Tell pydantic this __init__ is not "custom": model_validate must not route wire data
    # (nested models included) through it, so unknown wire fields are kept, not refused.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @classmethod
    def _k8s_names(cls) -> dict[str, str]:
        """Every keyword the model takes -> its attribute name."""
        names: dict[str, str] = {}
        for attr, info in cls.model_fields.items():
            names[attr] = attr
            for alias in (info.alias, info.validation_alias):
                if isinstance(alias, str):
                    names.setdefault(alias, attr)
        cls.__k8s_names__ = names
        return names

    if not TYPE_CHECKING:
        # A model decoded by ``from_wire`` (see lazyfields) converts a field when it is first
        # read. Whatever reads ``__dict__`` itself (pydantic's dumps, ==, repr, copies,
        # pickling, setting a field) gets every field converted first.
        #
        # Every dump of every model reads ``__dict__`` here, once per nested model: the getter
        # is kept to two dict operations, and the setter is the C descriptor itself.
        def _instance_dict(self, _get: Any = REAL_DICT.__get__, _raw: Any = RAW) -> dict[str, Any]:
            values: dict[str, Any] = _get(self)
            if _raw in values:
                materialize(values, type(self))
            return values

        __dict__ = property(_instance_dict, REAL_DICT.__set__)

    def set_extra(self, wire_name: str, value: Any) -> None:
        """Set a field the bindings do not know, by its wire name, to a JSON value; it is sent
        like the others (``to_dict``, ``create``, ``apply``).

        For a field a newer server has: ``spec.set_extra("newFeature", {"enabled": True})``.
        A field the model has is refused: set its attribute instead. Read unknown fields back
        with ``model_extra``.
        """
        names = type(self).__dict__.get("__k8s_names__") or type(self)._k8s_names()
        if wire_name in names:
            raise ValueError(
                f"{type(self).__name__} has a field {wire_name!r}: set .{names[wire_name]}"
            )
        extra = self.__pydantic_extra__
        if extra is None:  # pragma: no cover - extra="allow" always gives a dict
            raise TypeError(f"{type(self).__name__} does not keep unknown fields")
        extra[wire_name] = value
        self.__pydantic_fields_set__.add(wire_name)

    def to_dict(self) -> dict[str, Any]:
        """The wire form: JSON types, wire names, only what was set."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)

    def to_json(self) -> bytes:
        """The wire form as JSON bytes, ready to send."""
        return self.model_dump_json(by_alias=True, exclude_unset=True).encode()


def _closest(name: str, names: dict[str, str]) -> str | None:
    """The attribute name of the known field closest to ``name`` (by attribute or wire name)."""
    folded = {key.lower().replace("_", ""): attr for key, attr in names.items()}
    key = name.lower().replace("_", "")
    if key in folded:
        return folded[key]  # podIps, pod_i_ps, ...
    import difflib  # here, not at the top: only a mistake pays for importing it

    match = difflib.get_close_matches(key, list(folded), n=1, cutoff=0.6)
    return folded[match[0]] if match else None


class K8sObject(K8sModel):
    """A top-level kind with a fixed ``apiVersion`` and ``kind``.

    The generated subclass declares both as ``Literal`` fields with defaults, so a wrong kind
    is rejected, and an object constructed in Python carries both in ``exclude_unset`` dumps.
    """

    __k8s_group__: ClassVar[str]
    __k8s_version__: ClassVar[str]
    __k8s_kind__: ClassVar[str]
    # A list kind whose items decode lazily (see lazyitems); set by __pydantic_init_subclass__.
    __k8s_lazy_items__: ClassVar[bool] = False

    def __init__(self, /, **data: Any) -> None:
        super().__init__(**data)
        # An object built in Python is sent to a server, which needs apiVersion and kind.
        # Objects validated from wire data keep exactly what they were given: the server
        # leaves both off the items of a list, and a round trip must not add them.
        self.__pydantic_fields_set__.update(("api_version", "kind"))

    # Tell pydantic this __init__ is not "custom": model_validate must not route wire data
    # through it (that would mark apiVersion/kind set, and cost a Python call per object).
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        # A list kind (``PodList``) decoded from JSON validates its items when they are read
        # (see lazyitems); the rule is Kubernetes' own: a kind named ``...List`` with ``items``.
        info = cls.__pydantic_fields__.get("items")
        kind = cls.__dict__.get("__k8s_kind__", "")
        if info is not None and kind.endswith("List") and lazy_items not in info.metadata:
            info.metadata = [*info.metadata, lazy_items]
            cls.__k8s_lazy_items__ = True


class CamelModel(K8sModel):
    """A hand-written runtime model (``Status``, discovery answers) whose wire names are its
    attribute names in camelCase: ``retry_after_seconds`` is ``retryAfterSeconds``."""

    model_config = ConfigDict(alias_generator=to_camel)
