"""Benchmarks, side by side in one run: kubetyped, the official `kubernetes` client, lightkube.

    nox -s bench            # or: python tests/bench/bench.py [--quick] [--json FILE]

Reports absolute figures and ratios (peer time / kubetyped time; above 1 means kubetyped is
faster). Machines here are noisy: compare ratios from the same run, not absolute numbers
across runs.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
POD_FILE = HERE.parent / "data" / "wire" / "core_v1_Pod.json"


def best_of(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def per_second(fn: Callable[[], object], seconds: float) -> float:
    """Calls per second, measured in batches for ``seconds``; best batch wins."""
    fn()  # warm-up: builds validators, fills caches
    n, elapsed = 1, 0.0
    while elapsed < 0.05:
        n *= 2
        elapsed = best_of(lambda n=n: [fn() for _ in range(n)], 1)
    rounds = max(3, int(seconds / elapsed))
    return n / best_of(lambda: [fn() for _ in range(n)], rounds)


def cold_import(statement: str, repeat: int) -> float:
    """Median wall time of ``statement`` in a fresh interpreter, measured inside it."""
    code = f"import time\nt = time.perf_counter()\n{statement}\nprint(time.perf_counter() - t)\n"
    subprocess.run([sys.executable, "-c", statement], check=True)  # write .pyc files first
    runs = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], check=True, capture_output=True, text=True
            ).stdout
        )
        for _ in range(repeat)
    ]
    return statistics.median(runs)


def bench_generation(repeat: int) -> dict[str, float]:
    from kubetyped.codegen.generate import generate_files

    in_process = best_of(lambda: generate_files(None, "kubetyped.k8s"), repeat)
    with tempfile.TemporaryDirectory() as tmp:
        cli = [sys.executable, "-m", "kubetyped.codegen", "generate", "--out", f"{tmp}/k8s"]
        walls = []
        for _ in range(repeat):
            start = time.perf_counter()
            subprocess.run(cli, check=True, capture_output=True)
            walls.append(time.perf_counter() - start)
    return {"generate_in_process_s": in_process, "generate_cli_wall_s": statistics.median(walls)}


def bench_imports(repeat: int) -> dict[str, float]:
    return {
        "import_kubetyped_core_v1_s": cold_import("import kubetyped.k8s.core.v1", repeat),
        # The floor of any pydantic package: pydantic plus one model with an aliased field.
        "import_pydantic_one_model_s": cold_import(
            "from pydantic import BaseModel, Field\n"
            "class A(BaseModel):\n    x: int | None = Field(None, alias='X')",
            repeat,
        ),
        "import_kubernetes_v1pod_s": cold_import(
            "from kubernetes.client.models import V1Pod", repeat
        ),
        "import_lightkube_core_v1_s": cold_import("import lightkube.models.core_v1", repeat),
    }


def pod_list_bytes(pod: dict[str, Any], n: int) -> bytes:
    items = []
    for i in range(n):
        item = copy.deepcopy(pod)
        item["metadata"]["name"] = f"{pod['metadata']['name']}-{i}"
        item["metadata"]["uid"] = f"00000000-0000-4000-8000-{i:012d}"
        items.append(item)
    body = {
        "apiVersion": "v1",
        "kind": "PodList",
        "metadata": {"resourceVersion": "12345"},
        "items": items,
    }
    return json.dumps(body).encode()


# How each library decodes a response body, as its client does; each runs in a fresh
# interpreter that imports only that library, so no library pays for another's heap (the
# garbage collector walks the whole heap, so a shared process would skew every figure).
DECODERS = {
    "kubetyped": (
        "from kubetyped.k8s.core.v1 import Pod, PodList\n"
        "from kubetyped.request import decode\n"
        "one = lambda b: decode(Pod, b)\n"
        "many = lambda b: decode(PodList, b)\n"
    ),
    "kubernetes": (
        "import kubernetes.client\n"
        "api = kubernetes.client.ApiClient()\n"
        "one = lambda b: api.deserialize(b.decode(), 'V1Pod', 'application/json')\n"
        "many = lambda b: api.deserialize(b.decode(), 'V1PodList', 'application/json')\n"
    ),
    "lightkube": (
        "from lightkube.core import decoders as lk\n"
        "from lightkube.resources.core_v1 import Pod\n"
        "one = lambda b: lk.decode_object(b, Pod)\n"
        "many = lambda b: lk.decode_list(b, Pod)\n"
    ),
    "orjson.loads (floor)": "import orjson\none = many = orjson.loads\n",
}


def worker(name: str, pod_file: Path, list_file: Path, seconds: float, repeat: int) -> None:
    """Measure one library in this interpreter and print the figures as JSON."""
    namespace: dict[str, Any] = {}
    exec(DECODERS[name], namespace)  # noqa: S102 - our own fixed snippets
    one, many = namespace["one"], namespace["many"]
    pod, body = pod_file.read_bytes(), list_file.read_bytes()
    decoded = many(body)
    assert decoded is not None and one(pod) is not None, name  # a failing decode is no benchmark
    del decoded
    rate = per_second(lambda: one(pod), seconds)
    list_time = best_of(lambda: many(body), repeat)
    print(json.dumps({"pod_per_s": rate, "list_s": list_time}))


def measure(
    name: str, pod_file: Path, list_file: Path, seconds: float, repeat: int
) -> dict[str, float]:
    argv = [sys.executable, __file__, "--worker", name, "--pod-file", str(pod_file)]
    argv += ["--list-file", str(list_file), "--seconds", str(seconds), "--repeat", str(repeat)]
    result = subprocess.run(argv, check=False, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"the {name} worker failed:\n{result.stderr}")
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer rounds (smoke run)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--pods", type=int, default=5000, help="items in the PodList")
    parser.add_argument("--worker", choices=DECODERS, help=argparse.SUPPRESS)
    parser.add_argument("--pod-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--list-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=2.0, help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.pod_file, args.list_file, args.seconds, args.repeat)
        return
    seconds = 0.3 if args.quick else 2.0
    repeat = 3 if args.quick else 7

    pod_bytes = POD_FILE.read_bytes()
    pod = json.loads(pod_bytes)
    results: dict[str, Any] = {}
    results.update(bench_generation(3))
    results.update(bench_imports(repeat))

    body = pod_list_bytes(pod, args.pods)
    rates: dict[str, float] = {}
    list_times: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        pod_file, list_file = Path(tmp, "pod.json"), Path(tmp, "list.json")
        pod_file.write_bytes(pod_bytes)
        list_file.write_bytes(body)
        for name in DECODERS:
            figures = measure(name, pod_file, list_file, seconds, 3 if args.quick else 5)
            rates[name], list_times[name] = figures["pod_per_s"], figures["list_s"]
    results["pod_validate_per_s"] = rates
    results["podlist_decode_s"] = list_times
    results["podlist_bytes"] = len(body)

    ours = rates["kubetyped"]
    print(
        f"generation of the v1.36 package: {results['generate_in_process_s']:.2f} s in process, "
        f"{results['generate_cli_wall_s']:.2f} s CLI wall (target <= 2 s)"
    )
    print(f"cold import, median of {repeat} fresh interpreters:")
    base = results["import_kubetyped_core_v1_s"]
    for key in (
        "import_kubetyped_core_v1_s",
        "import_pydantic_one_model_s",
        "import_kubernetes_v1pod_s",
        "import_lightkube_core_v1_s",
    ):
        print(f"  {key[7:-2]:<28} {results[key] * 1000:8.1f} ms   x{results[key] / base:5.2f}")
    print(
        f"realistic Pod ({len(pod_bytes)} bytes) from JSON bytes, per second "
        "(ratio = kubetyped / peer):"
    )
    for name, rate in rates.items():
        print(f"  {name:<28} {rate:10.0f}/s   x{ours / rate:5.2f}")
    print(
        f"PodList of {args.pods} pods ({len(body) / 1e6:.1f} MB), decode time "
        "(ratio = peer / kubetyped):"
    )
    mine = list_times["kubetyped"]
    for name, t in list_times.items():
        print(f"  {name:<28} {t * 1000:10.1f} ms   x{t / mine:5.2f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
