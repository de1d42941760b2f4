"""Errors built from Status bodies (and from bodies that are not), and Warning headers."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest
from kubetyped import errors
from kubetyped._base_errors import ConfigError, KubetypedError
from kubetyped.auth import BearerToken
from kubetyped.client import AsyncClient, Client
from kubetyped.config import ClusterConfig
from kubetyped.errors import (
    AlreadyExists,
    ApiError,
    BadRequest,
    Conflict,
    DecodeError,
    Forbidden,
    Gone,
    Invalid,
    MethodNotAllowed,
    NotFound,
    ServerError,
    ServerTimeout,
    ServiceUnavailable,
    TooManyRequests,
    TransportError,
    Unauthorized,
    error_from_response,
    error_from_status,
)
from kubetyped.request import ApiRequest
from kubetyped.status import Status, StatusCause, parse_warnings

URL = "https://k8s.test:6443/api/v1/namespaces/x/configmaps/y"
TOKEN = "s3cret-token-value"


def status_body(code: int, reason: str, message: str, **details: Any) -> bytes:
    status: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details:
        status["details"] = details
    return json.dumps(status).encode()


@pytest.mark.parametrize(
    ("code", "reason", "cls"),
    [
        (400, "BadRequest", BadRequest),
        (401, "Unauthorized", Unauthorized),
        (403, "Forbidden", Forbidden),
        (404, "NotFound", NotFound),
        (405, "MethodNotAllowed", MethodNotAllowed),
        (409, "AlreadyExists", AlreadyExists),
        (409, "Conflict", Conflict),
        (410, "Gone", Gone),
        (410, "Expired", Gone),
        (422, "Invalid", Invalid),
        (429, "TooManyRequests", TooManyRequests),
        (500, "InternalError", ServerError),
        (500, "ServerTimeout", ServerTimeout),
        (503, "ServiceUnavailable", ServiceUnavailable),
        (504, "Timeout", ServerTimeout),
        (502, "", ServerError),
        (418, "Teapot", ApiError),
    ],
)
def test_error_class_from_status_body(code: int, reason: str, cls: type[ApiError]) -> None:
    err = error_from_response(code, status_body(code, reason, "it failed"), method="GET", url=URL)
    assert type(err) is cls
    assert isinstance(err, ApiError) and isinstance(err, KubetypedError)
    assert (err.code, err.reason, err.message) == (code, reason, "it failed")
    assert (err.method, err.url) == ("GET", URL)


@pytest.mark.parametrize(
    ("reason", "cls"),
    [
        ("AlreadyExists", AlreadyExists),
        ("Expired", Gone),
        ("Gone", Gone),
        ("Timeout", ServerTimeout),
        ("ServerTimeout", ServerTimeout),
    ],
)
def test_the_reason_alone_picks_the_class(reason: str, cls: type[ApiError]) -> None:
    """The rows above pair each reason with the code that maps to the same class; here the
    reason must decide alone: under a code that maps elsewhere (a 500), and under none (a
    watch ERROR event may carry only a reason)."""
    assert errors.error_class(500, reason) is cls
    assert errors.error_class(0, reason) is cls
    assert type(error_from_status(Status(reason=reason, message="m"))) is cls


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (400, BadRequest),
        (401, Unauthorized),
        (403, Forbidden),
        (404, NotFound),
        (405, MethodNotAllowed),
        (409, Conflict),
        (410, Gone),
        (422, Invalid),
        (429, TooManyRequests),
        (500, ServerError),
        (502, ServerError),
        (503, ServiceUnavailable),
        (504, ServerTimeout),
        (418, ApiError),
    ],
)
def test_the_code_alone_picks_the_class(code: int, cls: type[ApiError]) -> None:
    assert errors.error_class(code, None) is cls
    assert errors.error_class(code, "SomeReasonWeDoNotKnow") is cls


@pytest.mark.parametrize(
    ("code", "reason", "head"),
    [
        (500, "", "500 InternalError"),  # a webhook's or aggregated API's Status, no reason
        (502, "", "502 Unknown"),
        (404, "NotFound", "404 NotFound"),
        (410, "Expired", "410 Expired"),
        (0, "Expired", "Expired"),
    ],
)
def test_every_message_starts_with_code_and_reason(code: int, reason: str, head: str) -> None:
    err = error_from_status(
        Status(code=code or None, reason=reason or None, message="boom"),
        method="PATCH",
        url=URL,
    )
    assert str(err) == f"{head}: PATCH {URL}: boom"
    assert err.reason == reason  # the server's reason, unchanged; only the message fills in


def test_already_exists_is_not_a_conflict() -> None:
    # A retry-on-Conflict loop must not swallow a failed create.
    assert not issubclass(AlreadyExists, Conflict) and not issubclass(Conflict, AlreadyExists)
    assert issubclass(ServiceUnavailable, ServerError) and issubclass(ServerTimeout, ServerError)


def test_message_format() -> None:
    body = status_body(404, "NotFound", 'configmaps "y" not found', name="y", kind="configmaps")
    err = error_from_response(404, body, method="GET", url=URL)
    assert str(err) == f'404 NotFound: GET {URL}: configmaps "y" not found'
    assert err.details is not None and err.details.kind == "configmaps"


def test_invalid_carries_causes() -> None:
    body = status_body(
        422,
        "Invalid",
        'ConfigMap "Bad" is invalid: metadata.name: Invalid value: "Bad"',
        name="Bad",
        kind="ConfigMap",
        causes=[
            {"reason": "FieldValueInvalid", "message": "Invalid value", "field": "metadata.name"}
        ],
    )
    err = error_from_response(422, body, method="POST", url=URL)
    assert isinstance(err, Invalid)
    assert err.causes == [
        StatusCause(reason="FieldValueInvalid", message="Invalid value", field="metadata.name")
    ]


def test_html_body_from_a_proxy() -> None:
    html = b"<html>\n  <head><title>502 Bad Gateway</title></head>\n<body>nginx</body></html>"
    err = error_from_response(502, html, method="GET", url=URL)
    assert type(err) is ServerError
    assert err.reason == "Unknown" and err.code == 502
    assert (
        err.message
        == "<html> <head><title>502 Bad Gateway</title></head> <body>nginx</body></html>"
    )
    assert str(err).startswith(f"502 Unknown: GET {URL}: <html>")


def test_non_status_bodies() -> None:
    long = error_from_response(503, b"x" * 1000, method="GET", url=URL)
    assert isinstance(long, ServiceUnavailable) and long.reason == "ServiceUnavailable"
    assert len(long.message) == 300 and long.message.endswith("…")
    empty = error_from_response(404, b"", method="GET", url=URL)
    assert isinstance(empty, NotFound) and "no body" in empty.message
    other_json = error_from_response(403, b'{"kind":"Pod"}', method="GET", url=URL)
    assert isinstance(other_json, Forbidden) and other_json.message == '{"kind":"Pod"}'
    bad_json = error_from_response(400, b"{not json", method="GET", url=URL)
    assert isinstance(bad_json, BadRequest) and bad_json.status.status == "Failure"


def test_status_without_code_takes_the_http_code() -> None:
    body = b'{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound"}'
    err = error_from_response(404, body, method="GET", url=URL)
    assert isinstance(err, NotFound) and err.code == 404


def test_error_from_status_for_watch_events() -> None:
    status = Status(code=410, reason="Expired", message="too old resource version: 1 (42)")
    err = error_from_status(status, method="GET", url=URL, warnings=["w"])
    assert isinstance(err, Gone) and err.warnings == ("w",)
    assert str(err) == f"410 Expired: GET {URL}: too old resource version: 1 (42)"


def test_status_model() -> None:
    status = Status.model_validate_json(
        b'{"kind":"Status","apiVersion":"v1","code":429,"reason":"TooManyRequests",'
        b'"details":{"retryAfterSeconds":3,"causes":[]},"newField":1}'
    )
    assert status.api_version == "v1" and status.details is not None
    assert status.details.retry_after_seconds == 3
    assert status.model_extra == {"newField": 1}
    assert status.to_dict()["details"] == {"retryAfterSeconds": 3, "causes": []}


def test_exports() -> None:
    assert errors.ConfigError is ConfigError and errors.KubetypedError is KubetypedError
    for name in errors.__all__:
        assert hasattr(errors, name)
    for cls in (TransportError, DecodeError, ApiError, ConfigError):
        assert issubclass(cls, KubetypedError)


# --- Warning headers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "messages"),
    [
        (
            ['299 - "extensions/v1beta1 Ingress is deprecated"'],
            ["extensions/v1beta1 Ingress is deprecated"],
        ),
        (['299 - "a, with comma", 299 - "b"'], ["a, with comma", "b"]),
        (['299 - "one"', '299 - "two"'], ["one", "two"]),
        (['299 - "say \\"hi\\" \\\\ ok"'], ['say "hi" \\ ok']),
        (['299 - "dated" "Sat, 01 Jan 2000 00:00:00 GMT"'], ["dated"]),
        (['199 - "misc"', '299 kube-apiserver "kept"'], ["kept"]),
        (["garbage", ""], []),
    ],
)
def test_parse_warnings(headers: list[str], messages: list[str]) -> None:
    assert parse_warnings(headers) == messages


# --- through a client: URLs, warnings, no credentials in messages ---------------------------


def _handler(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        404,
        content=status_body(404, "NotFound", 'configmaps "y" not found'),
        headers={"Content-Type": "application/json", "Warning": '299 - "careful"'},
    )


def _config() -> ClusterConfig:
    return ClusterConfig(server="https://k8s.test:6443", namespace="x", auth=BearerToken(TOKEN))


REQ = ApiRequest("GET", "/api/v1/namespaces/x/configmaps/y", bytes)


def test_client_raises_typed_error(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="kubetyped")
    seen: list[str] = []
    with (
        Client(
            _config(), transport=httpx.MockTransport(_handler), warning_handler=seen.append
        ) as client,
        pytest.raises(NotFound) as info,
    ):
        client.send(REQ)
    assert str(info.value) == f'404 NotFound: GET {URL}: configmaps "y" not found'
    assert info.value.warnings == ("careful",) and seen == ["careful"]
    assert TOKEN not in str(info.value) and TOKEN not in caplog.text
    assert "Authorization" not in caplog.text


async def test_async_client_raises_typed_error(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="kubetyped")
    async with AsyncClient(_config(), transport=httpx.MockTransport(_handler)) as client:
        with pytest.raises(NotFound) as info:
            await client.send(REQ)
    assert info.value.url == URL and info.value.warnings == ("careful",)
    assert TOKEN not in str(info.value) and TOKEN not in caplog.text


def test_userinfo_is_stripped_from_messages() -> None:
    config = ClusterConfig(server="https://admin:hunter2@k8s.test:6443", namespace="x")
    with (
        Client(config, transport=httpx.MockTransport(_handler)) as client,
        pytest.raises(NotFound) as info,
    ):
        client.send(REQ)
    assert "hunter2" not in str(info.value) and info.value.url == URL
