"""pytest plugin: ``apiserver`` (one real etcd + kube-apiserver per session) and ``kubeconfig``.

Also ``apiserver_binaries``, for tests that start servers of their own with
``ApiServer(binaries=apiserver_binaries, extra_args=[...])``.

Registered as the ``pytest11`` entry point ``kubetyped``, so it loads in every pytest run:
keep module-level imports to pytest and the stdlib.

Without binaries the fixtures skip, naming where they looked and the build command;
with ``KUBETYPED_REQUIRE_APISERVER=1`` (CI) they fail instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from kubetyped.testing import ApiServer, Binaries
    from kubetyped.testing._kubelet import TestKubelet

REQUIRE_ENV = "KUBETYPED_REQUIRE_APISERVER"


def require_binaries() -> Binaries:
    """Find the binaries, or skip the test (fail it when ``$KUBETYPED_REQUIRE_APISERVER=1``)."""
    from kubetyped.testing import BinariesNotFound, find_binaries

    try:
        return find_binaries()
    except BinariesNotFound as exc:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{exc} ({REQUIRE_ENV}=1)", pytrace=False)
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def apiserver_binaries() -> Binaries:
    """The binaries, for tests that start servers of their own (skips when there are none)."""
    return require_binaries()


@pytest.fixture(scope="session")
def apiserver(apiserver_binaries: Binaries) -> Iterator[ApiServer]:
    """A running etcd + kube-apiserver shared by the whole session."""
    from kubetyped.testing import ApiServer

    with ApiServer(binaries=apiserver_binaries) as server:
        yield server


@pytest.fixture(scope="session")
def kubeconfig(apiserver: ApiServer) -> Path:
    """Path of the session server's kubeconfig (current context ``admin``)."""
    return apiserver.kubeconfig_path


@pytest.fixture(scope="session")
def test_kubelet(apiserver: ApiServer) -> Iterator[TestKubelet]:
    """A test kubelet (exec, attach, port-forward) registered as Node ``test-node`` of the
    session server; ``test_kubelet.pod(namespace, name, {"main": ["cat"]})`` binds a Running
    Pod to it. Skips (fails with ``$KUBETYPED_REQUIRE_APISERVER=1``) when it is not built."""
    from kubetyped.testing._kubelet import KubeletNotFound, TestKubelet, find_kubelet

    try:
        binary = find_kubelet()
    except KubeletNotFound as exc:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{exc} ({REQUIRE_ENV}=1)", pytrace=False)
        pytest.skip(str(exc))
    with TestKubelet(apiserver, binary=binary) as kubelet:
        yield kubelet
