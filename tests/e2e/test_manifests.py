"""Manifests against the real server: load, apply (sync and async), re-apply, edit, wait,
delete in reverse order; the dynamic client on a CRD no package knows."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from _support import Api, collect, run, unique
from kubetyped import manifest
from kubetyped.apply import apply_all, async_apply_all, async_delete_all, delete_all
from kubetyped.dynamic import AsyncDynamicClient, DynamicClient, UnknownResource
from kubetyped.errors import NotFound
from kubetyped.generic import GenericObject
from kubetyped.k8s.apiextensions.v1 import CustomResourceDefinition
from kubetyped.k8s.apps.v1 import Deployment
from kubetyped.k8s.core.v1 import ConfigMap
from kubetyped.wait import WaitTimeout, async_wait, generation_observed, wait

pytestmark = pytest.mark.e2e


def crd_yaml(group: str, kind: str, plural: str) -> str:
    return f"""\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: {plural}.{group}
spec:
  group: {group}
  scope: Namespaced
  names: {{plural: {plural}, singular: {kind.lower()}, kind: {kind}, listKind: {kind}List}}
  versions:
    - name: v1
      served: true
      storage: true
      subresources: {{status: {{}}}}
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              x-kubernetes-preserve-unknown-fields: true
            status:
              type: object
              x-kubernetes-preserve-unknown-fields: true
"""


def app_manifest(ns: str, group: str, data: str = "one") -> str:
    # Deliberately out of order: the CR first, its CRD and Namespace later.
    return f"""\
apiVersion: {group}/v1
kind: Gadget
metadata: {{name: g1, namespace: {ns}}}
spec: {{size: 3, mode: "on", list: [1, 2.5, "x"]}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: {ns}}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers:
        - name: web
          image: nginx
          ports: [{{containerPort: 80}}]
---
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: {ns}}}
spec:
  selector: {{app: web}}
  ports: [{{port: 80, targetPort: 80}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: reader, namespace: {ns}}}
