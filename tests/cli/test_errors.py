"""Every failure of the real `aia` reads `error: MESSAGE`, then `hint: …`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

AIA = str(Path(sys.executable).with_name("aia"))


def _aia(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([AIA, *args], capture_output=True, text=True, cwd=cwd, timeout=60)


def test_a_usage_error_is_lower_case_with_a_hint(tmp_path: Path) -> None:
    done = _aia("validate", "--nope", cwd=tmp_path)
    assert done.returncode == 2
    assert "Error:" not in done.stderr
    assert "error: No such option '--nope'" in done.stderr
    assert "hint: `aia validate --help` lists what it accepts" in done.stderr


def test_a_broken_config_is_the_same_style(tmp_path: Path) -> None:
    (tmp_path / "aiagentics.toml").write_text("[project\n")
    done = _aia("runs", "get", "run_x", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith("error: "), done.stderr
    assert "Error:" not in done.stderr and "Traceback" not in done.stderr
