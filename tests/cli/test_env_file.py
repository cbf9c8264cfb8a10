"""`.env` feeds `${NAME}`; `--allow-missing-env` lets a job without secrets validate."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

AIA = str(Path(sys.executable).with_name("aia"))
TOOL = """\
apiVersion: aiagentics.io/v1
kind: Tool
metadata: {name: crm}
spec:
  type: http
  handler_url: ${CRM_URL}
  headers: {Authorization: "Bearer ${CRM_TOKEN}"}
"""


def _project(tmp_path: Path) -> Path:
    (tmp_path / "aiagentics.toml").write_text('[project]\nname = "p"\npaths = ["tools"]\n')
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "crm.yaml").write_text(TOOL)
    return tmp_path


def _aia(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CRM_URL", "CRM_TOKEN")}
    return subprocess.run([AIA, *args], capture_output=True, text=True, cwd=cwd, env=env)


def test_dotenv_values_fill_in_and_are_never_printed(tmp_path: Path) -> None:
    project = _project(tmp_path)
    assert _aia("validate", cwd=project).returncode == 1
    (project / ".env").write_text("CRM_URL=https://crm.example.com/x\nCRM_TOKEN=tok-s3cret\n")
    done = _aia("validate", "--format", "json", cwd=project)
    assert done.returncode == 0, done.stdout
    assert "tok-s3cret" not in done.stdout + done.stderr


def test_allow_missing_env_turns_unset_names_into_warnings(tmp_path: Path) -> None:
    project = _project(tmp_path)
    done = _aia("validate", "--allow-missing-env", cwd=project)
    assert done.returncode == 0, done.stdout
    assert (
        "warning: environment variable CRM_URL is not set: a placeholder stands in" in done.stdout
    )
    assert "2 warnings" in done.stdout
