"""`aia serve` itself: configuration errors, the --database flag, defaults without a project."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e

AIA = str(Path(sys.executable).with_name("aia"))


def test_broken_config_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "aiagentics.toml").write_text('[project]\nname = "x"\n[gateway]\nport = "eighty"\n')
    result = subprocess.run(
        [AIA, "-C", str(tmp_path), "serve"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "aiagentics.toml" in result.stderr and "gateway.port" in result.stderr
    assert "Traceback" not in result.stderr


def test_database_flag_and_defaults_without_a_project(gateway_factory: Any, tmp_path: Path) -> None:
    custom = tmp_path / "elsewhere" / "state.db"
    gw = gateway_factory(args=["--database", str(custom)])
    created = httpx.post(gw.url("/tools"), json={"name": "t", "type": "client"}, headers=gw.headers)
    assert created.status_code == 200
    assert custom.exists() and (custom.parent / "secret.key").exists()
    assert not gw.database.exists()  # the project's default location was not used
