"""Migrations of the `resources` component: definitions, their versions, keys, idempotency."""

from __future__ import annotations

COMPONENT = "resources"

MIGRATIONS = [
    # 1: definitions of every kind in one table; data is the JSON of the kind's fields.
    """
    CREATE TABLE resources (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        project TEXT NOT NULL,
        environment TEXT NOT NULL,
        name TEXT,
        version INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        data TEXT NOT NULL
    );
    CREATE UNIQUE INDEX resources_name ON resources (kind, project, environment, name)
        WHERE name IS NOT NULL;
    CREATE INDEX resources_list ON resources (kind, project, environment, seq);
    CREATE TABLE resource_versions (
        id TEXT NOT NULL,
        version INTEGER NOT NULL,
        name TEXT,
        created_at INTEGER NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (id, version)
    );
    CREATE TABLE api_keys (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        project TEXT NOT NULL,
        environment TEXT NOT NULL,
        name TEXT NOT NULL,
        scopes TEXT NOT NULL,
        secret_hash TEXT NOT NULL UNIQUE,
        hint TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        revoked_at INTEGER,
        last_used_at INTEGER,
        metadata TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX api_keys_scope ON api_keys (project, environment, seq);
    CREATE TABLE idempotency (
        owner TEXT NOT NULL,
        key TEXT NOT NULL,
        body_hash TEXT NOT NULL,
        status INTEGER,
        headers TEXT NOT NULL DEFAULT '[]',
        body BLOB NOT NULL DEFAULT x'',
        created_at INTEGER NOT NULL,
        PRIMARY KEY (owner, key)
    );
    CREATE INDEX idempotency_created ON idempotency (created_at);
    """,
    # 2: idempotency records are now per API key with sealed bodies; older ones held
    # response bodies (new key secrets among them) in plain text, so they are dropped,
    # their bytes overwritten (secure_delete, the default of many SQLite builds, stays on
    # for this connection) rather than left in free space of the file.
    """
    PRAGMA secure_delete = ON;
    DELETE FROM idempotency;
    """,
]
