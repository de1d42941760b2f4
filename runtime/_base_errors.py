"""The roots of kubetyped's exception hierarchy; ``kubetyped.errors`` re-exports them."""

from __future__ import annotations

__all__ = ["ConfigError", "KubetypedError"]


class KubetypedError(Exception):
    """Base class of every exception kubetyped raises on purpose."""


class ConfigError(KubetypedError):
    """Raised when connection settings cannot be found, read or used.

    Examples: no kubeconfig and not running in a pod, a YAML error, an unknown
    context, bad base64, an unreadable certificate, an exec plugin that fails.
    The message names the file and the key path (``~/.kube/config:
    users[admin].user.client-key-data: invalid base64``) and never contains a
    token, key or password.
    """
