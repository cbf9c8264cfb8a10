"""The PostgreSQL schema, versioned per component like SQLite's (only ever append).

The tables mirror the SQLite ones; what differs is Postgres's own: identity columns for
insertion order, BYTEA for blobs, a generated `tsvector` column with a GIN index for
full-text search, and `aia_change`, the one-row counter behind the change token.
Resource data stays TEXT so that stored JSON comes back byte for byte.
"""

from __future__ import annotations

MIGRATIONS: dict[str, list[str]] = {
    "core": [
        # 1: the change token: bumped in every transaction that changes definitions or keys.
        """
        CREATE TABLE aia_change (one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
            n BIGINT NOT NULL);
        INSERT INTO aia_change (one, n) VALUES (TRUE, 0);
        """,
    ],
    "resources": [
        """
        CREATE TABLE resources (
            seq BIGINT GENERATED ALWAYS AS IDENTITY,
            id TEXT NOT NULL CONSTRAINT resources_id UNIQUE,
            kind TEXT NOT NULL,
            project TEXT NOT NULL,
            environment TEXT NOT NULL,
            name TEXT,
            version INTEGER NOT NULL,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            data TEXT NOT NULL
        );
        CREATE UNIQUE INDEX resources_name ON resources (kind, project, environment, name)
            WHERE name IS NOT NULL;
        CREATE INDEX resources_list ON resources (kind, project, environment, seq);
        CREATE TABLE resource_versions (
            id TEXT NOT NULL,
            version INTEGER NOT NULL,
            name TEXT,
            created_at BIGINT NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (id, version)
        );
        CREATE TABLE api_keys (
            seq BIGINT GENERATED ALWAYS AS IDENTITY,
            id TEXT NOT NULL UNIQUE,
            project TEXT NOT NULL,
            environment TEXT NOT NULL,
            name TEXT NOT NULL,
            scopes TEXT NOT NULL,
            secret_hash TEXT NOT NULL UNIQUE,
            hint TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            expires_at BIGINT,
            revoked_at BIGINT,
            last_used_at BIGINT,
            metadata TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX api_keys_scope ON api_keys (project, environment, seq);
        CREATE TABLE idempotency (
            owner TEXT NOT NULL,
            key TEXT NOT NULL,
            body_hash TEXT NOT NULL,
            status INTEGER,
            headers TEXT NOT NULL DEFAULT '[]',
            body BYTEA NOT NULL DEFAULT '',
            created_at BIGINT NOT NULL,
            PRIMARY KEY (owner, key)
        );
        CREATE INDEX idempotency_created ON idempotency (created_at);
        """,
    ],
    "runs": [
        """
        CREATE TABLE runs (
            seq BIGINT GENERATED ALWAYS AS IDENTITY,
            id TEXT PRIMARY KEY,
            project TEXT NOT NULL,
            environment TEXT NOT NULL,
            agent_id TEXT NOT NULL,
            agent_version INTEGER NOT NULL,
            agent BYTEA NOT NULL,
            status TEXT NOT NULL,
            input BYTEA NOT NULL,
            metadata BYTEA NOT NULL,
            owner TEXT,
            created_at DOUBLE PRECISION NOT NULL,
            started_at DOUBLE PRECISION,
            completed_at DOUBLE PRECISION,
            state BYTEA NOT NULL,
            cancel_requested BOOLEAN NOT NULL DEFAULT FALSE
        );
        CREATE INDEX runs_by_scope ON runs (project, environment, seq);
        CREATE INDEX runs_by_status ON runs (status, project);
        CREATE INDEX runs_cancel_requested ON runs (owner) WHERE cancel_requested;
        CREATE INDEX runs_active_by_scope ON runs (project, environment, status);
        CREATE TABLE run_events (
            run_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            event TEXT NOT NULL,
            data BYTEA NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (run_id, seq)
        );
        CREATE TABLE run_steps (
            run_id TEXT NOT NULL,
            n INTEGER NOT NULL,
            after_seq INTEGER NOT NULL,
            event TEXT NOT NULL,
            data BYTEA NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (run_id, n)
        );
        """,
    ],
    "memory": [
        """
        CREATE TABLE memory_kv (
            project TEXT NOT NULL,
            environment TEXT NOT NULL,
            memory_id TEXT NOT NULL,
            scope TEXT NOT NULL,
            scope_id TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            size INTEGER NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            updated_at DOUBLE PRECISION NOT NULL,
            expires_at DOUBLE PRECISION,
            PRIMARY KEY (project, environment, memory_id, scope, scope_id, key)
        );
        CREATE INDEX memory_kv_expiry ON memory_kv (expires_at) WHERE expires_at IS NOT NULL;
        CREATE INDEX memory_kv_memory ON memory_kv (memory_id);
        CREATE TABLE file_texts (
            file_id TEXT PRIMARY KEY,
            project TEXT NOT NULL,
            environment TEXT NOT NULL,
            text TEXT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL
        );
        CREATE TABLE file_chunks (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            file_id TEXT NOT NULL,
            project TEXT NOT NULL,
            environment TEXT NOT NULL,
            chunk_size INTEGER NOT NULL,
            chunk_overlap INTEGER NOT NULL,
            chunk_index INTEGER NOT NULL,
            start_at INTEGER NOT NULL,
            end_at INTEGER NOT NULL,
            text TEXT NOT NULL,
            embedding BYTEA,
            tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED,
            UNIQUE (file_id, chunk_size, chunk_overlap, chunk_index)
        );
        CREATE INDEX file_chunks_scope ON file_chunks (project, environment, chunk_size,
            chunk_overlap);
        CREATE INDEX file_chunks_tsv ON file_chunks USING GIN (tsv);
        CREATE TABLE file_chunk_sets (
            file_id TEXT NOT NULL,
            project TEXT NOT NULL,
            environment TEXT NOT NULL,
            chunk_size INTEGER NOT NULL,
            chunk_overlap INTEGER NOT NULL,
            token TEXT NOT NULL,
            complete BOOLEAN NOT NULL DEFAULT FALSE,
            PRIMARY KEY (file_id, chunk_size, chunk_overlap)
        );
        CREATE INDEX file_chunk_sets_scope ON file_chunk_sets (project, environment,
            chunk_size, chunk_overlap);
        """,
    ],
    "webhooks": [
        """
        CREATE TABLE webhook_messages (
            id TEXT PRIMARY KEY,
            project TEXT NOT NULL,
            environment TEXT NOT NULL,
            event_type TEXT NOT NULL,
            run_id TEXT,
            payload BYTEA NOT NULL,
            created_at DOUBLE PRECISION NOT NULL
        );
        CREATE TABLE webhook_deliveries (
            seq BIGINT GENERATED ALWAYS AS IDENTITY,
            id TEXT NOT NULL UNIQUE,
            webhook_id TEXT NOT NULL,
            message_id TEXT NOT NULL REFERENCES webhook_messages (id),
            project TEXT NOT NULL,
            environment TEXT NOT NULL,
            event_type TEXT NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            attempt_limit INTEGER NOT NULL,
            next_trigger TEXT NOT NULL DEFAULT 'auto',
            next_attempt_at DOUBLE PRECISION,
            locked_until DOUBLE PRECISION,
            last_status_code INTEGER,
            last_error TEXT,
            created_at DOUBLE PRECISION NOT NULL,
            updated_at DOUBLE PRECISION NOT NULL,
            delivered_at DOUBLE PRECISION
        );
        CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
            WHERE status = 'pending';
        CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (webhook_id, seq);
        CREATE TABLE webhook_attempts (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
            attempt INTEGER NOT NULL,
            trigger TEXT NOT NULL,
            started_at DOUBLE PRECISION NOT NULL,
            latency_ms INTEGER NOT NULL,
            status_code INTEGER,
            succeeded BOOLEAN NOT NULL,
            error TEXT,
            response_excerpt TEXT
        );
        CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, attempt);
        CREATE TABLE webhook_old_secrets (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            webhook_id TEXT NOT NULL,
            secret_sealed TEXT NOT NULL,
            expires_at DOUBLE PRECISION NOT NULL
        );
        CREATE INDEX webhook_old_secrets_endpoint ON webhook_old_secrets (webhook_id, expires_at);
        """,
    ],
    "threads": [
        """
        CREATE TABLE threads (
            seq BIGINT GENERATED ALWAYS AS IDENTITY,
            id TEXT NOT NULL CONSTRAINT threads_id UNIQUE,
            project TEXT NOT NULL,
            environment TEXT NOT NULL,
            metadata TEXT NOT NULL,
            run_id TEXT,
            created_at DOUBLE PRECISION NOT NULL
        );
        CREATE INDEX threads_by_scope ON threads (project, environment, seq);
        CREATE TABLE thread_messages (
            thread_id TEXT NOT NULL,
            n INTEGER NOT NULL,
            run_id TEXT NOT NULL,
            message TEXT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (thread_id, n)
        );
        CREATE TABLE thread_runs (
            seq BIGINT GENERATED ALWAYS AS IDENTITY,
            thread_id TEXT NOT NULL,
            run_id TEXT NOT NULL CONSTRAINT thread_runs_run UNIQUE
        );
        CREATE INDEX thread_runs_by_thread ON thread_runs (thread_id, seq);
        """,
    ],
}
