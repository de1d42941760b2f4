"""Credentials in URLs, kept out of every log line, error message, repr and generated file.

One rule for the runtime and the generator: ``user:password@`` is removed from a URL, and
nothing else changes (a path and a query say what was asked; the generator, which names its
source in the files it writes, drops the query itself).
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

__all__ = ["redact_url"]


def redact_url(url: str) -> str:
    """``url`` without the ``user:password@`` it may carry.

    >>> redact_url("https://admin:s3cret@k8s.example:6443/api?watch=1")
    'https://k8s.example:6443/api?watch=1'
    """
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
