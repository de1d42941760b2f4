"""Watch streams: the request for one, and its lines decoded into typed events.

The server streams one JSON object per line, ``{"type": "ADDED", "object": {...}}``. An
``ERROR`` event always ends the stream, so it is raised, never yielded: its ``Status`` becomes
the matching :class:`~kubetyped.errors.ApiError` (``Gone`` for 410 "too old resource
version": relist, then watch from the list's resourceVersion). A stream that breaks off raises
``TransportError``; a stream the server ends (``timeoutSeconds``) just ends the iteration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Literal, NoReturn, TypeVar

from pydantic import BaseModel, ConfigDict

from .errors import decode_error, error_from_status
from .request import ApiRequest
from .status import Status

__all__ = ["EventType", "LineBuffer", "WatchDecoder", "WatchEvent", "watch_request"]

T = TypeVar("T")

EventType = Literal["ADDED", "MODIFIED", "DELETED", "BOOKMARK"]


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


class _ErrorEvent(BaseModel):
    model_config = ConfigDict(defer_build=True)
    type: Literal["ERROR"]
    object: Status


def watch_request(req: ApiRequest[T]) -> ApiRequest[T]:
    """The watch form of a list request: the same path and selectors plus ``watch=true``."""
    return req.with_params({"watch": True})


class LineBuffer:
    """Splits a byte stream into non-empty lines, whatever the chunk boundaries."""

    __slots__ = ("_parts",)

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def feed(self, chunk: bytes) -> list[bytes]:
        """Take one chunk; return the lines it completes."""
        if b"\n" not in chunk:
            if chunk:
                self._parts.append(chunk)
            return []
        # Joining only when a line completes keeps a large object split over many chunks linear.
        self._parts.append(chunk)
        *lines, rest = b"".join(self._parts).split(b"\n")
        self._parts = [rest] if rest else []
        return [line for line in lines if line.strip()]

    def flush(self) -> list[bytes]:
        """At the end of the stream: the last line, if it had no newline."""
        rest = b"".join(self._parts)
        self._parts = []
        return [rest] if rest.strip() else []


class WatchDecoder(Generic[T]):
    """Decodes watch lines into ``WatchEvent[T]``; ``method`` and ``url`` name the watch in
    errors."""

    __slots__ = ("_envelope", "_method", "_url")

    def __init__(self, item: type[T], *, method: str = "GET", url: str = "") -> None:
        self._envelope: type[_Event[T]] = _Event[item]  # type: ignore[valid-type]
        self._method = method
        self._url = url

    def decode(self, line: bytes) -> WatchEvent[T]:
        """Decode one line; raise the ``ApiError`` of an ``ERROR`` event, or ``DecodeError``."""
        try:
            event = self._envelope.model_validate_json(line)
        except ValueError as exc:
            self._fail(line, exc)
        if event.type == "ERROR":
            self._fail(line, None)
        return WatchEvent(event.type, event.object)

    def _fail(self, line: bytes, cause: ValueError | None) -> NoReturn:
        # An ERROR object is a Status, not a T: parse the line again only on this rare path.
        try:
            error = _ErrorEvent.model_validate_json(line)
        except ValueError:
            pass
        else:
            raise error_from_status(error.object, method=self._method, url=self._url)
        context = f"{self._method} {self._url}: malformed watch event"
        raise decode_error(context, cause, line=line) from cause
