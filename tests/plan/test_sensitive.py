"""Sensitive values in plans: hidden when sensitive on either side, compared by fingerprint."""

from __future__ import annotations

import json
from pathlib import Path

from tests.plan.conftest import remote_of, res, state

from aiagentics.plan import make_plan, plan_text, plan_to_json, save_plan
from aiagentics.plan.sensitive import requested_fields
from aiagentics.spec.secrets import fingerprint

OLD = "Bearer s3cr3t-token"


def tool(headers: dict[str, str], sensitive: frozenset[str] = frozenset(), **body: str):
    return res(
        "Tool",
        "crm",
        {"type": "http", "handler_url": "https://crm.test/q", "headers": headers, **body},
        sensitive=sensitive,
    )


def every_view(plan, tmp_path: Path) -> str:
    """The plan as text, as --json and as the saved plan file."""
    out = tmp_path / "plan.json"
    save_plan(plan, out, "http://127.0.0.1:1/v1")
    return plan_text(plan) + json.dumps(plan_to_json(plan)) + out.read_text()


def test_env_to_literal_never_shows_the_old_secret(tmp_path: Path) -> None:
    # Applied from ${CRM_TOKEN}; the API (an older one) reports the value in plain text.
    before = tool({"Authorization": OLD}, frozenset({"headers.Authorization"}))
    remote = remote_of(before, "tool_1")
    after = tool({"Authorization": "Bearer public"})  # now a literal in the file
    plan = make_plan(state(after), {"Tool": [remote]})
    (action,) = plan.changes
    (change,) = action.changes
    assert change.path == "headers.Authorization" and change.sensitive
    assert change.before == change.after == "(sensitive)"
    text = every_view(plan, tmp_path)
    assert "s3cr3t-token" not in text and "Bearer public" not in text


def test_a_field_write_only_remotely_stays_hidden_when_it_becomes_literal(tmp_path: Path) -> None:
    before = tool({}, frozenset({"handler_url"}), handler_url="https://crm.test/?key=s3cr3t")
    remote = remote_of(before, "tool_1")
    remote["handler_url"] = fingerprint("https://crm.test/?key=s3cr3t")
    remote["sensitive_fields"] = ["handler_url"]
    after = tool({}, handler_url="https://crm.test/public")
    plan = make_plan(state(after), {"Tool": [remote]})
    changes = {c.path: c for c in plan.changes[0].changes}
    assert changes["handler_url"].before == changes["handler_url"].after == "(sensitive)"
    # The list of write-only paths is no secret; it shows the field becoming plain.
    assert changes["sensitive_fields"].before == ["handler_url"]
    assert changes["sensitive_fields"].after == []
    text = every_view(plan, tmp_path)
    assert "s3cr3t" not in text and "crm.test/public" not in text


def test_fingerprints_compare_values_without_showing_them(tmp_path: Path) -> None:
    applied = tool({"Authorization": OLD}, frozenset({"headers.Authorization"}))
    remote = remote_of(applied, "tool_1")
    remote["headers"] = {"Authorization": fingerprint(OLD)}
    remote["sensitive_fields"] = ["headers.Authorization"]
    assert make_plan(state(applied), {"Tool": [remote]}).has_changes is False

    rotated = tool({"Authorization": "Bearer n3w-token"}, frozenset({"headers.Authorization"}))
    plan = make_plan(state(rotated), {"Tool": [remote]})
    (change,) = plan.changes[0].changes
    assert change.path == "headers.Authorization"
    assert change.before == change.after == "(sensitive)"
    text = every_view(plan, tmp_path)
    assert "s3cr3t" not in text and "n3w-token" not in text and "scrypt$" not in text


def test_declared_secret_fields_are_hidden_on_create_even_when_literal() -> None:
    plan = make_plan(state(tool({"X-Api-Key": "literal-key"})), {})
    text = plan_text(plan) + json.dumps(plan_to_json(plan))
    assert "literal-key" not in text and "(sensitive)" in text


def test_a_value_becoming_sensitive_is_a_change_of_the_paths_only() -> None:
    literal = tool({}, handler_url="https://crm.test/q")
    remote = remote_of(literal, "tool_1")
    remote["sensitive_fields"] = []
    from_env = tool({}, frozenset({"handler_url"}), handler_url="https://crm.test/q")
    (action,) = make_plan(state(from_env), {"Tool": [remote]}).changes
    (change,) = action.changes
    assert (change.path, change.before, change.after) == ("sensitive_fields", [], ["handler_url"])


def test_apply_declares_env_paths_but_not_names_or_references() -> None:
    agent = res(
        "Agent",
        "support",
        {"model": "scripted", "instructions": "x", "tools": ["crm"]},
        sensitive=frozenset({"instructions", "tools.0", "name"}),
    )
    assert requested_fields(agent) == ["instructions"]
