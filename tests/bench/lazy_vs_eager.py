"""What converting fields on first read costs against validating a watched pod at once.

    python tests/bench/lazy_vs_eager.py [--events N] [--reps N]

The README's figures for reading every field of a pod, and for dumping it, through the watch
decoder (fields converted when first read) against ``Pod.model_validate_json`` of the same
object (everything validated at once; given the object alone, it parses a little less than
the watch decoder, which reads the event's envelope too). The same pods as ``bench.py``; the collector paused
around each round (``worker.timed``); best of the rounds, in milliseconds per pod.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from pathlib import Path

import orjson
from bench import write_data
from worker import load, summary, timed


def best_ms(fn: Callable[[], object], per: int, reps: int) -> float:
    """Best wall time of ``reps`` calls, the collector paused as in bench.py, per item in ms."""
    return summary([timed(fn, paused=True) for _ in range(reps)], per)["best"] * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000, help="watch events (2000)")
    parser.add_argument("--reps", type=int, default=11, help="rounds of each (11)")
    args = parser.parse_args()

    ns = load("kubetyped")  # the benchmark's own decode path and walk
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
