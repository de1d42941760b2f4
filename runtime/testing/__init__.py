"""A real etcd + kube-apiserver for tests, started on 127.0.0.1 the way envtest does.

``with ApiServer() as server:`` gives a ready server and a kubeconfig; the pytest plugin
(:mod:`kubetyped.testing.plugin`, opt-in: ``pytest -p kubetyped.testing``) offers it as the
``kubetyped_apiserver`` and ``kubetyped_kubeconfig`` fixtures. Binaries come from
``$KUBEBUILDER_ASSETS`` or the cache that ``python -m kubetyped.testing build`` fills.

Names are loaded on first use: the pytest plugin imports this package.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._binaries import (
        DEFAULT_ETCD_VERSION,
        DEFAULT_K8S_VERSION,
        Binaries,
        BinariesNotFound,
        cache_dir,
        find_binaries,
    )
    from ._kubelet import KubeletNotFound, TestKubelet
    from ._pki import PkiError
    from ._server import ApiServer, ApiServerStartError

__all__ = [
    "DEFAULT_ETCD_VERSION",
    "DEFAULT_K8S_VERSION",
    "ApiServer",
    "ApiServerStartError",
    "Binaries",
    "BinariesNotFound",
    "KubeletNotFound",
    "PkiError",
    "TestKubelet",
    "cache_dir",
    "find_binaries",
]

# ``pytest -p kubetyped.testing`` registers this package as a plugin; pytest then loads the
# fixtures from here.
pytest_plugins = ["kubetyped.testing.plugin"]

_WHERE = {
    "DEFAULT_ETCD_VERSION": "_binaries",
    "DEFAULT_K8S_VERSION": "_binaries",
    "Binaries": "_binaries",
    "BinariesNotFound": "_binaries",
    "cache_dir": "_binaries",
    "find_binaries": "_binaries",
    "KubeletNotFound": "_kubelet",
    "TestKubelet": "_kubelet",
    "PkiError": "_pki",
    "ApiServer": "_server",
    "ApiServerStartError": "_server",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
