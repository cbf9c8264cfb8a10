"""The API-key service's rules, against a real SQLite storage on a temporary file."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from aiagentics.engine.keys import KeysService, grants, hash_secret
from aiagentics.errors import InvalidInput, NotFound
from aiagentics.storage.base import ApiKeyRecord, Keys, Scope
from aiagentics.storage.sqlite.storage import SQLiteStorage

SCOPE = Scope("p", "test")
LIVE = Scope("p", "live")
OTHER_PROJECT = Scope("q", "test")


class Clock:
    """A clock the test moves by hand (starts at the real time: created_at is real)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


async def _open(path: Path) -> SQLiteStorage:
    storage = SQLiteStorage.open(path)
    await storage.migrate()
    return storage


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[SQLiteStorage]:
    opened = await _open(tmp_path / "gateway.db")
    yield opened
    await opened.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def keys(storage: SQLiteStorage, clock: Clock) -> KeysService:
    return KeysService(storage.keys, clock)


def test_scope_rules() -> None:
    assert grants(["admin"], "admin") and grants(["admin"], "run") and grants(["admin"], "read")
    assert grants(["run"], "read") and grants(["run"], "run") and not grants(["run"], "admin")
    assert grants(["read"], "read") and not grants(["read"], "run")
    assert not grants([], "read")


async def test_create_stores_only_the_hash_and_the_secret_finds_the_key(
    keys: KeysService, storage: SQLiteStorage, clock: Clock
) -> None:
    issued = await keys.create(
        SCOPE, name="ci", scopes=["run", "read", "run"], expires_in_seconds=60, metadata={"a": "b"}
    )
    secret, record = issued.secret, issued.record
    assert secret.startswith("sk_test_") and len(secret) == len("sk_test_") + 40
    assert record.id.startswith("key_")
    assert record.scopes == ["run", "read"]  # deduplicated, order kept
    assert record.expires_at == int(clock.now) + 60
    assert record.metadata == {"a": "b"}
    assert record.hint == f"{secret[:8]}...{secret[-4:]}"
    stored = await storage.keys.get_key(SCOPE, record.id)
    assert stored is not None and stored.secret_hash == hash_secret(secret)
    assert secret not in repr(stored)
    found = await keys.lookup(secret)
    assert found is not None and found.id == record.id
    assert await keys.lookup(secret + "x") is None


async def test_a_key_without_expiry_and_a_live_key(keys: KeysService) -> None:
    forever = (await keys.create(SCOPE, name="", scopes=["read"])).record
    assert forever.expires_at is None
    live = await keys.create(LIVE, name="prod", scopes=["admin"])
    assert live.secret.startswith("sk_live_") and live.record.environment == "live"


async def test_get_is_limited_to_the_scope(keys: KeysService) -> None:
    record = (await keys.create(SCOPE, name="k", scopes=["read"])).record
    assert (await keys.get(SCOPE, record.id)).id == record.id
    for other in (LIVE, OTHER_PROJECT):
        with pytest.raises(NotFound, match=f"no such API key: {record.id}"):
            await keys.get(other, record.id)
    with pytest.raises(NotFound, match="no such API key: 'agt_12345678'"):
        await keys.get(SCOPE, "agt_12345678")


async def test_list_pages_newest_first_and_refuses_bad_cursors(keys: KeysService) -> None:
    made = [(await keys.create(SCOPE, name=f"k{i}", scopes=["read"])).record for i in range(3)]
    other = (await keys.create(LIVE, name="live", scopes=["read"])).record
    first = await keys.list(SCOPE, limit=2)
    assert [k.id for k in first.items] == [made[2].id, made[1].id] and first.has_more
    rest = await keys.list(SCOPE, limit=2, starting_after=first.items[-1].id)
    assert [k.id for k in rest.items] == [made[0].id] and not rest.has_more
    with pytest.raises(InvalidInput) as bad:
        await keys.list(SCOPE, starting_after="run_12345678")
    assert bad.value.param == "starting_after" and "key_" in bad.value.message
    with pytest.raises(InvalidInput) as gone:
        await keys.list(SCOPE, starting_after=other.id)  # another environment's key
    assert gone.value.code == "resource_missing" and gone.value.param == "starting_after"


async def test_revoke_is_scoped_and_idempotent(keys: KeysService, clock: Clock) -> None:
    issued = await keys.create(SCOPE, name="k", scopes=["read"])
    with pytest.raises(NotFound):
        await keys.revoke(LIVE, issued.record.id)
    assert (await keys.get(SCOPE, issued.record.id)).revoked_at is None
    revoked = await keys.revoke(SCOPE, issued.record.id)
    assert revoked.revoked_at == int(clock.now)
    clock.now += 10
    again = await keys.revoke(SCOPE, issued.record.id)
    assert again.revoked_at is not None
    found = await keys.lookup(issued.secret)  # still found: authentication says "revoked"
    assert found is not None and found.revoked_at is not None
    assert not found.active(clock.now)


