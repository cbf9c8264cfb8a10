"""Migrations of the `webhooks` component: the durable outbox, attempts, rotated secrets."""

from __future__ import annotations

COMPONENT = "webhooks"

MIGRATIONS = [
    # 1: a message per event (the signed body), a delivery per (message, endpoint),
    #    an attempt per HTTP try, and secrets still valid during a rotation overlap.
    """
    CREATE TABLE webhook_messages (
        id TEXT PRIMARY KEY,
        project TEXT NOT NULL,
        environment TEXT NOT NULL,
        event_type TEXT NOT NULL,
        run_id TEXT,
        payload BLOB NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE TABLE webhook_deliveries (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
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
        next_attempt_at REAL,
        locked_until REAL,
        last_status_code INTEGER,
        last_error TEXT,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        delivered_at REAL
    );
    CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
        WHERE status = 'pending';
    CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (webhook_id, seq);
    CREATE TABLE webhook_attempts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
        attempt INTEGER NOT NULL,
        trigger TEXT NOT NULL,
        started_at REAL NOT NULL,
        latency_ms INTEGER NOT NULL,
        status_code INTEGER,
        succeeded INTEGER NOT NULL,
        error TEXT,
        response_excerpt TEXT
    );
    CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, attempt);
    CREATE TABLE webhook_old_secrets (
        webhook_id TEXT NOT NULL,
        secret_sealed TEXT NOT NULL,
        expires_at REAL NOT NULL
    );
    CREATE INDEX webhook_old_secrets_endpoint ON webhook_old_secrets (webhook_id, expires_at);
    """,
]
