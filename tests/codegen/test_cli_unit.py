"""codegen/cli.py: what a newcomer sees first (help, version, errors)."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version

import pytest
from kubetyped._base_errors import ConfigError
from kubetyped.codegen import cli
from kubetyped.codegen.errors import SpecError


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kubetyped.codegen", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **env},
    )


def test_help_is_plain_text_with_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "``" not in out
    assert "kubetyped generate --out k8s" in out and "--version" in out


@pytest.mark.parametrize("command", ["generate", "validate"])
def test_command_help_has_a_description(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main([command, "--help"])
    out = capsys.readouterr().out
    description = out.split("\n\n")[1]
    assert len(description) > 40 and "``" not in out, out


def test_generate_help_explains_the_output_folder(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["generate", "--help"])
    out = capsys.readouterr().out
    assert "replaced whole" in out and "--from-cluster" in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"kubetyped {version('kubetyped')}"


@pytest.mark.parametrize(
    "error",
    [
        ConfigError("/x/config: no context named 'prod'"),
        SpecError("spec.json", "/definitions/X", "expected an object"),
    ],
)
def test_errors_are_one_line_without_a_class_path(
    error: Exception, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail(args: object) -> int:
        raise error

    monkeypatch.setattr(cli, "_generate", fail)
    assert cli.main(["generate", "--out", "x"]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {error}\n"


def test_a_missing_kubeconfig_reads_as_an_error_message(tmp_path: object) -> None:
    result = _run("generate", "--out", "k8s", "--from-cluster", KUBECONFIG="/nonexistent/cfg")
    assert result.returncode == 2
    assert result.stderr.startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr and "_base_errors" not in result.stderr
    assert "/nonexistent/cfg" in result.stderr
