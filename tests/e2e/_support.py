"""What the end-to-end tests share: one flavour of the client at a time, sync or async."""

from __future__ import annotations

import inspect
import itertools
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
from kubetyped import AsyncClient, Client
from kubetyped.k8s.apiextensions import v1 as apiextensions_v1
from kubetyped.k8s.apps import v1 as apps_v1
from kubetyped.k8s.certificates import v1 as certificates_v1
from kubetyped.k8s.core import v1 as core_v1

_names = itertools.count()


def unique(prefix: str) -> str:
    """A name no other test of this session uses."""
    return f"{prefix}-{next(_names)}"


async def run(value: Any) -> Any:
    """Await a coroutine; pass a plain value through."""
    return await value if inspect.isawaitable(value) else value


async def collect(iterable: Iterator[Any] | AsyncIterator[Any]) -> list[Any]:
    """Every item of a sync or async iterator."""
    if isinstance(iterable, AsyncIterator):
        return [item async for item in iterable]
    return list(iterable)


class Api:
    """One flavour of the client, with the resource classes bound to it."""

    def __init__(self, mode: str, kubeconfig: Path, context: str | None = None) -> None:
        self.mode = mode
        self.client: Client | AsyncClient = (
            Client(kubeconfig=kubeconfig, context=context)
            if mode == "sync"
            else AsyncClient(kubeconfig=kubeconfig, context=context)
        )

    def bind(self, sync_cls: Any, async_cls: Any) -> Any:
        """The sync or the async resource class, bound to this client."""
        return sync_cls(self.client) if self.mode == "sync" else async_cls(self.client)

    @property
    def configmaps(self) -> Any:
        return self.bind(core_v1.ConfigMaps, core_v1.AsyncConfigMaps)

    @property
    def namespaces(self) -> Any:
        return self.bind(core_v1.Namespaces, core_v1.AsyncNamespaces)

    @property
    def pods(self) -> Any:
        return self.bind(core_v1.Pods, core_v1.AsyncPods)

    @property
    def deployments(self) -> Any:
        return self.bind(apps_v1.Deployments, apps_v1.AsyncDeployments)

    @property
    def csrs(self) -> Any:
        return self.bind(
            certificates_v1.CertificateSigningRequests,
            certificates_v1.AsyncCertificateSigningRequests,
        )

    @property
    def crds(self) -> Any:
        return self.bind(
            apiextensions_v1.CustomResourceDefinitions,
            apiextensions_v1.AsyncCustomResourceDefinitions,
        )

    async def raw_json(self, path: str) -> Any:
        """What the server sends for a GET, untouched by the models."""
        return (await run(self.client.request("GET", path))).json()

    async def sleep(self, seconds: float) -> None:
        if self.mode == "sync":
            time.sleep(seconds)
        else:
            await anyio.sleep(seconds)

    async def close(self) -> None:
        await run(self.client.close() if isinstance(self.client, Client) else self.client.aclose())
