"""Typed usage of the generated clients: checked by mypy in tests/typecheck/test_types.py."""

from contextlib import aclosing, closing

from kubetyped import AsyncClient, Client, WatchEvent
from kubetyped.k8s.apps.v1 import AsyncDeployments, Deployment, Deployments
from kubetyped.k8s.core.v1 import ConfigMaps, Namespaces, Pods

client = Client()
deployments = Deployments(client)
reveal_type(deployments.get("web", namespace="prod"))  # kubetyped.k8s.apps.v1.Deployment
reveal_type(deployments.list(all_namespaces=True, label_selector="app=web"))  # kubetyped.k8s.apps.v1.DeploymentList
reveal_type(deployments.list_all(namespace="prod", limit=100))  # kubetyped.listwatch.ListIterator[kubetyped.k8s.apps.v1.Deployment]
reveal_type(deployments.watch(resource_version="1", allow_watch_bookmarks=True))  # kubetyped.listwatch.Watch[kubetyped.k8s.apps.v1.Deployment]
reveal_type(deployments.list_all().resource_version)  # str | None
reveal_type(deployments.delete("web"))  # kubetyped.k8s.apps.v1.Deployment | kubetyped.status.Status
reveal_type(deployments.get_scale("web"))  # kubetyped.k8s.autoscaling.v1.Scale
reveal_type(deployments.apply(Deployment(), field_manager="me", force=True))  # kubetyped.k8s.apps.v1.Deployment
reveal_type(deployments.patch("web", {"spec": {"replicas": 2}}, patch_type="merge"))  # kubetyped.k8s.apps.v1.Deployment
reveal_type(Pods(client).log("web-0", container="web", tail_lines=10))  # str
reveal_type(Namespaces(client).get("default").status)  # kubetyped.k8s.core.v1.NamespaceStatus | None
reveal_type(ConfigMaps(client).create)  # def (body: kubetyped.k8s.core.v1.ConfigMap, *, namespace: str | None =, dry_run: Literal['All'] | None =, field_manager: str | None =, field_validation: Literal['Ignore'] | Literal['Warn'] | Literal['Strict'] | None =) -> kubetyped.k8s.core.v1.ConfigMap


async def main(aclient: AsyncClient) -> None:
    adeps = AsyncDeployments(aclient)
    reveal_type(await adeps.get("web"))  # kubetyped.k8s.apps.v1.Deployment
    reveal_type(adeps.watch(namespace="prod"))  # kubetyped.listwatch.AsyncWatch[kubetyped.k8s.apps.v1.Deployment]
    async for event in adeps.watch(namespace="prod"):
        reveal_type(event.object.spec)  # kubetyped.k8s.apps.v1.DeploymentSpec | None
        reveal_type(event.type)  # Literal['ADDED'] | Literal['MODIFIED'] | Literal['DELETED'] | Literal['BOOKMARK']
    async with aclosing(adeps.watch(namespace="prod", timeout_seconds=5)) as events:
        async for first_event in events:
            reveal_type(first_event)  # kubetyped.watch.WatchEvent[kubetyped.k8s.apps.v1.Deployment]
            break
    with closing(deployments.watch()) as sync_events:
        reveal_type(next(sync_events).object)  # kubetyped.k8s.apps.v1.Deployment
    first: WatchEvent[Deployment] | None = None
    reveal_type(first)  # kubetyped.watch.WatchEvent[kubetyped.k8s.apps.v1.Deployment] | None
