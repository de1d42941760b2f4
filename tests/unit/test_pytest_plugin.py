"""kubetyped's pytest plugin is opt-in, and its fixtures cannot clash with a project's own.

Each test lays out a small user project in a temporary folder and runs pytest on it in a
fresh interpreter, where kubetyped is installed as it is for these tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

USER_CONFTEST = """
import pytest


@pytest.fixture
def apiserver():
    return "the project's own apiserver"


@pytest.fixture
def kubeconfig(tmp_path):
    return tmp_path / "the-projects-kubeconfig"
"""

USER_TEST = """
def test_own_fixtures(apiserver, kubeconfig):
    assert apiserver == "the project's own apiserver"
    assert kubeconfig.name == "the-projects-kubeconfig"
"""


def pytest_in(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run pytest on ``project`` with no binaries to be found (an empty cache)."""
    environ = {
        key: value
        for key, value in os.environ.items()
        if key not in {"KUBEBUILDER_ASSETS", "KUBETYPED_REQUIRE_APISERVER", "PYTEST_ADDOPTS"}
    }
    environ["XDG_CACHE_HOME"] = str(project / "empty-cache")
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-rsE", "-p", "no:cacheprovider", *args, str(project)],
        cwd=project,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def write(project: Path, files: dict[str, str]) -> Path:
    project.mkdir()
    for name, text in files.items():
        (project / name).write_text(textwrap.dedent(text))
    return project


def test_a_project_with_its_own_apiserver_fixture_runs_unchanged(tmp_path: Path) -> None:
    project = write(tmp_path / "user", {"conftest.py": USER_CONFTEST, "test_user.py": USER_TEST})
    result = pytest_in(project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    # Installing kubetyped added no fixtures to the project's runs.
    fixtures = pytest_in(project, "--fixtures")
    assert fixtures.returncode == 0, fixtures.stdout + fixtures.stderr
    assert "kubetyped_apiserver" not in fixtures.stdout
    assert "the project's own" not in fixtures.stderr


@pytest.mark.parametrize(
    ("how", "args", "conftest"),
    [
        ("-p kubetyped.testing", ["-p", "kubetyped.testing"], ""),
        ("-p kubetyped.testing.plugin", ["-p", "kubetyped.testing.plugin"], ""),
        ("pytest_plugins", [], 'pytest_plugins = ["kubetyped.testing.plugin"]\n'),
    ],
    ids=lambda value: value if isinstance(value, str) and " " not in value else None,
)
def test_opting_in_offers_prefixed_fixtures_beside_the_projects_own(
    tmp_path: Path, how: str, args: list[str], conftest: str
) -> None:
    project = write(
        tmp_path / "user",
        {
            "conftest.py": conftest + USER_CONFTEST,
            "test_user.py": USER_TEST,
            "test_cluster.py": "def test_cluster(kubetyped_kubeconfig):\n    pass\n",
        },
    )
    result = pytest_in(project, *args)
    # The project's fixtures still win under their names; the server test skips for want of
    # binaries, saying where it looked and how to build them.
    assert "1 passed, 1 skipped" in result.stdout, (how, result.stdout + result.stderr)
    assert str(project / "empty-cache" / "kubetyped" / "envtest") in result.stdout
    assert "python -m kubetyped.testing build" in result.stdout

    required = pytest_in(project, *args, KUBETYPED_REQUIRE_APISERVER="1")
    assert required.returncode != 0
    assert "1 passed, 1 error" in required.stdout, required.stdout
    assert "KUBETYPED_REQUIRE_APISERVER=1" in required.stdout


def test_the_plugin_costs_nothing_until_a_fixture_is_used() -> None:
    code = (
        "import sys, kubetyped.testing.plugin; "
        "print(sorted(m for m in ('httpx', 'yaml', 'asyncio', 'ssl', 'pydantic') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_the_watchdog_is_a_module_that_runs_isolated(tmp_path: Path) -> None:
    """``_watchdog.py`` runs as ``python -I -S <file>`` (no site-packages): given a directory
    to watch and then end-of-file, it removes it."""
    from kubetyped.testing import _reaper, _watchdog

    assert _reaper._WATCHDOG == Path(_watchdog.__file__)
    doomed, kept = tmp_path / "doomed", tmp_path / "kept"
    doomed.mkdir()
    kept.mkdir()
    commands = f"dir {doomed}\ndir {kept}\n-dir {kept}\n"
    subprocess.run(
        [sys.executable, "-I", "-S", str(_reaper._WATCHDOG)],
        input=commands,
        text=True,
        timeout=30,
        check=True,
    )
    assert not doomed.exists() and kept.exists()
    assert _watchdog.read_commands(["pg 12\n", "pg 13\n", "-pg 12\n", "dir /x\n"]) == (
        [13],
        ["/x"],
    )
