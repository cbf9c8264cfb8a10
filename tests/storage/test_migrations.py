"""Per-component migrations: applied in order, once, and only the new steps on an upgrade."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from aiagentics.storage.sqlite.db import Database
from aiagentics.storage.sqlite.migrations import (
    MIGRATIONS,
    apply_migrations,
    migrate,
    split_statements,
)


def test_applies_each_step_once_and_upgrades(tmp_path: Path) -> None:
    db = Database(tmp_path / "m.db")
    v1 = {
        "widgets": [
            "CREATE TABLE widgets (id TEXT PRIMARY KEY); CREATE INDEX w_id ON widgets (id);"
        ]
    }
    assert apply_migrations(db, v1) == {"widgets": 1}
    db.execute("INSERT INTO widgets (id) VALUES ('a')")
    assert apply_migrations(db, v1) == {"widgets": 1}  # no-op: would fail if re-run
    v2 = {"widgets": [*v1["widgets"], "ALTER TABLE widgets ADD COLUMN size INTEGER DEFAULT 3;"]}
    assert apply_migrations(db, v2) == {"widgets": 2}
    assert db.fetchone("SELECT size FROM widgets WHERE id = 'a'")[0] == 3  # type: ignore[index]
    rows = db.fetchall("SELECT component, version FROM schema_migrations ORDER BY version")
    assert [tuple(r) for r in rows] == [("widgets", 1), ("widgets", 2)]


def test_failed_step_rolls_back(tmp_path: Path) -> None:
    db = Database(tmp_path / "m.db")
    bad = {"broken": ["CREATE TABLE ok_table (id INTEGER);", "CREATE TABLE nope (;"]}
    with pytest.raises(Exception, match="syntax"):
        apply_migrations(db, bad)
    # The component's transaction rolled back as a whole: nothing recorded, no table.
    assert db.fetchone("SELECT 1 FROM sqlite_master WHERE name = 'ok_table'") is None
    assert db.fetchone("SELECT 1 FROM schema_migrations WHERE component = 'broken'") is None


def test_every_schema_module_is_listed() -> None:
    """The list is explicit: a component's schema does not depend on what was imported."""
    import pkgutil

    from aiagentics.storage import sqlite as package

    modules = [
        m.name for m in pkgutil.iter_modules(package.__path__) if m.name.startswith("schema_")
    ]
    listed = {importlib.import_module(f"aiagentics.storage.sqlite.{m}").COMPONENT for m in modules}
    assert set(MIGRATIONS) == listed == {"resources", "runs", "memory", "webhooks", "threads"}


async def test_migrate_gives_the_whole_schema_off_the_loop(tmp_path: Path) -> None:
    db = Database(tmp_path / "all.db")
    versions = await migrate(db)
    assert versions == {name: len(sqls) for name, sqls in MIGRATIONS.items()}
    assert await migrate(db) == versions  # a no-op the second time
    tables = await db.read(
        lambda conn: {r[0] for r in conn.execute("SELECT name FROM sqlite_master").fetchall()}
    )
    assert {"resources", "runs", "run_events", "memory_kv", "webhook_deliveries"} <= tables
    await db.close()


def test_split_statements_keeps_trigger_bodies() -> None:
    script = """
    CREATE TABLE t (a INTEGER);
    CREATE TRIGGER trg AFTER INSERT ON t BEGIN
        UPDATE t SET a = a + 1;
    END;
    """
    statements = split_statements(script)
    assert (
        len(statements) == 2
        and statements[1].startswith("CREATE TRIGGER")
        and "END;" in statements[1]
    )


def test_database_pragmas(tmp_path: Path) -> None:
    db = Database(tmp_path / "p.db")
    assert db.fetchone("PRAGMA journal_mode")[0] == "wal"  # type: ignore[index]
    assert db.fetchone("PRAGMA foreign_keys")[0] == 1  # type: ignore[index]
    assert db.fetchone("PRAGMA synchronous")[0] == 1  # type: ignore[index]  # NORMAL


def test_idempotency_records_of_before_sealing_are_wiped(tmp_path: Path) -> None:
    """Old records held response bodies in plain text: the upgrade drops them, bytes and all."""
    from aiagentics.storage.sqlite import schema_resources

    path = tmp_path / "old.db"
    db = Database(path)
    apply_migrations(db, {"resources": schema_resources.MIGRATIONS[:1]})
    secret = b"sk_test_" + b"Q" * 40
    db.execute(
        "INSERT INTO idempotency (owner, key, body_hash, status, body, created_at)"
        " VALUES ('default/test', 'k', 'h', 200, ?, 1)",
        (b'{"secret":"' + secret + b'"}',),
    )
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert secret in path.read_bytes()
    db.execute("PRAGMA secure_delete = OFF")  # as SQLite builds without SECURE_DELETE start
    versions = apply_migrations(db, {"resources": schema_resources.MIGRATIONS})
    assert versions == {"resources": len(schema_resources.MIGRATIONS)}
    assert db.fetchone("SELECT COUNT(*) FROM idempotency")[0] == 0  # type: ignore[index]
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    assert secret not in path.read_bytes()


def test_the_active_run_count_reads_only_active_runs(tmp_path: Path) -> None:
    """The concurrent-runs limit counts at every run start: it must not read finished runs."""
    from aiagentics.storage.records import ACTIVE

    db = Database(tmp_path / "m.db")
    apply_migrations(db, MIGRATIONS)
    plan = db.fetchall(
        "EXPLAIN QUERY PLAN SELECT COUNT(*) FROM runs WHERE status IN (?, ?) AND project = ?"
        " AND environment = ?",
        (*ACTIVE, "p", "e"),
    )
    detail = " ".join(str(row[3]) for row in plan)
    assert "status=?" in detail and "environment=?" in detail, detail
