"""Migrations of the `threads` component: conversations across runs (not OS threads)."""

from __future__ import annotations

COMPONENT = "threads"

MIGRATIONS = [
    # 1: a thread per conversation (`run_id`: the run holding it now, NULL when free), its
    #    messages in order (`n` per thread), and the runs made on it in order (`seq`).
    """
    CREATE TABLE threads (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        project TEXT NOT NULL,
        environment TEXT NOT NULL,
        metadata BLOB NOT NULL,
        run_id TEXT,
        created_at REAL NOT NULL
    );
    CREATE INDEX threads_by_scope ON threads (project, environment, seq);
    CREATE TABLE thread_messages (
        thread_id TEXT NOT NULL,
        n INTEGER NOT NULL,
        run_id TEXT NOT NULL,
        message BLOB NOT NULL,
        created_at REAL NOT NULL,
        PRIMARY KEY (thread_id, n)
    ) WITHOUT ROWID;
    CREATE TABLE thread_runs (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        thread_id TEXT NOT NULL,
        run_id TEXT NOT NULL UNIQUE
    );
    CREATE INDEX thread_runs_by_thread ON thread_runs (thread_id, seq);
    """,
]
