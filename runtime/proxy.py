"""Which proxy, if any, carries the requests to one API server: Go's rules, as kubectl has them.

A kubeconfig ``proxy-url`` wins. Otherwise the environment decides, the way Go's
``http.ProxyFromEnvironment`` (``golang.org/x/net/http/httpproxy``) does:

* ``HTTPS_PROXY`` for an ``https://`` server, ``HTTP_PROXY`` for an ``http://`` one (upper
  case first, then lower case); a value without a scheme means ``http://``;
* ``localhost`` and loopback addresses are never proxied;
* ``NO_PROXY`` is a comma-separated list of ``*`` (nothing is proxied), IP addresses, CIDR
  blocks (``10.0.0.0/8``) and domain names, each optionally with ``:port``; ``example.com``
  matches that name and its subdomains, ``.example.com`` only its subdomains.

The client talks to one server, so the choice is made once, when the client is built.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from ._base_errors import ConfigError

__all__ = ["SUPPORTED_SCHEMES", "check_proxy_url", "proxy_from_environment"]

SUPPORTED_SCHEMES = ("http", "https", "socks5", "socks5h")
"""Proxy schemes kubetyped can use (``socks5`` through httpx's ``socksio``)."""


def check_proxy_url(url: str, where: str) -> str:
    """Return ``url`` if it is a proxy kubetyped can use; raise ``ConfigError`` naming
    ``where`` otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in SUPPORTED_SCHEMES or not parts.hostname:
        schemes = ", ".join(f"{s}://" for s in SUPPORTED_SCHEMES)
        shown = f"{parts.scheme}://…" if parts.scheme else "a URL without a scheme"
        raise ConfigError(f"{where}: unsupported proxy {shown}; use one of {schemes}")
    return url


def proxy_from_environment(server: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The proxy URL the environment gives for requests to ``server``, or None."""
    env = os.environ if environ is None else environ
    parts = urlsplit(server)
    scheme = parts.scheme
    key = "HTTPS_PROXY" if scheme == "https" else "HTTP_PROXY"
    proxy = _getenv(env, key)
    if not proxy:
        return None
    host = (parts.hostname or "").lower()
    port = parts.port or (443 if scheme == "https" else 80)
    if not _use_proxy(host, port, _getenv(env, "NO_PROXY")):
        return None
    if "://" not in proxy:
        proxy = "http://" + proxy
    return check_proxy_url(proxy, f"${key}")


def _getenv(env: Mapping[str, str], key: str) -> str:
    return env.get(key) or env.get(key.lower()) or ""


def _use_proxy(host: str, port: int, no_proxy: str) -> bool:
    if host == "localhost":
        return False
    ip = _ip(host)
    if ip is not None and ip.is_loopback:
        return False
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return False
        if "/" in entry:
            try:
                if ip is not None and ip in ipaddress.ip_network(entry, strict=False):
                    return False
            except ValueError:
                pass  # Go skips entries it cannot parse
            continue
        name, entry_port = _split_port(entry)
        if entry_port is not None and entry_port != port:
            continue
        entry_ip = _ip(name)
        if entry_ip is not None:
            if ip is not None and ip == entry_ip:
                return False
            continue
        if name.startswith("*."):
            name = name[1:]
        if name.startswith("."):
            if host.endswith(name):
                return False
        elif host == name or host.endswith("." + name):
            return False
    return True


def _split_port(entry: str) -> tuple[str, int | None]:
    if entry.startswith("["):  # [::1]:6443
        address, _, rest = entry[1:].partition("]")
        return address, int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
    if entry.count(":") == 1:
        name, _, port = entry.partition(":")
        return name, int(port) if port.isdigit() else None
    return entry, None


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None
