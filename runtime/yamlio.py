"""YAML read the way kubectl reads it: go-yaml v2 under sigs.k8s.io/yaml, then JSON.

kubectl turns each YAML document into JSON with ``sigs.k8s.io/yaml.YAMLToJSON``, which
decodes with go-yaml v2 (``go.yaml.in/yaml/v2``) into ``interface{}`` and then makes the
result JSON-able. PyYAML's ``SafeLoader`` reads YAML 1.1 differently in many small ways (a
bare ``=`` is an error, dates become ``datetime``, ``0o17`` a string, ``1_000`` an int ...).
This loader gives the values kubectl would send:

* plain scalars resolve as go-yaml v2's ``resolve()`` (resolve.go) does: ``y``/``yes``/
  ``on``/``true`` (and their ``Y``/``Yes``/``YES`` forms) are true, ``n``/``no``/``off``/
  ``false`` false; ``~``, ``null``, ``Null``, ``NULL`` and the empty scalar are null;
  integers as Go's ``strconv.ParseInt(s, 0, 64)`` after removing ``_`` (``0x1F``, ``0o17``,
  ``017``, ``0b101``), then ``ParseUint``; then floats matching
  ``^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$``; everything else is a string
  (``=``, ``<<`` outside a mapping key, ``0x``, dates);
* timestamps stay the text they were written as (decode.go keeps them strings when
  decoding into ``interface{}``);
* a float that is a whole number below 1e21 becomes an int, as Go's ``json.Marshal``
  prints it without a fraction and the API server reads it back as an integer;
* ``.inf``, ``-.inf`` and ``.nan`` are refused: ``json.Marshal`` cannot encode them;
* mapping keys become strings as ``convertToJSONableObject`` makes them (``1`` -> ``"1"``,
  ``true`` -> ``"true"``, ``1.5`` -> ``"1.5"``); a null key is refused;
* quoted scalars are strings; an explicit ``!!int``, ``!!bool``, ``!!float``, ``!!null``
  must resolve to that type; other tags (``!custom``) leave the value as it is.

Use :func:`load` for one document, :func:`load_all` for every document of a stream, and
:func:`load_all_located` when errors must name lines (each value's line by JSON pointer).
Bad YAML raises :class:`YAMLError` with the line and column.
"""

from __future__ import annotations

import base64
import json
import math
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ._base_errors import KubetypedError

__all__ = [
    "Document",
    "YAMLError",
    "go_resolves_as_string",
    "load",
    "load_all",
    "load_all_located",
]

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MERGE = "tag:yaml.org,2002:merge"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_BINARY = "tag:yaml.org,2002:binary"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_PLAIN = "tag:kubetyped,2026:plain"  # a plain scalar: go-yaml v2 resolves it by its text


class YAMLError(KubetypedError, ValueError):
    """The text is not YAML (or JSON) that kubectl would read; ``line`` is 1-based."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        self.reason = message
        self.line = line
        self.column = column
        super().__init__(f"{self.where}: {message}" if self.where else message)

    @property
    def where(self) -> str:
        """``line 3, column 7``, ``line 3``, or ``""`` when the position is unknown: how every
        reader of YAML (kubeconfig, manifests, CRD files) names the place of a problem."""
        if not self.line:
            return ""
        return f"line {self.line}" + (f", column {self.column}" if self.column else "")


_BOOLS = {
    **dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE"), True),
    **dict.fromkeys(("on", "On", "ON"), True),
    **dict.fromkeys(("n", "N", "no", "No", "NO", "false", "False", "FALSE"), False),
    **dict.fromkeys(("off", "Off", "OFF"), False),
}
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_NOT_JSON = frozenset(
    {".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"}
    | {"-.inf", "-.Inf", "-.INF"}
)
_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_TIMESTAMP_RE = re.compile(
    r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    r"(([Tt][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]+)?(Z|[-+][0-9]{2}:[0-9]{2}))"
    r"|( [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]+)?))?\Z"
)
_INT64 = (-(2**63), 2**63 - 1)
_UINT64_MAX = 2**64 - 1
_DIGITS = {2: "01", 8: "01234567", 10: "0123456789", 16: "0123456789abcdefABCDEF"}


def _go_parse_int(text: str, *, signed: bool) -> int | None:
    """Go's ``strconv.ParseInt(text, 0, 64)`` (``signed``) or ``ParseUint``; None on error."""
    sign = 1
    s = text
    if signed and s[:1] in ("+", "-"):
        sign = -1 if s[0] == "-" else 1
        s = s[1:]
    base = 10
    if s[:2] in ("0x", "0X"):
        base, s = 16, s[2:]
    elif s[:2] in ("0o", "0O"):
        base, s = 8, s[2:]
    elif s[:2] in ("0b", "0B"):
        base, s = 2, s[2:]
    elif s[:1] == "0" and len(s) > 1:
        base, s = 8, s[1:]
    if not s or any(c not in _DIGITS[base] for c in s):
        return None
    value = sign * int(s, base)
    low, high = _INT64 if signed else (0, _UINT64_MAX)
    return value if low <= value <= high else None