rules:
  - apiGroups: [""]
    resources: [configmaps]
    verbs: [get, list]
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: settings, namespace: {ns}}}
data: {{value: {data}}}
---
{crd_yaml(group, "Gadget", "gadgets")}---
apiVersion: v1
kind: Namespace
metadata: {{name: {ns}}}
"""


def key(obj: Any) -> str:
    return f"{obj.kind}/{obj.metadata.name}"


def versions(results: list[Any]) -> dict[str, str]:
    return {key(r.result): r.result.metadata.resource_version for r in results}


async def read_versions(api: Api, objs: list[Any]) -> dict[str, str]:
    dyn: Any = DynamicClient(api.client) if api.mode == "sync" else AsyncDynamicClient(api.client)  # type: ignore[arg-type]
    found = {}
    for obj in objs:
        resource = await run(dyn.for_object(obj))
        got = await run(resource.get(obj.metadata.name, namespace=obj.metadata.namespace))
        found[key(got)] = got.metadata.resource_version
    return found


async def apply(api: Api, objs: list[Any]) -> list[Any]:
    if api.mode == "sync":
        return apply_all(api.client, objs, field_manager="e2e")  # type: ignore[arg-type]
    return await async_apply_all(api.client, objs, field_manager="e2e")  # type: ignore[arg-type]


async def wait_for(api: Api, target: Any, **kw: Any) -> Any:
    if api.mode == "sync":
        return await asyncio.to_thread(wait, api.client, target, **kw)  # type: ignore[arg-type]
    return await async_wait(api.client, target, **kw)  # type: ignore[arg-type]


async def test_apply_a_manifest_set(api: Api) -> None:
    ns = unique(f"manifest-{api.mode}")
    group = f"{ns}.example.com"
    objs = manifest.load(app_manifest(ns, group), name="app.yaml")
    assert [type(o).__name__ for o in objs] == [
        "GenericObject",
        "Deployment",
        "Service",
        "Role",
        "ConfigMap",
        "CustomResourceDefinition",
        "Namespace",
    ]
    source = manifest.source_of(objs[1])
    assert source is not None and (source.file, source.document, source.line) == ("app.yaml", 1, 6)

    first = await apply(api, objs)
    order = [key(r.result) for r in first]
    assert order[:2] == [f"Namespace/{ns}", f"CustomResourceDefinition/gadgets.{group}"]
    assert order[-1] == "Gadget/g1"  # custom resources last, once their CRD is Established
    assert isinstance(first[-1].result, GenericObject)
    assert first[-1].result["spec"] == {"size": 3, "mode": "on", "list": [1, 2.5, "x"]}
    assert isinstance(next(r.result for r in first if r.result.kind == "Deployment"), Deployment)

    # Again, unchanged: no error, the same resourceVersions as stored (the CRD's changes after
    # the first apply: the server sets its conditions). One server quirk: a Namespace created
    # by an apply has no managedFields (kube-apiserver 1.36), so the next apply records a
    # "before-first-apply" manager and bumps it once; from then on it is stable too.
    stored = await read_versions(api, objs)
    again = await apply(api, manifest.load(app_manifest(ns, group)))
    assert {k for k, v in versions(again).items() if v != stored[k]} <= {f"Namespace/{ns}"}
    stored = versions(again)
    again = await apply(api, manifest.load(app_manifest(ns, group)))
    assert versions(again) == stored

    # An edit: only the edited object changes.
    edited = await apply(api, manifest.load(app_manifest(ns, group, data="two")))
    before, after = stored, versions(edited)
    changed = {k for k in after if after[k] != before[k]}
    assert changed == {"ConfigMap/settings"}
    cm = next(r.result for r in edited if r.result.kind == "ConfigMap")
    assert isinstance(cm, ConfigMap) and cm.data == {"value": "two"}

    # Wait: the CRD is Established; the Deployment's generation observed and Available once a
    # controller says so (there is no controller manager here: the test plays it).
    crd = next(r.result for r in first if r.result.kind == "CustomResourceDefinition")
    assert isinstance(crd, CustomResourceDefinition)
    assert (await wait_for(api, crd, condition="Established", timeout=30)).metadata.name
    deployment = next(r.result for r in edited if r.result.kind == "Deployment")
    with pytest.raises(WaitTimeout):
        await wait_for(api, deployment, predicate=generation_observed, timeout=1)

    async def controller() -> None:
        await api.sleep(1)
        status = {
            "status": {
                "observedGeneration": deployment.metadata.generation,
                "conditions": [
                    {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"}
                ],
            }
        }
        await run(api.deployments.patch_status("web", status, namespace=ns, patch_type="merge"))

    if api.mode == "sync":
        thread = threading.Thread(target=lambda: asyncio.run(controller()))
        thread.start()
        seen = await wait_for(api, deployment, predicate=generation_observed, timeout=30)
        thread.join()
    else:
        task = asyncio.create_task(controller())
        seen = await wait_for(api, deployment, predicate=generation_observed, timeout=30)
        await task
    assert seen.status.observed_generation == deployment.metadata.generation
    available = await wait_for(api, deployment, condition="Available", timeout=30)
    assert available.status.conditions[0].type == "Available"

    # Delete in reverse order: the custom resource first, the Namespace last.
    if api.mode == "sync":
        deleted = delete_all(api.client, objs)  # type: ignore[arg-type]
    else:
        deleted = await async_delete_all(api.client, objs)  # type: ignore[arg-type]
    assert [key(r.obj) for r in deleted] == list(reversed(order))
    assert all(r.ok for r in deleted)
    with pytest.raises(NotFound):
        await run(api.configmaps.get("settings", namespace=ns))
    await wait_for(api, crd, deleted=True, timeout=30)


async def test_apply_errors_per_object(api: Api, namespace: str) -> None:
    objs = manifest.load(
        f"""\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: {namespace}-x, namespace: {namespace}}}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: defaulted}}
