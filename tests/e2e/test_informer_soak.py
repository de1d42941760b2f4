"""The full-size memory proof of the informer: 2,000 realistic pods, 20,000 updates.

Too long for every interpreter of the test command, so it is marked ``soak`` and runs once in
CI through ``nox -s soak`` (the test session deselects it; deselected, not skipped).
"""

from __future__ import annotations

import gc
import json
import time
import tracemalloc
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from _support import unique
from kubetyped import Client, Informer
from kubetyped.k8s.core import v1 as core_v1
from kubetyped.k8s.meta.v1 import ObjectMeta
from test_watch_resume import saturate_string_cache

pytestmark = [pytest.mark.e2e, pytest.mark.soak]

PODS = 2_000
UPDATES = 20_000
WRITERS = 8
POD_FILE = Path(__file__).parent.parent / "data" / "wire" / "core_v1_Pod.json"


_PRIORITY = ("priority", "priorityClassName", "preemptionPolicy")


def realistic_pod(i: int) -> dict[str, Any]:
    """The wire fixture's metadata and spec (init containers, probes, volumes, ...): what a
    client may create; the server adds managedFields, uid, times and status."""
    template = json.loads(POD_FILE.read_text())
    meta = template["metadata"]
    return {
        "metadata": {
            "name": f"pod-{i:05d}",
            "labels": meta.get("labels", {}),
            "annotations": {**meta.get("annotations", {}), "soak/value": "0" * 20},
        },
        "spec": {
            # Priority admission sets these from a PriorityClass the test server lacks.
            **{k: v for k, v in template["spec"].items() if k not in _PRIORITY},
            "nodeName": f"node-{i % 50}",
        },
    }


def wait_for(condition: Callable[[], bool], seconds: float) -> None:
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, "timed out waiting for the informer to catch up"
        time.sleep(0.2)


def test_an_informer_of_2000_pods_stays_flat_through_20000_updates(kubeconfig: Path) -> None:
    namespace = unique("soak")
    with Client(kubeconfig=kubeconfig, max_connections=WRITERS) as client:
        pods = core_v1.Pods(client)
        core_v1.Namespaces(client).create(core_v1.Namespace(metadata=ObjectMeta(name=namespace)))
        with ThreadPoolExecutor(WRITERS) as pool:
            list(
                pool.map(
                    lambda i: pods.create(
                        core_v1.Pod.model_validate(realistic_pod(i)), namespace=namespace
                    ),
                    range(PODS),
                )
            )

        def update(n: int) -> None:
            # The same size every time, so the objects held stay the same size.
            patch = {"metadata": {"annotations": {"soak/value": f"{n:020d}"}}}
            pods.patch(f"pod-{n % PODS:05d}", patch, namespace=namespace)

        def held() -> dict[str, str]:
            return {
                pod.metadata.name or "": (pod.metadata.annotations or {}).get("soak/value", "")  # type: ignore[union-attr]
                for pod in informer.store.list()
            }

        with Client(kubeconfig=kubeconfig) as watcher:
            informer = Informer(core_v1.Pods(watcher).watch, namespace=namespace)
            tracemalloc.start()
            with informer:
                assert informer.wait_for_sync(120)
                assert len(informer.store.list()) == PODS
                # Bounded caches first (pydantic-core's strings, the writer's per-URL state) and
                # every object replaced once, so only growth per event counts.
                saturate_string_cache()
                with ThreadPoolExecutor(WRITERS) as pool:
                    list(pool.map(update, range(PODS)))
                first = {f"pod-{n:05d}": f"{n:020d}" for n in range(PODS)}
                wait_for(lambda: held() == first, 300)
                gc.collect()
                synced = tracemalloc.get_traced_memory()[0]
                with ThreadPoolExecutor(WRITERS) as pool:
                    list(pool.map(update, range(PODS, PODS + UPDATES)))
                final = {f"pod-{n % PODS:05d}": f"{n:020d}" for n in range(PODS, PODS + UPDATES)}
                wait_for(lambda: held() == final, 600)
                gc.collect()
                after = tracemalloc.get_traced_memory()[0]
            tracemalloc.stop()
    print(f"\ntraced: {synced:,} bytes after the sync, {after:,} after {UPDATES:,} updates")
    assert after <= synced * 1.05, f"{synced:,} bytes after sync, {after:,} after the updates"
    assert synced > PODS * 10_000  # the store really holds 2,000 realistic pods
