"""One credential scrubber for URLs, used by the client, ClusterConfig and the generator."""

from __future__ import annotations

import httpx
import pytest
from kubetyped.client import _safe_url
from kubetyped.cluster import ClusterConfig
from kubetyped.codegen.generate import _title
from kubetyped.redact import redact_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://admin:s3cret@k8s.test:6443/api?x=1", "https://k8s.test:6443/api?x=1"),
        ("https://token@k8s.test/", "https://k8s.test/"),
        ("https://a:b@c@[::1]:6443/api", "https://[::1]:6443/api"),  # the last @ ends it
        ("socks5h://u:p@proxy.test:1080", "socks5h://proxy.test:1080"),
        ("https://k8s.test/api/v1/pods?fieldSelector=spec.nodeName%3Dn@x", None),  # no userinfo
        ("https://k8s.test:6443", None),
    ],
)
def test_redact_url(url: str, shown: str | None) -> None:
    assert redact_url(url) == (url if shown is None else shown)


def test_every_place_that_shows_a_url_uses_it() -> None:
    url = "https://admin:s3cret@k8s.test:6443/api/v1?watch=1"
    config = ClusterConfig(server=url, proxy="http://u:p4ss@proxy.test:3128")
    assert "s3cret" not in repr(config) and "p4ss" not in repr(config)
    assert "https://k8s.test:6443/api/v1?watch=1" in repr(config)
    assert _safe_url(httpx.URL(url)) == "https://k8s.test:6443/api/v1?watch=1"
    # The generator names its source without credentials and without the query.
    assert _title(url) == "https://k8s.test:6443/api/v1"
