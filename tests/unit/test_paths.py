"""Paths and requests: what a generated method asks the client to send, without any I/O."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from kubetyped.client import Client
from kubetyped.config import ClusterConfig
from kubetyped.k8s.apps.v1 import Deployments
from kubetyped.k8s.core.v1 import ConfigMap, ConfigMaps, Nodes
from kubetyped.k8s.meta.v1 import ObjectMeta
from kubetyped.k8s.rbac_authorization.v1 import ClusterRoles
from kubetyped.paths import ResourceInfo, group_version_path, resource_path
from kubetyped.request import (
    ApiRequest,
    OrStatus,
    PatchType,
    decode,
    encode_body,
    encode_params,
)
from kubetyped.status import Status

# The generated resource clients and their metadata (kubetyped.k8s), called as generated
# methods call them.
CONFIGMAPS = ConfigMaps.info
DEPLOYMENTS = Deployments.info
NODES = Nodes.info
CLUSTER_ROLES = ClusterRoles.info


def _no_network(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no request expected, got {request.method} {request.url}")


@pytest.fixture
def client() -> Client:
    config = ClusterConfig(server="https://k8s.test:6443", namespace="team-a")
    return Client(config, transport=httpx.MockTransport(_no_network))


# --- paths -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("info", "namespace", "name", "subresource", "path"),
    [
        (CONFIGMAPS, "ns", None, None, "/api/v1/namespaces/ns/configmaps"),
        (CONFIGMAPS, "ns", "cm", None, "/api/v1/namespaces/ns/configmaps/cm"),
        (CONFIGMAPS, None, None, None, "/api/v1/configmaps"),
        (DEPLOYMENTS, "ns", "web", "status", "/apis/apps/v1/namespaces/ns/deployments/web/status"),
        (DEPLOYMENTS, None, None, None, "/apis/apps/v1/deployments"),
        (NODES, None, "node-1", None, "/api/v1/nodes/node-1"),
        (NODES, None, "node-1", "proxy", "/api/v1/nodes/node-1/proxy"),
        (CLUSTER_ROLES, None, None, None, "/apis/rbac.authorization.k8s.io/v1/clusterroles"),
        (CONFIGMAPS, "ns", "a:b c?#", None, "/api/v1/namespaces/ns/configmaps/a%3Ab%20c%3F%23"),
    ],
)
def test_resource_path(
    info: ResourceInfo, namespace: str | None, name: str | None, subresource: str | None, path: str
) -> None:
    assert resource_path(info, namespace=namespace, name=name, subresource=subresource) == path


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"namespace": "ns", "name": ""}, "name must not be empty"),
        ({"namespace": "", "name": "x"}, "namespace must not be empty"),
        ({"namespace": "ns", "name": ".."}, "invalid name '..'"),
        ({"namespace": "ns", "name": "."}, "invalid name '.'"),
        ({"namespace": "ns", "name": "a/b"}, "invalid name 'a/b'"),
        ({"namespace": "ns", "name": "50%"}, "invalid name '50%'"),
        ({"namespace": "..", "name": "x"}, "invalid namespace '..'"),
        ({"namespace": None, "name": "x"}, "ConfigMap is namespaced"),
        ({"namespace": "ns", "subresource": "status"}, "needs the name of an object"),
        ({"namespace": "ns", "name": "x", "subresource": ""}, "invalid subresource"),
    ],
)
def test_resource_path_refuses(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        resource_path(CONFIGMAPS, **kwargs)


def test_cluster_scoped_takes_no_namespace() -> None:
    with pytest.raises(ValueError, match="Node is cluster-scoped"):
        resource_path(NODES, namespace="ns", name="n")


def test_api_version_and_group_prefix() -> None:
    assert CONFIGMAPS.api_version == "v1"
    assert DEPLOYMENTS.api_version == "apps/v1"
    assert group_version_path("", "v1") == "/api/v1"
    assert group_version_path("apps", "v1") == "/apis/apps/v1"


# --- params and bodies ---------------------------------------------------------------------


def test_encode_params() -> None:
    params = encode_params(
        {
            "pretty": None,
            "watch": True,
            "allowWatchBookmarks": False,
            "limit": 5,
            "labelSelector": "app=web",
            "command": ["sh", "-c"],
        }
    )
    assert params == (
        ("watch", "true"),
        ("allowWatchBookmarks", "false"),
        ("limit", "5"),
        ("labelSelector", "app=web"),
        ("command", "sh"),
        ("command", "-c"),
    )
    assert encode_params(None) == ()


def test_with_params_replaces_and_removes() -> None:
    req = ApiRequest("GET", "/api/v1/pods", bytes, encode_params({"limit": 5, "continue": "a"}))
    assert req.with_params({"continue": "b", "limit": None}).params == (("continue", "b"),)
    assert req.params == (("limit", "5"), ("continue", "a"))  # the original is untouched


def test_encode_body_sends_only_what_was_set() -> None:
    cm = ConfigMap(metadata=ObjectMeta(name="cm"))
    assert encode_body(cm) == b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"}}'
    assert encode_body({"metadata": ObjectMeta(labels={"a": "b"})}) == (
        b'{"metadata":{"labels":{"a":"b"}}}'
    )
    ops = [{"op": "replace", "path": "/data/a", "value": "1"}]
    assert encode_body(ops) == b'[{"op":"replace","path":"/data/a","value":"1"}]'
    assert encode_body(b"raw") == b"raw"


def test_decode_by_response_type() -> None:
    body = b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"},"extra":1}'
    cm = decode(ConfigMap, body)
    assert cm.metadata is not None and cm.metadata.name == "cm"
    assert cm.model_extra == {"extra": 1}
    assert decode(bytes, b"\x00raw") == b"\x00raw"
    assert decode(str, b"ok") == "ok"
    assert decode(dict[str, Any], b'{"a": 1}') == {"a": 1}


def test_or_status_decodes_object_or_status() -> None:
    either = OrStatus(ConfigMap, Status)
    gone = decode(
        either, b'{"kind":"Status","apiVersion":"v1","status":"Success","details":{"name":"cm"}}'
    )
    assert isinstance(gone, Status) and gone.details is not None and gone.details.name == "cm"
    kept = decode(either, b'{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cm"}}')
    assert isinstance(kept, ConfigMap)


# --- requests built by a resource client ---------------------------------------------------


def test_request_uses_context_namespace_by_default(client: Client) -> None:
    req = ConfigMaps(client)._request(
        "GET", name="cm", params={"pretty": None, "resourceVersion": "0"}, response=ConfigMap
    )
    assert req == ApiRequest(
        "GET", "/api/v1/namespaces/team-a/configmaps/cm", ConfigMap, (("resourceVersion", "0"),)
    )
    assert req.body is None and req.content_type is None


def test_request_namespace_argument_and_all_namespaces(client: Client) -> None:
    cms = ConfigMaps(client)
    assert cms._request("GET", namespace="other", response=bytes).path == (
        "/api/v1/namespaces/other/configmaps"
    )
    assert cms._request("GET", all_namespaces=True, response=bytes).path == "/api/v1/configmaps"
    with pytest.raises(ValueError, match="not both"):
        cms._request("GET", namespace="x", all_namespaces=True, response=bytes)
    with pytest.raises(ValueError, match="namespaced"):
        cms._request("GET", name="cm", all_namespaces=True, response=bytes)


def test_request_namespace_from_body(client: Client) -> None:
    body = ConfigMap(metadata=ObjectMeta(name="cm", namespace="prod"))
    req = ConfigMaps(client)._request("POST", body=body, response=ConfigMap)
    assert req.path == "/api/v1/namespaces/prod/configmaps"
    assert req.content_type == "application/json"
    assert req.body == (
        b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","namespace":"prod"}}'
    )


def test_cluster_scoped_request(client: Client) -> None:
    assert Nodes(client)._request("GET", name="n1", response=bytes).path == "/api/v1/nodes/n1"
    with pytest.raises(ValueError, match="cluster-scoped"):
        Nodes(client)._request("GET", name="n1", namespace="x", response=bytes)


@pytest.mark.parametrize(
    ("patch_type", "content_type"),
    [
        ("json", "application/json-patch+json"),
        ("merge", "application/merge-patch+json"),
        ("strategic", "application/strategic-merge-patch+json"),
        ("apply", "application/apply-patch+yaml"),
    ],
)
def test_patch_content_types(client: Client, patch_type: PatchType, content_type: str) -> None:
    req = ConfigMaps(client)._request(
        "PATCH", name="cm", body={"data": {"a": "1"}}, patch_type=patch_type, response=ConfigMap
    )
    assert req.method == "PATCH"
    assert req.content_type == content_type
    assert req.body == b'{"data":{"a":"1"}}'


def test_patch_type_needs_patch(client: Client) -> None:
    with pytest.raises(ValueError, match="needs method PATCH"):
        ConfigMaps(client)._request("PUT", name="cm", body={}, patch_type="merge", response=bytes)


def test_apply_request(client: Client) -> None:
    cm = ConfigMap(metadata=ObjectMeta(name="cm"), data={"a": "1"})
    req = ConfigMaps(client)._apply_request(
        cm, field_manager="me", force=True, params={"dryRun": "All"}, response=ConfigMap
    )
    assert req.method == "PATCH"
    assert req.path == "/api/v1/namespaces/team-a/configmaps/cm"
    assert req.content_type == "application/apply-patch+yaml"
    assert req.params == (("dryRun", "All"), ("fieldManager", "me"), ("force", "true"))
    assert req.body is not None and json.loads(req.body) == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cm"},
        "data": {"a": "1"},
    }


def test_apply_request_from_manifest(client: Client) -> None:
    manifest = {"metadata": {"name": "cm", "namespace": "prod"}, "data": {"a": "1"}}
    req = ConfigMaps(client)._apply_request(manifest, field_manager="me", response=ConfigMap)
    assert req.path == "/api/v1/namespaces/prod/configmaps/cm"
    assert req.params == (("fieldManager", "me"),)  # force=False is not sent
    assert req.body is not None and req.body.startswith(b'{"apiVersion":"v1","kind":"ConfigMap",')


def test_apply_needs_a_name(client: Client) -> None:
    with pytest.raises(ValueError, match="metadata.name"):
        ConfigMaps(client)._apply_request(
            ConfigMap(data={}), field_manager="me", response=ConfigMap
        )


def test_client_url(client: Client) -> None:
    req = ConfigMaps(client)._request("GET", params={"watch": True}, response=bytes)
    assert client.url(req) == "https://k8s.test:6443/api/v1/namespaces/team-a/configmaps?watch=true"


def test_one_table_of_patch_media_types() -> None:
    """``request.PATCH_CONTENT_TYPES`` is the table; the generator's readings of the spec's
    ``consumes`` lists must name the same media types for the same patch types."""
    import typing

    from kubetyped.codegen import crd, parse
    from kubetyped.request import PATCH_CONTENT_TYPES, PATCH_TYPES_BY_CONTENT_TYPE

    assert set(PATCH_CONTENT_TYPES) == set(typing.get_args(PatchType))
    assert parse.PATCH_TYPES_BY_CONTENT_TYPE is PATCH_TYPES_BY_CONTENT_TYPE  # read, not copied
    # Custom resources take every patch type but strategic merge (no merge keys).
    assert sorted(crd._PATCH_TYPES) == sorted(
        PATCH_CONTENT_TYPES[t] for t in ("json", "merge", "apply")
    )
