"""The Store interface, run against every backend (SQLite today; add PostgreSQL to BACKENDS)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from aiagentics.gateway.auth import make_key
from aiagentics.storage.base import DuplicateId, DuplicateName, Scope, Store
from aiagentics.storage.sqlite.db import Database
from aiagentics.storage.sqlite.definitions import SQLiteStore
from aiagentics.storage.sqlite.migrations import apply_migrations

A = Scope("proj", "test")
B = Scope("other", "test")
A_LIVE = Scope("proj", "live")


def _sqlite(tmp_path: Path) -> tuple[Store, Callable[[], None]]:
    db = Database(tmp_path / "store.db")
    apply_migrations(db)
    return SQLiteStore(db), db.close


BACKENDS = {"sqlite": _sqlite}


@pytest.fixture(params=sorted(BACKENDS))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    backend, close = BACKENDS[request.param](tmp_path)
    yield backend
    close()


async def test_create_get_and_scoping(store: Store) -> None:
    res = await store.create("agent", A, "support", {"model": "scripted", "metadata": {}})
    assert res.id.startswith("agt_") and res.version == 1 and res.name == "support"
    got = await store.get("agent", A, res.id)
    assert got is not None and got.data == {"model": "scripted", "metadata": {}}
    assert (await store.get_by_name("agent", A, "support")).id == res.id  # type: ignore[union-attr]
    # Another project, another environment, another kind: it does not exist there.
    assert await store.get("agent", B, res.id) is None
    assert await store.get("agent", A_LIVE, res.id) is None
    assert await store.get("tool", A, res.id) is None
    assert await store.get_by_name("agent", B, "support") is None


async def test_names_unique_per_kind_and_scope(store: Store) -> None:
    await store.create("tool", A, "sql", {})
    with pytest.raises(DuplicateName):
        await store.create("tool", A, "sql", {})
    # Same name in another scope or kind is fine; unnamed objects never clash.
    await store.create("tool", B, "sql", {})
    await store.create("tool", A_LIVE, "sql", {})
    await store.create("agent", A, "sql", {})
    await store.create("file", A, None, {})
    await store.create("file", A, None, {})


async def test_create_with_given_id(store: Store) -> None:
    res = await store.create("tool", A, "t", {}, id="tool_STABLE000001")
    assert res.id == "tool_STABLE000001"
    with pytest.raises(DuplicateId):
        await store.create("tool", A, "t2", {}, id="tool_STABLE000001")


async def test_update_bumps_version_and_keeps_history(store: Store) -> None:
    res = await store.create("agent", A, "a", {"instructions": "v1"})
    for n in (2, 3):
        updated = await store.update("agent", A, res.id, "a", {"instructions": f"v{n}"})
        assert updated is not None and updated.version == n
    page = await store.versions("agent", A, res.id)
    assert page is not None
    assert [(r.version, r.data["instructions"]) for r in page.items] == [
        (3, "v3"),
        (2, "v2"),
        (1, "v1"),
    ]
    first = await store.versions("agent", A, res.id, limit=2)
    assert first is not None and first.has_more and [r.version for r in first.items] == [3, 2]
    rest = await store.versions("agent", A, res.id, limit=2, starting_after=2)
    assert rest is not None and not rest.has_more and [r.version for r in rest.items] == [1]
    assert await store.update("agent", B, res.id, "a", {}) is None
    assert await store.versions("agent", B, res.id) is None


async def test_update_to_a_taken_name_is_refused(store: Store) -> None:
    await store.create("tool", A, "one", {})
    two = await store.create("tool", A, "two", {})
    with pytest.raises(DuplicateName):
        await store.update("tool", A, two.id, "one", {})
    assert (await store.get("tool", A, two.id)).name == "two"  # type: ignore[union-attr]


async def test_delete(store: Store) -> None:
    res = await store.create("tool", A, "t", {})
    assert not await store.delete("tool", B, res.id)
    assert await store.delete("tool", A, res.id)
    assert await store.get("tool", A, res.id) is None
    assert not await store.delete("tool", A, res.id)
    # The name is free again.
    await store.create("tool", A, "t", {})


async def test_list_pagination_newest_first(store: Store) -> None:
    ids = [(await store.create("tool", A, f"t{i}", {})).id for i in range(5)]
    await store.create("tool", B, "elsewhere", {})
    page = await store.list("tool", A, limit=2)
    assert [r.id for r in page.items] == ids[::-1][:2] and page.has_more
    page2 = await store.list("tool", A, limit=2, starting_after=page.items[-1].id)
    assert [r.id for r in page2.items] == ids[::-1][2:4] and page2.has_more
    page3 = await store.list("tool", A, limit=2, starting_after=page2.items[-1].id)
    assert [r.id for r in page3.items] == [ids[0]] and not page3.has_more
    everything = await store.list("tool", A, limit=100)
    assert len(everything.items) == 5 and not everything.has_more


async def test_missing_and_referrers(store: Store) -> None:
    t1 = await store.create("tool", A, "t1", {})
    other = await store.create("tool", B, "t2", {})
    assert await store.missing("tool", A, [t1.id, other.id, "tool_nope0000"]) == [
        other.id,
        "tool_nope0000",
    ]
    agent = await store.create("agent", A, "a", {"tools": [t1.id], "memory": "mem_x0000000"})
    await store.create("memory_store", A, "m", {"vector": {"files": ["file_f0000000"]}})
    assert await store.referrers("agent", A, "tools", t1.id) == [agent.id]
    assert await store.referrers("agent", A, "memory", "mem_x0000000") == [agent.id]
    assert len(await store.referrers("memory_store", A, "vector.files", "file_f0000000")) == 1
    assert await store.referrers("agent", B, "tools", t1.id) == []


async def test_keys(store: Store) -> None:
    record, secret = make_key(project="proj", environment="test", name="k", scopes=["read"])
    await store.create_key(record)
    found = await store.key_by_hash(record.secret_hash)
    assert found is not None and found.id == record.id and secret not in str(found)
    assert await store.get_key(B, record.id) is None
    assert await store.count_active_admin_keys(A, int(time.time())) == 0
    admin, _ = make_key(project="proj", environment="test", name="adm", scopes=["admin"])
    await store.create_key(admin)
    assert await store.count_active_admin_keys(A, int(time.time())) == 1
    page = await store.list_keys(A)
    assert [k.id for k in page.items] == [admin.id, record.id]
    revoked = await store.revoke_key(A, admin.id, 100)
    assert revoked is not None and revoked.revoked_at == 100
    again = await store.revoke_key(A, admin.id, 200)
    assert again is not None and again.revoked_at == 100
    assert await store.count_active_admin_keys(A, int(time.time())) == 0
    shortened = await store.set_key_expiry(A, record.id, 1234)
    assert shortened is not None and shortened.expires_at == 1234 and not shortened.active(2000)


async def test_idempotency_records(store: Store) -> None:
    assert await store.idempotency_begin("o", "k", "h1", 10) is None
    pending = await store.idempotency_begin("o", "k", "h1", 11)
    assert pending is not None and pending.status is None
    await store.idempotency_finish("o", "k", 200, [("content-type", "application/json")], b"{}")
    done = await store.idempotency_begin("o", "k", "h2", 12)
    assert done is not None and done.status == 200 and done.body == b"{}" and done.body_hash == "h1"
    assert done.headers == [("content-type", "application/json")]
    assert await store.idempotency_begin("other-owner", "k", "h1", 12) is None
    await store.idempotency_abandon("other-owner", "k")
    assert await store.idempotency_begin("other-owner", "k", "h1", 13) is None
    assert await store.idempotency_purge(12) == 1
    assert await store.idempotency_begin("o", "k", "h3", 14) is None


def test_concurrent_duplicate_creates_exactly_one_wins(tmp_path: Path) -> None:
    """Many threads, each with its own connection to the same file, race for one name."""
    db = Database(tmp_path / "race.db")
    apply_migrations(db)
    db.close()
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        conn = Database(tmp_path / "race.db")
        store = SQLiteStore(conn)
        barrier.wait()
        try:
            asyncio.run(store.create("agent", A, "same", {}))
            outcomes.append("won")
        except DuplicateName:
            outcomes.append("duplicate")
        finally:
            conn.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["duplicate"] * 7 + ["won"]
