"""The benchmark keeps working: a quick run of kubetyped and the floor, checked for shape only.

No timing is asserted (these machines are noisy); the peers are left out, so the test needs
neither the official client nor lightkube.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent / "bench.py"
# The figures every decode table reports, as the benchmark itself lists them.
_spec = importlib.util.spec_from_file_location("bench", BENCH)
assert _spec is not None and _spec.loader is not None
_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_bench)
SPEED_KEYS: tuple[str, ...] = _bench.SPEED_KEYS


def test_quick_bench_writes_json_and_markdown(tmp_path: Path) -> None:
    argv = [sys.executable, str(BENCH), "--quick", "--out", str(tmp_path), "--only", "kubetyped"]
    argv += ["--pods", "20", "--events", "20", "--passes", "2"]  # two passes: merged
    done = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr

    results = json.loads((tmp_path / "latest.json").read_text())
    floor = results["floor"]
    assert floor in ("orjson", "json")
    assert results["quick"] is True
    assert results["data"]["pods"] == 20 and results["data"]["podlist_bytes"] > 20 * 10_000
    for peer in ("kubernetes", "lightkube"):  # not measured, and the results say so
        assert "skipped" in results["speed"][peer] and "skipped" in results["memory"][peer]
    for name in ("kubetyped", floor):
        for mode in ("gc_on", "gc_paused"):
            for key in SPEED_KEYS:
                entry = results["speed"][name][mode][key]
                assert entry["best"] > 0 and entry["x_floor"] > 0 and entry["x_kubetyped"] > 0
        memory = results["memory"][name]
        assert memory["held_per_pod_bytes"] > 0 and memory["held_per_pod_x_floor"] > 0
        assert memory["held_read_per_pod_bytes"] >= memory["held_per_pod_bytes"] * 0.9
        # A pod from a watch is a whole pod too (the events are the same pods, changed).
        assert memory["held_watched_per_pod_bytes"] > memory["held_per_pod_bytes"] * 0.5
    assert results["speed"][floor]["gc_paused"]["podlist_s"]["x_floor"] == 1.0
    assert len(results["speed"]["kubetyped"]["gc_on"]["pod_s"]["medians"]) == 2
    assert results["speed"]["kubetyped"]["gc_on"]["pod_s"]["x_kubetyped"] == 1.0
    imports = results["imports"]
    for key in ("pydantic", "kubetyped_model", "kubetyped_client"):
        assert imports[key]["median_s"] > 0 and imports[key]["x_pydantic"] > 0
    assert "core" in imports["kubetyped_model"]["kubetyped_groups"]
    assert "skipped" in imports["kubernetes_model"]
    assert results["generation"]["files"] > 50 and results["generation"]["in_process_s"] > 0

    report = (tmp_path / "latest.md").read_text()
    assert report.startswith("# Benchmark: ")
    headings = (
        "## PodList decode",
        "every item read",
        "## One Pod",
        "kept in a cache",
        "what a controller reads",
        "every field of its pod read",
        "## Memory",
    )
    for heading in headings:
        assert heading in report
    assert "## Cold import" in report and "## Generation" in report
    assert "Not measured: kubernetes (not requested); lightkube (not requested)" in report
    assert "| kubetyped |" in report and "shared" in report
