"""Every exception kubetyped raises on purpose.

::

    KubetypedError
    ├── ConfigError            no usable kubeconfig / in-cluster settings
    ├── InvalidRequest         refused before sending: not a cluster path, URL too long,
    │                          client closed
    ├── TransportError         the server could not be reached, or the connection broke
    │   └── ResponseTooLarge     an answer or stream line beyond the client's limit
    ├── DecodeError            a response body or watch line is not what was expected
    └── ApiError               the server answered with an error Status
        ├── BadRequest           400
        ├── Unauthorized         401
        ├── Forbidden            403
        ├── NotFound             404
        ├── MethodNotAllowed     405
        ├── AlreadyExists        409, reason AlreadyExists
        ├── Conflict             409, any other reason (stale resourceVersion)
        ├── Gone                 410, or reason Expired
        ├── Invalid              422
        ├── TooManyRequests      429
        └── ServerError          5xx
            ├── ServiceUnavailable   503
            └── ServerTimeout        504, or reason Timeout / ServerTimeout

``AlreadyExists`` and ``Conflict`` are siblings, as in client-go (``IsAlreadyExists`` and
``IsConflict`` never both hold): a retry-on-conflict loop must not swallow a failed create.
Messages read ``404 NotFound: GET https://host/api/v1/...: configmaps "x" not found`` and never
contain request headers, so no credentials.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from ._base_errors import ConfigError, KubetypedError
from .status import Status, StatusCause, StatusDetails

# The exceptions, the one list of them: ``kubetyped`` exports exactly these. The functions
# below (``error_from_response``, ``error_from_status``, ``error_class``, ``decode_error``)
# are how the runtime builds them.
__all__ = [
    "AlreadyExists",
    "ApiError",
    "BadRequest",
    "ConfigError",
    "Conflict",
    "DecodeError",
    "Forbidden",
    "Gone",
    "Invalid",
    "InvalidRequest",
    "KubetypedError",
    "MethodNotAllowed",
    "NotFound",
    "ResponseTooLarge",
    "ServerError",
    "ServerTimeout",
    "ServiceUnavailable",
    "TooManyRequests",
    "TransportError",
    "Unauthorized",
]


class TransportError(KubetypedError):
    """Raised when no HTTP response arrived: connection refused, TLS failure, timeout, or a
    connection that broke mid-stream. The httpx exception is the ``__cause__``.

    GET requests are retried on such errors before this is raised; writes never are.
    """


class ResponseTooLarge(TransportError):
    """Raised when a response body (after decompression) or one line of a watch or log
    stream is larger than the client allows (``Client(max_response_bytes=...,
    max_line_bytes=...)``); nothing beyond the limit is kept in memory."""


class InvalidRequest(KubetypedError, ValueError):
    """Raised before anything is sent, when a request cannot or must not be made: a raw
    ``request()`` given a URL instead of a path on the cluster, a URL longer than httpx
    allows (64 KiB), or a client that is already closed."""


class DecodeError(KubetypedError):
    """Raised when a 2xx response body, or one line of a watch stream, cannot be decoded into
    the expected type. The underlying error (often a pydantic ``ValidationError``) is the
    ``__cause__``."""


class ApiError(KubetypedError):
    """Raised when the API server answers with a non-2xx status (or a watch ``ERROR`` event).

    ``status`` is the server's ``Status`` (synthesized from the HTTP status when the body was
    not one, e.g. an HTML page from a proxy); ``warnings`` are the response's ``Warning``
    messages.
    """

    def __init__(
        self, status: Status, *, method: str = "", url: str = "", warnings: Sequence[str] = ()
    ) -> None:
        self.status = status
        self.method = method
        self.url = url
        self.warnings: tuple[str, ...] = tuple(warnings)
        super().__init__(self._describe())

    @property
    def code(self) -> int:
        """The HTTP status code (0 when unknown)."""
        return self.status.code or 0

    @property
    def reason(self) -> str:
        """The machine-readable reason, e.g. ``NotFound`` or ``AlreadyExists``."""
        return self.status.reason or ""

    @property
    def message(self) -> str:
        """The server's human-readable message."""
        return self.status.message or ""

    @property
    def details(self) -> StatusDetails | None:
        """The object the error is about, if the server said."""
        return self.status.details

    @property
    def causes(self) -> list[StatusCause]:
        """Why the request failed, field by field (mostly for ``Invalid``)."""
        return self.status.details.causes if self.status.details else []

    def _describe(self) -> str:
        where = f"{self.method} {self.url}".strip()
        # A Status without a reason (a 500 from a webhook or an aggregated API often has
        # none) reads like the others: ``500 InternalError: PATCH ...``, not ``500: PATCH``.
        reason = self.reason or (_REASONS.get(self.code, "Unknown") if self.code else "")
        head = f"{self.code or ''} {reason}".strip()
        message = self.message
        if len(message) > _MAX_MESSAGE:
            # The whole message stays in ``status``; the exception's text stays readable.
            more = len(message) - _MAX_MESSAGE
            message = f"{message[:_MAX_MESSAGE]}… ({more:,} more characters in .status.message)"
        return ": ".join(part for part in (head, where, message) if part)


