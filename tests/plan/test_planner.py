"""The planner, pure: compiled resources + remote objects -> actions."""

from __future__ import annotations

from tests.plan.conftest import remote_of, res, state

from aiagentics.plan import ActionType, make_plan, plan_text, plan_to_json

TOOL = res(
    "Tool",
    "refund",
    {"type": "client", "description": "Refund a payment", "parameters": {"type": "object"}},
)
AGENT = res(
    "Agent",
    "support",
    {
        "model": "scripted",
        "instructions": "You help.\nBe brief.\n",
        "tools": ["refund"],
        "guardrails": {"max_steps": 10, "timeout_seconds": 300},
    },
    refs=("Tool/refund",),
)
IDS = {"Tool/refund": "tool_1"}


def in_sync() -> dict:
    return {"Tool": [remote_of(TOOL, "tool_1")], "Agent": [remote_of(AGENT, "agt_1", IDS)]}


def test_empty_remote_creates_everything_in_dependency_order() -> None:
    plan = make_plan(state(TOOL, AGENT), {})
    assert [(a.type, a.address) for a in plan.actions] == [
        (ActionType.CREATE, "Tool/refund"),
        (ActionType.CREATE, "Agent/support"),
    ]
    assert plan.summary.line() == "2 to create, 0 to update, 0 to delete"
    create = plan.actions[1]
    assert {c.path for c in create.changes} >= {"model", "instructions", "tools"}


def test_matching_remote_is_no_op_and_refs_map_back_to_names() -> None:
    plan = make_plan(state(TOOL, AGENT), in_sync())
    assert not plan.has_changes
    assert [a.type for a in plan.actions] == [ActionType.NO_OP, ActionType.NO_OP]
    assert "No changes" in plan_text(plan)


def test_remote_drift_shows_changed_fields_only() -> None:
    remote = in_sync()
    remote["Agent"][0]["guardrails"] = {"max_steps": 3, "timeout_seconds": 300}
    remote["Agent"][0]["instructions"] = "You help.\nBe verbose.\n"
    plan = make_plan(state(TOOL, AGENT), remote)
    (update,) = plan.changes
    assert update.type is ActionType.UPDATE and update.id == "agt_1"
    paths = {c.path: c for c in update.changes}
    assert set(paths) == {"guardrails.max_steps", "instructions"}
    assert (paths["guardrails.max_steps"].before, paths["guardrails.max_steps"].after) == (3, 10)
    assert (
        "-Be verbose." in paths["instructions"].diff and "+Be brief." in paths["instructions"].diff
    )
    assert plan.summary.line() == "0 to create, 1 to update, 0 to delete"


def test_ref_change_is_shown_by_name() -> None:
    other = res("Tool", "lookup", {"type": "client"})
    remote = in_sync()
    remote["Tool"].append(remote_of(other, "tool_2"))
    remote["Agent"][0]["tools"] = ["tool_2"]
    plan = make_plan(state(TOOL, other, AGENT), remote)
    (update,) = plan.changes
    assert [(c.path, c.before, c.after) for c in update.changes] == [
        ("tools", ["lookup"], ["refund"])
    ]


def test_owned_resource_without_file_is_deleted_last_and_unowned_ones_are_ignored() -> None:
    remote = in_sync()
    gone = res("Tool", "old", {"type": "client"})
    remote["Tool"].append(remote_of(gone, "tool_9"))
    stranger = {"id": "tool_7", "name": "stranger", "type": "client", "metadata": {}}
    other_project = {
        "id": "tool_8",
        "name": "x",
        "type": "client",
        "metadata": {"aia.project": "other"},
    }
    remote["Tool"] += [stranger, other_project]
    plan = make_plan(state(TOOL, AGENT), remote)
    assert [(a.type, a.address, a.id) for a in plan.changes] == [
        (ActionType.DELETE, "Tool/old", "tool_9")
    ]
    assert "tool_7" not in plan.remote and "tool_8" not in plan.remote
    assert not plan.problems


