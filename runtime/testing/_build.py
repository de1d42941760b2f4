"""Build kube-apiserver and etcd from Go modules into the test-binary cache.

kube-apiserver cannot be ``go install``-ed: k8s.io/kubernetes requires its staging modules
(k8s.io/api, k8s.io/apiserver, ...) at v0.0.0 and maps them with ``replace ... =>
./staging/...``, which only works inside its own repository. A scratch module that requires
k8s.io/kubernetes and replaces every staging module with its published v0.N.x release builds
it (kubernetes/kubernetes#79384). etcd's server module has ``replace => ../api`` lines, so it
needs the same scratch-module treatment.

Only ever run on request (``python -m kubetyped.testing build``): about 4 min on 2 cores
with empty Go caches (module download included), well under a minute when they are warm.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from ._binaries import DEFAULT_ETCD_VERSION, DEFAULT_K8S_VERSION, cache_dir

# Fewer staging replaces than this means the go.mod format changed under us.
_MIN_STAGING_MODULES = 25
_K8S_VERSION = re.compile(r"^v1\.(?P<minor>\d+)\.\d+(?:-[0-9A-Za-z.-]+)?$")
_ETCD_VERSION = re.compile(r"^v3\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$")
# "A [vA] => B [vB]" inside a replace block or after a single-line "replace".
_REPLACE = re.compile(
    r"^(?P<old>\S+)(?:\s+(?P<oldv>v\S+))?\s*=>\s*(?P<new>\S+)(?:\s+(?P<newv>v\S+))?\s*$"
)


class BuildError(RuntimeError):
    """Raised when Go is missing, a go command fails, or a built binary looks wrong."""


class _Log:
    def __init__(self) -> None:
        self.t0 = time.monotonic()

    def __call__(self, message: str) -> None:
        now = dt.datetime.now().strftime("%H:%M:%S")
        elapsed = time.monotonic() - self.t0
        print(f"[{now} +{elapsed:6.1f}s] {message}", file=sys.stderr, flush=True)


def staging_replaces(gomod: str, staging_version: str) -> list[str]:
    """``go mod edit`` ``-replace`` arguments for k8s.io/kubernetes' go.mod.

    Each ``k8s.io/X => ./staging/...`` becomes ``k8s.io/X=k8s.io/X@<staging_version>``; other
    non-local replaces are copied as they are (none in 1.33-1.36; kept so a later release
    that adds one still builds).
    """
    entries: list[str] = []
    in_block = False
    for raw in gomod.splitlines():
        line = raw.split("//", 1)[0].strip()
        if in_block:
            if line == ")":
                in_block = False
            elif line:
                entries.append(line)
        elif re.match(r"^replace\s*\($", line):
            in_block = True
        elif line.startswith("replace "):
            entries.append(line[len("replace ") :].strip())
    args: set[str] = set()
    for entry in entries:
        m = _REPLACE.match(entry)
        if m is None:
            continue
        old, oldv, new, newv = m["old"], m["oldv"], m["new"], m["newv"]
        if new.startswith("./staging/"):
            args.add(f"-replace={old}={old}@{staging_version}")
        elif not new.startswith((".", "/")) and newv:
            args.add(f"-replace={old}{'@' + oldv if oldv else ''}={new}@{newv}")
    return sorted(args)


@contextlib.contextmanager
def _heartbeat(log: _Log, what: str, every: float = 60.0) -> Iterator[None]:
    # go build can print nothing for minutes; say we are alive (CI kills silent jobs).
    done = threading.Event()
    start = time.monotonic()

    def beat() -> None:
        while not done.wait(every):
            log(f"... still building {what} ({(time.monotonic() - start) / 60:.0f} min)")

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


class _Go:
    """Runs go commands for one build: environment, scratch space, logging."""

    def __init__(self, log: _Log, scratch: Path, jobs: int | None, verbose: bool) -> None:
        self.log = log
        self.scratch = scratch
        self.jobs = jobs
        self.verbose = verbose
        gotmp = scratch / "gotmp"
        gotmp.mkdir()
        self.env = dict(os.environ)
        self.env.update(
            GOTOOLCHAIN="local",  # never download another toolchain
            GOFLAGS="-mod=mod",
            GOWORK="off",
            CGO_ENABLED="0",  # static, as upstream builds kube-apiserver
            # go build's work dir goes here, inside our scratch dir: go leaves it behind
            # when it is killed, and we remove the scratch dir however we end.
            GOTMPDIR=str(gotmp),
        )

    def run(
        self, args: Sequence[str], cwd: Path, *, capture: bool = False, check: bool = True
    ) -> str:
        """Run a command, output streaming to ours; return stdout if ``capture``."""
        shown = " ".join(a if len(a) < 160 else a[:157] + "..." for a in args)
        self.log(f"$ {shown}")
        proc = subprocess.Popen(
            list(args),
            cwd=cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if capture else None,
            text=True,
            # Its own group, so an interrupt reaches go's compilers and linker too (as a
            # terminal's Ctrl-C would); otherwise they outlive us.
            start_new_session=True,
        )
        try:
            stdout, _ = proc.communicate()
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(15)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
        if check and proc.returncode != 0:
            raise BuildError(f"{args[0]} {args[1]} failed with exit code {proc.returncode}")
        return stdout if capture else ""

    def module(self, name: str) -> Path:
        """A fresh scratch module directory."""
        work = self.scratch / name
        work.mkdir()
        self.run(["go", "mod", "init", f"kubebuild.local/{name}"], work)
        return work

    def build(
        self, work: Path, package: str, out: Path, ldflags: str, tags: str | None, expect: str
    ) -> None:
        """``go build`` to a temporary name beside ``out``, check ``--version``, rename."""
        partial = out.with_name(f".{out.name}.partial-{os.getpid()}")
        args = ["go", "build"]
        if self.verbose:
            args.append("-v")
        if self.jobs:
            args += ["-p", str(self.jobs)]
        if tags:
            args += ["-tags", tags]
        args += ["-trimpath", "-ldflags", ldflags, "-o", str(partial), package]
        try:
            t0 = time.monotonic()
            with _heartbeat(self.log, out.name):
                self.run(args, work)
            self.log(f"built {out.name} in {time.monotonic() - t0:.0f}s")
            version = subprocess.run(
                [str(partial), "--version"], check=False, capture_output=True, text=True, timeout=60
            )
            text = (version.stdout + version.stderr).strip()
            self.log(f"{out.name} --version: {text.splitlines()[0] if text else '(nothing)'}")
            if expect not in text:
                raise BuildError(f"{out.name} --version says {text!r}, expected {expect!r}")
            os.replace(partial, out)  # atomic: never a half-written binary under the real name
        finally:
            partial.unlink(missing_ok=True)


def _build_kube_apiserver(go: _Go, version: str, out: Path) -> None:
    m = _K8S_VERSION.match(version)
    if m is None:
        raise BuildError(f"kube-apiserver version must look like v1.36.3, not {version!r}")
    staging_version = "v0." + version[len("v1.") :]
    go.log(f">>> kube-apiserver {version} (staging modules at {staging_version})")
    work = go.module("kube-apiserver")
    info = json.loads(
        go.run(
            ["go", "mod", "download", "-json", f"k8s.io/kubernetes@{version}"],
            work,
            capture=True,
            check=False,  # on failure the JSON carries the reason in "Error"
        )
        or "{}"
    )
    if info.get("Error") or not info.get("GoMod"):
        raise BuildError(f"could not download k8s.io/kubernetes@{version}: {info.get('Error')}")
    replaces = staging_replaces(Path(info["GoMod"]).read_text(), staging_version)
    staging = [r for r in replaces if r.endswith(f"@{staging_version}")]
    if len(staging) < _MIN_STAGING_MODULES:
        raise BuildError(
            f"only {len(staging)} staging modules found in {info['GoMod']}; "
            "has the go.mod format changed?"
        )
    go.log(f"replacing {len(staging)} staging modules (+{len(replaces) - len(staging)} other)")
    go.run(["go", "mod", "edit", *replaces], work)
    go.run(["go", "get", f"k8s.io/kubernetes/cmd/kube-apiserver@{version}"], work)

    # Stamp the version as hack/lib/version.sh does; module zips get no git-archive
    # substitution, so /version would otherwise say v0.0.0-master+$Format:%H$.
    build_date = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    ldflags = ["-s", "-w"]
    for pkg in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        for key, value in (
            ("gitVersion", version),
            ("gitMajor", "1"),
            ("gitMinor", m["minor"]),
            ("gitTreeState", "clean"),
            ("buildDate", build_date),
        ):
            ldflags += ["-X", f"{pkg}.{key}={value}"]
    go.build(
        work,
        "k8s.io/kubernetes/cmd/kube-apiserver",
        out,
        " ".join(ldflags),
        tags="selinux,notest,grpcnotrace",  # as upstream hack/lib/golang.sh
        expect=f"Kubernetes {version}",
    )


def _build_etcd(go: _Go, version: str, out: Path) -> None:
    if _ETCD_VERSION.match(version) is None:
        raise BuildError(f"etcd version must look like v3.6.16, not {version!r}")
    go.log(f">>> etcd {version}")
    work = go.module("etcd")
    go.run(["go", "get", f"go.etcd.io/etcd/server/v3@{version}"], work)
    go.build(
        work,
        "go.etcd.io/etcd/server/v3",
        out,
        f"-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=module-{version}",
        tags=None,
        expect=f"etcd Version: {version.removeprefix('v')}",
    )


@contextlib.contextmanager
def _locked(out_dir: Path, log: _Log) -> Iterator[None]:
    # Two builds into one directory would waste half an hour and race on the rename.
    with (out_dir / ".build.lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log(f"another build holds {out_dir / '.build.lock'}; waiting for it")
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def build(
    k8s_version: str = DEFAULT_K8S_VERSION,
    etcd_version: str = DEFAULT_ETCD_VERSION,
    *,
    out_dir: Path | None = None,
    kube_apiserver: bool = True,
    etcd: bool = True,
    kubelet: bool = True,
    jobs: int | None = None,
    verbose: bool = False,
    force: bool = False,
) -> Path:
    """Build the missing binaries into ``out_dir`` (the cache by default); return the dir.

    Idempotent: returns at once when the binaries exist (unless ``force``).
    """
    log = _Log()
    out = out_dir if out_dir is not None else cache_dir(k8s_version)
    from ._kubelet import build_kubelet, kubelet_name

    targets = {
        "kube-apiserver": kube_apiserver,
        "etcd": etcd,
        kubelet_name(): kubelet,  # the test kubelet of kubetyped.testing._kubelet
    }

    def missing() -> list[str]:
        return [
            name
            for name, wanted in targets.items()
            if wanted and (force or not os.access(out / name, os.X_OK))
        ]

    if not missing():
        log(f"up to date: {out}")
        return out
    if shutil.which("go") is None:
        raise BuildError("go not found on PATH; install Go >= 1.26 to build the test binaries")
    out.mkdir(parents=True, exist_ok=True)
    with _locked(out, log):
        todo = missing()  # another build may have finished while we waited
        if not todo:
            log(f"up to date: {out}")
            return out
        # Holding the lock, any partial binary is a leftover of a killed build.
        for stale in out.glob(".*.partial-*"):
            stale.unlink(missing_ok=True)
        log(f"building {', '.join(todo)} into {out}")
        with tempfile.TemporaryDirectory(prefix="kubetyped-build-") as tmp:
            go = _Go(log, Path(tmp), jobs, verbose)
            go.run(["go", "version"], Path(tmp))
            if "kube-apiserver" in todo:
                _build_kube_apiserver(go, k8s_version, out / "kube-apiserver")
            if "etcd" in todo:
                _build_etcd(go, etcd_version, out / "etcd")
            if kubelet_name() in todo:
                build_kubelet(go, out / kubelet_name())
    log(f"done: {out}")
    return out
