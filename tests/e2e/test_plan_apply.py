"""`aia plan` / `aia apply` end to end: the installed command against a real `aia serve`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.e2e.conftest import Gateway
from tests.e2e.plan_helpers import agent, aia, by_name, listing, plan_json, tool, write_project

pytestmark = pytest.mark.e2e


def test_create_then_no_op_then_update_then_delete(gateway: Gateway, tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "p",
        **{
            "tools/refund.yaml": tool(),
            "tools/lookup.yaml": tool("lookup"),
            "agents/support.yaml": agent(),
        },
    )
    first = aia(root, gateway, "plan", "--detailed-exitcode")
    assert first.returncode == 2, first.stderr
    assert "+ Tool/refund" in first.stdout and "+ Agent/support" in first.stdout
    assert "3 to create, 0 to update, 0 to delete" in first.stdout

    applied = aia(root, gateway, "apply", "--yes")
    assert applied.returncode == 0, applied.stderr
    assert "[3/3]" in applied.stdout and "Apply complete: 3 created" in applied.stdout
    agent_obj = by_name(gateway, "agents", "support")
    refund = by_name(gateway, "tools", "refund")
    assert agent_obj["tools"] == [refund["id"]]
    assert agent_obj["instructions"] == "You help Acme customers.\nBe brief.\n"
    meta = agent_obj["metadata"]
    assert meta["aia.project"] == "payments" and meta["aia.source"] == "agents/support.yaml"
    assert len(meta["aia.spec_hash"]) == 64 and meta["team"] == "payments"

    again = aia(root, gateway, "plan", "--detailed-exitcode")
    assert again.returncode == 0 and "No changes" in again.stdout

    # Update: a prompt line and a guardrail change; only those fields are shown.
    (root / "agents/support.yaml").write_text(agent(tone="Be brief and kind.", max_steps=12))
    update = aia(root, gateway, "plan", "--detailed-exitcode")
    assert update.returncode == 2
    assert "~ Agent/support" in update.stdout
    assert "-Be brief." in update.stdout and "+Be brief and kind." in update.stdout
    assert "~ guardrails.max_steps: 10 -> 12" in update.stdout
    assert "tools" not in update.stdout.split("~ Agent/support")[1]
    assert "0 to create, 1 to update, 0 to delete" in update.stdout
    assert aia(root, gateway, "apply", "--yes").returncode == 0
    changed = by_name(gateway, "agents", "support")
    assert changed["version"] == 2 and changed["guardrails"]["max_steps"] == 12

    # Delete: the file is gone and the agent no longer uses it; an unowned tool stays.
    with gateway.client() as client:
        client.post("tools", json={"name": "stranger", "type": "client"}).raise_for_status()
    (root / "tools/lookup.yaml").unlink()
    delete = aia(root, gateway, "plan", "--detailed-exitcode")
    assert delete.returncode == 2 and "- Tool/lookup" in delete.stdout
    assert "stranger" not in delete.stdout
    assert aia(root, gateway, "apply", "--yes").returncode == 0
    assert sorted(t["name"] for t in listing(gateway, "tools")) == ["refund", "stranger"]
    assert aia(root, gateway, "plan", "--detailed-exitcode").returncode == 0


def test_drift_made_through_the_api_shows_and_is_reverted(gateway: Gateway, tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "p", **{"tools/refund.yaml": tool(), "agents/support.yaml": agent()}
    )
    assert aia(root, gateway, "apply", "--yes").returncode == 0
    support = by_name(gateway, "agents", "support")
    with gateway.client() as client:
        client.post(
            f"agents/{support['id']}", json={"model": "openai/gpt-4.1", "tools": []}
        ).raise_for_status()
    data = plan_json(root, gateway)
    assert data["format_version"] == "1" and data["changes"] is True
    (action,) = data["actions"]
    assert action["action"] == "update" and action["id"] == support["id"]
    changes = {c["path"]: c for c in action["changes"]}
    assert set(changes) == {"model", "tools"}
    assert (changes["model"]["before"], changes["model"]["after"]) == ("openai/gpt-4.1", "scripted")
    assert (changes["tools"]["before"], changes["tools"]["after"]) == ([], ["refund"])
    assert aia(root, gateway, "apply", "--yes").returncode == 0
    assert by_name(gateway, "agents", "support")["model"] == "scripted"


def test_saved_plan_applies_exactly_and_refuses_when_stale(
    gateway: Gateway, tmp_path: Path
) -> None:
    root = write_project(
        tmp_path / "p", **{"tools/refund.yaml": tool(), "agents/support.yaml": agent()}
    )
    assert aia(root, gateway, "apply", "--yes").returncode == 0
    (root / "agents/support.yaml").write_text(agent(max_steps=20))
    plan_file = tmp_path / "plan.json"
    assert aia(root, gateway, "plan", "--out", str(plan_file)).returncode == 0
    assert json.loads(plan_file.read_text())["format"] == "aiagentics-plan"

    # The remote moves (a manual edit): the saved plan is refused and nothing changes.
    support = by_name(gateway, "agents", "support")
    with gateway.client() as client:
        client.post(
            f"agents/{support['id']}", json={"description": "edited by hand"}
        ).raise_for_status()
    stale = aia(root, gateway, "apply", str(plan_file))
    assert stale.returncode == 1
    assert "remote changed since" in stale.stderr and support["id"] in stale.stderr
    after = by_name(gateway, "agents", "support")
    assert after["version"] == support["version"] + 1 and after["guardrails"]["max_steps"] == 10

    # A fresh saved plan applies; then the files change and the next saved plan is refused.
    assert aia(root, gateway, "plan", "--out", str(plan_file)).returncode == 0
    ok = aia(root, gateway, "apply", str(plan_file))
    assert ok.returncode == 0, ok.stderr
    assert by_name(gateway, "agents", "support")["guardrails"]["max_steps"] == 20
    (root / "agents/support.yaml").write_text(agent(max_steps=30))
    assert aia(root, gateway, "plan", "--out", str(plan_file)).returncode == 0
    (root / "agents/support.yaml").write_text(agent(max_steps=40))
    moved = aia(root, gateway, "apply", str(plan_file))
    assert moved.returncode == 1 and "files changed since" in moved.stderr
    assert by_name(gateway, "agents", "support")["guardrails"]["max_steps"] == 20


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not a plan file"),
        ('{"format_version": 4, "terraform_version": "1.9"}', "not an aiagentics plan file"),
    ],
)
def test_corrupted_or_foreign_plan_file_is_a_clear_error(
    tmp_path: Path, content: str, message: str
) -> None:
    root = write_project(tmp_path / "p", **{"tools/refund.yaml": tool()})
    bad = tmp_path / "plan.json"
    bad.write_text(content)
    result = aia(
        root,
        None,
        "apply",
        str(bad),
        env={"AIAGENTICS_API_KEY": "k", "AIAGENTICS_BASE_URL": "http://127.0.0.1:9/v1"},
    )
    assert result.returncode == 1 and message in result.stderr
    assert "Traceback" not in result.stderr and "cannot reach" not in result.stderr


def test_name_taken_by_unowned_resource_is_a_conflict(gateway: Gateway, tmp_path: Path) -> None:
    with gateway.client() as client:
        client.post(
            "tools", json={"name": "refund", "type": "client", "description": "theirs"}
        ).raise_for_status()
    root = write_project(tmp_path / "p", **{"tools/refund.yaml": tool()})
    plan = aia(root, gateway, "plan", "--detailed-exitcode")
    assert plan.returncode == 1
    assert "Tool/refund: the name is taken by tool_" in plan.stdout + plan.stderr
    assert "no project" in plan.stdout + plan.stderr
    apply = aia(root, gateway, "apply", "--yes")
    assert apply.returncode == 1
    (theirs,) = listing(gateway, "tools")
    assert theirs["description"] == "theirs" and "aia.project" not in theirs["metadata"]


def test_protected_resource_is_not_deleted(gateway: Gateway, tmp_path: Path) -> None:
    protected = tool("vault").replace(
        "  description: Refund a payment\n", "  description: x\n  protect: true\n"
    )
    root = write_project(
        tmp_path / "p", **{"tools/vault.yaml": protected, "tools/refund.yaml": tool()}
    )
    assert aia(root, gateway, "apply", "--yes").returncode == 0
    assert by_name(gateway, "tools", "vault")["metadata"]["aia.protect"] == "true"
    (root / "tools/vault.yaml").unlink()
    (root / "tools/refund.yaml").write_text(tool(description="changed"))
    plan = aia(root, gateway, "plan")
    assert plan.returncode == 1 and "protected" in plan.stdout + plan.stderr
    apply = aia(root, gateway, "apply", "--yes")
    assert apply.returncode == 1 and "nothing was changed" in apply.stderr
    assert by_name(gateway, "tools", "vault")
    assert by_name(gateway, "tools", "refund")["description"] == "Refund a payment"


def test_failure_midway_reports_what_was_done_and_a_rerun_converges(
    gateway: Gateway, tmp_path: Path
) -> None:
    # The server caps metadata values at 1000 characters: the second tool is refused.
    long_label = "x" * 1001
    bad = tool("b-bad").replace(
        "  description:", f"  labels: {{note: {long_label}}}\n  description:"
    )
    root = write_project(
        tmp_path / "p",
        **{"tools/a.yaml": tool("a-ok"), "tools/b.yaml": bad, "tools/c.yaml": tool("c-later")},
    )
    failed = aia(root, gateway, "apply", "--yes")
    assert failed.returncode == 1
    assert "apply failed at Tool/b-bad" in failed.stderr and "HTTP 400" in failed.stderr
    assert "+ Tool/a-ok" in failed.stderr.split("Done before the failure")[1].split("Not done")[0]
    assert "+ Tool/c-later" in failed.stderr.split("Not done")[1]
    assert [t["name"] for t in listing(gateway, "tools")] == ["a-ok"]

    (root / "tools/b.yaml").write_text(tool("b-bad"))
    rerun = aia(root, gateway, "apply", "--yes")
    assert rerun.returncode == 0, rerun.stderr
    assert "Apply complete: 2 created" in rerun.stdout
    assert aia(root, gateway, "plan", "--detailed-exitcode").returncode == 0


def test_type_change_is_a_replace_and_converges(gateway: Gateway, tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "p", **{"tools/refund.yaml": tool(), "agents/support.yaml": agent()}
    )
    assert aia(root, gateway, "apply", "--yes").returncode == 0
    old = by_name(gateway, "tools", "refund")
    (root / "tools/refund.yaml").write_text(tool(type="webhook"))
    plan = aia(root, gateway, "plan")
    assert "-/+ Tool/refund" in plan.stdout and "type cannot change in place" in plan.stdout
    assert "re-pointed" in plan.stdout
    assert "1 to create, 1 to update, 1 to delete" in plan.stdout
    applied = aia(root, gateway, "apply", "--yes")
    assert applied.returncode == 0, applied.stderr
    new = by_name(gateway, "tools", "refund")
    assert new["id"] != old["id"] and new["type"] == "webhook"
    assert by_name(gateway, "agents", "support")["tools"] == [new["id"]]
    assert [t["name"] for t in listing(gateway, "tools")] == ["refund"]
    assert aia(root, gateway, "plan", "--detailed-exitcode").returncode == 0


def test_apply_without_a_terminal_needs_yes(gateway: Gateway, tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", **{"tools/refund.yaml": tool()})
    result = aia(root, gateway, "apply")
    assert result.returncode == 1 and "--yes" in result.stderr
    assert listing(gateway, "tools") == []