def _json_number(value: float) -> int | float:
    """A float as Go's ``json.Marshal`` writes it and the API server reads it back."""
    if value.is_integer() and abs(value) < 1e21:
        return int(value)
    return value


def _resolve_plain(text: str) -> tuple[str, Any]:
    """go-yaml v2 ``resolve("", text)``: the tag and value of a plain scalar."""
    if text in _NULLS:
        return _NULL, None
    if text in _BOOLS:
        return _BOOL, _BOOLS[text]
    if text == "<<":
        return _MERGE, text
    if text in _NOT_JSON:
        return _FLOAT, text  # refused by the constructor
    hint = text[0]
    if hint == ".":
        try:
            return _FLOAT, float(text)
        except ValueError:
            return _STR, text
    if hint in "+-0123456789":
        if _TIMESTAMP_RE.match(text):
            return _TIMESTAMP, text
        plain = text.replace("_", "")
        for signed in (True, False):
            number = _go_parse_int(plain, signed=signed)
            if number is not None:
                return _INT, number
        if _YAML_FLOAT.match(plain):
            return _FLOAT, float(plain)
        # resolve.go's own 0b/-0b fallback is already covered by ParseInt's base 0.
    return _STR, text


def go_resolves_as_string(text: str) -> bool:
    """Whether kubectl reads ``text``, written as a plain (unquoted) scalar, as that string;
    a writer must quote it otherwise (``y``, ``on``, ``0o17``, ``1_000``, ``~``)."""
    return _resolve_plain(text)[0] == _STR if text else False


def _go_float_key(value: float) -> str:
    """``strconv.FormatFloat(value, 'g', -1, 32)``, as YAMLToJSON prints a float key."""
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    if math.isnan(value):
        return ".nan"
    f32 = struct.unpack("f", struct.pack("f", value))[0]
    if f32 == 0:
        return "-0" if math.copysign(1, f32) < 0 else "0"
    for precision in range(1, 10):  # the shortest digits that read back as the same float32
        text = f"{abs(f32):.{precision - 1}e}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == abs(f32):
            break
    mantissa, _, exp_text = text.partition("e")
    digits = mantissa.replace(".", "").rstrip("0") or "0"
    exponent = int(exp_text)  # Go's digs.dp - 1
    sign = "-" if f32 < 0 else ""
    if exponent < -4 or exponent >= 6:  # %e form: shortest 'g' decides with precision 6
        fraction = f".{digits[1:]}" if len(digits) > 1 else ""
        return f"{sign}{digits[0]}{fraction}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
    decimals = max(len(digits) - (exponent + 1), 0)
    return f"{sign}{abs(float(text)):.{decimals}f}"


