"""Fixtures of the end-to-end tests: each test runs once per client flavour."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from _support import Api, run, unique
from kubetyped.k8s.core import v1 as core_v1
from kubetyped.k8s.meta.v1 import ObjectMeta


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
