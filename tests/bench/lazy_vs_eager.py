"""What converting fields on first read costs against validating a watched pod at once.

    python tests/bench/lazy_vs_eager.py [--events N] [--reps N]

The README's figures for reading every field of a pod, and for dumping it, through the watch
decoder (fields converted when first read) against ``Pod.model_validate_json`` of the same
object (everything validated at once). The same pods as ``bench.py``; the collector paused
around each round; best of the rounds, in milliseconds per pod.
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from bench import write_data
from worker import CONTENDERS


def best_ms(fn: Callable[[], object], per: int, reps: int) -> float:
    rounds = []
    for _ in range(reps):
        gc.collect()
        gc.disable()
        start = time.perf_counter()
        fn()
        rounds.append(time.perf_counter() - start)
        gc.enable()
    return min(rounds) / per * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000, help="watch events (2000)")
    parser.add_argument("--reps", type=int, default=11, help="rounds of each (11)")
    args = parser.parse_args()

    ns: dict[str, Any] = {}
    exec(CONTENDERS["kubetyped"], ns)  # the benchmark's own decode path and walk
    walk, decode = ns["walk"], ns["watch"]()
    from kubetyped.k8s.core.v1 import Pod

    with tempfile.TemporaryDirectory() as folder:
        write_data(Path(folder), pods=args.events, events=args.events)
        lines = (Path(folder) / "watch.jsonl").read_bytes().splitlines()
    objects = [orjson.dumps(orjson.loads(line)["object"]) for line in lines]

    n, reps = len(lines), args.reps
    figures = {
        "every field read": (
            best_ms(lambda: [walk(decode(line).object) for line in lines], n, reps),
            best_ms(lambda: [walk(Pod.model_validate_json(o)) for o in objects], n, reps),
        ),
        "model_dump()": (
            best_ms(lambda: [decode(line).object.model_dump() for line in lines], n, reps),
            best_ms(lambda: [Pod.model_validate_json(o).model_dump() for o in objects], n, reps),
        ),
    }
    for what, (lazy, eager) in figures.items():
        print(f"{what}: watch decoder {lazy:.2f} ms, eager {eager:.2f} ms ({lazy / eager:.2f}x)")


if __name__ == "__main__":
    main()
