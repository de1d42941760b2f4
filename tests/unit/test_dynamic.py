"""The dynamic client without a server: discovery cached and fetched again on a miss, the
requests each verb sends, typed models for known kinds and generic objects for the rest."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from kubetyped import Client
from kubetyped.config import ClusterConfig
from kubetyped.dynamic import DynamicClient, UnknownResource
from kubetyped.generic import GenericList, GenericObject
from kubetyped.k8s.apps.v1 import Deployment

WIDGETS = {
    "groupVersion": "example.com/v1",
    "resources": [
        {
            "name": "widgets",
            "singularName": "widget",
            "namespaced": True,
            "kind": "Widget",
            "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"],
            "shortNames": ["wd"],
        },
        {
            "name": "widgets/status",
            "namespaced": True,
            "kind": "Widget",
            "verbs": ["get", "patch", "update"],
        },
    ],
}
APPS = {
    "groupVersion": "apps/v1",
    "resources": [
        {
            "name": "deployments",
            "singularName": "deployment",
            "namespaced": True,
            "kind": "Deployment",
            "verbs": ["get", "list", "patch", "create"],
            "shortNames": ["deploy"],
        },
        {
            "name": "deployments/scale",
            "namespaced": True,
            "kind": "Scale",
            "group": "autoscaling",
            "version": "v1",
            "verbs": ["get", "patch", "update"],
        },
    ],
}
WIDGET = {
    "apiVersion": "example.com/v1",
    "kind": "Widget",
    "metadata": {"name": "w", "namespace": "team-a", "resourceVersion": "5"},
    "spec": {"size": 3, "list": [1, None]},
}


class Server:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.widgets_served = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path == "/apis/example.com/v1":
            if not self.widgets_served:
                return httpx.Response(
                    404,
                    json={"kind": "Status", "apiVersion": "v1", "code": 404, "reason": "NotFound"},
                )
            return httpx.Response(200, json=WIDGETS)
        if path == "/apis/apps/v1":
            return httpx.Response(200, json=APPS)
        if path == "/api":
            return httpx.Response(200, json={"versions": ["v1"]})
        if path == "/api/v1":
            return httpx.Response(200, json={"groupVersion": "v1", "resources": []})
        if path == "/apis":
            groups = [
                {
                    "name": "apps",
                    "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
                    "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"},
                }
            ]
            if self.widgets_served:
                groups.append(
                    {
                        "name": "example.com",
                        "versions": [{"groupVersion": "example.com/v1", "version": "v1"}],
                        "preferredVersion": {"groupVersion": "example.com/v1", "version": "v1"},
                    }
                )
            return httpx.Response(200, json={"groups": groups})
        if path.endswith("/widgets") and request.method == "GET":
            return httpx.Response(
                200,
                json={
                    "apiVersion": "example.com/v1",
                    "kind": "WidgetList",
                    "metadata": {"resourceVersion": "9"},
                    "items": [WIDGET],
                },
            )
        if "/widgets" in path:
            return httpx.Response(200, json=WIDGET)
        if "/deployments/" in path and path.endswith("/scale"):
            return httpx.Response(
                200,
                json={
                    "apiVersion": "autoscaling/v1",
                    "kind": "Scale",
                    "metadata": {"name": "web"},
                    "spec": {"replicas": 2},
                },
            )
        if "/deployments/" in path:
            return httpx.Response(
                200,
                json={"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}},
            )
        raise AssertionError(f"unexpected {request.method} {request.url}")


@pytest.fixture
def server() -> Server:
    return Server()


@pytest.fixture
def dyn(server: Server) -> DynamicClient:
    config = ClusterConfig(server="https://k8s.test:6443", namespace="team-a")
    return DynamicClient(Client(config, transport=httpx.MockTransport(server)))


def paths(server: Server) -> list[str]:
    return [f"{r.method} {r.url.path}" for r in server.requests]


def test_discovery_is_cached_and_fetched_again_on_a_miss(
    server: Server, dyn: DynamicClient
) -> None:
    with pytest.raises(UnknownResource, match="no kind Widget in example.com/v1"):
        dyn.resource("example.com/v1", "Widget")
    server.widgets_served = True  # the CRD is installed now
    widgets = dyn.resource("example.com/v1", "Widget")
    again = dyn.resource("example.com/v1", "Widget")
    assert type(widgets) is type(again)
    assert paths(server).count("GET /apis/example.com/v1") == 2  # the miss, then the refresh
    assert widgets.info.plural == "widgets" and widgets.info.namespaced
    assert widgets.info.subresources == {"status"}
    assert widgets.model is GenericObject and widgets.list_model is GenericList


def test_by_name_plural_singular_short_and_group(server: Server, dyn: DynamicClient) -> None:
    server.widgets_served = True
    assert dyn.by_name("deploy").info.kind == "Deployment"
    assert dyn.by_name("deployments.apps").info.kind == "Deployment"
    assert dyn.by_name("wd").info.kind == "Widget"
    assert dyn.by_name("widget.example.com").info.kind == "Widget"
    with pytest.raises(UnknownResource):
        dyn.by_name("deployments.example.com")


def test_verbs_send_what_the_typed_clients_send(server: Server, dyn: DynamicClient) -> None:
    server.widgets_served = True
    widgets = dyn.resource("example.com/v1", "Widget")
    got = widgets.get("w")
    assert isinstance(got, GenericObject) and got.to_dict() == WIDGET
    listed = widgets.list(label_selector="a=b")
    assert isinstance(listed, GenericList) and listed.items[0].to_dict() == WIDGET
    widgets.patch("w", {"spec": {"size": 4}})
    widgets.patch("w", [{"op": "replace", "path": "/spec/size", "value": 5}])
    widgets.apply(got, field_manager="me", force=True)
    widgets.replace_status("w", WIDGET)
    widgets.create(WIDGET)
    sent = server.requests[-5:]
    assert sent[0].headers["content-type"] == "application/merge-patch+json"  # not strategic
    assert sent[1].headers["content-type"] == "application/json-patch+json"
    assert sent[2].headers["content-type"] == "application/apply-patch+yaml"
    assert dict(sent[2].url.params) == {"fieldManager": "me", "force": "true"}
    assert json.loads(sent[2].content)["spec"] == WIDGET["spec"]
    assert (
        f"{sent[3].method} {sent[3].url.path}"
        == "PUT /apis/example.com/v1/namespaces/team-a/widgets/w/status"
    )
    assert (
        f"{sent[4].method} {sent[4].url.path}"
        == "POST /apis/example.com/v1/namespaces/team-a/widgets"
    )
    assert dict(sent[0].url.params) == {}  # the merge patch: no query
    assert any(r.url.params.get("labelSelector") == "a=b" for r in server.requests)
    with pytest.raises(UnknownResource, match="no 'scale' subresource"):
        widgets.get_scale("w")
    with pytest.raises(UnknownResource, match="does not support 'deletecollection'"):
        widgets.delete_collection()


def test_known_kinds_come_back_typed(server: Server, dyn: DynamicClient) -> None:
    deployments = dyn.for_object({"apiVersion": "apps/v1", "kind": "Deployment"})
    assert deployments.model is Deployment
    assert isinstance(deployments.get("web"), Deployment)
    scale: Any = deployments.get_scale("web")
    assert type(scale).__name__ == "Scale" and scale.spec.replicas == 2
    deployments.patch("web", {"spec": {"replicas": 3}})
    assert server.requests[-1].headers["content-type"] == "application/strategic-merge-patch+json"
