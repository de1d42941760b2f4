"""Client and AsyncClient over httpx.MockTransport: sending, retries, warnings, logs, paging,
discovery; and the resource-client contract, used exactly as generated code uses it."""

from __future__ import annotations

import dataclasses
import inspect
import json
import logging
import re
import ssl
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import kubetyped.config
import pytest
from kubetyped.auth import BearerToken
from kubetyped.client import AsyncClient, Client
from kubetyped.config import ClusterConfig
from kubetyped.errors import (
    AlreadyExists,
    DecodeError,
    NotFound,
    ServerError,
    ServiceUnavailable,
    TooManyRequests,
    TransportError,
)
from kubetyped.k8s.apps.v1 import (
    AsyncDeployments,
    Deployment,
    DeploymentList,
    Deployments,
    DeploymentSpec,
    DeploymentStatus,
)
from kubetyped.k8s.core.v1 import PodTemplateSpec
from kubetyped.k8s.meta.v1 import DeleteOptions, LabelSelector, ObjectMeta
from kubetyped.retry import RetryPolicy
from kubetyped.status import Status

# The resource clients are the generated ones (kubetyped.k8s.apps.v1), as users call them.


def spec(replicas: int) -> DeploymentSpec:
    """A DeploymentSpec with its required selector and template left empty."""
    return DeploymentSpec(replicas=replicas, selector=LabelSelector(), template=PodTemplateSpec())


SPEC_WIRE = {"selector": {}, "template": {}}  # what spec() sends besides its replicas


# --- harness: one test body runs against Client and AsyncClient ------------------------------

