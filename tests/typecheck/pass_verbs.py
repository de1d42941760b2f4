"""Every verb of a namespaced resource (Deployments, with its status and scale) and of a
cluster-scoped one (ClusterRoles), sync and async: must type-check with no diagnostics."""

from contextlib import aclosing, closing

from kubetyped import AsyncClient, Client, NotFound
from kubetyped.k8s.apps.v1 import AsyncDeployments, Deployment, Deployments, DeploymentSpec
from kubetyped.k8s.autoscaling.v1 import Scale, ScaleSpec
from kubetyped.k8s.core.v1 import Container, PodSpec, PodTemplateSpec
from kubetyped.k8s.meta.v1 import DeleteOptions, LabelSelector, ObjectMeta, Status
from kubetyped.k8s.rbac_authorization.v1 import (
    AsyncClusterRoles,
    ClusterRole,
    ClusterRoles,
    PolicyRule,
)
from kubetyped.types import JsonPatchOperation


def deployment(name: str) -> Deployment:
    return Deployment(
        metadata=ObjectMeta(name=name, namespace="prod"),
        spec=DeploymentSpec(
            selector=LabelSelector(match_labels={"app": name}),
            template=PodTemplateSpec(
                metadata=ObjectMeta(labels={"app": name}),
                spec=PodSpec(containers=[Container(name=name, image="nginx")]),
            ),
        ),
    )


def namespaced(client: Client) -> None:
    deployments = Deployments(client)
    web: Deployment = deployments.create(
        deployment("web"), dry_run="All", field_validation="Strict"
    )
    web = deployments.get("web", namespace="prod")
    page = deployments.list(namespace="prod", label_selector="app=web", limit=10)
    token: str | None = page.metadata.continue_ if page.metadata else None
    deployments.list(
        all_namespaces=True,
        continue_=token,
        resource_version_match="NotOlderThan",
        resource_version="0",
    )
    names = [d.metadata.name for d in deployments.list_all(all_namespaces=True) if d.metadata]
    web = deployments.replace("web", web, namespace="prod")
    web = deployments.patch("web", {"spec": {"replicas": 3}})
    web = deployments.patch(
        "web",
        Deployment(
            spec=DeploymentSpec(selector=LabelSelector(), template=PodTemplateSpec(), replicas=3)
        ),
        patch_type="merge",
    )
    ops: list[JsonPatchOperation] = [{"op": "replace", "path": "/spec/replicas", "value": 3}]
    web = deployments.patch("web", ops, patch_type="json")
    web = deployments.patch("web", [{"op": "remove", "path": "/spec/paused"}], patch_type="json")
    web = deployments.apply(deployment("web"), field_manager="me", force=True)
    web = deployments.apply_status(web, field_manager="me")
    web = deployments.get_status("web")
    web = deployments.replace_status("web", web)
    web = deployments.patch_status("web", {"status": {"replicas": 1}}, patch_type="merge")
    scale: Scale = deployments.get_scale("web")
    scale = deployments.replace_scale("web", Scale(spec=ScaleSpec(replicas=2)))
    scale = deployments.patch_scale("web", {"spec": {"replicas": 4}})
    gone: Deployment | Status = deployments.delete(
        "web", propagation_policy="Foreground", grace_period_seconds=0
    )
    if isinstance(gone, Status):
        print(gone.status, gone.details.name if gone.details else None)
    deployments.delete("web", body=DeleteOptions(propagation_policy="Background"))
    deployments.delete_collection(
        namespace="prod", label_selector="app=web", propagation_policy="Orphan"
    )
    with closing(
        deployments.watch(namespace="prod", resource_version="1", allow_watch_bookmarks=True)
    ) as events:
        for event in events:
            if event.type == "MODIFIED" and event.object.status is not None:
                print(event.object.status.ready_replicas, names, scale.spec)
    try:
        deployments.get("missing")
    except NotFound as exc:
        print(exc.status.message, exc.status.code)


def cluster(client: Client) -> None:
    roles = ClusterRoles(client)
    role = roles.create(
        ClusterRole(
            metadata=ObjectMeta(name="reader"),
            rules=[PolicyRule(verbs=["get"], resources=["pods"], api_groups=[""])],
        )
    )
    role = roles.get("reader")
    role = roles.replace("reader", role)
    role = roles.patch("reader", {"rules": []}, patch_type="merge")
    role = roles.patch(
        "reader",
        [{"op": "add", "path": "/rules/-", "value": {"verbs": ["list"]}}],
        patch_type="json",
    )
    role = roles.apply(role, field_manager="me")
    for r in roles.list_all(label_selector="team=a"):
        print(r.rules[0].verbs if r.rules else [])
    print(len(roles.list().items))
    for event in roles.watch(timeout_seconds=5):
        print(event.object.metadata.name if event.object.metadata else "")
    deleted: ClusterRole | Status = roles.delete("reader", dry_run="All")
    print(deleted)
    roles.delete_collection(label_selector="team=a")


async def asynchronous(aclient: AsyncClient) -> None:
    deployments = AsyncDeployments(aclient)
    web = await deployments.create(deployment("web"))
    web = await deployments.get("web")
    web = await deployments.replace("web", web)
    web = await deployments.patch("web", {"spec": {"replicas": 1}})
    web = await deployments.patch(
        "web", [{"op": "test", "path": "/spec/replicas", "value": 1}], patch_type="json"
    )
    web = await deployments.apply(web, field_manager="me")
    scale = await deployments.get_scale("web")
    scale = await deployments.patch_scale("web", scale)
    print((await deployments.list(namespace="prod")).items, scale)
    async for d in deployments.list_all(all_namespaces=True):
        print(d.spec.replicas if d.spec else None)
    async with aclosing(deployments.watch(namespace="prod")) as events:
        async for event in events:
            print(event.type, event.object.kind)
    await deployments.delete("web", propagation_policy="Background")
    await deployments.delete_collection(namespace="prod")
    roles = AsyncClusterRoles(aclient)
    role = await roles.get("reader")
    role = await roles.apply(role, field_manager="me")
    role = await roles.patch("reader", {"rules": []})
    async for r in roles.list_all():
        print(r.aggregation_rule)
    async for role_event in roles.watch():
        print(role_event.object.rules)
    await roles.delete("reader")
    await roles.delete_collection()
