"""The `Definitions` contract: every backend stores, versions, scopes and pages definitions alike."""

from __future__ import annotations

import pytest

from aiagentics.storage.base import Definitions, DuplicateId, DuplicateName, Scope

A = Scope("proj", "test")
B = Scope("other", "test")
A_LIVE = Scope("proj", "live")


async def test_create_get_and_scoping(definitions: Definitions) -> None:
    res = await definitions.create("agent", A, "support", {"model": "scripted", "metadata": {}})
    assert res.id.startswith("agt_") and res.version == 1 and res.name == "support"
    got = await definitions.get("agent", A, res.id)
    assert got is not None and got.data == {"model": "scripted", "metadata": {}}
    assert (await definitions.get_by_name("agent", A, "support")).id == res.id  # type: ignore[union-attr]
    # Another project, another environment, another kind: it does not exist there.
    assert await definitions.get("agent", B, res.id) is None
    assert await definitions.get("agent", A_LIVE, res.id) is None
    assert await definitions.get("tool", A, res.id) is None
    assert await definitions.get_by_name("agent", B, "support") is None


async def test_names_unique_per_kind_and_scope(definitions: Definitions) -> None:
    await definitions.create("tool", A, "sql", {})
    with pytest.raises(DuplicateName):
        await definitions.create("tool", A, "sql", {})
    # Same name in another scope or kind is fine; unnamed objects never clash.
    await definitions.create("tool", B, "sql", {})
    await definitions.create("tool", A_LIVE, "sql", {})
    await definitions.create("agent", A, "sql", {})
    await definitions.create("file", A, None, {})
    await definitions.create("file", A, None, {})


async def test_create_with_given_id(definitions: Definitions) -> None:
    res = await definitions.create("tool", A, "t", {}, id="tool_STABLE000001")
    assert res.id == "tool_STABLE000001"
    with pytest.raises(DuplicateId):
        await definitions.create("tool", A, "t2", {}, id="tool_STABLE000001")


async def test_update_bumps_version_and_keeps_history(definitions: Definitions) -> None:
    res = await definitions.create("agent", A, "a", {"instructions": "v1"})
    for n in (2, 3):
        updated = await definitions.update("agent", A, res.id, "a", {"instructions": f"v{n}"})
        assert updated is not None and updated.version == n
    page = await definitions.versions("agent", A, res.id)
    assert page is not None
    assert [(r.version, r.data["instructions"]) for r in page.items] == [
        (3, "v3"),
        (2, "v2"),
        (1, "v1"),
    ]
    first = await definitions.versions("agent", A, res.id, limit=2)
    assert first is not None and first.has_more and [r.version for r in first.items] == [3, 2]
    rest = await definitions.versions("agent", A, res.id, limit=2, starting_after=2)
    assert rest is not None and not rest.has_more and [r.version for r in rest.items] == [1]
    assert await definitions.update("agent", B, res.id, "a", {}) is None
    assert await definitions.versions("agent", B, res.id) is None


async def test_update_to_a_taken_name_is_refused(definitions: Definitions) -> None:
    await definitions.create("tool", A, "one", {})
    two = await definitions.create("tool", A, "two", {})
    with pytest.raises(DuplicateName):
        await definitions.update("tool", A, two.id, "one", {})
    assert (await definitions.get("tool", A, two.id)).name == "two"  # type: ignore[union-attr]


async def test_delete(definitions: Definitions) -> None:
    res = await definitions.create("tool", A, "t", {})
    assert not await definitions.delete("tool", B, res.id)
    assert await definitions.delete("tool", A, res.id)
    assert await definitions.get("tool", A, res.id) is None
    assert not await definitions.delete("tool", A, res.id)
    # The name is free again.
    await definitions.create("tool", A, "t", {})


async def test_list_pagination_newest_first(definitions: Definitions) -> None:
    ids = [(await definitions.create("tool", A, f"t{i}", {})).id for i in range(5)]
    await definitions.create("tool", B, "elsewhere", {})
    page = await definitions.list("tool", A, limit=2)
    assert [r.id for r in page.items] == ids[::-1][:2] and page.has_more
    page2 = await definitions.list("tool", A, limit=2, starting_after=page.items[-1].id)
    assert [r.id for r in page2.items] == ids[::-1][2:4] and page2.has_more
    page3 = await definitions.list("tool", A, limit=2, starting_after=page2.items[-1].id)
    assert [r.id for r in page3.items] == [ids[0]] and not page3.has_more
    everything = await definitions.list("tool", A, limit=100)
    assert len(everything.items) == 5 and not everything.has_more


async def test_missing_and_referrers(definitions: Definitions) -> None:
    t1 = await definitions.create("tool", A, "t1", {})
    other = await definitions.create("tool", B, "t2", {})
    assert await definitions.missing("tool", A, [t1.id, other.id, "tool_nope0000"]) == [
        other.id,
        "tool_nope0000",
    ]
    agent = await definitions.create("agent", A, "a", {"tools": [t1.id], "memory": "mem_x0000000"})
    await definitions.create("memory_store", A, "m", {"vector": {"files": ["file_f0000000"]}})
    assert await definitions.referrers("agent", A, "tools", t1.id) == [agent.id]
    assert await definitions.referrers("agent", A, "memory", "mem_x0000000") == [agent.id]
    assert len(await definitions.referrers("memory_store", A, "vector.files", "file_f0000000")) == 1
    assert await definitions.referrers("agent", B, "tools", t1.id) == []
