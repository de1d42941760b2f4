"""Against the real API server: raw requests that keep their query (no surprise deletes),
credentials that never leave the cluster, and one client shared by many threads."""

from __future__ import annotations

import socket
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from _support import Api, run, unique
from kubetyped import Client, InvalidRequest
from kubetyped.k8s.core import v1 as core_v1
from kubetyped.k8s.meta.v1 import ObjectMeta
from stress import hammer

pytestmark = pytest.mark.e2e


async def make(api: Api, namespace: str, name: str, labels: dict[str, str]) -> None:
    body = core_v1.ConfigMap(metadata=ObjectMeta(name=name, labels=labels))
    await run(api.configmaps.create(body, namespace=namespace))


async def names(api: Api, namespace: str) -> set[str]:
    listed = await run(api.configmaps.list(namespace=namespace))
    return {item.metadata.name for item in listed.items}


async def test_a_selector_delete_deletes_only_what_it_selects(api: Api, namespace: str) -> None:
    await make(api, namespace, "doomed", {"app": "del"})
    await make(api, namespace, "kept", {"app": "keep"})
    base = f"/api/v1/namespaces/{namespace}/configmaps"
    await run(api.client.request("DELETE", f"{base}?labelSelector=app%3Ddel"))
    assert "kept" in await names(api, namespace)
    assert "doomed" not in await names(api, namespace)


async def test_a_dry_run_in_the_path_deletes_nothing(api: Api, namespace: str) -> None:
    await make(api, namespace, "dry", {})
    path = f"/api/v1/namespaces/{namespace}/configmaps/dry?dryRun=All"
    answer = await run(api.client.request("DELETE", path))
    assert answer.json()["details"]["name"] == "dry"  # a Status: deleted (in dry run)
    assert "dry" in await names(api, namespace)


class Listener:
    """A bare TCP listener on another port that records whatever arrives."""

    def __init__(self) -> None:
        self.received = b""
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(5)
        self.port = self._sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        try:
            conn, _ = self._sock.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(2)
            try:
                self.received += conn.recv(65536)
            except OSError:
                pass

    def close(self) -> None:
        self._sock.close()


@pytest.mark.parametrize("scheme", ["http", "https"])
async def test_the_token_never_goes_to_another_host(
    kubeconfig: Path, scheme: str, mode_api: Api
) -> None:
    listener = Listener()
    try:
        with pytest.raises(InvalidRequest, match="takes a path on the cluster"):
            await run(mode_api.client.request("GET", f"{scheme}://127.0.0.1:{listener.port}/api"))
        # The same client still works with a path.
        assert (await run(mode_api.client.request("GET", "/version"))).json()["major"] == "1"
    finally:
        listener.close()
    assert listener.received == b""


@pytest.fixture(params=["sync", "async"])
async def mode_api(request: pytest.FixtureRequest, kubeconfig: Path) -> AsyncIterator[Api]:
    """A client that authenticates with a bearer token (the ``admin-token`` context)."""
    api = Api(request.param, kubeconfig, context="admin-token")
    yield api
    await api.close()


def test_one_client_shared_by_fifty_threads(kubeconfig: Path) -> None:
    namespace = unique("threads")
    with Client(kubeconfig=kubeconfig, context="admin-token") as client:
        core_v1.Namespaces(client).create(core_v1.Namespace(metadata=ObjectMeta(name=namespace)))
        outcome = hammer(client, namespace, threads=50, requests=1000)
    assert outcome.requests == 1000
    assert dict(outcome.failures) == {}
