"""Fixtures of the end-to-end tests: each test runs once per client flavour.

The server comes from kubetyped's pytest plugin (opted in by ``tests/conftest.py``); these
tests call its fixtures by short names, aliased here as a user's project would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from _support import Api, run, unique
from kubetyped.k8s.core import v1 as core_v1
from kubetyped.k8s.meta.v1 import ObjectMeta

if TYPE_CHECKING:
    from kubetyped.testing import ApiServer, Binaries
    from kubetyped.testing._kubelet import TestKubelet


@pytest.fixture(scope="session")
def apiserver_binaries(kubetyped_apiserver_binaries: Binaries) -> Binaries:
    return kubetyped_apiserver_binaries


@pytest.fixture(scope="session")
def apiserver(kubetyped_apiserver: ApiServer) -> ApiServer:
    return kubetyped_apiserver


@pytest.fixture(scope="session")
def kubeconfig(kubetyped_kubeconfig: Path) -> Path:
    return kubetyped_kubeconfig


@pytest.fixture(scope="session")
def test_kubelet(kubetyped_kubelet: TestKubelet) -> TestKubelet:
    return kubetyped_kubelet


@pytest.fixture(params=["sync", "async"])
async def api(request: pytest.FixtureRequest, kubeconfig: Path) -> AsyncIterator[Api]:
    api = Api(request.param, kubeconfig)
    yield api
    await api.close()


@pytest.fixture
async def namespace(api: Api) -> str:
    """A new namespace for the test."""
    name = unique(f"e2e-{api.mode}")
    await run(api.namespaces.create(core_v1.Namespace(metadata=ObjectMeta(name=name))))
    return name
