"""One API call described as data: method, path, query, body, and how to decode the answer.

Building an :class:`ApiRequest` does no I/O, so the same request serves the sync and the
async client, and tests can inspect it without a server.
"""

from __future__ import annotations

import base64
import gc
import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Generic, Literal, TypeVar, cast

from pydantic import BaseModel, ConfigDict, TypeAdapter
from pydantic_core import to_jsonable_python

__all__ = [
    "PATCH_CONTENT_TYPES",
    "ApiRequest",
    "Decoder",
    "OrStatus",
    "ParamValue",
    "Params",
    "PatchType",
    "Response",
    "decode",
    "encode_body",
    "encode_params",
]

T = TypeVar("T")
U = TypeVar("U")
M = TypeVar("M", bound=BaseModel)
S = TypeVar("S", bound=BaseModel)

PatchType = Literal["json", "merge", "strategic", "apply"]
"""JSON patch (RFC 6902), JSON merge patch (RFC 7386), strategic merge patch, server-side apply."""

PATCH_CONTENT_TYPES: Mapping[PatchType, str] = {
    "json": "application/json-patch+json",
    "merge": "application/merge-patch+json",
    "strategic": "application/strategic-merge-patch+json",
    "apply": "application/apply-patch+yaml",
}

Scalar = str | int | bool
ParamValue = Scalar | Sequence[Scalar]
"""A query parameter value; a sequence becomes a repeated parameter (``command=a&command=b``)."""

Params = tuple[tuple[str, str], ...]
"""Query parameters in wire form, in order, repeated keys allowed."""


class Decoder(Generic[T]):
    """Turns a response body into a value, for answers a single type cannot describe."""

    __slots__ = ()

    def decode(self, body: bytes) -> T:
        raise NotImplementedError


Response = type[T] | Decoder[T]
"""What a request's answer decodes to: ``bytes`` (raw), ``str`` (text), a pydantic model class,
any other type pydantic can validate (``dict[str, Any]``), or a :class:`Decoder`."""


@dataclass(frozen=True, slots=True)
class ApiRequest(Generic[T]):
    """An API call ready to send; the client turns it into HTTP and ``response`` decodes the
    2xx body into ``T``."""

    method: str
    path: str
    response: Response[T]
    params: Params = ()
    body: bytes | None = None
    content_type: str | None = None

    def with_params(self, params: Mapping[str, ParamValue | None]) -> ApiRequest[T]:
        """A copy with ``params`` set, replacing same-named ones; a None value removes one."""
        kept = tuple(item for item in self.params if item[0] not in params)
        return replace(self, params=kept + encode_params(params))

    def expecting(self, response: Response[U]) -> ApiRequest[U]:
        """The same call, decoding its answer as ``response``."""
        return cast("ApiRequest[U]", replace(cast("ApiRequest[Any]", self), response=response))


def encode_params(params: Mapping[str, ParamValue | None] | None) -> Params:
    """Wire form of query parameters: None dropped, booleans as ``true``/``false``."""
    if not params:
        return ()
    encoded: list[tuple[str, str]] = []
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, (str, int)):  # bool is an int
            encoded.append((key, _scalar(value)))
        else:
            encoded.extend((key, _scalar(item)) for item in value)
    return tuple(encoded)


def _scalar(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def encode_body(body: object) -> bytes:
    """JSON bytes for a request body: a model sends only the fields that were set, in their
    wire names; bytes and str pass through; dicts and lists (patches) may contain models."""
    if isinstance(body, BaseModel):
        return body.model_dump_json(by_alias=True, exclude_unset=True).encode()
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body, default=_jsonable, separators=(",", ":")).encode()


def _jsonable(value: object) -> object:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if isinstance(value, (bytes, bytearray)):
        # Kubernetes sends []byte as base64 (Secret.data, ConfigMap.binaryData), as the
        # models do; a raw patch dict must not send the bytes as text.
        return base64.b64encode(value).decode("ascii")
    return to_jsonable_python(value)


_GC_PAUSE_BYTES = 256 * 1024
_gc_lock = threading.Lock()
_gc_pauses = 0  # decodes under way that asked for the pause
_gc_paused_by_us = False


@contextmanager
def _gc_paused(body: bytes) -> Iterator[None]:
    """Pause the cyclic garbage collector while a large body is decoded.

    Decoding a big list builds millions of objects and not one reference cycle, yet every
    few hundred allocations the collector walks the growing heap again: on a 5,000-pod list
    that walking took three quarters of the decode time. The pause is process-wide: the
    first large decode turns the collector off (only if it was on) and the last one to end
    turns it back on, so concurrent decodes in several threads keep it off throughout and an
    application that disabled it itself is left alone. Refcounting frees garbage meanwhile;
    only cycles made during the pause wait for the collector.
    """
    global _gc_pauses, _gc_paused_by_us
    if len(body) < _GC_PAUSE_BYTES:
        yield
        return
    with _gc_lock:
        _gc_pauses += 1
        if _gc_pauses == 1 and gc.isenabled():
            gc.disable()
            _gc_paused_by_us = True
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_paused_by_us:
                _gc_paused_by_us = False
                gc.enable()


def decode(response: Response[T], body: bytes) -> T:
    """Decode a response body as ``response`` describes (see :data:`Response`)."""
    with _gc_paused(body):
        return _decode(response, body)


def _decode(response: Response[T], body: bytes) -> T:
    if isinstance(response, Decoder):
        return response.decode(body)
    if response is bytes:
        return cast(T, body)
    if response is str:
        # Text such as a container's log is not guaranteed UTF-8: never fail on it.
        return cast(T, body.decode("utf-8", "replace"))
    if isinstance(response, type) and issubclass(response, BaseModel):
        return cast(T, response.model_validate_json(body))
    return cast(T, _adapter(cast(Any, response)).validate_json(body))


@lru_cache(maxsize=256)
def _adapter(tp: Any) -> TypeAdapter[Any]:
    return TypeAdapter(tp)


class _Kind(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built on first use: import time matters
    kind: str | None = None


@dataclass(frozen=True, slots=True)
class OrStatus(Decoder[M | S]):
    """Decodes the object, or a ``Status`` when the server sent one instead.

    A DELETE answers with the object while finalizers or a grace period keep it around, and
    with a ``Status`` once it is gone. ``status`` is the Status model to decode into: generated
    ``delete`` methods pass their package's ``meta.v1.Status``
    (``response=OrStatus(Deployment, meta_v1.Status)``), so results are what users import.
    """

    model: type[M]
    status: type[S]

    def decode(self, body: bytes) -> M | S:
        """The object, or the Status the server sent instead."""
        if _Kind.model_validate_json(body).kind == "Status":
            return self.status.model_validate_json(body)
        return self.model.model_validate_json(body)
