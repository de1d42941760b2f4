"""A watchdog process that cleans up after us even when we die without a chance to.

``atexit`` and context managers cover normal exits, exceptions and Ctrl-C, but not SIGKILL,
an uncaught SIGTERM, or a crashed interpreter. For those, one small helper process per
Python process (:mod:`kubetyped.testing._watchdog`) reads commands from a pipe: which process groups and directories we own.
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

# The watchdog is a script of its own (``_watchdog.py``), run by path under ``python -I -S``:
# isolated, without site-packages, so it imports nothing but the standard library.
_WATCHDOG = Path(__file__).with_name("_watchdog.py")

_lock = threading.Lock()
_proc: subprocess.Popen[bytes] | None = None


def _send(line: str) -> None:
    global _proc
    with _lock:
        if _proc is None or _proc.poll() is not None:
            _proc = subprocess.Popen(
                [sys.executable, "-I", "-S", str(_WATCHDOG)],
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
