"""The definitions service's rules, against a real SQLite store on a temporary file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from aiagentics.engine.definitions import DEV_SOURCE_KEY, Definitions, stable_id
from aiagentics.engine.sealing import Sealer
from aiagentics.errors import Conflict, InvalidInput, NotFound
from aiagentics.spec.secrets import matches
from aiagentics.storage.base import Resource, Scope
from aiagentics.storage.sqlite import schema_resources
from aiagentics.storage.sqlite.db import Database
from aiagentics.storage.sqlite.definitions import SQLiteStore
from aiagentics.storage.sqlite.migrations import apply_migrations

SCOPE = Scope("p", "test")
OTHER = Scope("p", "live")
EVENTS = ["run.completed"]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "gateway.db")
    apply_migrations(database, {schema_resources.COMPONENT: schema_resources.MIGRATIONS})
    yield database
    database.close()


@pytest.fixture
def defs(db: Database) -> Definitions:
    return Definitions(SQLiteStore(db), Sealer(Fernet.generate_key()), default_model="scripted")


def tool(name: str = "crm", **extra: object) -> dict[str, object]:
    return {"name": name, "type": "http", "handler_url": "https://crm.test/x", **extra}


async def test_create_get_list_and_versions(defs: Definitions) -> None:
    saved = await defs.create("tool", SCOPE, tool())
    assert saved.object["object"] == "tool" and saved.object["version"] == 1
    assert (await defs.get("tool", SCOPE, saved.resource.id)).name == "crm"
    await defs.update("tool", SCOPE, saved.resource.id, {"description": "v2"})
    page = await defs.versions("tool", SCOPE, saved.resource.id)
    assert [r.version for r in page.items] == [2, 1]
    assert [r.id for r in (await defs.list("tool", SCOPE)).items] == [saved.resource.id]
    with pytest.raises(NotFound):
        await defs.get("tool", OTHER, saved.resource.id)  # another environment: not there


async def test_ids_and_cursors_of_another_kind_are_refused(defs: Definitions) -> None:
    with pytest.raises(NotFound, match="no such tool"):
        await defs.get("tool", SCOPE, "agt_12345678")
    with pytest.raises(InvalidInput) as bad:
        await defs.list("tool", SCOPE, starting_after="agt_12345678")
    assert bad.value.param == "starting_after"
    with pytest.raises(InvalidInput) as gone:
        await defs.list("tool", SCOPE, starting_after="tool_12345678")
    assert gone.value.code == "resource_missing"


async def test_references_must_exist_in_the_scope(defs: Definitions) -> None:
    t = await defs.create("tool", OTHER, tool())
    with pytest.raises(InvalidInput) as missing:
        await defs.create("agent", SCOPE, {"name": "a", "tools": [t.resource.id]})
    assert missing.value.code == "resource_missing" and missing.value.param == "tools[0]"
    mine = await defs.create("tool", SCOPE, tool())
    agent = await defs.create("agent", SCOPE, {"name": "a", "tools": [mine.resource.id]})
    assert agent.object["tools"] == [mine.resource.id]
    assert agent.object["model"] == "scripted"  # the gateway's default model


async def test_an_agent_needs_a_model_without_a_default(db: Database) -> None:
    strict = Definitions(SQLiteStore(db), Sealer(Fernet.generate_key()))
    with pytest.raises(InvalidInput) as err:
        await strict.create("agent", SCOPE, {"name": "a"})
    assert err.value.param == "model"


async def test_names_are_unique_per_kind_and_scope(defs: Definitions) -> None:
    await defs.create("tool", SCOPE, tool())
    with pytest.raises(Conflict) as taken:
        await defs.create("tool", SCOPE, tool())
    assert taken.value.code == "name_taken" and taken.value.param == "name"
    await defs.create("tool", OTHER, tool())  # another scope: no clash


async def test_an_update_is_merged_and_validated_whole(defs: Definitions) -> None:
    saved = await defs.create("tool", SCOPE, tool(description="kept"))
    out = await defs.update("tool", SCOPE, saved.resource.id, {"name": "renamed"})
    assert out.object["description"] == "kept" and out.object["name"] == "renamed"
    with pytest.raises(InvalidInput) as clash:
        # A valid change on its own, but a `script` tool with the stored handler_url is not.
        await defs.update("tool", SCOPE, saved.resource.id, {"handler_url": None})
    assert clash.value.code == "conflicts_with_current"


async def test_in_use_objects_are_not_deleted(defs: Definitions) -> None:
    t = await defs.create("tool", SCOPE, tool())
    a = await defs.create("agent", SCOPE, {"name": "a", "tools": [t.resource.id]})
    await defs.create("agent", SCOPE, {"name": "b", "tools": [t.resource.id]})
    with pytest.raises(Conflict) as used:
        await defs.delete("tool", SCOPE, t.resource.id)
    assert used.value.code == "resource_in_use" and "and 1 more" in used.value.message
    await defs.delete("agent", SCOPE, a.resource.id)
    with pytest.raises(NotFound):
        await defs.get("agent", SCOPE, a.resource.id)


async def test_after_delete_hooks_run(defs: Definitions) -> None:
    seen: list[str] = []

    async def forget(scope: Scope, res: Resource) -> None:
        seen.append(res.id)

    defs.after_delete("memory_store", forget)
    mem = await defs.create("memory_store", SCOPE, {"name": "notes", "kv": {}})
    await defs.delete("memory_store", SCOPE, mem.resource.id)
    assert seen == [mem.resource.id]


async def test_declared_objects_change_only_from_their_files(defs: Definitions) -> None:
    rid = stable_id(SCOPE, "Tool", "crm")
    assert rid.startswith("tool_dev") and rid == stable_id(SCOPE, "Tool", "crm")
    body = tool(metadata={DEV_SOURCE_KEY: "tools/crm.yaml"})
    saved = await defs.create("tool", SCOPE, body, id=rid)
    assert saved.resource.id == rid and DEV_SOURCE_KEY not in saved.object["metadata"]
    with pytest.raises(Conflict) as declared:
        await defs.update("tool", SCOPE, rid, {"description": "x"})
    assert declared.value.code == "declared_in_file"
    with pytest.raises(Conflict):
        await defs.delete("tool", SCOPE, rid)
    await defs.update("tool", SCOPE, rid, {"description": "x"}, declared=True)
    await defs.delete("tool", SCOPE, rid, declared=True)
    with pytest.raises(Conflict) as again:
        await defs.create("tool", SCOPE, tool("other"), id=rid)
        await defs.create("tool", SCOPE, tool("third"), id=rid)
    assert again.value.code == "id_taken"


async def test_sensitive_fields_are_sealed(defs: Definitions) -> None:
    saved = await defs.create(
        "tool", SCOPE, tool(headers={"Authorization": "Bearer s3cr3t"}, sensitive_fields=[])
    )
    shown = saved.object["headers"]["Authorization"]
    assert "s3cr3t" not in str(saved.object) and matches("Bearer s3cr3t", shown)
    assert "s3cr3t" not in str(saved.resource.data)  # stored sealed, in `_sealed`
    with pytest.raises(InvalidInput) as bad:
        await defs.create("tool", SCOPE, tool("t2", sensitive_fields=["name"]))
    assert bad.value.param == "sensitive_fields[0]"


async def test_a_webhook_secret_is_shown_once_and_kept_on_update(defs: Definitions) -> None:
    hook = await defs.create(
        "webhook", SCOPE, {"url": "https://hooks.example.com/x", "events": EVENTS}
    )
    assert hook.secret and hook.secret.startswith("whsec_")
    assert hook.object["secret"] == hook.secret
    assert "secret_sealed" not in hook.object
    out = await defs.update("webhook", SCOPE, hook.resource.id, {"description": "d"})
    assert "secret" not in out.object and out.secret is None
    assert out.resource.data["secret_sealed"] == hook.resource.data["secret_sealed"]
    with pytest.raises(InvalidInput) as refused:
        await defs.create("webhook", SCOPE, {"url": "http://10.0.0.1/x", "events": EVENTS})
    assert refused.value.param == "url"
