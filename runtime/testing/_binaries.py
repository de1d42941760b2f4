"""Where the kube-apiserver and etcd binaries for tests come from.

Stdlib only: the pytest plugin imports this in every run.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

DEFAULT_K8S_VERSION = "v1.36.3"
DEFAULT_ETCD_VERSION = "v3.6.16"

BUILD_COMMAND = "python -m kubetyped.testing build"


class BinariesNotFound(RuntimeError):
    """Raised when no directory with both ``kube-apiserver`` and ``etcd`` can be found."""


@dataclass(frozen=True)
class Binaries:
    """The two executables a test control plane runs, and where they were found."""

    kube_apiserver: Path
    etcd: Path
    source: str  # e.g. "KUBEBUILDER_ASSETS" or "cache", for messages

    @property
    def dir(self) -> Path:
        """The directory holding ``kube-apiserver``."""
        return self.kube_apiserver.parent


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/kubetyped/envtest`` (``~/.cache/...`` when unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "kubetyped" / "envtest"


def cache_dir(version: str = DEFAULT_K8S_VERSION) -> Path:
    """The cache directory the build command fills for one kube-apiserver version."""
    return cache_root() / version


def _complete(directory: Path) -> Binaries | None:
    kas, etcd = directory / "kube-apiserver", directory / "etcd"
    if all(p.is_file() and os.access(p, os.X_OK) for p in (kas, etcd)):
        return Binaries(kube_apiserver=kas, etcd=etcd, source=str(directory))
    return None


def find_binaries(version: str = DEFAULT_K8S_VERSION) -> Binaries:
    """Find ``kube-apiserver`` and ``etcd``: ``$KUBEBUILDER_ASSETS``, then the cache.

    Never builds anything; raises :class:`BinariesNotFound` naming where it looked
    and how to build.
    """
    assets = os.environ.get("KUBEBUILDER_ASSETS")
    if assets:
        found = _complete(Path(assets))
        if found is not None:
            return Binaries(found.kube_apiserver, found.etcd, "KUBEBUILDER_ASSETS")
        # An explicit setting that is wrong should not be papered over by the cache.
        raise BinariesNotFound(
            f"KUBEBUILDER_ASSETS={assets} does not contain executable kube-apiserver and etcd"
        )
    cached = cache_dir(version)
    found = _complete(cached)
    if found is not None:
        return Binaries(found.kube_apiserver, found.etcd, "cache")
    suffix = "" if version == DEFAULT_K8S_VERSION else f" --version {version}"
    go = shutil.which("go")
    if go:
        how = f"build them (Go found at {go}; ~4 min cold on 2 cores): {BUILD_COMMAND}{suffix}"
    else:
        how = f"install Go >= 1.26, then run: {BUILD_COMMAND}{suffix}"
    raise BinariesNotFound(
        f"no kube-apiserver/etcd binaries: KUBEBUILDER_ASSETS is unset and {cached} "
        f"has no executable kube-apiserver and etcd; {how}"
    )
