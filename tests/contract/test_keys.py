"""The `Keys` contract: keys stored by the hash of their secret, revoked, shortened, counted."""

from __future__ import annotations

import time

from aiagentics.engine.keys import make_key
from aiagentics.storage.base import Keys, Scope

A = Scope("proj", "test")
B = Scope("other", "test")
A_LIVE = Scope("proj", "live")


async def test_keys(keys: Keys) -> None:
    record, secret = make_key(project="proj", environment="test", name="k", scopes=["read"])
    await keys.create_key(record)
    found = await keys.key_by_hash(record.secret_hash)
    assert found is not None and found.id == record.id and secret not in str(found)
    assert await keys.get_key(B, record.id) is None
    assert await keys.count_active_admin_keys(A, int(time.time())) == 0
    admin, _ = make_key(project="proj", environment="test", name="adm", scopes=["admin"])
    await keys.create_key(admin)
    assert await keys.count_active_admin_keys(A, int(time.time())) == 1
    page = await keys.list_keys(A)
    assert [k.id for k in page.items] == [admin.id, record.id]
    revoked = await keys.revoke_key(A, admin.id, 100)
    assert revoked is not None and revoked.revoked_at == 100
    again = await keys.revoke_key(A, admin.id, 200)
    assert again is not None and again.revoked_at == 100
    assert await keys.count_active_admin_keys(A, int(time.time())) == 0
    shortened = await keys.set_key_expiry(A, record.id, 1234)
    assert shortened is not None and shortened.expires_at == 1234 and not shortened.active(2000)
