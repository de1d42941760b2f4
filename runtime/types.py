"""Kubernetes wire types that belong to no API group.

The spec describes these loosely (IntOrString is declared a plain string, Quantity a string,
byte fields a string); the annotated types below give each the behaviour the API server really
has, so generated models can use them as ordinary field types.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal, TypedDict

from pydantic import (
    AwareDatetime,
    BeforeValidator,
    Field,
    PlainSerializer,
    StrictInt,
    StrictStr,
)

__all__ = [
    "JSON",
    "Base64Bytes",
    "DateTime",
    "FieldsV1",
    "IntOrString",
    "JsonPatchOperation",
    "MicroTime",
    "Patch",
    "Quantity",
    "RawExtension",
    "Time",
    "parse_quantity",
]


def _bytes_in(value: object) -> object:
    # On the wire `format: byte` is base64 text; in Python a caller hands us the raw bytes.
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error as exc:
            raise ValueError(f"invalid base64: {exc}") from None
    return value


def _bytes_out(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _time_out(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _micro_time_out(value: datetime) -> str:
    # The server rejects a MicroTime without exactly six fractional digits.
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _datetime_out(value: datetime) -> str:
    # Custom resources store the text as sent: keep the offset and the fractional digits
    # (to the microsecond, trailing zeros dropped), with UTC as Z.
    text = value.replace(tzinfo=None).isoformat()  # four-digit year, even for year 99
    if "." in text:
        text = text.rstrip("0")
    offset = value.utcoffset()
    if not offset:
        return text + "Z"
    zone = value.strftime("%z")  # +0200
    return f"{text}{zone[:3]}:{zone[3:5]}"


IntOrString = StrictInt | StrictStr
"""A port number or name, a count or a percentage: `int` and `str` stay what they are."""

# The server always sends strings, but people write `cpu: 1` or `memory: 0.5` in Python and
# YAML; pydantic-core turns numbers into strings natively (bools are refused).
Quantity = Annotated[str, Field(coerce_numbers_to_str=True)]
"""A resource quantity such as ``"250m"`` or ``"1Gi"``; ints and floats are accepted as input."""

Base64Bytes = Annotated[
    bytes,
    BeforeValidator(_bytes_in),
    PlainSerializer(_bytes_out, return_type=str, when_used="json"),
]
"""Binary data: raw ``bytes`` in Python, base64 text on the wire."""

Time = Annotated[AwareDatetime, PlainSerializer(_time_out, return_type=str, when_used="json")]
"""A timezone-aware datetime sent as RFC 3339 in whole seconds (``2024-05-01T10:00:00Z``)."""

MicroTime = Annotated[
    AwareDatetime, PlainSerializer(_micro_time_out, return_type=str, when_used="json")
]
"""A timezone-aware datetime sent with exactly six fractional digits."""

DateTime = Annotated[
    AwareDatetime, PlainSerializer(_datetime_out, return_type=str, when_used="json")
]
"""A ``format: date-time`` string of a custom resource: its offset and its fractional digits
(to the microsecond, trailing zeros dropped) are kept; UTC is written ``Z``."""

RawExtension = dict[str, Any]
"""An embedded object of any kind, kept verbatim."""

FieldsV1 = dict[str, Any]
"""The managed-fields set of server-side apply, kept verbatim."""

Patch = dict[str, Any]
"""A patch document, kept verbatim."""

JSON = Any
"""Any JSON value, kept verbatim."""

# "from" is a Python keyword: the optional keys need the functional form.
_JsonPatchOptional = TypedDict("_JsonPatchOptional", {"value": Any, "from": str}, total=False)


class JsonPatchOperation(_JsonPatchOptional):
    """One operation of a JSON patch (RFC 6902), as a dict:
    ``{"op": "replace", "path": "/spec/replicas", "value": 3}``. ``add``, ``replace`` and
    ``test`` take a ``value``; ``move`` and ``copy`` take ``"from"``, a path."""

    op: Literal["add", "remove", "replace", "move", "copy", "test"]
    path: str


_SUFFIXES: dict[str, Decimal] = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15,
    "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
    "Ei": Decimal(2) ** 60,
}


def parse_quantity(quantity: str | int | float) -> Decimal:
    """Return the exact value of a quantity: ``parse_quantity("250m") == Decimal("0.25")``."""
    text = str(quantity).strip()
    number = text.rstrip("kMGTPEimnu")
    suffix = text[len(number) :]
    try:
        if suffix in _SUFFIXES:
            return Decimal(number) * _SUFFIXES[suffix]
        return Decimal(text)  # decimal exponent form, e.g. "1e3"
    except InvalidOperation:
        raise ValueError(f"not a Kubernetes quantity: {quantity!r}") from None
