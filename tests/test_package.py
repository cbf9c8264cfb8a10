import subprocess
import sys

import aiagentics


def test_version_is_exposed() -> None:
    assert aiagentics.__version__ == "0.1.0"


def test_aia_command_runs() -> None:
    out = subprocess.run(
        [sys.executable, "-c", "from aiagentics.cli.main import main; main()", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "aia, version 0.1.0" in out.stdout
