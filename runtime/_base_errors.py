"""The roots of kubetyped's exception hierarchy; ``kubetyped.errors`` re-exports them.

They live apart from ``errors`` (which needs pydantic for ``Status``) so that the modules
that only raise them (auth, proxy, yamlio) load without it. They present themselves as
``kubetyped.errors.ConfigError`` and so on (tracebacks, reprs, pickles): where users import
them from.
"""

from __future__ import annotations

__all__ = ["ConfigError", "KubetypedError"]


class KubetypedError(Exception):
    """Base class of every exception kubetyped raises on purpose."""

    __module__ = "kubetyped.errors"


class ConfigError(KubetypedError):
    """Raised when connection settings cannot be found, read or used.

    Examples: no kubeconfig and not running in a pod, a YAML error, an unknown
    context, bad base64, an unreadable certificate, an exec plugin that fails.
    The message names the file and the key path (``~/.kube/config:
    users[admin].user.client-key-data: invalid base64``) and never contains a
    token, key or password.
    """

    __module__ = "kubetyped.errors"
