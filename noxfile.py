"""Sessions: ``nox -s tests`` is the test command; the others build, check and measure."""

from __future__ import annotations

import nox

VERSIONS = ["3.10", "3.11", "3.13"]

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
def stress(session: nox.Session) -> None:
    """One Client shared by 50 threads for 10,000 requests against the real server."""
    session.install(".")
    session.run("python", "tests/e2e/stress.py", *session.posargs)


@nox.session
def dmcg(session: nox.Session) -> None:
    """Differential check of field names and types against datamodel-code-generator."""
    session.install(".", "datamodel-code-generator==0.89.0")
    session.run("python", "tests/differential/dmcg_compare.py", *session.posargs)
