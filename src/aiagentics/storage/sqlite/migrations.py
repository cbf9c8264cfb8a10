"""Schema migrations versioned in code: one ordered list per component, all listed here.

`MIGRATIONS` names every component and its list, so every database gets the whole
schema whatever the process imported. Only ever append to a list: version N is the N-th
entry. Applying runs, in one transaction per component, every entry above the version
recorded in `schema_migrations(component, version)`. An entry may hold several statements.
"""

from __future__ import annotations

import sqlite3

from aiagentics.storage.sqlite import (
    schema_conversations,
    schema_memory,
    schema_resources,
    schema_runs,
    schema_webhooks,
)
from aiagentics.storage.sqlite.db import Database

# The recorded names and versions are those of databases already in use: never rename.
MIGRATIONS: dict[str, list[str]] = {
    schema_resources.COMPONENT: schema_resources.MIGRATIONS,
    schema_runs.COMPONENT: schema_runs.MIGRATIONS,
    schema_memory.COMPONENT: schema_memory.MIGRATIONS,
    schema_webhooks.COMPONENT: schema_webhooks.MIGRATIONS,
    schema_conversations.COMPONENT: schema_conversations.MIGRATIONS,
}

_LEDGER = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " component TEXT NOT NULL, version INTEGER NOT NULL, applied_at INTEGER NOT NULL"
    " DEFAULT (CAST(strftime('%s','now') AS INTEGER)), PRIMARY KEY (component, version))"
)


def split_statements(script: str) -> list[str]:
    """Split a script into complete statements (trigger bodies included) using SQLite's own parser."""
    statements: list[str] = []
    start = 0
    for index, char in enumerate(script):
        # Cut at every `;` that ends a complete statement (not one inside a string or trigger).
        if char == ";" and sqlite3.complete_statement(script[start : index + 1]):
            statement = script[start : index + 1].strip()
            if statement.strip(";").strip():
                statements.append(statement)
            start = index + 1
    tail = script[start:].strip()
    if tail:
        statements.append(tail)
    return statements


def migrate_component(conn: sqlite3.Connection, component: str, sqls: list[str]) -> int:
    """Apply a component's pending steps on `conn`, inside the caller's write transaction
    (the version is read inside it, so two processes starting at once cannot both apply
    the same step). Returns the resulting version."""
    conn.execute(_LEDGER)
    row = conn.execute(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE component = ?",
        (component,),
    ).fetchone()
    current = int(row[0]) if row else 0
    for version, script in enumerate(sqls, start=1):
        if version <= current:
            continue
        for statement in split_statements(script):
            conn.execute(statement)
        conn.execute(
            "INSERT INTO schema_migrations (component, version) VALUES (?, ?)",
            (component, version),
        )
        current = version
    return current


async def migrate(db: Database, components: dict[str, list[str]] | None = None) -> dict[str, int]:
    """Apply every pending migration on the writer thread; the version of each component."""
    todo = MIGRATIONS if components is None else components
    versions: dict[str, int] = {}
    await db.write(lambda conn: conn.execute(_LEDGER))  # kept even when a step fails
    for component in sorted(todo):
        sqls = todo[component]
        versions[component] = await db.write(
            lambda conn, c=component, s=sqls: migrate_component(conn, c, s)  # type: ignore[misc]
        )
    return versions


def apply_migrations(
    db: Database, components: dict[str, list[str]] | None = None
) -> dict[str, int]:
    """The blocking form of `migrate`, for synchronous callers (never the event loop)."""
    todo = MIGRATIONS if components is None else components
    versions: dict[str, int] = {}
    conn = db.blocking
    conn.execute(_LEDGER)
    for component in sorted(todo):
        with conn.transaction():
            versions[component] = conn.locked(
                lambda c, name=component: migrate_component(c, name, todo[name])  # type: ignore[misc]
            )
    return versions
