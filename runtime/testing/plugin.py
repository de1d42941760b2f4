"""pytest plugin: a real etcd + kube-apiserver per test session, opt-in.

Installing kubetyped adds nothing to anyone's test runs; a project asks for the fixtures with
``pytest -p kubetyped.testing`` (or ``addopts = "-p kubetyped.testing"``), or in its top-level
``conftest.py``::

    pytest_plugins = ["kubetyped.testing.plugin"]

The fixtures are session-scoped and prefixed, so they cannot clash with a project's own:

* ``kubetyped_apiserver``: a running :class:`~kubetyped.testing.ApiServer`;
* ``kubetyped_kubeconfig``: the path of its kubeconfig (contexts ``admin``, ``admin-token``
  and ``unprivileged``; current ``admin``);
* ``kubetyped_apiserver_binaries``: the binaries, for tests that start servers of their own
  with ``ApiServer(binaries=kubetyped_apiserver_binaries, extra_args=[...])``;
* ``kubetyped_kubelet``: a test kubelet (exec, attach, port-forward) on the session server.

To use shorter names in a project, alias them in its ``conftest.py``::

    @pytest.fixture(scope="session")
    def kubeconfig(kubetyped_kubeconfig): return kubetyped_kubeconfig

Without binaries the fixtures skip, naming where they looked and the build command;
with ``KUBETYPED_REQUIRE_APISERVER=1`` (CI) they fail instead. Module-level imports stay
pytest and the stdlib: loading the plugin costs nothing until a fixture is used.
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
def kubetyped_apiserver_binaries() -> Binaries:
    """The binaries, for tests that start servers of their own (skips when there are none)."""
    return require_binaries()


@pytest.fixture(scope="session")
def kubetyped_apiserver(kubetyped_apiserver_binaries: Binaries) -> Iterator[ApiServer]:
    """A running etcd + kube-apiserver shared by the whole session."""
    from kubetyped.testing import ApiServer

    with ApiServer(binaries=kubetyped_apiserver_binaries) as server:
        yield server


@pytest.fixture(scope="session")
def kubetyped_kubeconfig(kubetyped_apiserver: ApiServer) -> Path:
    """Path of the session server's kubeconfig (current context ``admin``)."""
    return kubetyped_apiserver.kubeconfig_path


@pytest.fixture(scope="session")
def kubetyped_kubelet(kubetyped_apiserver: ApiServer) -> Iterator[TestKubelet]:
    """A test kubelet (exec, attach, port-forward) registered as Node ``test-node`` of the
    session server; ``kubetyped_kubelet.pod(namespace, name, {"main": ["cat"]})`` binds a Running
    Pod to it. Skips (fails with ``$KUBETYPED_REQUIRE_APISERVER=1``) when it is not built."""
    from kubetyped.testing._kubelet import KubeletNotFound, TestKubelet, find_kubelet

    try:
        binary = find_kubelet()
    except KubeletNotFound as exc:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{exc} ({REQUIRE_ENV}=1)", pytrace=False)
        pytest.skip(str(exc))
    with TestKubelet(kubetyped_apiserver, binary=binary) as kubelet:
        yield kubelet
