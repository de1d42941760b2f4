"""The watchdog process of :mod:`kubetyped.testing._reaper`, run as a script.

``python -I -S _watchdog.py`` reads commands from stdin, one a line: ``pg N`` / ``-pg N``
(watch / forget process group N) and ``dir PATH`` / ``-dir PATH``. At end-of-file (its owner
exited, however that happened) it kills the groups still watched, newest first, and removes
the directories.

It runs isolated and without site-packages: standard library only, no imports of ours.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import time
from collections.abc import Iterable


def read_commands(lines: Iterable[str]) -> tuple[list[int], list[str]]:
    """The process groups and directories still watched once ``lines`` end."""
    groups: list[int] = []
    dirs: list[str] = []
    for line in lines:
        verb, _, arg = line.rstrip("\n").partition(" ")
        if verb == "pg":
            groups.append(int(arg))
        elif verb == "-pg" and int(arg) in groups:
            groups.remove(int(arg))
        elif verb == "dir":
            dirs.append(arg)
        elif verb == "-dir" and arg in dirs:
            dirs.remove(arg)
    return groups, dirs


def alive(pg: int) -> bool:
    """True while a process of group ``pg`` runs (zombies do not count)."""
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


def clean_up(groups: list[int], dirs: list[str], *, grace: float = 5.0) -> None:
    """Stop ``groups`` newest first, one at a time, then remove ``dirs``.

    kube-apiserver must be gone before etcd is asked to stop, or both stall in graceful
    shutdown waiting on each other.
    """
    for pg in reversed(groups):
        try:
            os.killpg(pg, signal.SIGTERM)
        except OSError:
            continue
        deadline = time.monotonic() + grace
        while alive(pg) and time.monotonic() < deadline:
            time.sleep(0.05)
        try:
            os.killpg(pg, signal.SIGKILL)
        except OSError:
            pass
    for d in dirs:
        shutil.rmtree(d, ignore_errors=True)


def main() -> None:
    # Own session and SIGINT ignored: a Ctrl-C in the terminal is for our owner, who cleans
    # up itself; we act only when it is gone.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    groups, dirs = read_commands(sys.stdin)
    clean_up(groups, dirs)


if __name__ == "__main__":
    main()
