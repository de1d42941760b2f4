"""The generated per-resource clients against a real kube-apiserver, sync and async alike.

Each test runs twice (``mode`` is ``sync`` or ``async``): the same calls through
``Client``/``ConfigMaps`` and ``AsyncClient``/``AsyncConfigMaps``.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from _support import Api, collect, run, unique
from kubetyped.errors import AlreadyExists, Conflict, Forbidden, Invalid, NotFound
from kubetyped.k8s.apps import v1 as apps_v1
from kubetyped.k8s.authentication.v1 import TokenRequest, TokenRequestSpec
from kubetyped.k8s.core import v1 as core_v1
from kubetyped.k8s.meta.v1 import LabelSelector, ObjectMeta, Status
from kubetyped.k8s.rbac_authorization import v1 as rbac_v1

pytestmark = pytest.mark.e2e


def configmap(name: str, **data: str) -> core_v1.ConfigMap:
    return core_v1.ConfigMap(metadata=ObjectMeta(name=name, labels={"app": "e2e"}), data=data)


def deployment(name: str, replicas: int = 1) -> apps_v1.Deployment:
    labels = {"app": name}
    return apps_v1.Deployment(
        metadata=ObjectMeta(name=name),
        spec=apps_v1.DeploymentSpec(
            replicas=replicas,
            selector=LabelSelector(match_labels=labels),
            template=core_v1.PodTemplateSpec(
                metadata=ObjectMeta(labels=labels),
                spec=core_v1.PodSpec(
                    containers=[core_v1.Container(name="web", image="nginx:1.27")]
                ),
            ),
        ),
    )


async def test_configmap_crud(api: Api, namespace: str) -> None:
    cms = api.configmaps
    created = await run(cms.create(configmap("app", a="1"), namespace=namespace))
    assert isinstance(created, core_v1.ConfigMap)
    assert created.metadata and created.metadata.uid and created.data == {"a": "1"}

    got = await run(cms.get("app", namespace=namespace))
    assert got.metadata.resource_version == created.metadata.resource_version

    got.data = {"a": "2", "b": "3"}
    replaced = await run(cms.replace("app", got, namespace=namespace))
    assert replaced.data == {"a": "2", "b": "3"}

    listed = await run(cms.list(namespace=namespace, label_selector="app=e2e"))
    assert isinstance(listed, core_v1.ConfigMapList)
    assert [c.metadata.name for c in listed.items] == ["app"]

    deleted = await run(cms.delete("app", namespace=namespace))
    assert isinstance(deleted, (core_v1.ConfigMap, Status))
    with pytest.raises(NotFound) as info:
        await run(cms.get("app", namespace=namespace))
    assert info.value.code == 404 and info.value.status.reason == "NotFound"
    assert '"app" not found' in str(info.value)


async def test_every_patch_type(api: Api, namespace: str) -> None:
    cms = api.configmaps
    await run(cms.create(configmap("p", a="1"), namespace=namespace))
    merged = await run(
        cms.patch("p", {"data": {"b": "2"}}, namespace=namespace, patch_type="merge")
    )
    assert merged.data == {"a": "1", "b": "2"}
    strategic = await run(cms.patch("p", {"data": {"c": "3"}}, namespace=namespace))
    assert strategic.data == {"a": "1", "b": "2", "c": "3"}
    ops = [{"op": "remove", "path": "/data/a"}, {"op": "add", "path": "/data/d", "value": "4"}]
    patched = await run(cms.patch("p", ops, namespace=namespace, patch_type="json"))
    assert patched.data == {"b": "2", "c": "3", "d": "4"}
    typed = await run(
        cms.patch("p", core_v1.ConfigMap(data={"e": "5"}), namespace=namespace, patch_type="merge")
    )
    assert typed.data == {"b": "2", "c": "3", "d": "4", "e": "5"}


async def test_server_side_apply_conflicts_and_force(api: Api, namespace: str) -> None:
    deps = api.deployments
    applied = await run(
        deps.apply(deployment("web", replicas=2), field_manager="alice", namespace=namespace)
    )
    assert applied.spec.replicas == 2
    managers = {m.manager for m in applied.metadata.managed_fields}
    assert managers == {"alice"}

    with pytest.raises(Conflict) as info:
        await run(
            deps.apply(deployment("web", replicas=3), field_manager="bob", namespace=namespace)
        )
    assert info.value.code == 409
    assert "alice" in str(info.value)

    forced = await run(
        deps.apply(
            deployment("web", replicas=3), field_manager="bob", force=True, namespace=namespace
        )
    )
    assert forced.spec.replicas == 3
    # Only what was set is sent: bob owns replicas but not, say, the default strategy.
    (bob,) = [m for m in forced.metadata.managed_fields if m.manager == "bob"]
    assert "f:strategy" not in bob.fields_v1["f:spec"]

    # Read, edit, apply again: the object read back carries managedFields, which apply drops.
    current = await run(deps.get("web", namespace=namespace))
    current.spec.replicas = 5
    reapplied = await run(deps.apply(current, field_manager="bob", force=True, namespace=namespace))
    assert reapplied.spec.replicas == 5


async def test_status_and_scale_subresources(api: Api, namespace: str) -> None:
    deps = api.deployments
    await run(deps.create(deployment("sub"), namespace=namespace))
    status = await run(deps.get_status("sub", namespace=namespace))
    assert isinstance(status, apps_v1.Deployment)
    patched = await run(
        deps.patch_status(
            "sub", {"status": {"observedGeneration": 7}}, namespace=namespace, patch_type="merge"
        )
    )
    assert patched.status.observed_generation == 7
    scale = await run(deps.get_scale("sub", namespace=namespace))
    assert scale.spec.replicas == 1
    scale.spec.replicas = 4
    scaled = await run(deps.replace_scale("sub", scale, namespace=namespace))
    assert scaled.spec.replicas == 4
    assert (await run(deps.get("sub", namespace=namespace))).spec.replicas == 4


async def test_dry_run_persists_nothing(api: Api, namespace: str) -> None:
    created = await run(api.configmaps.create(configmap("dry"), namespace=namespace, dry_run="All"))
    assert created.metadata.name == "dry"
    with pytest.raises(NotFound):
        await run(api.configmaps.get("dry", namespace=namespace))


async def test_pagination_over_120_objects(api: Api, namespace: str) -> None:
    for i in range(120):
        await run(api.configmaps.create(configmap(f"page-{i:03d}"), namespace=namespace))
    first = await run(api.configmaps.list(namespace=namespace, limit=50))
    assert len(first.items) == 50 and first.metadata.continue_
    names = [
        c.metadata.name
        for c in await collect(api.configmaps.list_all(namespace=namespace, limit=50))
    ]
    assert sorted(n for n in names if n.startswith("page-")) == [
        f"page-{i:03d}" for i in range(120)
    ]
    everywhere = await collect(
        api.configmaps.list_all(all_namespaces=True, label_selector="app=e2e", limit=40)
    )
    assert len([c for c in everywhere if c.metadata.namespace == namespace]) == 120


async def test_bytes_in_a_patch_dict_are_sent_as_base64(api: Api, namespace: str) -> None:
    secrets = api.bind(core_v1.Secrets, core_v1.AsyncSecrets)
    raw = bytes(range(256))
    await run(
        secrets.create(
            core_v1.Secret(metadata=ObjectMeta(name="s"), data={"a": b"x"}), namespace=namespace
        )
    )
    patched = await run(
        secrets.patch("s", {"data": {"b": raw}}, namespace=namespace, patch_type="merge")
    )
    assert patched.data == {"a": b"x", "b": raw}


async def test_typed_errors(api: Api, namespace: str, kubeconfig: Path) -> None:
    cms = api.configmaps
    await run(cms.create(configmap("dup"), namespace=namespace))
    with pytest.raises(AlreadyExists) as exists:
        await run(cms.create(configmap("dup"), namespace=namespace))
    assert exists.value.code == 409 and exists.value.reason == "AlreadyExists"
    with pytest.raises(Invalid) as invalid:
        await run(cms.create(configmap("Not_Valid"), namespace=namespace))
    assert invalid.value.code == 422
    assert any(c.field == "metadata.name" for c in invalid.value.causes)
    stranger = Api(api.mode, kubeconfig, context="unprivileged")
    try:
        with pytest.raises(Forbidden) as forbidden:
            await run(stranger.configmaps.list(namespace=namespace))
        assert forbidden.value.code == 403
        assert "cannot list resource" in forbidden.value.message
    finally:
        await stranger.close()


async def test_cluster_scoped_crud(api: Api) -> None:
    roles = api.bind(rbac_v1.ClusterRoles, rbac_v1.AsyncClusterRoles)
    name = unique("reader")
    role = rbac_v1.ClusterRole(
        metadata=ObjectMeta(name=name),
        rules=[rbac_v1.PolicyRule(api_groups=[""], resources=["pods"], verbs=["get", "list"])],
    )
    created = await run(roles.create(role))
    assert created.metadata.namespace is None
    got = await run(roles.get(name))
    assert got.rules[0].verbs == ["get", "list"]
    assert name in [r.metadata.name for r in (await run(roles.list())).items]
    await run(roles.delete(name))
    with pytest.raises(NotFound):
        await run(roles.get(name))


async def test_watch_yields_typed_events(api: Api, namespace: str) -> None:
    start = (await run(api.configmaps.list(namespace=namespace))).metadata.resource_version
    await run(api.configmaps.create(configmap("watched", a="1"), namespace=namespace))
    events = api.configmaps.watch(namespace=namespace, resource_version=start, timeout_seconds=5)
    first = None
    if isinstance(events, AsyncIterator):
        async for event in events:
            first = event
            break
        await events.aclose()  # type: ignore[attr-defined]
    else:
        for event in events:
            first = event
            break
        events.close()  # type: ignore[attr-defined]
    assert first is not None and first.type == "ADDED"
    assert isinstance(first.object, core_v1.ConfigMap) and first.object.data == {"a": "1"}


async def test_token_subresource(api: Api, namespace: str) -> None:
    sas = api.bind(core_v1.ServiceAccounts, core_v1.AsyncServiceAccounts)
    await run(
        sas.create(core_v1.ServiceAccount(metadata=ObjectMeta(name="robot")), namespace=namespace)
    )
    token = await run(
        sas.create_token(
            "robot", TokenRequest(spec=TokenRequestSpec(audiences=["e2e"])), namespace=namespace
        )
    )
    assert isinstance(token, TokenRequest) and token.status and token.status.token.count(".") == 2


async def test_discovery_version_health_and_raw(api: Api) -> None:
    client = api.client
    version = await run(client.version())
    assert version.git_version.startswith("v1.36.")
    groups = await run(client.api_groups())
    assert {"", "apps", "rbac.authorization.k8s.io"} <= {g.name for g in groups}
    resources = await run(client.api_resources("apps/v1"))
    assert "deployments" in {r.name for r in resources}
    livez = await run(client.livez(verbose=True))
    assert "[+]ping ok" in livez
    readyz = await run(client.readyz(verbose=True, exclude=["etcd"]))
    assert "[+]etcd ok" not in readyz and "excluded: ok" in readyz
    raw = await run(client.request("GET", "/api/v1/namespaces"))
    assert raw.json()["kind"] == "NamespaceList"


async def test_server_warnings_are_logged(
    api: Api, namespace: str, caplog: pytest.LogCaptureFixture
) -> None:
    odd = core_v1.ConfigMap.model_validate({"metadata": {"name": "odd"}, "bogusField": 1})
    with caplog.at_level(logging.WARNING, logger="kubetyped"):
        await run(api.configmaps.create(odd, namespace=namespace, field_validation="Warn"))
    assert any('unknown field "bogusField"' in r.getMessage() for r in caplog.records)


async def test_debug_log_like_kubectl_v6(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="kubetyped"):
        await run(api.namespaces.get("default"))
    lines = [r.getMessage() for r in caplog.records]
    assert any(
        line.startswith("GET https://127.0.0.1:")
        and "/api/v1/namespaces/default 200" in line
        and "milliseconds" in line
        for line in lines
    ), lines


def test_generate_from_cluster(apiserver: Any, tmp_path: Path) -> None:
    out = tmp_path / "live_k8s"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kubetyped.codegen",
            "generate",
            "--from-cluster",
            "--kubeconfig",
            str(apiserver.kubeconfig_path),
            "--context",
            "admin-token",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    header = (out / "apps" / "v1.py").read_text().splitlines()[0]
    assert "/openapi/v2 (Kubernetes v1.36." in header
    code = f"import sys; sys.path.insert(0, {str(tmp_path)!r}); from live_k8s.apps.v1 import Deployments, Deployment; print(Deployments.info.plural)"
    check = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0 and check.stdout.strip() == "deployments", check.stderr


async def test_impersonation_from_the_kubeconfig(
    api: Api, kubeconfig: Path, tmp_path: Path
) -> None:
    import yaml

    config = yaml.safe_load(kubeconfig.read_text())
    admin = next(u for u in config["users"] if u["name"] == "admin")
    admin["user"]["as"] = "jane"  # a user with no RBAC grants
    config["current-context"] = "admin"
    path = tmp_path / "impersonating"
    path.write_text(yaml.safe_dump(config))
    jane = Api(api.mode, path)
    try:
        with pytest.raises(Forbidden) as info:
            await run(jane.namespaces.list())
        assert 'User "jane" cannot list resource "namespaces"' in info.value.message
    finally:
        await jane.close()

    admin["user"]["as-groups"] = ["system:masters"]
    path.write_text(yaml.safe_dump(config))
    master = Api(api.mode, path)
    try:
        listed = await run(master.namespaces.list())
        assert "default" in [n.metadata.name for n in listed.items]
    finally:
        await master.close()
