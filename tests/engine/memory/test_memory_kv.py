"""KV scratchpads through the engine's KVStore: scopes, TTLs, limits, input checks."""

from __future__ import annotations

import pytest

from aiagentics.engine.memory.kv import (
    KEY_MAX_CHARS,
    VALUE_MAX_BYTES,
    KVStore,
    MemoryInputError,
    Scope,
    resolve_scope,
)
from aiagentics.storage.sqlite.scratchpads import SQLiteScratchpads

P, E, M = "proj", "test", "mem_1"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


async def test_set_get_delete_roundtrip(db) -> None:  # type: ignore[no-untyped-def]
    kv = KVStore(SQLiteScratchpads(db))
    alice = Scope("user", "alice")
    entry = await kv.set(P, E, M, alice, "plan", {"tier": "gold", "n": [1, 2]})
    assert entry.value == {"tier": "gold", "n": [1, 2]}
    assert (await kv.get(P, E, M, alice, "plan")).value == {"tier": "gold", "n": [1, 2]}  # type: ignore[union-attr]
    created = entry.created_at
    again = await kv.set(P, E, M, alice, "plan", "silver")
    assert again.created_at == created and (await kv.get(P, E, M, alice, "plan")).value == "silver"  # type: ignore[union-attr]
    assert await kv.delete(P, E, M, alice, "plan") is True
    assert await kv.get(P, E, M, alice, "plan") is None
    assert await kv.delete(P, E, M, alice, "plan") is False


async def test_scopes_are_isolated(db) -> None:  # type: ignore[no-untyped-def]
    kv = KVStore(SQLiteScratchpads(db))
    await kv.set(P, E, M, Scope("user", "alice"), "k", 1)
    await kv.set(P, E, M, Scope("user", "bob"), "k", 2)
    await kv.set(P, E, M, Scope("session", "alice"), "k", 3)
    await kv.set("other", E, M, Scope("user", "alice"), "k", 4)
    assert (await kv.get(P, E, M, Scope("user", "alice"), "k")).value == 1  # type: ignore[union-attr]
    assert (await kv.get(P, E, M, Scope("user", "bob"), "k")).value == 2  # type: ignore[union-attr]
    assert (await kv.get(P, E, M, Scope("session", "alice"), "k")).value == 3  # type: ignore[union-attr]
    assert await kv.get(P, "live", M, Scope("user", "alice"), "k") is None
    assert await kv.get(P, E, "mem_2", Scope("user", "alice"), "k") is None


async def test_ttl_expiry_and_purge(db) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()
    kv = KVStore(SQLiteScratchpads(db, clock))
    s = Scope("project")
    await kv.set(P, E, M, s, "short", "x", ttl_seconds=10)
    await kv.set(P, E, M, s, "forever", "y")
    clock.now += 9
    assert await kv.get(P, E, M, s, "short") is not None
    clock.now += 2
    assert await kv.get(P, E, M, s, "short") is None
    assert [e.key for e in await kv.list(P, E, M, s)] == ["forever"]
    assert await kv.purge_expired() == 1


async def test_list_prefix_and_pagination(db) -> None:  # type: ignore[no-untyped-def]
    kv = KVStore(SQLiteScratchpads(db))
    s = Scope("session", "s1")
    for key in ["a_1", "a%2", "ab", "b"]:
        await kv.set(P, E, M, s, key, key)
    assert [e.key for e in await kv.list(P, E, M, s, prefix="a_")] == ["a_1"]
    assert [e.key for e in await kv.list(P, E, M, s, prefix="a%")] == ["a%2"]
    assert [e.key for e in await kv.list(P, E, M, s, limit=2)] == ["a%2", "a_1"]
    assert [e.key for e in await kv.list(P, E, M, s, starting_after="a_1")] == ["ab", "b"]


async def test_key_and_value_limits(db) -> None:  # type: ignore[no-untyped-def]
    kv = KVStore(SQLiteScratchpads(db))
    s = Scope("project")
    await kv.set(P, E, M, s, "k" * KEY_MAX_CHARS, 1)
    with pytest.raises(MemoryInputError) as err:
        await kv.set(P, E, M, s, "k" * (KEY_MAX_CHARS + 1), 1)
    assert err.value.param == "key"
    at_limit = "v" * (VALUE_MAX_BYTES - 2)  # the JSON string adds two quotes
    await kv.set(P, E, M, s, "big", at_limit)
    with pytest.raises(MemoryInputError) as err:
        await kv.set(P, E, M, s, "big", at_limit + "v")
    assert err.value.param == "value"
    for bad_key in ["", "a\nb", None]:
        with pytest.raises(MemoryInputError):
            await kv.set(P, E, M, s, bad_key, 1)  # type: ignore[arg-type]
    with pytest.raises(MemoryInputError) as err:
        await kv.set(P, E, M, s, "k", 1, ttl_seconds=0)
    assert err.value.param == "ttl_seconds"
    with pytest.raises(MemoryInputError):
        await kv.set(P, E, M, s, "nan", float("nan"))


def test_resolve_scope() -> None:
    assert resolve_scope("project", None, None) == Scope("project", "")
    assert resolve_scope("user", "u1", "s1") == Scope("user", "u1")
    assert resolve_scope("session", "u1", "s1") == Scope("session", "s1")
    with pytest.raises(MemoryInputError) as err:
        resolve_scope("user", None, "s1")
    assert err.value.param == "user_id"
    with pytest.raises(MemoryInputError) as err:
        resolve_scope("session", "u1", "")
    assert err.value.param == "session_id"


async def test_a_full_scratchpad_refuses_new_keys_on_param_key(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import aiagentics.engine.memory.kv as kv_module

    monkeypatch.setattr(kv_module, "KEYS_PER_SCOPE_MAX", 2)
    kv = KVStore(SQLiteScratchpads(db))
    s = Scope("project")
    await kv.set(P, E, M, s, "a", 1)
    await kv.set(P, E, M, s, "b", 2)
    with pytest.raises(MemoryInputError) as err:
        await kv.set(P, E, M, s, "c", 3)
    assert err.value.param == "key" and "2 keys" in err.value.message
    await kv.set(P, E, M, s, "a", 10)  # replacing a key is not a new key
    await kv.set(P, E, M, Scope("user", "u1"), "c", 3)  # another scope has its own count
