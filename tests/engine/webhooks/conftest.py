"""Fixtures: a scripted receiver, a database with the webhook tables, a store and a sealer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from webhook_receiver import Receiver, running_receiver

from aiagentics.engine.sealing import Sealer
from aiagentics.storage.sqlite import schema_resources, schema_webhooks
from aiagentics.storage.sqlite.db import Database
from aiagentics.storage.sqlite.definitions import SQLiteStore
from aiagentics.storage.sqlite.migrations import apply_migrations


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as rec:
        yield rec


@pytest.fixture
def db(tmp_path) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    database = Database(tmp_path / "gateway.db")
    apply_migrations(
        database,
        {
            schema_resources.COMPONENT: schema_resources.MIGRATIONS,
            schema_webhooks.COMPONENT: schema_webhooks.MIGRATIONS,
        },
    )
    yield database
    database.close()


@pytest.fixture
def store(db: Database) -> SQLiteStore:
    return SQLiteStore(db)


@pytest.fixture
def sealer() -> Sealer:
    return Sealer(Fernet.generate_key())
