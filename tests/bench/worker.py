"""One contender measured in this (fresh) interpreter; bench.py starts one per library and task.

    python tests/bench/worker.py CONTENDER TASK DATA_DIR [--reps N] [--seconds S]

Each library decodes the way its own client does, imported alone, so no library pays for
another's heap (the garbage collector walks the whole heap). Prints one JSON object; a library
that is not installed prints ``{"skipped": reason}``.

Tasks:

* ``speed``: PodList, PodList then every item read (``read``: kubetyped validates a list's
  items when they are first read), one Pod, watch events; with the collector on, or with it
  paused (``--paused``: ``gc.disable()`` around the timed call, the same for every contender).
  Each collector mode is its own worker, so neither mode's rounds run in a heap the other's
  have churned.
* ``memory``: the high-water mark of the process while a PodList is decoded (RSS, so allocations
  outside Python's allocator count too), then the memory the decoded list still holds per pod
  (tracemalloc, after ``gc.collect()``), the same once every item was read, tracemalloc's
  peak during the decode, and the memory as many pods hold when a watch delivered them.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

# How each library's client turns a response body (bytes) into objects. ``one`` decodes a
# get, ``many`` a list (returning something that holds the items), ``watch`` returns the
# per-line decoder its watch loop uses. Snippets, so that this interpreter imports only one.
DICT_KEEP = "def keep(event):\n    return event['object']['metadata']['name'], event['object']\n"
# What a controller reads of each pod it watches, in each library's spelling: the attribute
# names (snake_case in kubetyped and the official client, camelCase in lightkube) or the wire's.
CONTROLLER_READS = """
def reads(pod):
    meta, status = pod.metadata, pod.status
    return (meta.name, meta.namespace, meta.resource_version, meta.labels, pod.spec.node_name,
            status.phase, [(c.ready, c.restart_count) for c in status.container_statuses or ()])
"""
# Every field of a pod read once, through the library's own objects: ``fields_of`` gives the
# attribute names of a class (None for a plain value), the walk does the rest.
WALK = """
def walk(value, _names={}):
    kind = type(value)
    if kind is dict:
        for item in value.values():
            walk(item)
    elif kind is list:
        for item in value:
            walk(item)
    else:
        names = _names.get(kind, ())
        if names == ():
            names = _names[kind] = fields_of(kind)
        if names:
            for name in names:
                walk(getattr(value, name))
"""
DICT_READS = (
    """
def reads(pod):
    meta, status = pod["metadata"], pod["status"]
    return (meta["name"], meta.get("namespace"), meta["resourceVersion"], meta.get("labels"),
            pod["spec"].get("nodeName"), status.get("phase"),
            [(c["ready"], c["restartCount"]) for c in status.get("containerStatuses") or ()])

def fields_of(kind):
    return None
"""
    + WALK
)
CONTENDERS: dict[str, str] = {
    # Client.send -> Client._decode -> request.decode(response type, response.content); the
    # list call's response type is PodList. Watches: resource._watch -> WatchDecoder.decode.
    "kubetyped": """
from kubetyped.k8s.core.v1 import Pod, PodList
from kubetyped.model import K8sModel
from kubetyped.request import decode
from kubetyped.watch import WatchDecoder

def one(body):
    return decode(Pod, body)

def many(body):
    return decode(PodList, body)

def read(result):  # items are validated when first read
    return [pod.metadata for pod in result.items]

def watch():
    return WatchDecoder(Pod, method="GET", url="https://k8s/api/v1/pods?watch=true").decode

def keep(event):  # what a cache keeps of an event: the object, by name
    return event.object.metadata.name, event.object

def fields_of(kind):  # and the fields the wire had that the model does not know
    return (*kind.model_fields, "model_extra") if issubclass(kind, K8sModel) else None
"""
    + CONTROLLER_READS
    + WALK,
    # CoreV1Api.list_namespaced_pod -> ApiClient._call_with_legacy_options: RESTResponse.read()
    # then response_deserialize(..., {"200": "V1PodList"}).data. Watch().stream reads str lines
    # (iter_resp_lines decodes UTF-8) and calls unmarshal_event(line, "V1Pod").
    "kubernetes": """
from types import SimpleNamespace
import kubernetes.client
from kubernetes.client.rest import RESTResponse
from kubernetes.watch import Watch

api = kubernetes.client.ApiClient()
HEADERS = {"content-type": "application/json"}

def _call(body, kind):
    raw = RESTResponse(SimpleNamespace(status=200, reason="OK", data=body, headers=HEADERS))
    raw.read()
    return api.response_deserialize(response_data=raw, response_types_map={"200": kind}).data

