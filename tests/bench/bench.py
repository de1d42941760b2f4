"""Decode speed, memory, import time and generation time: kubetyped beside its peers.

    nox -s bench                          # full run; writes tests/bench/results/latest.{json,md}
    python tests/bench/bench.py --quick --out DIR     # smoke run (the test suite runs it)

Every contender decodes the same bodies the way its own client does (kubetyped
``request.decode`` and ``WatchDecoder``, the official client's ``response_deserialize`` and
``Watch.unmarshal_event``, lightkube's ``decode_list`` and ``WatchDriver``), each in a fresh
interpreter of its own, and every one is timed twice: with the garbage collector on, and with
it paused around the call. The floor is ``orjson.loads`` (``json.loads`` if orjson is missing)
under the same collector treatment. Figures are ratios within one run: this machine may be
shared, so absolute times across runs mean little.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
POD_FILE = REPO / "tests" / "data" / "wire" / "core_v1_Pod.json"
RESULTS = HERE / "results"
PEERS = ("kubernetes", "lightkube")
LABELS = {
    "kubetyped": "kubetyped",
    "kubernetes": "kubernetes (official)",
    "lightkube": "lightkube",
    "orjson": "orjson.loads (floor)",
    "json": "json.loads",
}

# ---------------------------------------------------------------------------------------------
# Data: realistic pods (the v1.36 wire fixture: managedFields, init containers, probes, status),
# each with its own name, uid, IPs, node, resourceVersion and times, in compact JSON as the API
# server sends it.


def make_pod(template: dict[str, Any], i: int) -> dict[str, Any]:
    pod = copy.deepcopy(template)
    meta, spec, status = pod["metadata"], pod["spec"], pod["status"]
    meta["name"] = f"{meta['generateName']}{i:05x}"
    meta["uid"] = f"5c7e1a2b-{i % 65536:04x}-4c1d-9e8f-{i:012x}"
    meta["resourceVersion"] = str(4823117 + i)
    created = dt.datetime(2024, 4, 30, 22, 15, 40) + dt.timedelta(seconds=37 * i)
    meta["creationTimestamp"] = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    spec["nodeName"] = f"ip-10-0-{i % 250}-{i % 7 + 10}.eu-west-1.compute.internal"
    status["podIP"] = f"10.{244 + i // 65536 % 8}.{i // 256 % 256}.{i % 256}"
    status["podIPs"] = [{"ip": status["podIP"]}]
    status["hostIP"] = f"10.0.{i % 250}.{i % 7 + 10}"
    status["hostIPs"] = [{"ip": status["hostIP"]}]
    for cs in status.get("containerStatuses", []) + status.get("initContainerStatuses", []):
        if "containerID" in cs:
            cs["containerID"] = f"containerd://{i:016x}{cs['name'].encode().hex()[:48]:0<48}"
    return pod


def changed(template: dict[str, Any], i: int, pods: int) -> dict[str, Any]:
    """The ``i``-th change of the watch stream: pod ``i % pods``, at a version of its own."""
    pod = make_pod(template, i % pods)
    pod["metadata"]["resourceVersion"] = str(9000001 + i)
    return pod


def compact(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def write_data(folder: Path, pods: int, events: int) -> dict[str, Any]:
    template = json.loads(POD_FILE.read_bytes())
    pod = compact(make_pod(template, 0))
    items = [make_pod(template, i) for i in range(pods)]
    for item in items:  # list items come without apiVersion and kind
        del item["apiVersion"], item["kind"]
    body = compact(
        {
            "apiVersion": "v1",
            "kind": "PodList",
            "metadata": {"resourceVersion": "9000000"},
            "items": items,
        }  # fmt: skip
    )
    # A watch of the list's pods: each is added, then changed again and again (a new
    # resourceVersion each time), so a cache of them ends as large as the list.
    stream = b"".join(
        compact({"type": "ADDED" if i < pods else "MODIFIED", "object": changed(template, i, pods)})
        + b"\n"
        for i in range(events)
    )
    (folder / "pod.json").write_bytes(pod)
    (folder / "podlist.json").write_bytes(body)
    (folder / "watch.jsonl").write_bytes(stream)
    return {
        "pods": pods,
        "pod_bytes": len(pod),
        "podlist_bytes": len(body),
        "watch_events": events,
        "watch_bytes_per_event": len(stream) // events,
    }


# ---------------------------------------------------------------------------------------------
# Measurements, each in fresh interpreters.


def run_worker(
    name: str, task: str, data: Path, args: argparse.Namespace, *extra: str
) -> dict[str, Any]:
    argv = [sys.executable, str(HERE / "worker.py"), name, task, str(data), *extra]
    argv += ["--reps", str(args.reps), "--seconds", str(args.seconds), "--pods", str(args.pods)]
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"the {name} {task} worker failed:\n{result.stderr}")
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def merge(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """Figures of several passes: the best of the bests, the median of the medians."""
    if old is None:
        return new
    for mode in ("gc_on", "gc_paused"):
        for key, entry in new[mode].items():
            kept = old[mode][key]
            kept["best"] = min(kept["best"], entry["best"])
            kept["cpu_best"] = min(kept["cpu_best"], entry["cpu_best"])
            kept.setdefault("medians", [kept["median"]]).append(entry["median"])
            kept["median"] = statistics.median(kept["medians"])
    return old


IMPORTS: dict[str, tuple[str, str]] = {
    # key: (library that must be installed, statement)
    "pydantic": ("pydantic", "from pydantic import BaseModel"),
    "pydantic_one_model": (
        "pydantic",
        "from pydantic import BaseModel, Field\n"
        "class A(BaseModel): x: int | None = Field(None, alias='X')",
    ),
    "kubetyped_model": ("kubetyped", "import kubetyped.k8s.core.v1"),
    # With classes built on first use, the module alone would flatter: what a Pod user pays.
    "kubetyped_pod": ("kubetyped", "from kubetyped.k8s.core.v1 import Pod"),
    "kubetyped_pod_decode": (
        "kubetyped",
        "from kubetyped.k8s.core.v1 import Pod\n"
        'Pod.model_validate_json(b\'{"metadata": {"name": "p"}}\')',
    ),
    "kubetyped_client": (
        "kubetyped",
        "from kubetyped import Client\nfrom kubetyped.k8s.core.v1 import Pods",
    ),
    "kubernetes_model": ("kubernetes", "from kubernetes.client.models import V1Pod"),
    "kubernetes_client": ("kubernetes", "from kubernetes import client, config, watch"),
    "lightkube_model": ("lightkube", "import lightkube.models.core_v1"),
    "lightkube_client": (
        "lightkube",
        "from lightkube import Client\nfrom lightkube.resources.core_v1 import Pod",
    ),
}
IMPORT_LABELS = {
    "pydantic": "pydantic alone",
    "pydantic_one_model": "pydantic + one model",
    "kubetyped_model": "kubetyped core/v1 models",
    "kubetyped_pod": "kubetyped core/v1 Pod",
    "kubetyped_pod_decode": "kubetyped core/v1 Pod, first decode",
    "kubetyped_client": "kubetyped Client + Pods",
    "kubernetes_model": "kubernetes V1Pod",
    "kubernetes_client": "kubernetes client, config, watch",
    "lightkube_model": "lightkube core_v1 models",
    "lightkube_client": "lightkube Client + Pod",
}

_IMPORT_PROBE = """\
import sys, time
t, c = time.perf_counter(), time.process_time()
{statement}
elapsed, cpu = time.perf_counter() - t, time.process_time() - c
groups = sorted({{m.split('.')[2] for m in sys.modules if m.startswith('kubetyped.k8s.')}})
print(elapsed, cpu, len(sys.modules), ','.join(groups))
"""


def cold_import(statement: str, repeat: int) -> dict[str, Any]:
    """Median time of ``statement`` in fresh interpreters (bytecode cached by a first run)."""
    code = _IMPORT_PROBE.format(statement=statement)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": ""}
    runs, cpus, out = [], [], []
    for _ in range(repeat + 1):  # the first run writes the bytecode caches; not counted
        argv = [sys.executable, "-c", code]
        done = subprocess.run(argv, check=False, capture_output=True, text=True, env=env)
        if done.returncode != 0:
            return {"skipped": done.stderr.strip().splitlines()[-1], "statement": statement}
        out = done.stdout.split()
        runs.append(float(out[0]))
        cpus.append(float(out[1]))
    return {
        "median_s": statistics.median(runs[1:]),
        "runs_s": runs[1:],
        "cpu_median_s": statistics.median(cpus[1:]),
        "modules": int(out[2]),
        "kubetyped_groups": out[3].split(",") if len(out) > 3 else [],
        "statement": statement,
    }


def bench_imports(repeat: int, libraries: set[str]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for key, (library, statement) in IMPORTS.items():
        if library in libraries:
            results[key] = cold_import(statement, repeat)
        else:
            results[key] = {"skipped": "not measured in this run", "statement": statement}
    return results


def bench_generation(quick: bool) -> dict[str, Any]:
    """The whole v1.36 package: in process (load, IR, render, format) and via the CLI."""
    from kubetyped.codegen.generate import generate_files

    rounds = 1 if quick else 3
    in_process = []
    for _ in range(rounds):
        start = time.perf_counter()
        files = generate_files(None, "kubetyped.k8s")
        in_process.append(time.perf_counter() - start)
    out: dict[str, Any] = {"files": len(files), "in_process_s": min(in_process)}
    if not quick:
        walls = []
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(rounds):
                cli = [sys.executable, "-m", "kubetyped.codegen", "generate", "--out", f"{tmp}/{i}"]
                start = time.perf_counter()
                subprocess.run(cli, check=True, capture_output=True)
                walls.append(time.perf_counter() - start)
        out["cli_wall_s"] = statistics.median(walls)
    return out


# ---------------------------------------------------------------------------------------------
# Facts about the run, ratios, and the Markdown report.


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for dist in ("pydantic", "pydantic-core", "orjson", "kubernetes", "lightkube", "msgspec"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    # The code measured: a checkout of the repository, or an exported snapshot of a commit
    # (BENCH_COMMIT names it) so that a shared working tree's uncommitted edits stay out.
    commit, dirty = os.environ.get("BENCH_COMMIT"), None
    if not commit:
        git = ["git", "-C", str(REPO)]
        head = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], check=False, capture_output=True, text=True
        )
        status = subprocess.run(
            [*git, "status", "--porcelain", "runtime", "codegen", "generated"],
            check=False,
            capture_output=True,
            text=True,
        )
        commit = head.stdout.strip() or None
        dirty = bool(status.stdout.strip()) if head.returncode == 0 else None
    return {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load_average_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "kubetyped_commit": commit,
        "kubetyped_uncommitted_changes": dirty,
        "versions": versions,
    }


SPEED_KEYS = (
    "podlist_s",
    "podlist_read_s",
    "pod_s",
    "watch_event_s",
    "watch_cached_s",
    "watch_read_s",
    "watch_walk_s",
)


def ratio(value: float | None, base: float | None) -> float | None:
    return None if value is None or not base else value / base


def add_ratios(results: dict[str, Any]) -> None:
    """Every decode and memory figure as x floor and x kubetyped (same run, same GC mode)."""
    floor = results["floor"]
    speed, mem = results["speed"], results["memory"]
    for mode in ("gc_on", "gc_paused"):
        for key in SPEED_KEYS:
            base = speed[floor][mode][key]["best"]
            ours = speed["kubetyped"][mode][key]["best"]
            cpu_base = speed[floor][mode][key].get("cpu_best")
            for figures in speed.values():
                if "skipped" not in figures:
                    entry = figures[mode][key]
                    entry["x_floor"] = ratio(entry["best"], base)
                    entry["x_kubetyped"] = ratio(entry["best"], ours)
                    entry["cpu_x_floor"] = ratio(entry.get("cpu_best"), cpu_base)
    nps = speed["kubetyped"]["gc_on"].get("podlist_no_self_pause_s")
    if nps:
        nps["x_floor"] = ratio(nps["best"], speed[floor]["gc_on"]["podlist_s"]["best"])
        nps["x_kubetyped"] = ratio(nps["best"], speed["kubetyped"]["gc_on"]["podlist_s"]["best"])
    for key in (
        "held_per_pod_bytes",
        "held_read_per_pod_bytes",
        "held_watched_per_pod_bytes",
        "peak_rss_bytes",
        "peak_traced_bytes",
    ):
        for figures in mem.values():
            if "skipped" not in figures:
                figures[key.replace("_bytes", "_x_floor")] = ratio(figures[key], mem[floor][key])
                figures[key.replace("_bytes", "_x_kubetyped")] = ratio(
                    figures[key], mem["kubetyped"][key]
                )
    imports = results["imports"]
    base = imports["pydantic"].get("median_s")
    ours = imports["kubetyped_model"].get("median_s")
    for entry in imports.values():
        if "median_s" in entry:
            entry["x_pydantic"] = ratio(entry["median_s"], base)
            entry["x_kubetyped"] = ratio(entry["median_s"], ours)


def _passes(passes: int) -> str:
    return f" in each of {passes} passes over all contenders" if passes > 1 else ""


def _load(value: list[float] | None) -> str:
    return "/".join(f"{x:.1f}" for x in value) if value else "unknown"


def _x(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _time(seconds: float) -> str:
    if seconds >= 0.1:
        return f"{seconds * 1e3:.0f} ms"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} µs"


def markdown(results: dict[str, Any]) -> str:
    m, d, floor = results["machine"], results["data"], results["floor"]
    speed, mem, imports = results["speed"], results["memory"], results["imports"]
    v = m["versions"]
    measured = [n for n in speed if "skipped" not in speed[n]]
    skipped = [f"{n} ({speed[n]['skipped']})" for n in speed if "skipped" in speed[n]]
    lines = [
        f"# Benchmark: {m['date']}{' (quick run: small sizes)' if results['quick'] else ''}",
        "",
        f"`{results['command']}` on {m['cpu']}, {m['cpus']} CPUs, {m['system']}, Python "
        f"{m['python']}; load average {_load(m.get('load_average_start'))} at the start, "
        f"{_load(m.get('load_average_end'))} at the end. "
        "The machine was shared with other jobs: compare ratios within this run, not absolute "
        f"times across runs. kubetyped {m['kubetyped_commit']}"
        f"{' with uncommitted changes' if m['kubetyped_uncommitted_changes'] else ''}, pydantic {v['pydantic']} "
        f"(core {v['pydantic-core']}), kubernetes {v['kubernetes']}, lightkube "
        f"{v['lightkube']} (msgspec {v['msgspec']}), orjson {v['orjson']}.",
        "",
        f"Data: a PodList of {d['pods']} realistic pods ({d['podlist_bytes'] / 1e6:.1f} MB), one "
        f"pod ({d['pod_bytes'] / 1e3:.1f} kB), {d['watch_events']} pod watch events "
        f"({d['watch_bytes_per_event'] / 1e3:.1f} kB each). Floor: `{LABELS[floor]}`. Each "
        "library runs through its client's decode path, in a fresh interpreter of its own for "
        "each collector mode; times "
        f"are the best of {results['reps']} rounds{_passes(results.get('passes', 1))}, with "
        "the collector on and with it paused "
        "(`gc.disable()` around the call) for every contender alike. x floor and "
        "x kubetyped compare figures of the same collector mode.",
    ]
    if skipped:
        lines += ["", "Not measured: " + "; ".join(skipped) + "."]

    def decode_table(key: str, title: str) -> None:
        lines.extend(["", f"## {title}", ""])
        lines.append(
            "| contender | GC on | x floor | x kubetyped | GC paused | x floor | x kubetyped "
            "| CPU time x floor, on / paused |"
        )
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for name in measured:
            cells = [LABELS[name]]
            for mode in ("gc_on", "gc_paused"):
                e = speed[name][mode][key]
                cells += [_time(e["best"]), _x(e["x_floor"]), _x(e["x_kubetyped"])]
            cpu = [speed[name][mode][key].get("cpu_x_floor") for mode in ("gc_on", "gc_paused")]
            cells.append(f"{_x(cpu[0])} / {_x(cpu[1])}")
            lines.append("| " + " | ".join(cells) + " |")
        nps = speed["kubetyped"]["gc_on"].get("podlist_no_self_pause_s")
        if key == "podlist_s" and nps:
            lines.append(
                f"| kubetyped without its own GC pause (`PodList.model_validate_json`) | "
                f"{_time(nps['best'])} | {_x(nps['x_floor'])} | {_x(nps['x_kubetyped'])} "
                "| | | | |"
            )

    decode_table("podlist_s", f"PodList decode ({d['pods']} pods)")
    lines.append(
        "\nWall time decides the ratios; the last column gives the same ratios in CPU time "
        "(best of the rounds), which waiting for a shared CPU does not inflate."
    )
    lines.append(
        "\nkubetyped's `decode` pauses the collector itself for bodies over 256 KiB, so its "
        "GC-on row is what an application gets; the extra row times the same validation "
        "with the collector left on."
    )
    decode_table(
        "podlist_read_s", f"PodList decode, then every item read, its metadata ({d['pods']} pods)"
    )
    lines.append(
        "\nkubetyped converts an object's fields from the wire when they are first read (list "
        "items and watch events): the first table times the decode, this one the decode plus "
        "`.metadata` of every item. The other contenders build every object in the decode."
    )
    decode_table("pod_s", "One Pod (a get)")
    decode_table("watch_event_s", "Watch event (one pod per line, the library's watch decoder)")
    decode_table("watch_cached_s", "Watch event, its pod kept in a cache (as an informer does)")
    lines.append(
        f"\nThe same stream, each decoded object kept in a dict by name, so the cache ends "
        f"holding all {d['pods']} pods (time per event). With the collector on, CPython's full "
        "collections walk every object the cache holds, so how many objects a library makes "
        "per pod shows here, and not in the table above."
    )
    decode_table("watch_read_s", "Watch event, then what a controller reads of its pod")
    lines.append(
        "\nEach event's pod read as a controller reads it: name, namespace, resourceVersion, "
        "labels, node name, phase, and each container status's ready and restart count."
    )
    decode_table("watch_walk_s", "Watch event, then every field of its pod read (2,000 events)")
    lines.append(
        "\nEvery field of each pod read once through the library's own objects (attribute by "
        "attribute, lists and maps entry by entry; kubetyped also reads `model_extra`): the "
        "most a consumer can ask of a decoded object. In kubetyped each field is converted by "
        "its first read, which costs more than converting the whole object at once as a dump "
        "or `==` does."
    )

    lines += ["", "## Memory", ""]
    lines.append(
        "| contender | held per pod | x floor | x kubetyped | held per pod, every item's metadata read "
        "| x floor | held per pod from a watch | x floor | x kubetyped "
        "| peak RSS during the list decode | x floor | x kubetyped | tracemalloc peak |"
    )
    lines.append(
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    )
    for name in mem:
        e = mem[name]
        if "skipped" in e:
            continue
        lines.append(
            f"| {LABELS[name]} | {e['held_per_pod_bytes'] / 1024:.1f} KiB | "
            f"{_x(e['held_per_pod_x_floor'])} | {_x(e['held_per_pod_x_kubetyped'])} | "
            f"{e['held_read_per_pod_bytes'] / 1024:.1f} KiB | "
            f"{_x(e['held_read_per_pod_x_floor'])} | "
            f"{e['held_watched_per_pod_bytes'] / 1024:.1f} KiB | "
            f"{_x(e['held_watched_per_pod_x_floor'])} | {_x(e['held_watched_per_pod_x_kubetyped'])} | "
            f"{e['peak_rss_bytes'] / 2**20:.0f} MiB | {_x(e['peak_rss_x_floor'])} | "
            f"{_x(e['peak_rss_x_kubetyped'])} | {e['peak_traced_bytes'] / 2**20:.0f} MiB |"
        )
    lines.append(
        "\nHeld: tracemalloc after `gc.collect()`, the decoded list kept, divided by the pods; "
        "then the same after reading every item's `.metadata`; then as many pods decoded from "
        "watch events, each event's object kept as a cache keeps it. "
        "Peak RSS: the process high-water mark during the first list decode, over the "
        "resident size before it (counts allocations outside Python's allocator)."
    )

    lines += ["", f"## Cold import (median of {results['import_repeat']} fresh interpreters)", ""]
    lines.append(
        "| what | statement | time | x pydantic alone | x kubetyped core/v1 | CPU time "
        "| modules loaded | kubetyped groups loaded |"
    )
    lines.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for key, e in imports.items():
        statement = e["statement"].replace("\n", "; ").replace("|", "\\|")
        if "median_s" not in e:
            lines.append(f"| {IMPORT_LABELS[key]} | `{statement}` | {e['skipped']} | | | | | |")
            continue
        cpu = _time(e["cpu_median_s"]) if "cpu_median_s" in e else "–"
        lines.append(
            f"| {IMPORT_LABELS[key]} | `{statement}` | {_time(e['median_s'])} | "
            f"{_x(e['x_pydantic'])} | {_x(e['x_kubetyped'])} | {cpu} | {e['modules']} | "
            f"{', '.join(e['kubetyped_groups'])} |"
        )

    g = results["generation"]
    lines += ["", "## Generation of the whole v1.36 package", ""]
    text = f"{g['files']} files: {g['in_process_s']:.2f} s in process (load, IR, render, format)"
    if "cli_wall_s" in g:
        text += f", {g['cli_wall_s']:.2f} s wall through the CLI (new interpreter, writes files)"
    lines.append(text + ".")
    return "\n".join(lines) + "\n"


def summary(results: dict[str, Any]) -> str:
    """The short table the README shows: ratios to the floor, one row per contender."""
    m, d, floor = results["machine"], results["data"], results["floor"]
    speed, mem, imports = results["speed"], results["memory"], results["imports"]
    model_import = {n: imports.get(f"{n}_model", {}) for n in LABELS}
    rows = [
        f"{m['date']}, {m['cpus']} CPUs (shared), Python {m['python']}, kubetyped "
        f"{m['kubetyped_commit']}; {d['pods']} pods ({d['podlist_bytes'] / 1e6:.0f} MB), "
        f"{d['watch_events']} watch events. Ratios to `{LABELS[floor]}` in the same collector "
        "mode, wall time (and CPU time); lower is faster or smaller:",
        "",
        "| | PodList, GC paused | PodList, GC on | PodList then every item's metadata read, GC "
        "paused | watch event, GC paused | watch event, a controller's reads, GC paused "
        "| watch event, every field read, GC paused | watch event into a cache, GC on "
        "| held per pod | held per pod, every item's metadata read | held per pod from a watch "
        "| import core/v1 models |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]

    def cell(entry: dict[str, Any]) -> str:
        cpu = entry.get("cpu_x_floor")
        return f"{entry['x_floor']:.2f}x" + (f" (CPU {cpu:.2f}x)" if cpu else "")

    for name in speed:
        if "skipped" in speed[name] or name == "json":
            continue
        paused, on = speed[name]["gc_paused"], speed[name]["gc_on"]
        cells = [LABELS[name]]
        for entry in (
            paused["podlist_s"],
            on["podlist_s"],
            paused["podlist_read_s"],
            paused["watch_event_s"],
            paused["watch_read_s"],
            paused["watch_walk_s"],
            on["watch_cached_s"],
        ):
            cells.append(cell(entry))
        held = mem[name]
        for key in ("held_per_pod", "held_read_per_pod", "held_watched_per_pod"):
            cells.append(f"{held[key + '_x_floor']:.2f}x ({held[key + '_bytes'] / 1024:.0f} KiB)")
        e = model_import.get(name, {})
        cells.append(
            f"{_time(e['median_s'])} ({e['x_pydantic']:.2f}x pydantic)" if "median_s" in e else ""
        )
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, few rounds (smoke run)")
    parser.add_argument("--out", type=Path, help=f"folder for the results (default {RESULTS})")
    parser.add_argument("--pods", type=int, help="items in the PodList (2000; quick 50)")
    parser.add_argument("--events", type=int, help="watch events (20000; quick 50)")
    parser.add_argument(
        "--only", help="comma-separated contenders to measure (kubetyped and the floor always)"
    )
    parser.add_argument("--passes", type=int, help="speed passes over all contenders (3)")
    parser.add_argument("--report", type=Path, help="only rewrite the Markdown of a JSON result")
    args = parser.parse_args()
    if args.report:
        results = json.loads(args.report.read_text())
        args.report.with_suffix(".md").write_text(markdown(results))
        print(summary(results))
        return
    quick = args.quick
    args.pods = args.pods or (50 if quick else 2000)
    args.events = args.events or (50 if quick else 20_000)
    args.reps = 3 if quick else 5
    args.passes = args.passes or (1 if quick else 3)
    args.seconds = 0.1 if quick else 1.5
    import_repeat = 1 if quick else 7
    out = args.out or RESULTS
    out.mkdir(parents=True, exist_ok=True)

    try:
        import orjson  # noqa: F401

        floor = "orjson"
    except ImportError:
        floor = "json"
    names = ["kubetyped", *PEERS, floor] + (["json"] if floor == "orjson" else [])
    wanted = set(args.only.split(",")) | {"kubetyped", floor} if args.only else set(names)

    command = "nox -s bench" if not quick else "python tests/bench/bench.py --quick"
    results: dict[str, Any] = {
        "quick": quick,
        "command": os.environ.get("BENCH_COMMAND", command),
        "machine": machine(),
        "floor": floor,
        "reps": args.reps,
        "passes": args.passes,
        "import_repeat": import_repeat,
    }
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        results["data"] = write_data(data, args.pods, args.events)
        results["speed"], results["memory"] = {}, {}
        for name in names:
            if name not in wanted:
                results["speed"][name] = results["memory"][name] = {"skipped": "not requested"}
                continue
            print(f"measuring {name}: memory ...", file=sys.stderr, flush=True)
            results["memory"][name] = run_worker(name, "memory", data, args)
        # Speed in passes over all contenders, so that a busy spell of a shared machine
        # falls on every contender alike rather than on whichever runs during it.
        measured = [n for n in names if "skipped" not in results["memory"].get(n, {})]
        for name in names:
            if name not in measured:
                results["speed"].setdefault(name, results["memory"].get(name))
        for number in range(args.passes):
            for name in measured:
                print(f"pass {number + 1}/{args.passes}: {name} ...", file=sys.stderr, flush=True)
                # Each collector mode in a fresh worker of its own.
                figures = run_worker(name, "speed", data, args)
                figures |= run_worker(name, "speed", data, args, "--paused")
                results["speed"][name] = merge(results["speed"].get(name), figures)
    print("cold imports ...", file=sys.stderr, flush=True)
    installed = {n for n in names if "skipped" not in results["speed"][n]}
    results["imports"] = bench_imports(import_repeat, installed | {"pydantic"})
    print("generation ...", file=sys.stderr, flush=True)
    results["generation"] = bench_generation(quick)
    results["machine"]["load_average_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    add_ratios(results)

    (out / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    report = markdown(results)
    (out / "latest.md").write_text(report)
    print(report)
    print("For the README:\n")
    print(summary(results))


if __name__ == "__main__":
    main()