class BadRequest(ApiError):
    """400: the request is malformed (bad selector, bad patch, namespace mismatch, ...)."""


class Unauthorized(ApiError):
    """401: the server did not accept the credentials (expired token, unknown cert)."""


class Forbidden(ApiError):
    """403: authenticated, but RBAC (or an admission plugin) denies the operation."""


class NotFound(ApiError):
    """404: the object, namespace or API does not exist."""


class MethodNotAllowed(ApiError):
    """405: the resource does not support this verb."""


class AlreadyExists(ApiError):
    """409 with reason ``AlreadyExists``: a create found an object with that name."""


class Conflict(ApiError):
    """409 for any other reason: usually an update with a stale ``resourceVersion``; re-read
    and retry."""


class Gone(ApiError):
    """410, or reason ``Expired``: a watch or list ``resourceVersion`` (or a ``continue``
    token) is too old. Relist from scratch."""


class Invalid(ApiError):
    """422: the object failed validation; ``causes`` names each bad field."""


class TooManyRequests(ApiError):
    """429: throttled by API priority and fairness, raised once retries are used up."""


class ServerError(ApiError):
    """5xx: the server failed; raised once retries (if the server allowed them) are used up."""


class ServiceUnavailable(ServerError):
    """503: the server (or an aggregated API behind it) is not available right now."""


class ServerTimeout(ServerError):
    """504, or reason ``Timeout``/``ServerTimeout``: the server gave up waiting; the operation
    may still complete. (A client-side timeout is a ``TransportError``.)"""


_BY_REASON: dict[str, type[ApiError]] = {
    "AlreadyExists": AlreadyExists,
    "Expired": Gone,
    "Gone": Gone,
    "Timeout": ServerTimeout,
    "ServerTimeout": ServerTimeout,
}

_BY_CODE: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    409: Conflict,
    410: Gone,
    422: Invalid,
    429: TooManyRequests,
    503: ServiceUnavailable,
    504: ServerTimeout,
}

# What client-go calls a status when the server sent no Status body.
_REASONS: dict[int, str] = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    410: "Gone",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}

_SNIPPET = 300
_MAX_MESSAGE = 2000


def cause_text(exc: BaseException) -> str:
    """An exception for a message: its type and text (a broken socket's error often has no
    text, and an empty message names nothing)."""
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def error_class(code: int, reason: str | None) -> type[ApiError]:
    """The most specific error class for an HTTP code and ``Status`` reason."""
    if reason in _BY_REASON:
        return _BY_REASON[reason]
    if code in _BY_CODE:
        return _BY_CODE[code]
    return ServerError if 500 <= code <= 599 else ApiError


def error_from_status(
    status: Status, *, method: str = "", url: str = "", warnings: Sequence[str] = ()
) -> ApiError:
    """The error for a ``Status`` (from a response or a watch ``ERROR`` event)."""
    cls = error_class(status.code or 0, status.reason)
    return cls(status, method=method, url=url, warnings=warnings)


def error_from_response(
    code: int, body: bytes, *, method: str, url: str, warnings: Sequence[str] = ()
) -> ApiError:
    """The error for a non-2xx response, whatever its body (Status JSON, HTML, text, empty)."""
    status = _parse_status(body)
    if status is None:
        status = Status(
            kind="Status",
            api_version="v1",
            status="Failure",
            code=code,
            reason=_REASONS.get(code, "Unknown"),
            message=_snippet(body) or f"the server responded with HTTP {code} and no body",
        )
    elif not status.code:
        status.code = code
    return error_from_status(status, method=method, url=url, warnings=warnings)


def _parse_status(body: bytes) -> Status | None:
    if not body.lstrip().startswith(b"{"):
        return None
    try:
        status = Status.model_validate_json(body)
    except ValueError:
        return None
    return status if status.kind == "Status" else None


def _snippet(body: bytes) -> str:
    text = " ".join(body.decode("utf-8", "replace").split())
    return text if len(text) <= _SNIPPET else text[: _SNIPPET - 1] + "…"


def decode_error(
    context: str, cause: ValueError | None, *, line: bytes | None = None
) -> DecodeError:
    """A ``DecodeError`` that says what could not be decoded, briefly why, and (for a watch
    line) a truncated copy of the offending line. Raise it ``from cause``."""
    message = f"{context}: {_summary(cause) if cause is not None else 'unexpected content'}"
    if line is not None:
        message += f"; line: {_preview(line)}"
    return DecodeError(message)


def _summary(exc: ValueError) -> str:
    # A ValidationError prints one paragraph per field; the first says enough for a message.
    if not isinstance(exc, ValidationError) or not exc.error_count():
        return str(exc)
    found: list[dict[str, Any]] = [dict(e) for e in exc.errors()]
    loc = ".".join(str(part) for part in found[0].get("loc", ()))
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    return f"{loc + ': ' if loc else ''}{found[0].get('msg', '')}{more}"


def _preview(line: bytes, limit: int = 60) -> str:
    # Enough to recognise the line (its type and kind come first); short enough that the
    # data of a watched Secret does not end up in logs and tracebacks.
    if len(line) <= limit:
        return repr(line)
    return f"{line[:limit]!r}... ({len(line)} bytes)"
