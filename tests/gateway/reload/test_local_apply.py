"""`apply_files`: the in-process apply of `aia dev` (engine + LocalTarget), on a real SQLite store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from aiagentics.apply.engine import ApplyRefused
from aiagentics.compiler import compile_project
from aiagentics.compiler.state import DesiredState
from aiagentics.engine.definitions import stable_id
from aiagentics.gateway.reload.local_apply import apply_files
from aiagentics.gateway.services import Services, build_services
from aiagentics.gateway.settings import GatewaySettings
from aiagentics.project import load_project
from aiagentics.storage.base import Scope

SCOPE = Scope("syncproj", "test")

TOOL = """apiVersion: aiagentics.io/v1
kind: Tool
metadata: {{name: {name}}}
spec: {{type: client, description: "{description}"}}
"""
AGENT = """apiVersion: aiagentics.io/v1
kind: Agent
metadata: {{name: helper}}
spec:
  model: scripted
  instructions: "Hello {{{{ vars.who }}}}"
  tools: [{tools}]
"""


def write(root: Path, tools: dict[str, str], agent_tools: str, who: str = "world") -> None:
    (root / "agents").mkdir(parents=True, exist_ok=True)
    (root / "tools").mkdir(exist_ok=True)
    (root / "aiagentics.toml").write_text(f'[project]\nname = "syncproj"\n[vars]\nwho = "{who}"\n')
    for old in (root / "tools").iterdir():
        old.unlink()
    for name, description in tools.items():
        (root / "tools" / f"{name}.yaml").write_text(
            TOOL.format(name=name, description=description)
        )
    (root / "agents" / "helper.yaml").write_text(AGENT.format(tools=agent_tools))


def desired(root: Path) -> DesiredState:
    result = compile_project(load_project(root))
    assert result.state is not None, result.diagnostics
    return result.state


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    settings = GatewaySettings(
        database=str(tmp_path / "db" / "dev.db"),
        default_project="syncproj",
        bootstrap_api_key="sk_test_" + "x" * 40,
    )
    svc = build_services(settings)
    await svc.start()
    yield svc
    await svc.stop()


async def test_first_sync_creates_with_stable_ids_and_second_changes_nothing(
    services: Services, tmp_path: Path
) -> None:
    root = tmp_path / "p"
    write(root, {"a": "first", "b": "second"}, "a, b")
    first = await apply_files(services, SCOPE, desired(root), root)
    assert sorted(a.address for a in first.plan.changes) == [
        "Agent/helper",
        "Tool/a",
        "Tool/b",
    ]
    agent = await services.store.get("agent", SCOPE, stable_id(SCOPE, "Agent", "helper"))
    assert agent is not None
    assert agent.data["tools"] == [stable_id(SCOPE, "Tool", "a"), stable_id(SCOPE, "Tool", "b")]
    assert agent.data["instructions"] == "Hello world"
    assert agent.data["metadata"]["aia.dev_source"] == "agents/helper.yaml"
    again = await apply_files(services, SCOPE, desired(root), root)
    assert again.plan.changes == ()


async def test_edits_update_in_place_and_removed_files_are_deleted(
    services: Services, tmp_path: Path
) -> None:
    root = tmp_path / "p"
    write(root, {"a": "first", "b": "second"}, "a, b")
    await apply_files(services, SCOPE, desired(root), root)
    write(root, {"a": "first, edited"}, "a", who="you")
    result = await apply_files(services, SCOPE, desired(root), root)
    kinds = {a.address: a.type.value for a in result.plan.changes}
    assert kinds == {"Tool/a": "update", "Agent/helper": "update", "Tool/b": "delete"}
    agent = await services.store.get("agent", SCOPE, stable_id(SCOPE, "Agent", "helper"))
    assert agent is not None and agent.version == 2
    assert agent.data["instructions"] == "Hello you"
    assert await services.store.get("tool", SCOPE, stable_id(SCOPE, "Tool", "b")) is None


async def test_a_name_taken_through_the_api_is_a_conflict_and_nothing_changes(
    services: Services, tmp_path: Path
) -> None:
    root = tmp_path / "p"
    await services.store.create("tool", SCOPE, "a", {"type": "client", "metadata": {}})
    write(root, {"a": "first"}, "a")
    with pytest.raises(ApplyRefused, match="Tool/a"):
        await apply_files(services, SCOPE, desired(root), root)
    assert await services.store.get("agent", SCOPE, stable_id(SCOPE, "Agent", "helper")) is None


async def test_a_failure_midway_rolls_the_whole_reload_back(
    services: Services, tmp_path: Path
) -> None:
    root = tmp_path / "p"
    write(root, {"a": "first"}, "a")
    await apply_files(services, SCOPE, desired(root), root)
    # The agent's new version is refused by the store after the tools were written:
    # the reload is one transaction, so the tools' changes must not stay either.
    write(root, {"a": "edited", "c": "new"}, "a, c", who="again")
    real_update = services.store.update

    async def failing_update(kind, scope, id, name, data):  # type: ignore[no-untyped-def]
        if kind == "agent":
            raise RuntimeError("disk full")
        return await real_update(kind, scope, id, name, data)

    services.store.update = failing_update  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="disk full"):
        await apply_files(services, SCOPE, desired(root), root)
    services.store.update = real_update  # type: ignore[method-assign]
    tool_a = await services.store.get("tool", SCOPE, stable_id(SCOPE, "Tool", "a"))
    assert tool_a is not None and tool_a.data["description"] == "first"
    assert await services.store.get("tool", SCOPE, stable_id(SCOPE, "Tool", "c")) is None
    # And the next reload converges.
    result = await apply_files(services, SCOPE, desired(root), root)
    assert {a.address for a in result.plan.changes} == {"Tool/a", "Tool/c", "Agent/helper"}


async def test_a_memory_removed_from_the_files_takes_its_kv_entries_along(
    services: Services, tmp_path: Path
) -> None:
    from aiagentics.engine.memory.kv import Scope as KVScope

    root = tmp_path / "p"
    write(root, {"a": "first"}, "a")
    memory = root / "agents" / "notes.yaml"
    memory.write_text(
        "apiVersion: aiagentics.io/v1\nkind: Memory\nmetadata: {name: notes}\n"
        "spec: {kv: {scope: project}}\n"
    )
    await apply_files(services, SCOPE, desired(root), root)
    mem_id = stable_id(SCOPE, "Memory", "notes")
    await services.memory.kv.set("syncproj", "test", mem_id, KVScope("project"), "k", {"v": 1})

    def rows() -> int:
        row = services.db.fetchone("SELECT count(*) FROM memory_kv WHERE memory_id = ?", (mem_id,))
        assert row is not None
        return int(row[0])

    assert rows() == 1
    memory.unlink()
    result = await apply_files(services, SCOPE, desired(root), root)
    assert [a.address for a in result.plan.changes] == ["Memory/notes"]
    assert rows() == 0


async def test_values_from_env_are_kept_out_of_run_errors(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEV_TOOL_NOTE", "note-5e1b7c9a2d")  # a name that does not look secret
    root = tmp_path / "p"
    write(root, {"a": "${DEV_TOOL_NOTE}"}, "a")
    assert "note-5e1b7c9a2d" not in services.runs.scrubber
    await apply_files(services, SCOPE, desired(root), root)
    assert "note-5e1b7c9a2d" in services.runs.scrubber
    assert services.runs.scrubber.scrub("got note-5e1b7c9a2d") == "got [REDACTED]"
