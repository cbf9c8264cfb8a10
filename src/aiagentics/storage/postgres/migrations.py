"""Apply the PostgreSQL migrations at start, under an advisory lock.

All components are brought up to date in ONE transaction that first takes
`pg_advisory_xact_lock`: a second instance starting at the same moment waits for the
first one's commit, then finds nothing left to do. The ledger is `schema_migrations`
(component, version), as on SQLite.
"""

from __future__ import annotations

from aiagentics.storage.postgres.db import Conn, PgDatabase, execute, fetchall
from aiagentics.storage.postgres.schema import MIGRATIONS

# An arbitrary constant naming "the aiagentics schema" among advisory locks.
MIGRATION_LOCK = 0x41494147

_LEDGER = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " component TEXT NOT NULL, version INTEGER NOT NULL,"
    " applied_at BIGINT NOT NULL DEFAULT (extract(epoch from now())::bigint),"
    " PRIMARY KEY (component, version))"
)


async def migrate(db: PgDatabase, components: dict[str, list[str]] | None = None) -> dict[str, int]:
    """Apply every pending step; the resulting version of each component."""
    todo = MIGRATIONS if components is None else components

    async def apply(conn: Conn) -> dict[str, int]:
        await execute(conn, "SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        await execute(conn, _LEDGER)
        rows = await fetchall(
            conn, "SELECT component, MAX(version) FROM schema_migrations GROUP BY component"
        )
        current = {str(r[0]): int(r[1]) for r in rows}
        versions: dict[str, int] = {}
        # `core` first: other components' transactions bump its counter.
        for component in sorted(todo, key=lambda c: (c != "core", c)):
            version = current.get(component, 0)
            for number, script in enumerate(todo[component], start=1):
                if number <= version:
                    continue
                await conn.execute(script.encode())  # several statements: no parameters
                await execute(
                    conn,
                    "INSERT INTO schema_migrations (component, version) VALUES (%s, %s)",
                    (component, number),
                )
                version = number
            versions[component] = version
        return versions

    return await db.write(apply, cached=False)
