"""What the API server says about a request besides the object: ``Status`` bodies and warnings.

A failed call (and some successful deletes) returns a ``meta/v1`` ``Status``; any response may
carry ``Warning`` headers (deprecated APIs, unknown fields dropped, ...).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pydantic import Field

from .model import CamelModel

__all__ = ["Status", "StatusCause", "StatusDetails", "parse_warnings"]


class StatusCause(CamelModel):
    """One reason an operation failed, often naming the offending field (``spec.replicas``)."""

    reason: str | None = None
    """A machine-readable description of the cause (``FieldValueInvalid``, ...)."""
    message: str | None = None
    """A human-readable description of the cause."""
    field: str | None = None
    """The field that caused the error, as named by its JSON serialization
    (``spec.containers[0].image``)."""


class StatusDetails(CamelModel):
    """The object a ``Status`` is about, and the causes of a validation failure."""

    name: str | None = None
    """The name of the object the status is about, when there is one."""
    group: str | None = None
    """The API group of the object the status is about."""
    kind: str | None = None
    """The kind of the object the status is about (may differ from the request's)."""
    uid: str | None = None
    """The UID of the object the status is about, when there is one."""
    causes: list[StatusCause] = Field(default_factory=list)
    """What went wrong, field by field (empty when the server gave no causes)."""
    retry_after_seconds: int | None = None
    """How long to wait before retrying, when the server says so."""


class Status(CamelModel):
    """The ``meta/v1`` ``Status`` the server returns for errors and for some deletes.

    The one ``Status`` class: ``kubetyped.k8s.meta.v1.Status`` is this class, so the status
    of an ``ApiError``, of a delete and of a watch ``ERROR`` event are the same type.

    ``status`` is ``"Success"`` or ``"Failure"``; ``reason`` is a machine-readable word
    (``NotFound``, ``AlreadyExists``, ``Invalid``, ...); ``code`` is the HTTP status code.
    """

    api_version: str | None = None
    """``v1``."""
    kind: str | None = None
    """``Status``."""
    metadata: dict[str, Any] | None = None
    """The list metadata the spec gives every Status; servers send it empty (kept as sent)."""
    status: str | None = None
    """``"Success"`` or ``"Failure"``."""
    message: str | None = None
    """A human-readable description of the status of the operation."""
    reason: str | None = None
    """A machine-readable word for why the operation failed (``NotFound``, ``Conflict``, ...);
    empty when the server gave none."""
    details: StatusDetails | None = None
    """The object the status is about, and the causes of a failure."""
    code: int | None = None
    """The HTTP status code (0 or None if not set)."""


# RFC 7234 warning-value: code SP agent SP "quoted text" [SP "date"]; several per header,
# separated by commas. Commas may appear inside the quoted text, hence a real parse.
_WARNING = re.compile(r'\s*(\d{3})\s+(\S+)\s+"((?:[^"\\]|\\.)*)"(?:\s+"[^"]*")?\s*(?:,|$)')
_ESCAPE = re.compile(r"\\(.)")


def parse_warnings(headers: Iterable[str]) -> list[str]:
    """Return the messages of the ``299`` warnings in ``Warning`` header values, in order.

    Like client-go, other warning codes and values that do not parse are ignored.
    """
    messages: list[str] = []
    for value in headers:
        pos = 0
        while pos < len(value):
            match = _WARNING.match(value, pos)
            if match is None:
                break
            if match.group(1) == "299":
                messages.append(_ESCAPE.sub(r"\1", match.group(3)))
            pos = match.end()
    return messages