SERVER = "https://k8s.test:6443"
TOKEN = "s3cret-token-value"

Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class Server:
    """A MockTransport handler answering requests with the given replies, in order."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, Exception):
            raise reply
        if callable(reply):
            return reply(request)
        return httpx.Response(reply.status_code, headers=reply.headers, content=reply.content)


def obj(name: str, rv: str = "1", **extra: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "team-a", "resourceVersion": rv},
        **extra,
    }


def ok(
    body: Any = None, status: int = 200, headers: Mapping[str, str] | None = None
) -> httpx.Response:
    content = (
        body
        if isinstance(body, bytes)
        else json.dumps(body if body is not None else obj("web")).encode()
    )
    return httpx.Response(
        status, content=content, headers={"Content-Type": "application/json", **(headers or {})}
    )


def failure(
    code: int, reason: str, message: str = "failed", headers: Mapping[str, str] | None = None
) -> httpx.Response:
    status = {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "code": code,
        "reason": reason,
        "message": message,
    }
    return ok(status, code, headers)


class Harness:
    """A client of either flavour on a mock server, with sleeps recorded instead of slept."""

    def __init__(self, mode: str, server: Server, max_retries: int = 10, **kwargs: Any) -> None:
        self.mode = mode
        self.server = server
        self.sleeps: list[float] = []

        async def async_sleep(seconds: float) -> None:
            self.sleeps.append(seconds)

        retry = RetryPolicy(
            max_retries=max_retries, sleep=self.sleeps.append, async_sleep=async_sleep
        )
        config = ClusterConfig(server=SERVER, namespace="team-a", auth=BearerToken(TOKEN))
        transport = httpx.MockTransport(server)
        self.client: Client | AsyncClient = (
            Client(config, transport=transport, retry=retry, **kwargs)
            if mode == "sync"
            else AsyncClient(config, transport=transport, retry=retry, **kwargs)
        )
        self.deployments: Deployments | AsyncDeployments = (
            Deployments(self.client)
            if isinstance(self.client, Client)
            else AsyncDeployments(self.client)
        )

    @property
    def request(self) -> httpx.Request:
        return self.server.requests[-1]


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def run(value: Any) -> Any:
    """Await a coroutine; pass a plain value through."""
    return await value if inspect.isawaitable(value) else value


async def collect(iterable: Any) -> list[Any]:
    if hasattr(iterable, "__aiter__"):
        return [item async for item in iterable]
    return list(iterable)


def query(request: httpx.Request) -> list[tuple[str, str]]:
    return list(request.url.params.multi_items())


# --- the generated-style methods ------------------------------------------------------------


async def test_get(mode: str) -> None:
    h = Harness(mode, Server(ok(obj("web", "7", spec={"replicas": 2, **SPEC_WIRE}, newField=True))))
    deployment = await run(h.deployments.get("web"))
    assert isinstance(deployment, Deployment)
    assert deployment.metadata is not None and deployment.metadata.resource_version == "7"
    assert deployment.spec is not None and deployment.spec.replicas == 2
    assert deployment.model_extra == {"newField": True}
    assert h.request.method == "GET"
    assert str(h.request.url) == f"{SERVER}/apis/apps/v1/namespaces/team-a/deployments/web"
    assert h.request.headers["Accept"] == "application/json"
    assert h.request.headers["User-Agent"].startswith("kubetyped")
    assert h.request.headers["Authorization"] == f"Bearer {TOKEN}"


async def test_create_replace_and_status(mode: str) -> None:
    h = Harness(mode, Server(ok()))
    body = Deployment(metadata=ObjectMeta(name="web"), spec=spec(1))
    await run(h.deployments.create(body, field_manager="me"))
    assert (h.request.method, h.request.url.path) == (
        "POST",
        "/apis/apps/v1/namespaces/team-a/deployments",
    )
    assert query(h.request) == [("fieldManager", "me")]
    assert h.request.headers["Content-Type"] == "application/json"
    assert json.loads(h.request.content) == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"replicas": 1, **SPEC_WIRE},
    }

    await run(h.deployments.replace("web", body, namespace="prod"))
    assert (h.request.method, h.request.url.path) == (
        "PUT",
        "/apis/apps/v1/namespaces/prod/deployments/web",
    )

    await run(h.deployments.get_status("web"))
    assert h.request.url.path == "/apis/apps/v1/namespaces/team-a/deployments/web/status"
    await run(h.deployments.replace_status("web", body))
    assert (h.request.method, h.request.url.path) == (
        "PUT",
        "/apis/apps/v1/namespaces/team-a/deployments/web/status",
    )


async def test_patch_and_apply(mode: str) -> None:
    h = Harness(mode, Server(ok()))
    await run(h.deployments.patch("web", {"spec": {"replicas": 3}}))
    assert h.request.headers["Content-Type"] == "application/strategic-merge-patch+json"
    await run(
        h.deployments.patch("web", [{"op": "remove", "path": "/spec/paused"}], patch_type="json")
    )
    assert h.request.headers["Content-Type"] == "application/json-patch+json"
    assert h.request.content == b'[{"op":"remove","path":"/spec/paused"}]'

    await run(
        h.deployments.apply(
            Deployment(metadata=ObjectMeta(name="web"), spec=spec(3)),
            field_manager="ci",
            force=True,
        )
    )
    assert (h.request.method, h.request.url.path) == (
        "PATCH",
        "/apis/apps/v1/namespaces/team-a/deployments/web",
    )
    assert h.request.headers["Content-Type"] == "application/apply-patch+yaml"
    assert query(h.request) == [("fieldManager", "ci"), ("force", "true")]
    assert json.loads(h.request.content) == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"replicas": 3, **SPEC_WIRE},
    }

    await run(
        h.deployments.apply_status(
            Deployment(
                metadata=ObjectMeta(name="web", namespace="prod"),
                status=DeploymentStatus(replicas=1),
            ),
            field_manager="ctl",
        )
    )
    assert h.request.url.path == "/apis/apps/v1/namespaces/prod/deployments/web/status"


async def test_delete_returns_object_or_status(mode: str) -> None:
    gone = {"kind": "Status", "apiVersion": "v1", "status": "Success", "details": {"name": "web"}}
    h = Harness(mode, Server(ok(gone), ok(obj("web", "9")), ok(gone)))
    status = await run(
        h.deployments.delete(
            "web", grace_period_seconds=0, body=DeleteOptions(propagation_policy="Foreground")
        )
    )
    assert isinstance(status, Status) and status.status == "Success"
    assert h.request.method == "DELETE" and query(h.request) == [("gracePeriodSeconds", "0")]
    assert json.loads(h.request.content)["propagationPolicy"] == "Foreground"
    assert isinstance(await run(h.deployments.delete("web")), Deployment)  # finalizers pending
    await run(h.deployments.delete_collection(label_selector="app=web"))
    assert (
        str(h.request.url)
        == f"{SERVER}/apis/apps/v1/namespaces/team-a/deployments?labelSelector=app%3Dweb"
    )


async def test_list_all_follows_continue_over_three_pages(mode: str) -> None:
    def page(names: list[str], token: str | None) -> httpx.Response:
        meta = {"resourceVersion": "100", **({"continue": token} if token else {})}
        return ok(
            {
                "apiVersion": "apps/v1",
                "kind": "DeploymentList",
                "metadata": meta,
                "items": [obj(n) for n in names],
            }
        )

    h = Harness(mode, Server(page(["a", "b"], "t1"), page(["c", "d"], "t2"), page(["e"], None)))
    items = await collect(
        h.deployments.list_all(all_namespaces=True, label_selector="x=y", resource_version="0")
    )
    assert [d.metadata.name for d in items] == ["a", "b", "c", "d", "e"]
    assert all(isinstance(d, Deployment) for d in items)
    queries = [query(r) for r in h.server.requests]
    assert all(r.url.path == "/apis/apps/v1/deployments" for r in h.server.requests)
    assert queries == [
        [("labelSelector", "x=y"), ("resourceVersion", "0"), ("limit", "500")],
        # resourceVersion is refused together with continue, so it is dropped.
        [("labelSelector", "x=y"), ("limit", "500"), ("continue", "t1")],
        [("labelSelector", "x=y"), ("limit", "500"), ("continue", "t2")],
    ]


async def test_list_all_keeps_given_limit(mode: str) -> None:
    h = Harness(mode, Server(ok({"kind": "DeploymentList", "metadata": {}, "items": None})))
    assert await collect(h.deployments.list_all(limit=2)) == []
    assert query(h.request) == [("limit", "2")]


async def test_list_returns_the_list_model(mode: str) -> None:
    h = Harness(
        mode,
        Server(
            ok(
                {
                    "apiVersion": "apps/v1",
                    "kind": "DeploymentList",
                    "metadata": {"continue": "abc"},
                    "items": [obj("a")],
                }
            )
        ),
    )
    result = await run(h.deployments.list(limit=1))
    assert isinstance(result, DeploymentList)
    assert result.metadata is not None and result.metadata.continue_ == "abc"


async def test_watch_through_generated_method(mode: str) -> None:
    lines = b"".join(
        json.dumps({"type": t, "object": obj("web", rv)}).encode() + b"\n"
        for t, rv in [("ADDED", "1"), ("MODIFIED", "2")]
    )
    h = Harness(mode, Server(ok(lines)))
    events = await collect(
        h.deployments.watch(resource_version="0", timeout_seconds=5, resume=False)
    )
    assert [(e.type, e.object.metadata.resource_version) for e in events] == [
        ("ADDED", "1"),
        ("MODIFIED", "2"),
    ]
    assert query(h.request) == [
        ("resourceVersion", "0"),
        ("timeoutSeconds", "5"),
        ("watch", "true"),
    ]


async def test_errors_are_typed(mode: str) -> None:
    h = Harness(
        mode, Server(failure(409, "AlreadyExists", 'deployments.apps "web" already exists'))
    )
    with pytest.raises(
        AlreadyExists,
        match=rf'409 AlreadyExists: POST {SERVER}/apis/apps/v1/namespaces/team-a/deployments: deployments.apps "web" already exists',
    ):
        await run(h.deployments.create(Deployment(metadata=ObjectMeta(name="web"))))


async def test_undecodable_answer(mode: str) -> None:
    h = Harness(mode, Server(ok({"apiVersion": "v1", "kind": "Pod"})))
    with pytest.raises(
        DecodeError,
        match=r"cannot decode the answer as Deployment: apiVersion: Input should be 'apps/v1'",
    ):
        await run(h.deployments.get("web"))


# --- raw requests, discovery, health --------------------------------------------------------


async def test_raw_request(mode: str) -> None:
    h = Harness(mode, Server(ok({"paths": ["/api"]}), failure(404, "NotFound", "nope")))
    response = await run(h.client.request("GET", "/", params={"verbose": True, "x": None}))
    assert isinstance(response, httpx.Response) and response.json() == {"paths": ["/api"]}
    assert str(h.request.url) == f"{SERVER}/?verbose=true"
    with pytest.raises(NotFound, match=f"404 NotFound: POST {SERVER}/api/v1/x: nope"):
        await run(h.client.request("POST", "/api/v1/x", json={"a": 1}))
    assert json.loads(h.request.content) == {"a": 1}


async def test_base_url_with_path_prefix(mode: str) -> None:
    server = Server(ok())
    config = ClusterConfig(server="https://rancher.test/k8s/clusters/c-1", namespace="team-a")
    transport = httpx.MockTransport(server)
    if mode == "sync":
        Deployments(Client(config, transport=transport)).get("web")
    else:
        await AsyncDeployments(AsyncClient(config, transport=transport)).get("web")
    assert str(server.requests[0].url) == (
        "https://rancher.test/k8s/clusters/c-1/apis/apps/v1/namespaces/team-a/deployments/web"
    )


async def test_discovery_and_health(mode: str) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        bodies: dict[str, Any] = {
            "/version": {
                "major": "1",
                "minor": "36",
                "gitVersion": "v1.36.3",
                "platform": "linux/amd64",
            },
            "/api": {"kind": "APIVersions", "versions": ["v1"]},
            "/apis": {
                "kind": "APIGroupList",
                "groups": [
                    {
                        "name": "apps",
                        "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
                        "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"},
                    }
                ],
            },
            "/apis/apps/v1": {
                "kind": "APIResourceList",
                "groupVersion": "apps/v1",
                "resources": [
                    {
                        "name": "deployments",
                        "singularName": "deployment",
                        "namespaced": True,
                        "kind": "Deployment",
                        "verbs": ["get", "list"],
                        "shortNames": ["deploy"],
                    },
                    {
                        "name": "deployments/status",
                        "singularName": "",
                        "namespaced": True,
                        "kind": "Deployment",
                        "verbs": ["get"],
                    },
                ],
            },
        }
        if request.url.path in ("/livez", "/readyz"):
            return httpx.Response(200, text="[+]ping ok\nlivez check passed\n")
        return ok(bodies[request.url.path])

    h = Harness(mode, Server(answer))
    version = await run(h.client.version())
    assert (version.git_version, version.minor, version.platform) == (
        "v1.36.3",
        "36",
        "linux/amd64",
    )
    groups = await run(h.client.api_groups())
    assert [(g.name, [v.group_version for v in g.versions]) for g in groups] == [
        ("", ["v1"]),
        ("apps", ["apps/v1"]),
    ]
    assert groups[1].preferred_version.version == "v1"
    resources = await run(h.client.api_resources("apps/v1"))
    assert [(r.name, r.kind, r.namespaced, r.short_names) for r in resources] == [
        ("deployments", "Deployment", True, ["deploy"]),
        ("deployments/status", "Deployment", True, []),
    ]
    assert "livez check passed" in await run(h.client.livez(verbose=True, exclude=["etcd", "ping"]))
    assert str(h.request.url) == f"{SERVER}/livez?verbose=true&exclude=etcd&exclude=ping"
    assert await run(h.client.readyz()) == "[+]ping ok\nlivez check passed\n"
    assert str(h.request.url) == f"{SERVER}/readyz"


async def test_unhealthy_raises(mode: str) -> None:
    h = Harness(
        mode,
        Server(httpx.Response(500, text="[-]etcd failed: reason withheld\nreadyz check failed")),
    )
    with pytest.raises(
        ServerError,
        match=r"500 InternalError: GET .*/readyz: \[-\]etcd failed: reason withheld readyz check failed",
    ):
        await run(h.client.readyz())


# --- retries --------------------------------------------------------------------------------


async def test_429_with_retry_after_is_retried(mode: str) -> None:
    h = Harness(
        mode,
        Server(
            failure(429, "TooManyRequests", headers={"Retry-After": "2"}),
            failure(429, "TooManyRequests", headers={"Retry-After": "0"}),
            ok(),
        ),
    )
    assert isinstance(await run(h.deployments.get("web")), Deployment)
    assert len(h.server.requests) == 3
    assert h.sleeps == [2.0, 0.2]  # max(Retry-After, backoff 0.1 * 2**attempt)


async def test_5xx_with_retry_after_is_retried_for_writes_too(mode: str) -> None:
    h = Harness(
        mode, Server(failure(503, "ServiceUnavailable", headers={"Retry-After": "1"}), ok())
    )
    await run(h.deployments.create(Deployment(metadata=ObjectMeta(name="web"))))
    assert [r.method for r in h.server.requests] == ["POST", "POST"]
    assert h.server.requests[0].content == h.server.requests[1].content != b""
    assert h.sleeps == [1.0]


async def test_500_without_retry_after_is_not_retried(mode: str) -> None:
    h = Harness(mode, Server(failure(500, "InternalError", "boom"), ok()))
    with pytest.raises(ServerError, match="500 InternalError"):
        await run(h.deployments.get("web"))
    assert len(h.server.requests) == 1 and h.sleeps == []


async def test_429_with_http_date_retry_after_is_not_retried(mode: str) -> None:
    h = Harness(
        mode,
        Server(
            failure(
                429, "TooManyRequests", headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}
            )
        ),
    )
    with pytest.raises(TooManyRequests):
        await run(h.deployments.get("web"))
    assert len(h.server.requests) == 1


async def test_retries_are_bounded(mode: str) -> None:
    h = Harness(
        mode,
        Server(failure(503, "ServiceUnavailable", headers={"Retry-After": "30"})),
        max_retries=3,
    )
    with pytest.raises(ServiceUnavailable):
        await run(h.deployments.get("web"))
    assert len(h.server.requests) == 4  # the first try and three retries
    assert h.sleeps == [30.0, 30.0, 30.0]  # the server's Retry-After is honoured in full


async def test_a_retry_after_beyond_the_limit_is_raised_not_waited(mode: str) -> None:
    h = Harness(
        mode, Server(failure(429, "TooManyRequests", headers={"Retry-After": "3600"}), ok())
    )
    with pytest.raises(TooManyRequests):
        await run(h.deployments.get("web"))
    assert h.sleeps == [] and len(h.server.requests) == 1


async def test_default_retries_are_ten(mode: str) -> None:
    h = Harness(mode, Server(failure(429, "TooManyRequests", headers={"Retry-After": "1"})))
    with pytest.raises(TooManyRequests):
        await run(h.deployments.get("web"))
    assert len(h.server.requests) == 11
    assert h.sleeps == [1.0, 1.0, 1.0, 1.0, 1.6, 3.2, 6.4, 10.0, 10.0, 10.0]


async def test_get_is_retried_on_connection_errors(mode: str) -> None:
    h = Harness(
        mode,
        Server(
            httpx.ReadError("connection reset by peer"),
            httpx.RemoteProtocolError("server disconnected"),
            ok(),
        ),
    )
    assert isinstance(await run(h.deployments.get("web")), Deployment)
    assert len(h.server.requests) == 3 and h.sleeps == [1.0, 1.0]


async def test_a_refused_connection_fails_at_once(mode: str) -> None:
    # kubectl does not retry "connection refused" (client-go retries only resets and EOFs).
    refused = _connect_error(ConnectionRefusedError(111, "Connection refused"))
    h = Harness(mode, Server(refused, ok()))
    with pytest.raises(TransportError, match="ConnectError: .*Connection refused"):
        await run(h.deployments.get("web"))
    assert len(h.server.requests) == 1 and h.sleeps == []


async def test_retries_stop_at_the_retry_budget(mode: str) -> None:
    h = Harness(mode, Server(httpx.ReadError("reset by peer")), max_retries=10)
    # The clock moves only by the waits the policy asks for.
    h.client._retry = dataclasses.replace(
        h.client.retry, max_elapsed=2.5, clock=lambda: float(sum(h.sleeps))
    )
    with pytest.raises(TransportError, match=r"reset by peer \(after 2 retries\)"):
        await run(h.deployments.get("web"))
    assert h.sleeps == [1.0, 1.0]


def _connect_error(cause: BaseException) -> httpx.ConnectError:
    error = httpx.ConnectError(str(cause))
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    "cause",
    [
        ssl.SSLCertVerificationError("certificate verify failed"),
        ssl.SSLError("tlsv1 alert unknown ca"),
        ssl.SSLError("wrong version number"),
    ],
    ids=["server-certificate", "client-certificate-refused", "plain-http-port"],
)
async def test_tls_failures_are_not_retried(mode: str, cause: ssl.SSLError) -> None:
    h = Harness(mode, Server(_connect_error(cause), ok()))
    with pytest.raises(TransportError):
        await run(h.deployments.get("web"))
    assert len(h.server.requests) == 1 and h.sleeps == []


async def test_an_eof_in_the_handshake_is_retried(mode: str) -> None:
    h = Harness(mode, Server(_connect_error(ssl.SSLEOFError("EOF in violation of protocol")), ok()))
    assert isinstance(await run(h.deployments.get("web")), Deployment)
    assert len(h.server.requests) == 2 and h.sleeps == [1.0]


async def test_post_is_not_retried_on_connection_errors(mode: str) -> None:
    refused = httpx.ConnectError("connection refused")
    h = Harness(mode, Server(refused, ok()))
    with pytest.raises(
        TransportError,
        match=f"POST {SERVER}/apis/apps/v1/namespaces/team-a/deployments: ConnectError: connection refused",
    ) as info:
        await run(h.deployments.create(Deployment(metadata=ObjectMeta(name="web"))))
    assert info.value.__cause__ is refused
    assert len(h.server.requests) == 1 and h.sleeps == []


async def test_get_connection_errors_are_bounded(mode: str) -> None:
    h = Harness(mode, Server(httpx.ReadError("reset by peer")), max_retries=2)
    with pytest.raises(TransportError, match="ReadError: reset by peer"):
        await run(h.deployments.get("web"))
    assert len(h.server.requests) == 3 and h.sleeps == [1.0, 1.0]


async def test_timeouts_are_not_retried(mode: str) -> None:
    h = Harness(mode, Server(httpx.ReadTimeout("timed out"), ok()))
    with pytest.raises(TransportError, match="ReadTimeout"):
        await run(h.deployments.get("web"))
    assert len(h.server.requests) == 1


def test_retry_policy_rules() -> None:
    policy = RetryPolicy(max_retries=2)
    assert policy.delay_after_response(0, 429, "3") == 3.0
    assert policy.delay_after_response(0, 504, " 1 ") == 1.0
    assert policy.delay_after_response(0, 404, "3") is None
    assert policy.delay_after_response(0, 500, None) is None
    assert policy.delay_after_response(0, 500, "-1") is None
    assert policy.delay_after_response(2, 429, "3") is None
    assert policy.delay_after_error(0, "get") == 1.0
    assert policy.delay_after_error(0, "PUT") is None
    assert policy.delay_after_error(2, "GET") is None


# --- warnings and logging -------------------------------------------------------------------


async def test_warnings_are_logged(mode: str, caplog: pytest.LogCaptureFixture) -> None:
    h = Harness(
        mode,
        Server(
            ok(
                headers={
                    "Warning": '299 - "apps/v1beta1 is deprecated", 299 - "unknown field \\"x\\""'
                }
            )
        ),
    )
    caplog.set_level(logging.WARNING, logger="kubetyped")
    await run(h.deployments.get("web"))
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and r.name == "kubetyped"]
    assert [r.getMessage() for r in warnings] == [
        "server warning: apps/v1beta1 is deprecated",
        'server warning: unknown field "x"',
    ]


async def test_warning_handler_replaces_logging(
    mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[str] = []
    h = Harness(
        mode, Server(ok(headers={"Warning": '299 - "deprecated"'})), warning_handler=seen.append
    )
    caplog.set_level(logging.WARNING, logger="kubetyped")
    await run(h.deployments.get("web"))
    assert seen == ["deprecated"] and caplog.records == []


async def test_warnings_of_a_retried_answer_reach_the_handler(mode: str) -> None:
    seen: list[str] = []
    throttled = failure(
        429, "TooManyRequests", headers={"Retry-After": "0", "Warning": '299 - "slow down"'}
    )
    h = Harness(
        mode,
        Server(throttled, ok(headers={"Warning": '299 - "deprecated"'})),
        warning_handler=seen.append,
    )
    await run(h.deployments.get("web"))
    assert seen == ["slow down", "deprecated"]


async def test_debug_log_lines(mode: str, caplog: pytest.LogCaptureFixture) -> None:
    h = Harness(mode, Server(failure(429, "TooManyRequests", headers={"Retry-After": "1"}), ok()))
    caplog.set_level(logging.DEBUG, logger="kubetyped")
    await run(h.deployments.get("web"))
    lines = [r.getMessage() for r in caplog.records if r.name == "kubetyped"]
    url = f"{SERVER}/apis/apps/v1/namespaces/team-a/deployments/web"
    assert re.fullmatch(
        rf"GET {re.escape(url)} 429 Too Many Requests in \d+ milliseconds", lines[0]
    )
    assert lines[1] == f"retrying GET {url} in 1.0 seconds after HTTP 429 (retry 1 of 10)"
    assert re.fullmatch(rf"GET {re.escape(url)} 200 OK in \d+ milliseconds", lines[2])
    assert all(r.levelno == logging.DEBUG for r in caplog.records)
    assert TOKEN not in caplog.text and "Authorization" not in caplog.text


async def test_transport_error_log_line(mode: str, caplog: pytest.LogCaptureFixture) -> None:
    h = Harness(mode, Server(httpx.ConnectError("refused")), max_retries=0)
    caplog.set_level(logging.DEBUG, logger="kubetyped")
    with pytest.raises(TransportError):
        await run(h.deployments.get("web"))
    assert re.fullmatch(
        r"GET \S+/deployments/web failed in \d+ milliseconds: ConnectError: refused",
        caplog.records[0].getMessage(),
    )


# --- construction -----------------------------------------------------------------------------


def test_client_loads_kubeconfig_lazily(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []

    def fake_load_config(**kwargs: Any) -> ClusterConfig:
        calls.append(kwargs)
        return ClusterConfig(server=SERVER, namespace="from-kubeconfig")

    monkeypatch.setattr(kubetyped.config, "load_config", fake_load_config)
    with Client(kubeconfig="/tmp/kc", context="ctx") as client:
        assert client.namespace == "from-kubeconfig"
    assert calls == [{"kubeconfig": "/tmp/kc", "context": "ctx"}]


def test_exclusive_arguments() -> None:
    with pytest.raises(ValueError, match="not both"):
        Client(ClusterConfig(server=SERVER), kubeconfig="/tmp/kc")
    with pytest.raises(ValueError, match="not both"):
        Client(ClusterConfig(server=SERVER), max_retries=1, retry=RetryPolicy())


def test_tls_server_name_reaches_every_request() -> None:
    server = Server(ok())
    config = ClusterConfig(server=SERVER, tls_server_name="kubernetes.default")
    with Client(config, transport=httpx.MockTransport(server)) as client:
        Deployments(client).get("web", namespace="x")
    assert server.requests[0].extensions["sni_hostname"] == "kubernetes.default"


async def test_context_managers_close() -> None:
    with Client(
        ClusterConfig(server=SERVER), transport=httpx.MockTransport(Server(ok()))
    ) as client:
        assert client.namespace == "default"
    assert client._http.is_closed
    async with AsyncClient(
        ClusterConfig(server=SERVER), transport=httpx.MockTransport(Server(ok()))
    ) as aclient:
        pass
    assert aclient._http.is_closed


def test_max_retries_argument() -> None:
    server = Server(failure(429, "TooManyRequests", headers={"Retry-After": "0"}))
    config = ClusterConfig(server=SERVER)
    client = Client(config, transport=httpx.MockTransport(server), max_retries=1)
    with pytest.raises(TooManyRequests):
        Deployments(client).get("web", namespace="x")
    assert len(server.requests) == 2  # one real 0.1 s backoff sleep


def test_large_bodies_decode_with_the_collector_paused() -> None:
    import gc

    from kubetyped.decoding import Decoder, decode

    seen: list[bool] = []

    class Probe(Decoder[int]):
        def decode(self, body: bytes) -> int:
            seen.append(gc.isenabled())
            if body.startswith(b"!"):
                raise ValueError("bad body")
            return len(body)

    assert gc.isenabled()
    assert decode(Probe(), b"x" * 100) == 100
    assert decode(Probe(), b"x" * 300_000) == 300_000
    with pytest.raises(ValueError, match="bad body"):
        decode(Probe(), b"!" * 300_000)
    assert seen == [True, False, False]  # paused for large bodies only
    assert gc.isenabled()  # and always resumed, also after a failure


def test_the_collector_pause_spans_overlapping_decodes_and_respects_the_app() -> None:
    import gc
    import threading

    from kubetyped.decoding import Decoder, decode

    first_inside, release_first = threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    class Slow(Decoder[int]):
        def __init__(self, name: str) -> None:
            self.name = name

        def decode(self, body: bytes) -> int:
            if self.name == "first":
                first_inside.set()
                release_first.wait(5)
            else:
                release_first.set()  # the first decode ends while this one runs
                first.join(5)
                seen["second, after the first ended"] = gc.isenabled()
            return len(body)

    body = b"x" * 300_000
    first = threading.Thread(target=decode, args=(Slow("first"), body))
    first.start()
    first_inside.wait(5)
    decode(Slow("second"), body)
    assert seen == {"second, after the first ended": False}
    assert gc.isenabled()

    gc.disable()  # the application's own choice survives a decode
    try:
        decode(Slow("second"), body)
        assert not gc.isenabled()
    finally:
        gc.enable()
