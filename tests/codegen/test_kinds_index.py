"""The kinds index (``_kinds.py``) of the committed default package names classes that exist,
and every resource client of the package is in it."""

from __future__ import annotations

import importlib

from kubetyped.k8s._kinds import KINDS
from kubetyped.resource import AsyncResourceClient, ResourceClient


def test_every_entry_names_real_classes() -> None:
    assert len(KINDS) > 150
    for (api_version, kind), (module, model, client, plural, namespaced) in KINDS.items():
        mod = importlib.import_module(f"kubetyped.k8s.{module}")
        cls = getattr(mod, model)
        if (api_version, kind) == ("v1", "Status"):
            assert cls.__module__ == "kubetyped.status"  # the runtime's own class, re-exported
            continue
        assert cls.__k8s_kind__ == kind, (api_version, kind)
        group = cls.__k8s_group__
        assert (f"{group}/{cls.__k8s_version__}" if group else cls.__k8s_version__) == api_version
        if client is None:
            assert plural is None and namespaced is None
            continue
        sync, asynchronous = getattr(mod, client), getattr(mod, f"Async{client}")
        assert issubclass(sync, ResourceClient) and issubclass(asynchronous, AsyncResourceClient)
        assert sync.info.kind == kind and sync.info.api_version == api_version
        assert (sync.info.plural, sync.info.namespaced) == (plural, namespaced)


def test_every_client_is_indexed() -> None:
    indexed = {(m, c) for m, _, c, _, _ in KINDS.values() if c}
    modules = {m for m, *_ in KINDS.values()}
    for module in sorted(modules):
        mod = importlib.import_module(f"kubetyped.k8s.{module}")
        for name in getattr(mod, "_CLIENTS", ()):
            if not name.startswith("Async"):
                assert (module, name) in indexed, f"{module}.{name} is not in _kinds.py"
