"""The round-trip fixtures are what a v1.36 server sends: checked against its schema."""

import subprocess
import sys
from pathlib import Path

CHECKER = Path(__file__).resolve().parents[1] / "data" / "check_wire.py"


def test_wire_fixtures_conform_to_the_spec() -> None:
    result = subprocess.run(
        [sys.executable, str(CHECKER)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 problem(s)" in result.stdout
