"""The load benchmark keeps working: a quick run of kubetyped (HTTP/2 and HTTP/1.1) against the
session's server, checked for shape only (no timing is asserted; the peers are left out)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

LOAD = Path(__file__).resolve().parent / "load.py"

pytestmark = pytest.mark.e2e


def test_quick_load_run_measures_every_phase(kubetyped_kubeconfig: Path, tmp_path: Path) -> None:
    out = tmp_path / "load.json"
    argv = [sys.executable, str(LOAD), "--quick", "--only", "kubetyped,kubetyped-http1"]
    argv += ["--kubeconfig", str(kubetyped_kubeconfig), "--json", str(out)]
    done = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]

    figures = json.loads(out.read_text())
    assert figures["quick"] is True
    assert set(figures["results"]) == {"kubetyped", "kubetyped-http1"}
    for name, result in figures["results"].items():
        assert len(result["passes"]) == 1, name
        for phase, calls in (("get", 200), ("create", 50)):
            entry = result[phase]
            assert entry["calls"] == calls and entry["failures"] == 0, (name, entry)
            assert entry["per_second"] > 0 and 0 < entry["p50_ms"] <= entry["p99_ms"]
        assert result["connections"] >= 1
    # Over HTTP/2 ten calls in flight share one connection; over HTTP/1.1 each has its own.
    assert figures["results"]["kubetyped"]["connections"] == 1
    assert figures["results"]["kubetyped-http1"]["connections"] > 1
    assert "| kubetyped | " in done.stdout and "| kubetyped-http1 | " in done.stdout
    assert done.stdout.startswith("# Load: 200 GETs and 50 creates, 10 in flight")
