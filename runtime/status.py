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
    message: str | None = None
    field: str | None = None


class StatusDetails(CamelModel):
    """The object a ``Status`` is about, and the causes of a validation failure."""

    name: str | None = None
    group: str | None = None
    kind: str | None = None
    uid: str | None = None
    causes: list[StatusCause] = Field(default_factory=list)
    retry_after_seconds: int | None = None


class Status(CamelModel):
    """The ``meta/v1`` ``Status`` the server returns for errors and for some deletes.

    ``status`` is ``"Success"`` or ``"Failure"``; ``reason`` is a machine-readable word
    (``NotFound``, ``AlreadyExists``, ``Invalid``, ...); ``code`` is the HTTP status code.
    """

    api_version: str | None = None
    kind: str | None = None
    metadata: dict[str, Any] | None = None
    status: str | None = None
    message: str | None = None
    reason: str | None = None
    details: StatusDetails | None = None
    code: int | None = None


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
