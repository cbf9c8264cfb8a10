"""Migrations of the run engine's tables (component `runs`): runs and their event logs."""

from __future__ import annotations

COMPONENT = "runs"

MIGRATIONS = [
    # v1
    """
    CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        project TEXT NOT NULL,
        environment TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        agent_version INTEGER NOT NULL,
        agent BLOB NOT NULL,
        status TEXT NOT NULL,
        input BLOB NOT NULL,
        metadata BLOB NOT NULL,
        owner TEXT,
        created_at REAL NOT NULL,
        started_at REAL,
        completed_at REAL,
        state BLOB NOT NULL
    );
    CREATE INDEX runs_by_scope ON runs (project, environment);
    CREATE INDEX runs_by_status ON runs (status, project);
    CREATE TABLE run_events (
        run_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        event TEXT NOT NULL,
        data BLOB NOT NULL,
        created_at REAL NOT NULL,
        PRIMARY KEY (run_id, seq)
    ) WITHOUT ROWID;
    """,
    # v2: another worker process asks the owner of a running run to cancel it
    """
    ALTER TABLE runs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX runs_cancel_requested ON runs (owner) WHERE cancel_requested = 1;
    """,
    # v3: internal records (model steps, for the trace) leave the public log, so that the
    # event ids a stream shows are dense; `after_seq` is the public event they follow.
    """
    CREATE TABLE run_steps (
        run_id TEXT NOT NULL,
        n INTEGER NOT NULL,
        after_seq INTEGER NOT NULL,
        event TEXT NOT NULL,
        data BLOB NOT NULL,
        created_at REAL NOT NULL,
        PRIMARY KEY (run_id, n)
    ) WITHOUT ROWID;
    """,
    # v4: the concurrent-runs limit counts a scope's active runs at every run start; without
    # this index that count read every run the scope ever had.
    """
    CREATE INDEX runs_active_by_scope ON runs (project, environment, status);
    """,
]