data: {{a: b}}
---
apiVersion: nowhere.example.com/v1
kind: Nothing
metadata: {{name: nothing}}
"""
    )
    kw: dict[str, Any] = {"namespace": namespace, "raise_errors": False}
    if api.mode == "sync":
        results = apply_all(api.client, objs, **kw)  # type: ignore[arg-type]
    else:
        results = await async_apply_all(api.client, objs, **kw)  # type: ignore[arg-type]
    by_kind = {r.obj.kind: r for r in results}
    assert "cluster-scoped: remove metadata.namespace" in str(by_kind["ClusterRole"].error)
    assert by_kind["ConfigMap"].ok and by_kind["ConfigMap"].result.metadata.namespace == namespace
    assert isinstance(by_kind["Nothing"].error, UnknownResource)


async def test_dynamic_client_on_a_crd_installed_at_run_time(api: Api, namespace: str) -> None:
    group = f"{unique('dyn')}-{api.mode}.example.com"
    crd = manifest.load(crd_yaml(group, "Widget", "widgets"))[0]
    await run(api.crds.create(crd))
    dyn: Any = DynamicClient(api.client) if api.mode == "sync" else AsyncDynamicClient(api.client)  # type: ignore[arg-type]
    # Discovery misses until the CRD is served; the client asks again on a miss.
    deadline = time.monotonic() + 30
    while True:
        try:
            widgets = await run(dyn.resource(f"{group}/v1", "Widget"))
            break
        except UnknownResource:
            if time.monotonic() > deadline:
                raise
            await api.sleep(0.2)
    assert widgets.info.namespaced and widgets.info.subresources == {"status"}
    by_name = await run(dyn.by_name(f"widgets.{group}"))
    assert by_name.info == widgets.info

    start = (await run(widgets.list(namespace=namespace))).metadata.resource_version
    watch = widgets.watch(namespace=namespace, resource_version=start)  # every change since
    body = {
        "apiVersion": f"{group}/v1",
        "kind": "Widget",
        "metadata": {"name": "w1", "labels": {"a": "b"}, "annotations": {"x": "y"}},
        "spec": {"size": 3, "nested": {"list": [1, 2.5, None, True], "empty": {}}, "s": "=on"},
    }
    created = await run(widgets.create(body, namespace=namespace))
    assert isinstance(created, GenericObject)
    assert created["spec"] == body["spec"]
    raw = await api.raw_json(f"/apis/{group}/v1/namespaces/{namespace}/widgets/w1")
    got = await run(widgets.get("w1", namespace=namespace))
    assert got.to_dict() == raw  # exactly what the server sent
    assert GenericObject.model_validate(raw).to_json() == got.to_json()

    listed = await run(widgets.list(namespace=namespace))
    assert [w.metadata.name for w in listed.items] == ["w1"]
    assert [w.metadata.name for w in await collect(widgets.list_all(namespace=namespace))] == ["w1"]

    patched = await run(widgets.patch("w1", {"spec": {"size": 4}}, namespace=namespace))
    assert patched["spec"]["size"] == 4 and patched["spec"]["nested"] == body["spec"]["nested"]
    status = patched.to_dict()
    status["status"] = {"phase": "Ready"}
    updated = await run(widgets.replace_status("w1", status, namespace=namespace))
    assert updated["status"] == {"phase": "Ready"} and updated["spec"]["size"] == 4

    await run(widgets.delete("w1", namespace=namespace))
    events: list[str] = []
    iterator = watch.__aiter__() if api.mode == "async" else iter(watch)
    while True:
        event = await (
            iterator.__anext__() if api.mode == "async" else asyncio.to_thread(next, iterator)
        )
        events.append(event.type)
        assert isinstance(event.object, GenericObject)
        if event.type == "DELETED":
            break
    await run(watch.aclose() if api.mode == "async" else watch.close())
    assert events[0] == "ADDED" and events[-1] == "DELETED" and "MODIFIED" in events
    with pytest.raises(NotFound):
        await run(widgets.get("w1", namespace=namespace))
    await run(api.crds.delete(f"widgets.{group}"))
