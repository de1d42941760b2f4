"""``load_config``: find the cluster to talk to, the way kubectl does.

The settings themselves are a :class:`~kubetyped.cluster.ClusterConfig` (re-exported here);
this module only decides where they come from: a kubeconfig (:mod:`kubetyped.kubeconfig`) or
the pod's service account (:mod:`kubetyped.incluster`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

from ._base_errors import ConfigError
from .cluster import ClusterConfig, StrPath, display_path, make_ssl_context
from .incluster import incluster_unavailable_reason, load_incluster_config
from .kubeconfig import read_kubeconfig

__all__ = ["ClusterConfig", "StrPath", "display_path", "load_config", "make_ssl_context"]

_log = logging.getLogger(__name__)


def load_config(
    *,
    kubeconfig: StrPath | Sequence[StrPath] | None = None,
    context: str | None = None,
) -> ClusterConfig:
    """Find the cluster to talk to, the way kubectl does.

    In order: the *kubeconfig* file(s) passed; else the files listed in ``KUBECONFIG``
    (missing ones skipped, merged first-wins); else ``~/.kube/config``; else the pod's
    service account. *context* overrides the kubeconfig's ``current-context``.
    Raises ConfigError saying what was tried when nothing fits.
    """
    if kubeconfig is not None:
        return read_kubeconfig(kubeconfig).cluster_config(context)

    tried: list[str] = []
    env_value = os.environ.get("KUBECONFIG", "")
    env_paths = [entry for entry in env_value.split(os.pathsep) if entry]
    if env_paths:
        found = read_kubeconfig(env_paths, ignore_missing=True)
        if not found.files:
            tried.append(f"KUBECONFIG={env_value} (none of these files exist)")
    else:
        home_config = Path(os.path.expanduser("~")) / ".kube" / "config"
        found = read_kubeconfig([home_config], ignore_missing=True)
        if not found.files:
            tried.append(f"{display_path(home_config)} (not found)")
    if found.files:
        if context is not None or found.current_context is not None:
            return found.cluster_config(context)
        names = ", ".join(display_path(path) for path in found.files)
        tried.append(f"{names} (no current-context set; pass context=)")

    if context is not None:
        tried.append(f"in-cluster config (it has no context {context!r})")
    else:
        reason = incluster_unavailable_reason()
        if reason is None:
            _log.debug("using the in-cluster service account")
            return load_incluster_config()
        tried.append(f"in-cluster config ({reason})")
    raise ConfigError("no Kubernetes cluster configured; tried: " + "; ".join(tried))
