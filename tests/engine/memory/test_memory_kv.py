"""KV scratchpads: scopes, TTLs, limits."""

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

P, E, M = "proj", "test", "mem_1"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_set_get_delete_roundtrip(db) -> None:  # type: ignore[no-untyped-def]
    kv = KVStore(db)
    alice = Scope("user", "alice")
    entry = kv.set(P, E, M, alice, "plan", {"tier": "gold", "n": [1, 2]})
    assert entry.value == {"tier": "gold", "n": [1, 2]}
    assert kv.get(P, E, M, alice, "plan").value == {"tier": "gold", "n": [1, 2]}  # type: ignore[union-attr]
    created = entry.created_at
    again = kv.set(P, E, M, alice, "plan", "silver")
    assert again.created_at == created and kv.get(P, E, M, alice, "plan").value == "silver"  # type: ignore[union-attr]
    assert kv.delete(P, E, M, alice, "plan") is True
    assert kv.get(P, E, M, alice, "plan") is None
    assert kv.delete(P, E, M, alice, "plan") is False


def test_scopes_are_isolated(db) -> None:  # type: ignore[no-untyped-def]
    kv = KVStore(db)
    kv.set(P, E, M, Scope("user", "alice"), "k", 1)
    kv.set(P, E, M, Scope("user", "bob"), "k", 2)
    kv.set(P, E, M, Scope("session", "alice"), "k", 3)
    kv.set("other", E, M, Scope("user", "alice"), "k", 4)
    assert kv.get(P, E, M, Scope("user", "alice"), "k").value == 1  # type: ignore[union-attr]
    assert kv.get(P, E, M, Scope("user", "bob"), "k").value == 2  # type: ignore[union-attr]
    assert kv.get(P, E, M, Scope("session", "alice"), "k").value == 3  # type: ignore[union-attr]
    assert kv.get(P, "live", M, Scope("user", "alice"), "k") is None
    assert kv.get(P, E, "mem_2", Scope("user", "alice"), "k") is None


def test_ttl_expiry_and_purge(db) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()
    kv = KVStore(db, clock)
    s = Scope("project")
    kv.set(P, E, M, s, "short", "x", ttl_seconds=10)
    kv.set(P, E, M, s, "forever", "y")
    clock.now += 9
    assert kv.get(P, E, M, s, "short") is not None
    clock.now += 2
    assert kv.get(P, E, M, s, "short") is None
    assert [e.key for e in kv.list(P, E, M, s)] == ["forever"]
    assert kv.purge_expired() == 1


def test_list_prefix_and_pagination(db) -> None:  # type: ignore[no-untyped-def]
    kv = KVStore(db)
    s = Scope("session", "s1")
    for key in ["a_1", "a%2", "ab", "b"]:
        kv.set(P, E, M, s, key, key)
    assert [e.key for e in kv.list(P, E, M, s, prefix="a_")] == ["a_1"]
    assert [e.key for e in kv.list(P, E, M, s, prefix="a%")] == ["a%2"]
    assert [e.key for e in kv.list(P, E, M, s, limit=2)] == ["a%2", "a_1"]
    assert [e.key for e in kv.list(P, E, M, s, starting_after="a_1")] == ["ab", "b"]


def test_key_and_value_limits(db) -> None:  # type: ignore[no-untyped-def]
    kv = KVStore(db)
    s = Scope("project")
    kv.set(P, E, M, s, "k" * KEY_MAX_CHARS, 1)
    with pytest.raises(MemoryInputError) as err:
        kv.set(P, E, M, s, "k" * (KEY_MAX_CHARS + 1), 1)
    assert err.value.param == "key"
    at_limit = "v" * (VALUE_MAX_BYTES - 2)  # the JSON string adds two quotes
    kv.set(P, E, M, s, "big", at_limit)
    with pytest.raises(MemoryInputError) as err:
        kv.set(P, E, M, s, "big", at_limit + "v")
    assert err.value.param == "value"
    for bad_key in ["", "a\nb", None]:
        with pytest.raises(MemoryInputError):
            kv.set(P, E, M, s, bad_key, 1)  # type: ignore[arg-type]
    with pytest.raises(MemoryInputError) as err:
        kv.set(P, E, M, s, "k", 1, ttl_seconds=0)
    assert err.value.param == "ttl_seconds"
    with pytest.raises(MemoryInputError):
        kv.set(P, E, M, s, "nan", float("nan"))


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
