"""How an answer becomes a value: :data:`Response` says what a body decodes to, :func:`decode`
does it, :class:`OrStatus` reads an object or the ``Status`` sent instead.

Large bodies are decoded with the cyclic garbage collector paused (process-wide, see
``_gc_paused``): this is where the runtime turns megabytes of JSON into objects.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Generic, TypeVar, cast

from pydantic import BaseModel, ConfigDict, TypeAdapter
from pydantic_core import from_json

from .lazyitems import LAZY

__all__ = ["Decoder", "OrStatus", "Response", "decode"]

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
S = TypeVar("S", bound=BaseModel)


class Decoder(Generic[T]):
    """Turns a response body into a value, for answers a single type cannot describe."""

    __slots__ = ()

    def decode(self, body: bytes) -> T:
        raise NotImplementedError


Response = type[T] | Decoder[T]
"""What a request's answer decodes to: ``bytes`` (raw), ``str`` (text), a pydantic model class,
any other type pydantic can validate (``dict[str, Any]``), or a :class:`Decoder`."""


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
        if getattr(response, "__k8s_lazy_items__", False):
            # A list kind: parse once, leave its items as the parsed dicts until read.
            return cast(T, response.model_validate(from_json(body), context=LAZY))
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