def _json_key(key: Any, line: int) -> str:
    """A mapping key as YAMLToJSON's ``convertToJSONableObject`` makes it a string."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int):
        return str(key)
    if isinstance(key, float):
        return _go_float_key(key)
    raise YAMLError(f"unsupported map key {key!r}: JSON keys are strings", line)


class _Loader(yaml.SafeLoader):
    """A SafeLoader whose scalars, keys and tags follow go-yaml v2 and sigs.k8s.io/yaml."""

    def resolve(self, kind: type[Node], value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode:
            if implicit[0]:
                return _MERGE if value == "<<" else _PLAIN
            return _STR  # quoted: always a string
        tag: str = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
        return tag

    def construct_plain(self, node: ScalarNode) -> Any:
        tag, value = _resolve_plain(node.value)
        if tag == _FLOAT:
            if value in _NOT_JSON:
                raise YAMLError(f"{value} is not a JSON number", node.start_mark.line + 1)
            return _json_number(value)
        return value

    def construct_tagged(self, node: ScalarNode) -> Any:
        """An explicit standard tag: go-yaml v2 resolves the text and checks the type."""
        if node.tag in (_STR, _MERGE):
            return node.value
        if node.tag == _BINARY:
            try:
                return base64.b64decode(node.value, validate=False).decode("utf-8", "replace")
            except ValueError:
                raise YAMLError(
                    "!!binary value contains invalid base64 data", node.start_mark.line + 1
                ) from None
        tag, value = _resolve_plain(node.value)
        line = node.start_mark.line + 1
        if node.tag == _FLOAT and tag == _INT:
            return float(value)
        if tag != node.tag:
            want = node.tag.rsplit(":", 1)[-1]
            raise YAMLError(f"cannot decode {node.value!r} as a !!{want}", line)
        if tag == _FLOAT:
            if value in _NOT_JSON:
                raise YAMLError(f"{value} is not a JSON number", line)
            return _json_number(value)
        return value

    def construct_other(self, node: Node) -> Any:
        """A tag of its own (``!Ref x``): go-yaml v2 keeps the value as if untagged."""
        if isinstance(node, ScalarNode):
            return node.value
        if isinstance(node, SequenceNode):
            return self.construct_sequence(node, deep=True)
        if isinstance(node, MappingNode):
            return self.construct_json_mapping(node)
        raise YAMLError(f"unsupported node {node.tag}", node.start_mark.line + 1)

    def construct_json_mapping(self, node: MappingNode) -> dict[str, Any]:
        self.flatten_mapping(node)
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _PLAIN:  # a float key keeps its float form: 1e7 is "1e+07"
                key = _resolve_plain(key_node.value)[1]
            else:
                key = self.construct_object(key_node, deep=True)
            result[_json_key(key, key_node.start_mark.line + 1)] = self.construct_object(
                value_node, deep=True
            )
        return result


_Loader.add_constructor(_PLAIN, _Loader.construct_plain)
for _tag in (_STR, _MERGE, _INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP, _BINARY):
    _Loader.add_constructor(_tag, _Loader.construct_tagged)
_Loader.add_constructor(_MAP, _Loader.construct_json_mapping)
_Loader.add_constructor(None, _Loader.construct_other)


@dataclass
class Document:
    """One document of a stream: its value, the line it starts on, and where each value is.

    ``lines`` maps a JSON pointer (``/spec/replicas``, ``""`` for the document) to the 1-based
    line its value starts on; :meth:`line_of` finds the closest known line for any pointer.
    """

    value: Any
    line: int
    lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, pointer: str) -> int:
        """The line of ``pointer``, or of its nearest parent that has one."""
        while pointer:
            if pointer in self.lines:
                return self.lines[pointer]
            pointer = pointer.rpartition("/")[0]
        return self.lines.get("", self.line)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _record_lines(loader: _Loader, node: Node, pointer: str, lines: dict[str, int]) -> None:
    lines.setdefault(pointer, node.start_mark.line + 1)
    if isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(loader, item, f"{pointer}/{index}", lines)
    elif isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == _MERGE:
                continue
            tag, key = (
                _resolve_plain(key_node.value) if key_node.tag == _PLAIN else (_STR, key_node.value)
            )
            if tag == _MERGE or key is None:
                continue
            try:
                name = _json_key(key, 0)
            except YAMLError:
                continue
            _record_lines(loader, value_node, f"{pointer}/{_escape(name)}", lines)


def _marked(exc: yaml.YAMLError) -> YAMLError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    message = f"{context}: {problem}" if context else str(problem)
    if mark is None:
        return YAMLError(message)
    return YAMLError(message, mark.line + 1, mark.column + 1)


def _is_json(text: str) -> bool:
    return text.lstrip(" \t\r\n\ufeff")[:1] == "{"


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _json_documents(text: str) -> Iterator[Document]:
    """A stream of JSON values (``{...}{...}``), as kubectl's YAMLOrJSONDecoder reads it."""
    decoder = json.JSONDecoder(parse_constant=_refuse_constant)
    position = 0
    text = text.lstrip("\ufeff")
    while True:
        while position < len(text) and text[position] in " \t\r\n":
            position += 1
        if position >= len(text):
            return
        line = text.count("\n", 0, position) + 1
        try:
            value, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise YAMLError(f"invalid JSON: {exc.msg}", exc.lineno, exc.colno) from None
        except ValueError as exc:
            raise YAMLError(f"invalid JSON: {exc}", line) from None
        yield Document(value, line, {"": line})
        position = end


def load_all_located(text: str | bytes) -> list[Document]:
    """Every document of a YAML stream (or a JSON stream), with its lines.

    Bytes must be UTF-8. An empty document is a :class:`Document` whose value is None.
    Raises :class:`YAMLError` naming the line of the first problem.
    """
    if isinstance(text, bytes):
        raw = text
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise YAMLError("not UTF-8 text (a binary file?)", line) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise YAMLError("not text: contains a NUL byte (a binary file?)", line)
    if _is_json(text):
        return list(_json_documents(text))
    loader = _Loader(text)
    documents: list[Document] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:  # pragma: no cover - check_node said there is one
                break
            lines: dict[str, int] = {}
            _record_lines(loader, node, "", lines)
            value = loader.construct_document(node)
            documents.append(Document(value, node.start_mark.line + 1, lines))
    except yaml.YAMLError as exc:
        raise _marked(exc) from None
    except RecursionError:
        raise YAMLError("nested too deeply") from None
    finally:
        loader.dispose()
    return documents


def load_all(text: str | bytes) -> list[Any]:
    """The value of every document of a YAML (or JSON) stream, as kubectl reads them."""
    return [doc.value for doc in load_all_located(text)]


def load(text: str | bytes) -> Any:
    """The value of a single YAML (or JSON) document; a stream of several is an error."""
    documents = load_all_located(text)
    if len(documents) > 1:
        raise YAMLError(f"expected one document, found {len(documents)}", documents[1].line)
    return documents[0].value if documents else None
