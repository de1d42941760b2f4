"""A watchdog process that cleans up after us even when we die without a chance to.

``atexit`` and context managers cover normal exits, exceptions and Ctrl-C, but not SIGKILL,
an uncaught SIGTERM, or a crashed interpreter. For those, one small helper process per
Python process reads commands from a pipe: which process groups and directories we own.
When the pipe reaches end-of-file (we exited, however that happened) it kills the groups
still registered and removes the directories.

Why not ``prctl(PR_SET_PDEATHSIG)``: it fires when the *thread* that spawned the child
exits, which would kill servers started from a worker thread (the ``async with`` path), and
it needs ``preexec_fn``, which is unsafe in a threaded process.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

# Runs under ``python -I -S``: stdlib only, tiny, no imports of ours.
_WATCHDOG = r"""
import os, shutil, signal, sys, time
# Own session and SIGINT ignored: a Ctrl-C in the terminal is for our owner, who cleans up
# itself; we act only when it is gone.
signal.signal(signal.SIGINT, signal.SIG_IGN)
groups, dirs = [], []
for line in sys.stdin:
    verb, _, arg = line.rstrip("\n").partition(" ")
    if verb == "pg":
        groups.append(int(arg))
    elif verb == "-pg" and int(arg) in groups:
        groups.remove(int(arg))
    elif verb == "dir":
        dirs.append(arg)
    elif verb == "-dir" and arg in dirs:
        dirs.remove(arg)

def alive(pg):
    try:
        os.killpg(pg, 0)
    except OSError:
        return False
    # Orphans we killed may stay zombies until an init that never reaps them does: they
    # still count for killpg, but not for us. /proc/N/stat: "pid (comm) state ppid pgrp".
    try:
        entries = os.listdir("/proc")
    except OSError:
        return True  # no procfs (not Linux): believe killpg
    for entry in entries:
        if entry.isdigit():
            try:
                with open("/proc/" + entry + "/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[2]) == pg and fields[0] != "Z":
                return True
    return False

# Newest first, one at a time: kube-apiserver must be gone before etcd is asked to stop,
# or both stall in graceful shutdown waiting on each other.
for pg in reversed(groups):
    try:
        os.killpg(pg, signal.SIGTERM)
    except OSError:
        continue
    deadline = time.monotonic() + 5
    while alive(pg) and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        os.killpg(pg, signal.SIGKILL)
    except OSError:
        pass
for d in dirs:
    shutil.rmtree(d, ignore_errors=True)
"""

_lock = threading.Lock()
_proc: subprocess.Popen[bytes] | None = None


def _send(line: str) -> None:
    global _proc
    with _lock:
        if _proc is None or _proc.poll() is not None:
            _proc = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _WATCHDOG],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        assert _proc.stdin is not None
        try:
            _proc.stdin.write(line.encode() + b"\n")
            _proc.stdin.flush()
        except OSError:
            pass  # a safety net only; the normal stop path does not depend on it


def watch_group(pgid: int) -> None:
    """Kill process group ``pgid`` if this Python process dies before :func:`unwatch_group`."""
    _send(f"pg {pgid}")


def unwatch_group(pgid: int) -> None:
    """Forget ``pgid`` (we stopped it ourselves; its number may be reused)."""
    _send(f"-pg {pgid}")


def watch_dir(path: Path) -> None:
    """Remove ``path`` if this Python process dies before :func:`unwatch_dir`."""
    _send(f"dir {path}")


def unwatch_dir(path: Path) -> None:
    """Forget ``path``."""
    _send(f"-dir {path}")


def watchdog_pid() -> int | None:
    """The watchdog's PID, if one runs (for tests)."""
    return None if _proc is None else _proc.pid
