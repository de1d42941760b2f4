"""One ``Client`` shared by many threads against the real API server: every request must
succeed. ``nox -s stress`` runs it at full size (50 threads, 10,000 requests); the e2e suite
runs :func:`hammer` at a size that finishes in seconds.

    python tests/e2e/stress.py [--threads 50] [--requests 10000] [--httpx-default-limits]

``--httpx-default-limits`` swaps in a transport with httpx's own pool limits (20 idle
connections for 100 open), for comparison with kubetyped's (every open connection may idle).
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from kubetyped import Client
from kubetyped.k8s.core.v1 import ConfigMap, ConfigMaps, Namespace, Namespaces
from kubetyped.k8s.meta.v1 import ObjectMeta


@dataclass
class Outcome:
    requests: int = 0
    failures: collections.Counter[str] = field(default_factory=collections.Counter)
    seconds: float = 0.0


def hammer(client: Client, namespace: str, threads: int, requests: int) -> Outcome:
    """``requests`` calls spread over ``threads`` threads on one client: gets, lists,
    creates and deletes of ConfigMaps in ``namespace``. Failures are counted by type."""
    configmaps = ConfigMaps(client)
    outcome = Outcome()
    lock = threading.Lock()
    per_thread = requests // threads

    def work(worker: int) -> None:
        for i in range(per_thread):
            name = f"s-{worker}-{i}"
            try:
                match i % 4:
                    case 0:
                        configmaps.create(
                            ConfigMap(metadata=ObjectMeta(name=name), data={"i": str(i)}),
                            namespace=namespace,
                        )
                    case 1:
                        configmaps.get(f"s-{worker}-{i - 1}", namespace=namespace)
                    case 2:
                        configmaps.list(namespace=namespace, limit=5)
                    case _:
                        configmaps.delete(f"s-{worker}-{i - 3}", namespace=namespace)
            except Exception as exc:  # every failure counts, whatever it is
                with lock:
                    outcome.failures[f"{type(exc).__name__}: {str(exc)[:120]}"] += 1
            with lock:
                outcome.requests += 1

    started = time.perf_counter()
    pool = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    outcome.seconds = time.perf_counter() - started
    return outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=50)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--httpx-default-limits", action="store_true")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()

    from kubetyped.testing import ApiServer

    with ApiServer() as server:
        with Client(kubeconfig=server.kubeconfig_path) as client:
            if args.httpx_default_limits:
                options = client.config.httpx_options()
                client._http._transport = httpx.HTTPTransport(verify=options["verify"])
            Namespaces(client).create(Namespace(metadata=ObjectMeta(name="stress")))
            outcome = hammer(client, "stress", args.threads, args.requests)
    figures = {
        "threads": args.threads,
        "requests": outcome.requests,
        "failures": sum(outcome.failures.values()),
        "failure_kinds": dict(outcome.failures),
        "seconds": round(outcome.seconds, 2),
        "requests_per_second": round(outcome.requests / outcome.seconds),
        "pool": "httpx defaults" if args.httpx_default_limits else "kubetyped",
    }
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 1 if figures["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