def one(body):
    return _call(body, "V1Pod")

def many(body):
    return _call(body, "V1PodList")

def read(result):
    return [pod.metadata for pod in result.items]

def watch():
    w = Watch()
    return lambda line: w.unmarshal_event(line.decode("utf-8", errors="replace"), "V1Pod")

def keep(event):
    return event["object"].metadata.name, event["object"]

def fields_of(kind):
    return tuple(kind.openapi_types) if hasattr(kind, "openapi_types") else None
"""
    + CONTROLLER_READS
    + WALK,
    # GenericClient.handle_response: decoders.decode_list(resp.content, Pod) for a list,
    # decode_object for a get; watches: WatchDriver.process_one_line(line).
    "lightkube": """
from types import SimpleNamespace
from lightkube.core import decoders
from lightkube.core.generic_client import WatchDriver
from lightkube.resources.core_v1 import Pod

def one(body):
    return decoders.decode_object(body, Pod)

def many(body):
    return decoders.decode_list(body, Pod)

def read(result):  # (continue token, resourceVersion, items)
    return [pod.metadata for pod in result[2]]

def watch():
    request = SimpleNamespace(params={}, response_type=Pod, method="GET", url="/api/v1/pods")
    return WatchDriver(request, None).process_one_line

def keep(event):  # (type, object)
    return event[1].metadata.name, event[1]

def fields_of(kind):
    return getattr(kind, "__struct_fields__", None)

def reads(pod):
    meta, status = pod.metadata, pod.status
    return (meta.name, meta.namespace, meta.resourceVersion, meta.labels, pod.spec.nodeName,
            status.phase, [(c.ready, c.restartCount) for c in status.containerStatuses or ()])
"""
    + WALK,
    # The floor: parse the JSON into plain dicts, nothing else.
    "orjson": "import orjson\none = many = orjson.loads\ndef watch():\n    return orjson.loads\n"
    + "def read(result):\n    return [pod['metadata'] for pod in result['items']]\n"
    + DICT_KEEP
    + DICT_READS,
    "json": "import json\none = many = json.loads\ndef watch():\n    return json.loads\n"
    + "def read(result):\n    return [pod['metadata'] for pod in result['items']]\n"
    + DICT_KEEP
    + DICT_READS,
}

# kubetyped's decode pauses the collector itself for bodies over 256 KiB (as shipped). With the
# collector on, the kubetyped worker also times the same validation without that pause.
KUBETYPED_NO_SELF_PAUSE = "PodList.model_validate_json"


def load(name: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(CONTENDERS[name], namespace)  # noqa: S102 - our own fixed snippets
    return namespace


def timed(fn: Callable[[], object], paused: bool) -> tuple[float, float]:
    """Wall and CPU seconds for one call; the result is dropped after the clocks stop."""
    gc.collect()
    if paused:
        gc.disable()
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    gc.enable()
    del result
    return elapsed, cpu


def summary(samples: list[tuple[float, float]], per: int = 1) -> dict[str, float]:
    """Best and median wall time, and the best CPU time (on a shared machine, waiting for a
    CPU shows in wall time only)."""
    walls, cpus = [w for w, _ in samples], [c for _, c in samples]
    return {
        "best": min(walls) / per,
        "median": statistics.median(walls) / per,
        "cpu_best": min(cpus) / per,
    }


def speed(
    ns: dict[str, Any], data: Path, reps: int, seconds: float, paused: bool
) -> dict[str, Any]:
    one, many, read = ns["one"], ns["many"], ns["read"]
    pod, body = (data / "pod.json").read_bytes(), (data / "podlist.json").read_bytes()
    lines = (data / "watch.jsonl").read_bytes().splitlines()
    decode_event = ns["watch"]()
    # Warm up (builds deferred validators) and check that the decode works at all.
    assert one(pod) is not None and len(read(many(body))) > 0
    assert decode_event(lines[0]) is not None
    assert ns["reads"](ns["keep"](decode_event(lines[0]))[1])[0]

    # Single decodes are timed in batches of about seconds/reps each.
    start, n = time.perf_counter(), 0
    while time.perf_counter() - start < 0.05:
        one(pod)
        n += 1
    batch = max(1, int(n * (seconds / reps) / 0.05))

    def one_batch() -> None:
        for _ in range(batch):
            one(pod)

    def all_events() -> None:
        for line in lines:
            decode_event(line)

    keep = ns["keep"]

    def cached_events() -> dict[str, Any]:  # returned: freed after the clocks stop
        cache: dict[str, Any] = {}
        for line in lines:
            name, obj = keep(decode_event(line))
            cache[name] = obj
        return cache

    reads, walk = ns["reads"], ns["walk"]

    def events_read() -> None:  # what a controller reads of each object
        for line in lines:
            reads(keep(decode_event(line))[1])

    # Every field of every object: the first 2,000 events (the walk is slow for everyone).
    walked = lines[:2000]

    def events_walked() -> None:
        for line in walked:
            walk(keep(decode_event(line))[1])

    # A long stream (20,000 events by default) is its own average: two rounds of it suffice.
    watch_reps = reps if len(lines) < 5000 else min(reps, 2)
    mode = "gc_paused" if paused else "gc_on"
    out: dict[str, Any] = {"single_batch": batch}
    out[mode] = {
        "podlist_s": summary([timed(lambda: many(body), paused) for _ in range(reps)]),
        "podlist_read_s": summary([timed(lambda: read(many(body)), paused) for _ in range(reps)]),
        "pod_s": summary([timed(one_batch, paused) for _ in range(reps)], batch),
        "watch_event_s": summary(
            [timed(all_events, paused) for _ in range(watch_reps)], len(lines)
        ),
        "watch_cached_s": summary(
            [timed(cached_events, paused) for _ in range(watch_reps)], len(lines)
        ),
        "watch_read_s": summary(
            [timed(events_read, paused) for _ in range(watch_reps)], len(lines)
        ),
        "watch_walk_s": summary(
            [timed(events_walked, paused) for _ in range(watch_reps)], len(walked)
        ),
    }
    if "PodList" in ns and not paused:  # kubetyped: the same validation, without its own pause
        no_pause = ns["PodList"].model_validate_json
        out[mode]["podlist_no_self_pause_s"] = summary(
            [timed(lambda: no_pause(body), False) for _ in range(reps)]
        )
    return out


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize()
    except OSError:  # not Linux: the high-water mark is the best baseline there is
        return _max_rss_bytes()


def _reset_peak() -> None:
    """Start the high-water mark afresh. Linux keeps it across exec, so without this the
    parent's size (bench.py holds the generated data) would count as this worker's peak."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def _max_rss_bytes() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024


