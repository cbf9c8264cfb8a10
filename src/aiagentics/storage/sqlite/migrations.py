"""Schema migrations versioned in code, one ordered list per component.

Each component keeps its list in its own module and registers it at import time:

    from aiagentics.storage.sqlite.migrations import register
    register("runs", [
        "CREATE TABLE runs (...); CREATE INDEX ...;",   # version 1
        "ALTER TABLE runs ADD COLUMN ...;",             # version 2
    ])

Only ever append to a list: version N is the N-th entry. `apply_migrations(db)` applies,
in one transaction per component, every entry above the version recorded in
`schema_migrations(component, version)`. An entry may hold several statements.
"""

from __future__ import annotations

import sqlite3

from aiagentics.storage.sqlite.db import Database

# Registry of code-defined migrations. Filled by importing schema modules; it holds
# code, not state, so it is the same in every process and every test.
_REGISTRY: dict[str, list[str]] = {}


def register(component: str, migrations: list[str]) -> None:
    """Declare a component's ordered migrations (re-registering the same list is a no-op)."""
    existing = _REGISTRY.get(component)
    if existing is not None and existing != list(migrations):
        raise ValueError(f"migrations of component {component!r} registered twice, differently")
    _REGISTRY[component] = list(migrations)


def registered() -> dict[str, list[str]]:
    """A copy of every registered component's migrations."""
    return {name: list(sqls) for name, sqls in _REGISTRY.items()}


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


def apply_migrations(
    db: Database, components: dict[str, list[str]] | None = None
) -> dict[str, int]:
    """Apply every pending migration; returns the resulting version of each component."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " component TEXT NOT NULL, version INTEGER NOT NULL, applied_at INTEGER NOT NULL"
        " DEFAULT (CAST(strftime('%s','now') AS INTEGER)), PRIMARY KEY (component, version))"
    )
    todo = registered() if components is None else components
    versions: dict[str, int] = {}
    for component in sorted(todo):
        sqls = todo[component]
        # The version is read inside the write transaction so that two processes
        # starting at once cannot both apply the same step.
        with db.transaction():
            row = db.fetchone(
                "SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations WHERE component = ?",
                (component,),
            )
            current = int(row["v"]) if row else 0
            for version, script in enumerate(sqls, start=1):
                if version <= current:
                    continue
                for statement in split_statements(script):
                    db.execute(statement)
                db.execute(
                    "INSERT INTO schema_migrations (component, version) VALUES (?, ?)",
                    (component, version),
                )
                current = version
        versions[component] = current
    return versions
