"""Sessions: ``nox -s tests`` is the test command; the others build, check and measure."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import nox

VERSIONS = ["3.10", "3.11", "3.13"]

nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True
# `nox -s tests` runs on every version above or fails naming the one it could not find; it
# never reports success for a run that skipped an interpreter.
nox.options.error_on_missing_interpreters = True


def _pyenv_interpreters() -> None:
    """Put the newest pyenv-installed 3.10, 3.11 and 3.13 on PATH: pyenv's shims answer only
    for the versions it has activated, so nox would not find the others."""
    pyenv = shutil.which("pyenv")
    if pyenv is None:
        return
    root = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False).stdout
    if not root:
        return
    found = []
    for version in VERSIONS:
        builds = sorted(
            (int(build.name.rpartition(".")[2]), build / "bin")
            for build in Path(root.strip(), "versions").glob(f"{version}.*")
            if re.fullmatch(rf"{re.escape(version)}\.\d+", build.name)
            and (build / "bin" / f"python{version}").exists()
        )
        if builds:
            found.append(str(builds[-1][1]))
    os.environ["PATH"] = os.pathsep.join([*found, os.environ.get("PATH", "")])


_pyenv_interpreters()

PACKAGE = "kubetyped.k8s"


@nox.session(python=VERSIONS)
def tests(session: nox.Session) -> None:
    """The whole suite: unit, generator, typing and end-to-end tests against a real server.

    End-to-end tests need kube-apiserver and etcd (``nox -s apiserver`` builds them once);
    with KUBETYPED_REQUIRE_APISERVER=1 a missing server fails the run instead of skipping.
    """
    session.install(".[test]")
    session.run("kubetyped", "generate", "--check", "--out", "generated", "--package", PACKAGE)
    session.run("pytest", "-ra", *session.posargs, env={"PYTHONDONTWRITEBYTECODE": "1"})


@nox.session
def apiserver(session: nox.Session) -> None:
    """Build (or find in the cache) kube-apiserver and etcd for the end-to-end tests.

    ``nox -s apiserver -- --clean-go-cache`` then empties Go's build and module caches
    (``go clean -cache -modcache``, about 3.5 GB after a first build); the binaries stay.
    """
    args = [arg for arg in session.posargs if arg != "--clean-go-cache"]
    session.install(".")
    session.run("python", "-m", "kubetyped.testing", "build", *args)
    if "--clean-go-cache" in session.posargs:
        session.run("go", "clean", "-cache", "-modcache", external=True)


@nox.session
def generate(session: nox.Session) -> None:
    """Regenerate ``generated/`` from the embedded default spec."""
    session.install(".[codegen]")
    session.run("kubetyped", "generate", "--out", "generated", "--package", PACKAGE)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff on everything (mypy --strict runs in the test suite, tests/typecheck)."""
    session.install("ruff>=0.17,<0.18")  # the version that formats generated/
    session.run("ruff", "check", "runtime", "codegen", "tests")
    session.run("ruff", "format", "--check", "runtime", "codegen", "generated", "tests")


@nox.session
def bench(session: nox.Session) -> None:
    """Decode speed, memory, imports and generation beside the official client and lightkube.

    Writes tests/bench/results/latest.json and latest.md (the README's figures);
    ``nox -s bench -- --quick --out /tmp/b`` is a smoke run.
    """
    session.install(".[bench]")
    session.run(
        "python",
        "tests/bench/bench.py",
        *session.posargs,
        env={"PYTHONDONTWRITEBYTECODE": "", "BENCH_COMMAND": "nox -s bench"},
    )


@nox.session
def soak(session: nox.Session) -> None:
    """The full-size proofs too long for every interpreter of the test command (an informer
    holding 2,000 pods through 20,000 updates); CI runs them once."""
    session.install(".[test]")
    session.run("pytest", "-ra", "-m", "soak", "-s", *session.posargs)


@nox.session
def stress(session: nox.Session) -> None:
    """One Client shared by 50 threads for 10,000 requests against the real server."""
    session.install(".")
    session.run("python", "tests/e2e/stress.py", *session.posargs)


@nox.session
def load(session: nox.Session) -> None:
    """5,000 GETs and 1,000 creates, 50 in flight on one async client, against a real server:
    kubetyped (HTTP/2 and HTTP/1.1) beside lightkube's AsyncClient and kubernetes_asyncio.

    Requests per second and p50/p99 latency, side by side in one run; ``nox -s load --
    --quick --only kubetyped`` is a smoke run. Not a test: nothing is asserted of the times.
    """
    session.install(".[bench]", "kubernetes_asyncio==36.*")
    session.run("python", "tests/bench/load.py", *session.posargs)


@nox.session
def dmcg(session: nox.Session) -> None:
    """Differential check of field names and types against datamodel-code-generator."""
    session.install(".", "datamodel-code-generator==0.89.0")
    session.run("python", "tests/differential/dmcg_compare.py", *session.posargs)
