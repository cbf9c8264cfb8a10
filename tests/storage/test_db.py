"""The SQLite `Database`: never on the loop thread, readers beside the writer, slices interleave."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from aiagentics.gateway.app import create_app
from aiagentics.gateway.settings import GatewaySettings
from aiagentics.storage.sqlite import db as db_module
from aiagentics.storage.sqlite.db import Database

KEY = "sk_test_" + "s" * 40


async def _table(db: Database) -> None:
    await db.write(
        lambda conn: conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT)")
    )


async def test_a_read_does_not_wait_for_a_long_write(tmp_path: Path) -> None:
    db = Database(tmp_path / "r.db")
    await _table(db)
    await db.write(lambda conn: conn.execute("INSERT INTO t (v) VALUES ('old')"))
    started = threading.Event()

    def slow(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO t (v) VALUES ('new')")
        started.set()
        time.sleep(1.0)  # the writer holds its transaction open

    writing = asyncio.create_task(db.write(slow))
    await asyncio.to_thread(started.wait, 5)
    begun = time.perf_counter()
    rows = await db.read(lambda conn: conn.execute("SELECT v FROM t").fetchall())
    assert time.perf_counter() - begun < 0.5
    assert [r[0] for r in rows] == ["old"]  # the last committed state
    await writing
    rows = await db.read(lambda conn: conn.execute("SELECT v FROM t ORDER BY id").fetchall())
    assert [r[0] for r in rows] == ["old", "new"]
    await db.close()


async def test_write_in_slices_lets_other_writers_interleave(tmp_path: Path) -> None:
    db = Database(tmp_path / "s.db")
    await _table(db)
    slices = 0

    def insert(conn: sqlite3.Connection, part: list[int]) -> None:
        nonlocal slices
        slices += 1
        conn.executemany("INSERT INTO t (v) VALUES (?)", [(f"row{i}",) for i in part])
        time.sleep(0.02)

    batch = asyncio.create_task(db.write_in_slices(range(400), insert, slice_size=20))
    await asyncio.sleep(0.05)
    await db.write(lambda conn: conn.execute("INSERT INTO t (v) VALUES ('other')"))
    assert await batch == 400 and slices == 20
    ids = await db.read(
        lambda conn: conn.execute("SELECT id FROM t WHERE v = 'other'").fetchone()[0]
    )
    assert 1 < ids < 401  # committed between two slices, not after the whole batch
    await db.close()


async def test_failed_write_rolls_back_and_the_writer_goes_on(tmp_path: Path) -> None:
    db = Database(tmp_path / "f.db")
    await _table(db)

    def half(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO t (v) VALUES ('half')")
        raise ValueError("no")

    with pytest.raises(ValueError):
        await db.write(half)
    await db.write(lambda conn: conn.execute("INSERT INTO t (v) VALUES ('whole')"))
    rows = await db.read(lambda conn: conn.execute("SELECT v FROM t").fetchall())
    assert [r[0] for r in rows] == ["whole"]
    await db.close()


async def test_a_cancelled_unit_of_work_leaves_no_open_transaction(tmp_path: Path) -> None:
    db = Database(tmp_path / "c.db")
    await _table(db)
    entered = asyncio.Event()

    async def unit() -> None:
        async with db.transaction():
            await db.write(lambda conn: conn.execute("INSERT INTO t (v) VALUES ('gone')"))
            entered.set()
            await asyncio.sleep(10)

    task = asyncio.create_task(unit())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await db.write(lambda conn: conn.execute("INSERT INTO t (v) VALUES ('kept')"))
    rows = await db.read(lambda conn: conn.execute("SELECT v FROM t").fetchall())
    assert [r[0] for r in rows] == ["kept"]
    await db.close()


async def test_change_token_moves_after_another_process_commits(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    db = Database(path)
    await _table(db)
    before = await db.change_token()
    script = f"import sqlite3; c = sqlite3.connect({str(path)!r}); c.execute(\"INSERT INTO t (v) VALUES ('x')\"); c.commit()"
    await asyncio.to_thread(subprocess.run, [sys.executable, "-c", script], check=True)
    assert await db.change_token() != before
    await db.close()


async def test_a_sole_writers_token_moves_with_each_commit_and_asks_no_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(tmp_path / "s.db", sole_writer=True)
    await _table(db)

    def no_hop(fn: Any) -> Any:
        raise AssertionError("the sole writer's change token went to a thread")

    monkeypatch.setattr(db._tokens, "run", no_hop)
    before = await db.change_token()
    assert await db.change_token() == before  # nothing committed in between
    await db.write(lambda conn: conn.execute("INSERT INTO t (v) VALUES ('a')"))
    after_write = await db.change_token()
    assert after_write != before
    async with db.transaction():
        await db.write(lambda conn: conn.execute("INSERT INTO t (v) VALUES ('b')"))
    assert await db.change_token() != after_write
    await db.close()


async def test_writes_marked_uncached_leave_the_change_token_alone(tmp_path: Path) -> None:
    """Run logs, the outbox and memory do not empty the read cache; a unit of work that
    mixes such a write with any other moves the token."""
    db = Database(tmp_path / "u.db", sole_writer=True)
    await _table(db)
    before = await db.change_token()
    await db.write(lambda conn: conn.execute("INSERT INTO t (v) VALUES ('log')"), cached=False)
    await db.write_in_slices(
        [("x",)], lambda c, rows: c.executemany("INSERT INTO t (v) VALUES (?)", rows), cached=False
    )
    assert await db.change_token() == before
    async with db.transaction():
        await db.write(lambda conn: conn.execute("INSERT INTO t (v) VALUES ('a')"), cached=False)
        await db.read(lambda conn: conn.execute("SELECT 1").fetchall())
    assert await db.change_token() == before
    async with db.transaction():
        await db.write(lambda conn: conn.execute("INSERT INTO t (v) VALUES ('b')"), cached=False)
        await db.write(lambda conn: conn.execute("INSERT INTO t (v) VALUES ('c')"))
    assert await db.change_token() != before
    await db.close()


async def test_memory_is_a_private_temporary_file(tmp_path: Path) -> None:
    first, second = Database(":memory:"), Database(":memory:")
    assert first.path != second.path and Path(first.path).exists()
    await _table(first)
    await _table(second)  # a database of its own
    await first.close()
    assert not Path(first.path).exists()
    await second.close()


async def test_no_sqlite_call_on_the_loop_thread_while_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every connection notes, for each statement, whether its thread runs an event loop
    (the trace callback runs on the thread executing the statement); none ever does."""
    statements: list[tuple[bool, str]] = []
    real_connect = db_module.connect

    def traced(path: str) -> sqlite3.Connection:
        conn = real_connect(path)
        conn.set_trace_callback(
            lambda sql: statements.append((asyncio._get_running_loop() is not None, sql))
        )
        return conn

    # The blocking connection is traced too: nothing the gateway serves may use it.
    monkeypatch.setattr(db_module, "connect", traced)
    app = create_app(GatewaySettings(database=str(tmp_path / "gw.db"), bootstrap_api_key=KEY))
    async with AsyncTestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {KEY}"
        tool = await client.post("/v1/tools", json={"name": "lookup", "type": "client"})
        assert tool.status_code == 200, tool.text
        agent = await client.post(
            "/v1/agents", json={"name": "echo", "model": "scripted", "tools": [tool.json()["id"]]}
        )
        assert agent.status_code == 200, agent.text
        agent_id = agent.json()["id"]
        for _ in range(3):
            assert (await client.get("/v1/agents")).status_code == 200
        assert (await client.get(f"/v1/agents/{agent_id}")).status_code == 200
        update: dict[str, Any] = {"instructions": "Be brief."}
        assert (await client.post(f"/v1/agents/{agent_id}", json=update)).status_code == 200
        run = await client.post("/v1/runs", json={"agent_id": agent_id, "input": "hi"})
        assert run.status_code == 200, run.text
        run_id = run.json()["id"]
        for _ in range(100):
            got = await client.get(f"/v1/runs/{run_id}")
            if got.json()["status"] not in ("queued", "in_progress"):
                break
            await asyncio.sleep(0.05)
        assert (await client.get(f"/v1/traces/{run_id}")).status_code == 200
        assert (await client.get("/v1/runs")).status_code == 200
        assert (await client.get(f"/v1/runs/{run_id}/events")).status_code == 200
        # Memory (KV and chunks), files and webhooks go through the same storage.
        upload = await client.post(
            "/v1/files",
            files={"file": ("policy.md", b"# Refunds\nRefunds take five business days.")},
            data={"purpose": "retrieval"},
        )
        assert upload.status_code == 200, upload.text
        memory = await client.post(
            "/v1/memory_stores",
            json={
                "name": "mem",
                "kv": {"scope": "user"},
                "vector": {"files": [upload.json()["id"]]},
            },
        )
        assert memory.status_code == 200, memory.text
        mem = memory.json()["id"]
        kv = f"/v1/memory_stores/{mem}/kv/colour"
        put = await client.put(kv, params={"user_id": "ann"}, json={"value": "blue"})
        assert put.status_code == 200, put.text
        assert (await client.get(kv, params={"user_id": "ann"})).json()["value"] == "blue"
        found = await client.post(f"/v1/memory_stores/{mem}/search", json={"query": "refunds"})
        assert found.status_code == 200 and found.json()["data"], found.text
        hook = await client.post(
            "/v1/webhooks",
            json={"url": "https://hooks.example.com/in", "events": ["run.completed"]},
        )
        assert hook.status_code == 200, hook.text
        deliveries = await client.get(f"/v1/webhooks/{hook.json()['id']}/deliveries")
        assert deliveries.status_code == 200, deliveries.text
        key = await client.post("/v1/keys", json={"name": "ci", "scopes": ["read"]})
        assert key.status_code == 200, key.text
        assert (
            await client.get("/v1/agents", headers={"Authorization": "Bearer nope"})
        ).status_code == 401
    assert len(statements) > 20  # the requests did reach SQLite
    on_a_loop = [sql for looping, sql in statements if looping]
    assert on_a_loop == [], on_a_loop


async def test_a_sole_writer_and_any_other_opener_exclude_each_other(tmp_path: Path) -> None:
    """A sole writer's caches never see another process's commits: refuse the pair."""
    from aiagentics.storage.sqlite.db import DatabaseInUse

    sole = Database(tmp_path / "x.db", sole_writer=True)
    with pytest.raises(DatabaseInUse, match="only writer"):
        Database(tmp_path / "x.db")
    await sole.close()
    shared = Database(tmp_path / "x.db")  # free again once the sole writer closed
    also = Database(tmp_path / "x.db")  # openers that are not sole share the file
    with pytest.raises(DatabaseInUse, match="another process has it open"):
        Database(tmp_path / "x.db", sole_writer=True)
    await shared.close()
    await also.close()
