"""Per-component migrations: applied in order, once, and only the new steps on an upgrade."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiagentics.storage.sqlite.db import Database
from aiagentics.storage.sqlite.migrations import apply_migrations, register, split_statements


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


def test_register_rejects_a_changed_list() -> None:
    register("test-component-x", ["SELECT 1;"])
    register("test-component-x", ["SELECT 1;"])
    with pytest.raises(ValueError, match="twice"):
        register("test-component-x", ["SELECT 2;"])


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
