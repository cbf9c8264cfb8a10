"""The read cache is only ever as old as the request: any write, here or in another process, empties it."""

from __future__ import annotations

from pathlib import Path

from aiagentics.gateway.readcache import ReadCache
from aiagentics.storage.sqlite.db import Database


async def test_change_token_moves_on_every_write(tmp_path: Path) -> None:
    db = Database(tmp_path / "c.db")
    other = Database(tmp_path / "c.db")  # another connection, as another worker would have
    await db.write(lambda conn: conn.execute("CREATE TABLE t (a INTEGER)"))
    first = await db.change_token()
    assert await db.change_token() == first  # reads do not move it
    await db.read(lambda conn: conn.execute("SELECT * FROM t").fetchall())
    assert await db.change_token() == first
    await db.write(lambda conn: conn.execute("INSERT INTO t VALUES (1)"))
    second = await db.change_token()
    assert second != first
    await other.write(lambda conn: conn.execute("INSERT INTO t VALUES (2)"))  # a commit elsewhere
    third = await db.change_token()
    assert third != second
    async with other.transaction():
        await other.write(lambda conn: conn.execute("UPDATE t SET a = 3"))
    assert await db.change_token() != third
    # The blocking connection (code not yet on the async API) is another connection too.
    before = await db.change_token()
    db.fetchone("INSERT INTO t VALUES (4) RETURNING a")
    assert await db.change_token() != before
    await db.close()
    await other.close()


def test_values_live_only_under_their_token() -> None:
    cache = ReadCache(max_entries=2)
    t1 = cache.begin((1, 0))
    cache.put("a", b"1", t1)
    assert cache.get("a", t1) == b"1"
    assert cache.get("a", None) is None
    t2 = cache.begin((1, 1))
    assert cache.get("a", t2) is None  # dropped when the database moved on
    cache.put("b", b"2", t1)  # a request that began before the change may not fill it
    assert cache.get("b", t2) is None
    cache.put("b", b"2", t2)
    cache.put("c", b"3", t2)
    cache.put("d", b"4", t2)  # over the bound: starts over
    assert cache.get("b", t2) is None and cache.get("d", t2) == b"4"
