"""Saved plan files: round trip, corrupted and foreign files are clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.plan.conftest import res, state

from aiagentics.plan import PlanFileError, load_plan, make_plan, plan_to_json, save_plan


def _plan():
    return make_plan(state(res("Tool", "refund", {"type": "client"})), {})


def test_round_trip_keeps_hash_markers_and_actions(tmp_path: Path) -> None:
    plan = _plan()
    path = tmp_path / "p.json"
    save_plan(plan, path, "http://127.0.0.1:1/v1")
    saved = load_plan(path)
    assert saved.state_hash == plan.state_hash and saved.remote == plan.remote
    assert saved.base_url == "http://127.0.0.1:1/v1"
    assert plan_to_json(saved.plan)["actions"] == plan_to_json(plan)["actions"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not JSON"),
        (json.dumps({"format_version": 1}), "not an aiagentics plan file"),
        (json.dumps({"terraform_version": "1.9"}), "not an aiagentics plan file"),
    ],
)
def test_foreign_files_are_refused(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "p.json"
    path.write_text(content)
    with pytest.raises(PlanFileError, match=message):
        load_plan(path)


def test_edited_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    save_plan(_plan(), path, "http://x/v1")
    data = json.loads(path.read_text())
    data["state_hash"] = "0" * 64
    path.write_text(json.dumps(data))
    with pytest.raises(PlanFileError, match="corrupted or was edited"):
        load_plan(path)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PlanFileError, match="cannot read"):
        load_plan(tmp_path / "nope.json")
