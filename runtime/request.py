"""One API call described as data: method, path, query, body, and what the answer decodes to.

Building an :class:`ApiRequest` does no I/O, so the same request serves the sync and the
async client, and tests can inspect it without a server. Decoding the answer is
:mod:`kubetyped.decoding`'s; ``OrStatus``, ``Decoder``, ``Response`` and ``decode`` are
re-exported here (generated code imports ``OrStatus`` from this module).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Generic, Literal, TypeVar, cast

from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from .decoding import Decoder, OrStatus, Response, decode

__all__ = [
    "PATCH_CONTENT_TYPES",
    "PATCH_TYPES_BY_CONTENT_TYPE",
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

PatchType = Literal["json", "merge", "strategic", "apply"]
"""JSON patch (RFC 6902), JSON merge patch (RFC 7386), strategic merge patch, server-side apply."""

PATCH_CONTENT_TYPES: Mapping[PatchType, str] = {
    "json": "application/json-patch+json",
    "merge": "application/merge-patch+json",
    "strategic": "application/strategic-merge-patch+json",
    "apply": "application/apply-patch+yaml",
}
"""The media type of each patch type: the one table of them (the generator reads the spec's
``consumes`` lists through :data:`PATCH_TYPES_BY_CONTENT_TYPE`)."""

PATCH_TYPES_BY_CONTENT_TYPE: Mapping[str, PatchType] = {
    content_type: patch_type for patch_type, content_type in PATCH_CONTENT_TYPES.items()
}
"""``application/merge-patch+json`` -> ``"merge"`` and so on."""

Scalar = str | int | bool
ParamValue = Scalar | Sequence[Scalar]
"""A query parameter value; a sequence becomes a repeated parameter (``command=a&command=b``)."""

Params = tuple[tuple[str, str], ...]
"""Query parameters in wire form, in order, repeated keys allowed."""


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
