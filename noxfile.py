"""Sessions: ``nox -s tests`` is the test command; the others build, check and measure."""

from __future__ import annotations

import os
import shutil
import subprocess

import nox

VERSIONS = ["3.10", "3.11", "3.13"]


def _let_pyenv_find_every_version() -> None:
    """pyenv's shims only run the active version: activate the installed ones the sessions
    name too (the current one first, so `python3` stays what it was)."""
    if "PYENV_VERSION" in os.environ or not shutil.which("pyenv"):
        return
    current = subprocess.run(
        ["pyenv", "version-name"], capture_output=True, text=True, check=False
    ).stdout.strip()
    installed = subprocess.run(
        ["pyenv", "versions", "--bare"], capture_output=True, text=True, check=False
    ).stdout.split()
    wanted = [v for v in installed if v != current and v.rpartition(".")[0] in VERSIONS]
    os.environ["PYENV_VERSION"] = ":".join([current, *wanted])


_let_pyenv_find_every_version()

nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True

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
    """Build (or find in the cache) kube-apiserver and etcd for the end-to-end tests."""
    session.install(".")
    session.run("python", "-m", "kubetyped.testing", "build", *session.posargs)


@nox.session
def generate(session: nox.Session) -> None:
    """Regenerate ``generated/`` from the embedded default spec."""
    session.install(".")
    session.run("kubetyped", "generate", "--out", "generated", "--package", PACKAGE)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff on everything (mypy --strict runs in the test suite, tests/typecheck)."""
    session.install("ruff")
    session.run("ruff", "check", "runtime", "codegen", "tests")
    session.run("ruff", "format", "--check", "runtime", "codegen", "generated", "tests")


@nox.session
def bench(session: nox.Session) -> None:
    """Speed side by side with the official client and lightkube, in one run."""
    session.install(".[bench]")
    session.run(
        "python", "tests/bench/bench.py", *session.posargs, env={"PYTHONDONTWRITEBYTECODE": ""}
    )


@nox.session
def dmcg(session: nox.Session) -> None:
    """Differential check of field names and types against datamodel-code-generator."""
    session.install(".", "datamodel-code-generator==0.89.0")
    session.run("python", "tests/differential/dmcg_compare.py", *session.posargs)


if os.environ.get("CI"):
    nox.options.error_on_missing_interpreters = True  # CI must test every version it names