async def test_roll_copies_the_key_and_shortens_the_old_ones_life(
    keys: KeysService, clock: Clock
) -> None:
    old = await keys.create(
        SCOPE, name="ci", scopes=["run"], expires_in_seconds=86_400, metadata={"team": "x"}
    )
    rolled = await keys.roll(SCOPE, old.record.id, 300)
    new = rolled.record
    assert rolled.secret != old.secret and new.id != old.record.id
    assert (new.name, new.scopes, new.expires_at) == ("ci", ["run"], old.record.expires_at)
    assert new.metadata == {"team": "x", "rolled_from": old.record.id}
    assert (await keys.get(SCOPE, old.record.id)).expires_at == int(clock.now) + 300
    found = await keys.lookup(rolled.secret)
    assert found is not None and found.id == new.id
    with pytest.raises(NotFound):
        await keys.roll(LIVE, new.id, 300)


async def test_a_revoked_or_expired_key_cannot_be_rolled(keys: KeysService, clock: Clock) -> None:
    revoked = (await keys.create(SCOPE, name="r", scopes=["read"])).record
    await keys.revoke(SCOPE, revoked.id)
    expiring = (await keys.create(SCOPE, name="e", scopes=["read"], expires_in_seconds=5)).record
    clock.now += 6
    for key in (revoked, expiring):
        with pytest.raises(NotFound, match=f"API key {key.id} is revoked or expired"):
            await keys.roll(SCOPE, key.id, 60)


async def test_bootstrap_creates_one_admin_key_when_the_scope_has_none(
    keys: KeysService, storage: SQLiteStorage, clock: Clock
) -> None:
    secret = await keys.bootstrap_admin(SCOPE, None)
    assert secret is not None and secret.startswith("sk_test_")
    record = await keys.lookup(secret)
    assert record is not None and record.scopes == ["admin"] and record.name == "bootstrap"
    assert await keys.bootstrap_admin(SCOPE, None) is None  # it has a usable one now
    # Another scope gets its own; a revoked admin key does not count as usable.
    assert await keys.bootstrap_admin(LIVE, None) is not None
    await keys.revoke(SCOPE, record.id)
    assert await keys.bootstrap_admin(SCOPE, None) is not None
    assert await storage.keys.count_active_admin_keys(SCOPE, int(clock.now)) == 1


async def test_bootstrap_with_a_chosen_secret(keys: KeysService) -> None:
    chosen = "sk_test_" + "a" * 40
    assert await keys.bootstrap_admin(SCOPE, chosen) is None  # the operator knows it
    record = await keys.lookup(chosen)
    assert record is not None and record.scopes == ["admin"]
    assert record.name == "bootstrap (AIAGENTICS_API_KEY)"
    assert await keys.bootstrap_admin(SCOPE, chosen) is None
    page = await keys.list(SCOPE)
    assert [k.id for k in page.items] == [record.id]  # not inserted twice


class InsertedMeanwhile:
    """Real keys storage whose first lookup lets another worker insert the key first: the
    moment between one worker's "is it there?" and its insert."""

    def __init__(self, keys: Keys, meanwhile: Callable[[], Awaitable[object]]) -> None:
        self._keys = keys
        self._meanwhile: Callable[[], Awaitable[object]] | None = meanwhile

    def __getattr__(self, name: str) -> Any:
        return getattr(self._keys, name)

    async def key_by_hash(self, secret_hash: str) -> ApiKeyRecord | None:
        found = await self._keys.key_by_hash(secret_hash)
        if self._meanwhile is not None:
            meanwhile, self._meanwhile = self._meanwhile, None
            await meanwhile()
        return found


async def test_bootstrap_with_a_chosen_secret_another_worker_inserted_first(
    tmp_path: Path, storage: SQLiteStorage
) -> None:
    # A second handle on the database, as another worker process starting at once has.
    second = await _open(tmp_path / "gateway.db")
    try:
        chosen = "sk_test_" + "b" * 40
        other = KeysService(second.keys)
        late = KeysService(
            InsertedMeanwhile(storage.keys, lambda: other.bootstrap_admin(SCOPE, chosen))  # type: ignore[arg-type]
        )
        assert await late.bootstrap_admin(SCOPE, chosen) is None
        page = await late.list(SCOPE)
        assert len(page.items) == 1 and page.items[0].secret_hash == hash_secret(chosen)
    finally:
        await second.close()