def test_name_taken_by_unowned_resource_is_a_conflict() -> None:
    stranger = {"id": "tool_7", "name": "refund", "type": "client", "metadata": {}}
    plan = make_plan(state(TOOL), {"Tool": [stranger]})
    (problem,) = plan.problems
    assert problem.code == "conflict" and problem.remote_id == "tool_7"
    assert "no project" in problem.message
    assert plan.remote == {"tool_7": plan.remote["tool_7"]}


def test_type_change_is_a_replace_that_repoints_dependents() -> None:
    remote = in_sync()
    remote["Tool"][0]["type"] = "webhook"
    plan = make_plan(state(TOOL, AGENT), remote)
    kinds = {a.address: a for a in plan.changes}
    assert kinds["Tool/refund"].type is ActionType.REPLACE
    assert "type cannot change in place" in kinds["Tool/refund"].reason
    assert kinds["Agent/support"].type is ActionType.UPDATE
    assert "re-pointed" in kinds["Agent/support"].changes[0].note
    s = plan.summary
    assert (s.create, s.update, s.delete, s.replace) == (1, 1, 1, 1)
    assert "replaced" in s.line()


def test_protected_delete_is_a_problem() -> None:
    remote = in_sync()
    gone = res("Tool", "old", {"type": "client"}, protect=True)
    remote["Tool"].append(remote_of(gone, "tool_9"))
    plan = make_plan(state(TOOL, AGENT), remote)
    assert [p.code for p in plan.problems] == ["protected"]


def test_sensitive_values_never_appear() -> None:
    hook = res(
        "Webhook",
        "ops",
        {"url": "https://x.test/h", "events": ["run.failed"], "secret": "whsec_abc"},
        sensitive=frozenset({"secret"}),
    )
    tool = res(
        "Tool",
        "api",
        {
            "type": "http",
            "handler_url": "https://a.test",
            "headers": {"Authorization": "Bearer s3cr3t"},
        },
        sensitive=frozenset({"headers.Authorization"}),
    )
    created = make_plan(state(tool, hook), {})
    text = plan_text(created) + str(plan_to_json(created))
    assert "s3cr3t" not in text and "whsec_abc" not in text and "(sensitive)" in text
    # The server never reports the secret: a changed spec hash says it moved.
    remote_hook = remote_of(hook, "whk_1")
    del remote_hook["secret"]
    remote_tool = remote_of(tool, "tool_1")
    remote_tool["headers"] = {"Authorization": "Bearer old"}
    remote_hook["metadata"]["aia.spec_hash"] = "stale"
    plan = make_plan(state(tool, hook), {"Tool": [remote_tool], "Webhook": [remote_hook]})
    changes = {a.address: a.changes for a in plan.changes}
    assert [c.path for c in changes["Webhook/ops"]] == ["secret"]
    assert changes["Tool/api"][0].before == "(sensitive)"
    assert "Bearer" not in plan_text(plan) + str(plan_to_json(plan))


def test_state_hash_follows_the_files_and_markers_follow_the_remote() -> None:
    a = make_plan(state(TOOL, AGENT), in_sync())
    b = make_plan(state(TOOL, res("Agent", "support", {**AGENT.body, "model": "x"})), in_sync())
    assert a.state_hash != b.state_hash
    moved = in_sync()
    moved["Agent"][0]["version"] = 2
    assert make_plan(state(TOOL, AGENT), moved).remote != a.remote


def test_json_is_versioned_and_lists_changes_only() -> None:
    remote = in_sync()
    remote["Agent"][0]["model"] = "openai/gpt-4.1"
    data = plan_to_json(make_plan(state(TOOL, AGENT), remote))
    assert data["format_version"] == "1" and data["changes"] is True
    assert data["summary"]["update"] == 1 and data["summary"]["no_op"] == 1
    (action,) = data["actions"]
    assert action["action"] == "update" and action["changes"][0]["path"] == "model"


def test_file_content_change_is_a_replace() -> None:
    f = res("File", "faq", {"path": "files/faq.md", "purpose": "retrieval"})
    remote = remote_of(f, "file_1", **{"aia.content_hash": "old"})
    plan = make_plan(state(f), {"File": [remote]}, {"File/faq": "new"})
    (action,) = plan.changes
    assert action.type is ActionType.REPLACE
    assert make_plan(state(f), {"File": [remote]}, {"File/faq": "old"}).has_changes is False
