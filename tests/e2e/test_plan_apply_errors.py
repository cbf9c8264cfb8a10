"""Bad input around plan/apply: invalid files, wrong keys, missing scopes, unreachable API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.e2e.conftest import Gateway
from tests.e2e.plan_helpers import aia, listing, tool, write_project

pytestmark = pytest.mark.e2e


def test_invalid_file_fails_before_any_api_call(tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "p", **{"tools/refund.yaml": tool().replace("type: client", "type: pigeon")}
    )
    result = aia(
        root,
        None,
        "plan",
        env={"AIAGENTICS_API_KEY": "k", "AIAGENTICS_BASE_URL": "http://127.0.0.1:9/v1"},
    )
    assert result.returncode == 1
    assert "tools/refund.yaml:7:" in result.stdout + result.stderr
    assert "nothing was sent to the API" in result.stderr and "cannot reach" not in result.stderr
    as_json = aia(
        root,
        None,
        "plan",
        "--json",
        env={"AIAGENTICS_API_KEY": "k", "AIAGENTICS_BASE_URL": "http://127.0.0.1:9/v1"},
    )
    data = json.loads(as_json.stdout)
    assert as_json.returncode == 1 and data["error"]["code"] == "invalid_files"
    assert (
        data["diagnostics"][0]["file"] == "tools/refund.yaml"
        and data["diagnostics"][0]["line"] == 7
    )


def test_unreachable_api_is_a_clear_error(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", **{"tools/refund.yaml": tool()})
    result = aia(
        root,
        None,
        "plan",
        "--json",
        env={"AIAGENTICS_API_KEY": "k", "AIAGENTICS_BASE_URL": "http://127.0.0.1:9/v1"},
    )
    assert result.returncode == 1
    assert "cannot reach the API at http://127.0.0.1:9/v1" in result.stderr
    assert '"code": "unreachable"' in result.stdout and "Traceback" not in result.stderr


def test_wrong_key_and_missing_scope(gateway: Gateway, tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", **{"tools/refund.yaml": tool()})
    wrong = aia(
        root, gateway, "plan", "--detailed-exitcode", env={"AIAGENTICS_API_KEY": "sk_test_wrong"}
    )
    assert wrong.returncode == 1 and "HTTP 401" in wrong.stderr and "key" in wrong.stderr
    with gateway.client() as client:
        created = client.post("keys", json={"name": "ci", "scopes": ["read"]})
        created.raise_for_status()
        read_only = created.json()["secret"]
    plan = aia(root, gateway, "plan", "--detailed-exitcode", env={"AIAGENTICS_API_KEY": read_only})
    assert plan.returncode == 2, plan.stderr
    apply = aia(root, gateway, "apply", "--yes", env={"AIAGENTICS_API_KEY": read_only})
    assert apply.returncode == 1 and "HTTP 403" in apply.stderr and "scope" in apply.stderr
    assert listing(gateway, "tools") == []


def test_env_selects_its_api_section(gateway: Gateway, tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", **{"tools/refund.yaml": tool()})
    with (root / "aiagentics.toml").open("a") as f:
        f.write(f'\n[env.live.api]\nbase_url = "{gateway.base_url}"\napi_key_env = "LIVE_KEY"\n')
    result = aia(
        root,
        None,
        "--env",
        "live",
        "plan",
        "--detailed-exitcode",
        env={"LIVE_KEY": gateway.api_key},
    )
    assert result.returncode == 2, result.stderr
    assert "+ Tool/refund" in result.stdout
