"""The `Scratchpads` contract: every backend keeps KV entries with the same semantics."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from tests.contract.conftest import Backend, Clock

from aiagentics.storage.memory import KVScope, ScratchpadFull, Scratchpads

P, E, M = "proj", "test", "mem_1"
ALICE = KVScope("user", "alice")
PROJECT = KVScope("project")
MAX = 10_000


@pytest.fixture
async def pads(backend: Backend, clock: Clock) -> AsyncIterator[Scratchpads]:
    storage = await backend.open(clock=clock)
    yield storage.scratchpads
    await storage.close()


def _j(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


async def test_put_get_replace_delete(pads: Scratchpads, clock: Clock) -> None:
    entry = await pads.put(P, E, M, ALICE, "plan", _j({"tier": "gold"}), None, MAX)
    assert entry.value == {"tier": "gold"} and entry.scope == ALICE
    assert entry.created_at == entry.updated_at == clock.now and entry.expires_at is None
    got = await pads.get(P, E, M, ALICE, "plan")
    assert got is not None and got.value == {"tier": "gold"} and got.key == "plan"
    clock.now += 5
    again = await pads.put(P, E, M, ALICE, "plan", _j("silver"), None, MAX)
    assert again.created_at == entry.created_at and again.updated_at == clock.now
    stored = await pads.get(P, E, M, ALICE, "plan")
    assert stored is not None and stored.value == "silver"
    assert stored.created_at == entry.created_at and stored.updated_at == clock.now
    assert await pads.delete(P, E, M, ALICE, "plan") is True
    assert await pads.get(P, E, M, ALICE, "plan") is None
    assert await pads.delete(P, E, M, ALICE, "plan") is False


async def test_values_keep_their_json_types(pads: Scratchpads) -> None:
    for i, value in enumerate([None, True, 3, 2.5, "text", [1, "a"], {"nested": {"k": []}}]):
        await pads.put(P, E, M, PROJECT, f"k{i}", _j(value), None, MAX)
        got = await pads.get(P, E, M, PROJECT, f"k{i}")
        assert got is not None and got.value == value


async def test_scopes_are_isolated(pads: Scratchpads) -> None:
    await pads.put(P, E, M, ALICE, "k", _j(1), None, MAX)
    await pads.put(P, E, M, KVScope("user", "bob"), "k", _j(2), None, MAX)
    await pads.put(P, E, M, KVScope("session", "alice"), "k", _j(3), None, MAX)
    await pads.put("other", E, M, ALICE, "k", _j(4), None, MAX)
    await pads.put(P, E, "mem_2", ALICE, "k", _j(5), None, MAX)
    values = [
        await pads.get(P, E, M, ALICE, "k"),
        await pads.get(P, E, M, KVScope("user", "bob"), "k"),
        await pads.get(P, E, M, KVScope("session", "alice"), "k"),
        await pads.get("other", E, M, ALICE, "k"),
        await pads.get(P, E, "mem_2", ALICE, "k"),
    ]
    assert [v.value if v else None for v in values] == [1, 2, 3, 4, 5]
    assert await pads.get(P, "live", M, ALICE, "k") is None
    assert await pads.get(P, E, M, PROJECT, "k") is None
    assert await pads.delete(P, E, M, KVScope("user", "bob"), "k") is True
    assert await pads.get(P, E, M, ALICE, "k") is not None


async def test_ttl_expiry_hides_then_purges(pads: Scratchpads, clock: Clock) -> None:
    short = await pads.put(P, E, M, PROJECT, "short", _j("x"), 10, MAX)
    assert short.expires_at == clock.now + 10
    await pads.put(P, E, M, PROJECT, "forever", _j("y"), None, MAX)
    clock.now += 9.5
    assert await pads.get(P, E, M, PROJECT, "short") is not None
    clock.now += 1
    assert await pads.get(P, E, M, PROJECT, "short") is None
    assert [e.key for e in await pads.list(P, E, M, PROJECT)] == ["forever"]
    # An expired key is not "removed" by a delete: it was already gone.
    assert await pads.delete(P, E, M, PROJECT, "short") is False
    assert await pads.purge_expired() <= 1
    assert await pads.purge_expired() == 0
    # Setting an expired key again creates it afresh.
    fresh = await pads.put(P, E, M, PROJECT, "short", _j("z"), None, MAX)
    assert fresh.created_at == clock.now


async def test_replacing_a_key_resets_its_ttl(pads: Scratchpads, clock: Clock) -> None:
    await pads.put(P, E, M, PROJECT, "k", _j(1), 10, MAX)
    clock.now += 5
    await pads.put(P, E, M, PROJECT, "k", _j(2), None, MAX)
    clock.now += 100
    got = await pads.get(P, E, M, PROJECT, "k")
    assert got is not None and got.value == 2 and got.expires_at is None


async def test_list_orders_by_key_filters_by_prefix_and_pages(pads: Scratchpads) -> None:
    s = KVScope("session", "s1")
    for key in ["b", "ab", "a%2", "a_1", "prefs/theme", "prefs/lang"]:
        await pads.put(P, E, M, s, key, _j(key), None, MAX)
    keys = [e.key for e in await pads.list(P, E, M, s)]
    assert keys == sorted(keys) and len(keys) == 6
    # LIKE wildcards in a prefix are plain characters.
    assert [e.key for e in await pads.list(P, E, M, s, prefix="a_")] == ["a_1"]
    assert [e.key for e in await pads.list(P, E, M, s, prefix="a%")] == ["a%2"]
    assert [e.key for e in await pads.list(P, E, M, s, prefix="prefs/")] == [
        "prefs/lang",
        "prefs/theme",
    ]
    # Cursor pagination: each page starts after the last key of the previous one.
    seen: list[str] = []
    after: str | None = None
    while True:
        page = await pads.list(P, E, M, s, limit=4, starting_after=after)
        seen.extend(e.key for e in page)
        if len(page) < 4:
            break
        after = page[-1].key
    assert seen == keys
    assert [e.key for e in await pads.list(P, E, M, s, prefix="a", starting_after="a_1")] == ["ab"]


async def test_max_keys_counts_live_keys_of_one_scratchpad(pads: Scratchpads, clock: Clock) -> None:
    await pads.put(P, E, M, PROJECT, "a", _j(1), None, 2)
    await pads.put(P, E, M, PROJECT, "b", _j(2), 5, 2)
    with pytest.raises(ScratchpadFull) as err:
        await pads.put(P, E, M, PROJECT, "c", _j(3), None, 2)
    assert err.value.max_keys == 2
    assert await pads.get(P, E, M, PROJECT, "c") is None
    await pads.put(P, E, M, PROJECT, "a", _j(10), None, 2)  # replacing is not adding
    await pads.put(P, E, M, ALICE, "c", _j(3), None, 2)  # another scratchpad
    clock.now += 6  # "b" expires, which frees its place
    await pads.put(P, E, M, PROJECT, "c", _j(3), None, 2)


async def test_delete_memory_drops_every_scope_of_that_memory_only(pads: Scratchpads) -> None:
    await pads.put(P, E, M, ALICE, "k", _j(1), None, MAX)
    await pads.put(P, E, M, PROJECT, "k", _j(2), None, MAX)
    await pads.put(P, E, "mem_2", ALICE, "k", _j(3), None, MAX)
    await pads.put(P, "live", M, ALICE, "k", _j(4), None, MAX)
    assert await pads.delete_memory(P, E, M) == 2
    assert await pads.get(P, E, M, ALICE, "k") is None
    assert await pads.list(P, E, M, PROJECT) == []
    assert await pads.get(P, E, "mem_2", ALICE, "k") is not None
    assert await pads.get(P, "live", M, ALICE, "k") is not None
