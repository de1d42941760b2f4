"""Watch streams: the request for one, and its lines decoded into typed events.

The server streams one JSON object per line, ``{"type": "ADDED", "object": {...}}``. An
``ERROR`` event always ends the stream, so it is raised, never yielded: its ``Status`` becomes
the matching :class:`~kubetyped.errors.ApiError` (``Gone`` for 410 "too old resource
version": relist, then watch from the list's resourceVersion). A stream that breaks off raises
``TransportError``; a stream the server ends (``timeoutSeconds``) just ends the iteration.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Generic, Literal, TypeVar, cast, get_args

from orjson import loads
from pydantic import BaseModel, ConfigDict, TypeAdapter

from .errors import ResponseTooLarge, decode_error, error_from_status
from .lazyfields import from_wire, has_required, wire_model
from .request import ApiRequest
from .status import Status

__all__ = ["EventType", "LineBuffer", "WatchDecoder", "WatchEvent", "watch_request"]

T = TypeVar("T")

EventType = Literal["ADDED", "MODIFIED", "DELETED", "BOOKMARK"]
_EVENT_TYPES: frozenset[EventType] = frozenset(get_args(EventType))


@dataclass(frozen=True, slots=True)
class WatchEvent(Generic[T]):
    """One change: ``ADDED``, ``MODIFIED``, ``DELETED``, or a ``BOOKMARK`` whose object carries
    only ``metadata.resourceVersion`` (a point to resume from)."""

    type: EventType
    object: T


class _Event(BaseModel, Generic[T]):
    model_config = ConfigDict(defer_build=True)  # built on first use: import time matters
    type: Literal["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"]
    object: T


class _RawEvent(BaseModel):
    model_config = ConfigDict(defer_build=True)
    type: str
    object: dict[str, Any]


def watch_request(req: ApiRequest[T]) -> ApiRequest[T]:
    """The watch form of a list request: the same path and selectors plus ``watch=true``."""
    return req.with_params({"watch": True})


class LineBuffer:
    """Splits a byte stream into lines, whatever the chunk boundaries; blank lines are
    dropped (watch streams) unless ``keep_blank`` (logs, where they are content)."""

    __slots__ = ("_keep_blank", "_max_line", "_parts", "_pending")

    def __init__(self, *, keep_blank: bool = False, max_line: int | None = None) -> None:
        self._parts: list[bytes] = []
        self._pending = 0
        self._keep_blank = keep_blank
        self._max_line = max_line

    def feed(self, chunk: bytes) -> list[bytes]:
        """Take one chunk; return the lines it completes. Raises ``ResponseTooLarge`` when
        a line grows past ``max_line`` bytes."""
        if b"\n" not in chunk:
            if chunk:
                self._parts.append(chunk)
                self._pending += len(chunk)
                self._check(self._pending)
            return []
        # Joining only when a line completes keeps a large object split over many chunks linear.
        self._parts.append(chunk)
        *lines, rest = b"".join(self._parts).split(b"\n")
        self._parts = [rest] if rest else []
        self._pending = len(rest)
        if self._max_line is not None:
            self._check(max(len(rest), *(len(line) for line in lines)))
        return [line for line in lines if self._keep_blank or line.strip()]

    def _check(self, size: int) -> None:
        if self._max_line is not None and size > self._max_line:
            self._parts, self._pending = [], 0
            raise ResponseTooLarge(
                f"a line of the stream is longer than {self._max_line:,} bytes; "
                "raise Client(max_line_bytes=...) if that is expected"
            )

    def flush(self) -> list[bytes]:
        """At the end of the stream: the last line, if it had no newline."""
        rest = b"".join(self._parts)
        self._parts, self._pending = [], 0
        return [rest] if rest.strip() or (rest and self._keep_blank) else []


class WatchDecoder(Generic[T]):
    """Decodes watch lines into ``WatchEvent[T]``; ``method`` and ``url`` name the watch in
    errors.

    A generated model's object is made with ``from_wire`` (see lazyfields): the line is
    parsed, and each field of the object is converted when the consumer first reads it.

    Lines are parsed with orjson, in about half the time pydantic-core's parser takes (which
    list answers use): a watch decodes every change, so its parse is what a busy watch costs.
    The price is memory: pydantic-core shares equal strings across everything it parses, orjson
    only keys, so an object a watch delivers holds about a quarter more than the same object
    decoded from a list (the benchmark reports both). orjson reads an integer beyond 64 bits
    as a float, as kube-apiserver itself does (sigs.k8s.io/json), so no line it sends loses
    anything; a line orjson refuses takes the eager decode below, which names the problem.
    """

    __slots__ = ("_envelope", "_item", "_method", "_url", "_wire")

    def __init__(self, item: type[T], *, method: str = "GET", url: str = "") -> None:
        self._item = item
        self._envelope: type[_Event[T]] = _Event[item]  # type: ignore[valid-type]
        self._method = method
        self._url = url
        self._wire = wire_model(item)

    def decode(self, line: bytes) -> WatchEvent[T]:
        """Decode one line; raise the ``ApiError`` of an ``ERROR`` event, or ``DecodeError``."""
        if self._wire:
            item: Any = self._item
            try:
                event = loads(line)
            except ValueError:
                event = None
            if type(event) is dict:
                kind, obj = event.get("type"), event.get("object")
                if (
                    kind in _EVENT_TYPES
                    and type(obj) is dict
                    and (kind == "BOOKMARK" or has_required(item, obj))
                ):
                    return WatchEvent(kind, from_wire(item, obj))
        # The eager decode, which also names what is wrong with a line.
        return self._decode_eagerly(line)

    def _decode_eagerly(self, line: bytes) -> WatchEvent[T]:
        try:
            event = self._envelope.model_validate_json(line)
        except ValueError as exc:
            return self._decode_slowly(line, exc)
        if event.type == "ERROR":
            return self._decode_slowly(line, None)
        return WatchEvent(event.type, event.object)

    def _decode_slowly(self, line: bytes, cause: ValueError | None) -> WatchEvent[T]:
        # The rare lines that are not a T: an ERROR's object is a Status, and a BOOKMARK's
        # object has only apiVersion, kind and metadata, which fails a kind with required
        # fields (CustomResourceDefinition.spec).
        status = bookmark = None
        try:
            raw = _RawEvent.model_validate_json(line)
            if raw.type == "ERROR":
                status = Status.model_validate(raw.object)
            elif raw.type == "BOOKMARK":
                bookmark = _bookmark(self._item, raw.object)
        except ValueError:
            pass
        if status is not None:
            raise error_from_status(status, method=self._method, url=self._url)
        if bookmark is not None:
            return WatchEvent("BOOKMARK", bookmark)
        context = f"{self._method} {self._url}: malformed watch event"
        raise decode_error(context, cause, line=line) from cause


def _bookmark(item: type[T], obj: dict[str, Any]) -> T | None:
    """A ``T`` holding only the bookmark's metadata, built without checking required fields."""
    if not (isinstance(item, type) and issubclass(item, BaseModel)):
        return None
    field = item.model_fields.get("metadata")
    if field is None or "metadata" not in obj:
        return None
    metadata = _adapter(cast(Any, field.annotation)).validate_python(obj["metadata"])
    return cast(T, item.model_construct(metadata=metadata))


@lru_cache(maxsize=64)
def _adapter(annotation: Any) -> TypeAdapter[Any]:
    return TypeAdapter(annotation)