def memory(ns: dict[str, Any], data: Path, pods: int) -> dict[str, Any]:
    one, many = ns["one"], ns["many"]
    pod, body = (data / "pod.json").read_bytes(), (data / "podlist.json").read_bytes()
    assert one(pod) is not None  # warm-up: validators, caches
    gc.collect()
    # 1. High-water mark of the process during one list decode (first large allocation of
    #    this process, so the mark is this decode's); the collector is on, as in an app.
    _reset_peak()
    before = _rss_bytes()
    result = many(body)
    peak_rss = _max_rss_bytes() - before
    del result
    gc.collect()
    # 2. What the decoded list holds, and tracemalloc's peak while decoding it.
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    result = many(body)
    _, traced_peak = tracemalloc.get_traced_memory()
    gc.collect()
    held, _ = tracemalloc.get_traced_memory()
    # 3. The same list once every item was read (what kubetyped holds after validating all).
    assert len(ns["read"](result)) == pods
    gc.collect()
    held_read, _ = tracemalloc.get_traced_memory()
    # 4. The same number of pods as a watch delivers them, as a cache keeps them (the object
    #    of each event): a library may parse watch lines differently from list answers.
    del result
    with (data / "watch.jsonl").open("rb") as f:
        lines = list(itertools.islice(f, pods))
    decode_event, keep = ns["watch"](), ns["keep"]
    assert keep(decode_event(lines[0]))[1] is not None
    gc.collect()
    watch_base, _ = tracemalloc.get_traced_memory()
    watched = [keep(decode_event(line))[1] for line in lines]
    gc.collect()
    held_watched, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(watched) == pods
    return {
        "peak_rss_bytes": peak_rss,
        "peak_traced_bytes": traced_peak - base,
        "held_bytes": held - base,
        "held_per_pod_bytes": (held - base) / pods,
        "held_read_per_pod_bytes": (held_read - base) / pods,
        "held_watched_per_pod_bytes": (held_watched - watch_base) / len(lines),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("contender", choices=CONTENDERS)
    parser.add_argument("task", choices=("speed", "memory"))
    parser.add_argument("data", type=Path)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--pods", type=int, required=True)
    parser.add_argument("--paused", action="store_true", help="speed: the collector paused")
    args = parser.parse_args()
    try:
        ns = load(args.contender)
    except ImportError as exc:
        print(json.dumps({"skipped": f"not installed ({exc})"}))
        return
    if args.task == "speed":
        figures = speed(ns, args.data, args.reps, args.seconds, args.paused)
    else:
        figures = memory(ns, args.data, args.pods)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
