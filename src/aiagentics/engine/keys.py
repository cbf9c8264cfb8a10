"""API keys: secrets, their stored form, scopes, and the service that creates and retires keys.

A secret is `sk_<environment>_<40 base62 chars>` (~238 bits), so a plain sha256 of it is a
safe stored form (no slow hash needed: it cannot be brute-forced). That hash of a short
string takes about a microsecond, less than a hop to a worker thread would, so it runs
where it is called; the storage does its blocking work off the loop itself.

A key only ever manages keys of its own project and environment (every call takes the
caller's `Scope`), so a test key can never mint a live one. `admin` implies every scope;
`run` implies `read`.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from aiagentics.engine.definitions import check_cursor, check_id, cursor_gone
from aiagentics.errors import NotFound
from aiagentics.ids import new_id, random_token
from aiagentics.storage.base import ApiKeyRecord, Keys, Page, Scope

ScopeName = Literal["read", "run", "admin"]
SCOPES: tuple[str, ...] = ("read", "run", "admin")
ENVIRONMENTS: tuple[str, ...] = ("test", "live")
ADMIN_SCOPES: list[str] = ["admin"]


def grants(scopes: Iterable[str], needed: str) -> bool:
    """True when a key with `scopes` may do what needs `needed`."""
    held = tuple(scopes)
    return "admin" in held or needed in held or (needed == "read" and "run" in held)


def hash_secret(secret: str) -> str:
    """The stored form of a secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_secret(environment: str) -> str:
    """A fresh `sk_test_...` / `sk_live_...` secret."""
    return f"sk_{environment}_{random_token(40)}"


def secret_hint(secret: str) -> str:
    """What a listing may show of a secret: its start and last four characters."""
    return f"{secret[:8]}...{secret[-4:]}"


def make_key(
    *,
    project: str,
    environment: str,
    name: str,
    scopes: list[str],
    secret: str | None = None,
    expires_at: int | None = None,
    metadata: dict[str, str] | None = None,
) -> tuple[ApiKeyRecord, str]:
    """A new key record and its secret (the secret is never stored)."""
    secret = secret or new_secret(environment)
    record = ApiKeyRecord(
        id=new_id("key"),
        project=project,
        environment=environment,
        name=name,
        scopes=list(scopes),
        secret_hash=hash_secret(secret),
        hint=secret_hint(secret),
        created_at=int(time.time()),
        expires_at=expires_at,
        metadata=dict(metadata or {}),
    )
    return record, secret


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A key just created, with its secret: the only moment the secret is known."""

    record: ApiKeyRecord
    secret: str


class KeysService:
    """Create, read, revoke and roll the keys of one scope; look a secret up; bootstrap."""

    def __init__(self, keys: Keys, clock: Callable[[], float] = time.time) -> None:
        self._keys = keys
        self._clock = clock

    async def lookup(self, secret: str) -> ApiKeyRecord | None:
        """The key whose secret this is (revoked and expired ones too), or None."""
        return await self._keys.key_by_hash(hash_secret(secret))

    async def create(
        self,
        scope: Scope,
        *,
        name: str,
        scopes: list[str],
        expires_in_seconds: int | None = None,
        metadata: dict[str, str] | None = None,
    ) -> IssuedKey:
        """A new key of the scope (scopes deduplicated, order kept)."""
        expires = int(self._clock()) + expires_in_seconds if expires_in_seconds else None
        record, secret = make_key(
            project=scope.project,
            environment=scope.environment,
            name=name,
            scopes=list(dict.fromkeys(scopes)),
            expires_at=expires,
            metadata=metadata,
        )
        await self._keys.create_key(record)
        return IssuedKey(record, secret)

    async def get(self, scope: Scope, id: str) -> ApiKeyRecord:
        """One key of the scope; NotFound otherwise (also for a malformed id)."""
        check_id(id, "key", "API key")
        key = await self._keys.get_key(scope, id)
        if key is None:
            raise NotFound(f"no such API key: {id}")
        return key

    async def list(
        self, scope: Scope, *, limit: int = 20, starting_after: str | None = None
    ) -> Page:
        """Keys of the scope, newest first; a cursor naming no key of the scope is refused."""
        check_cursor(starting_after, "key")
        if starting_after and await self._keys.get_key(scope, starting_after) is None:
            raise cursor_gone(starting_after)
        return await self._keys.list_keys(scope, limit=limit, starting_after=starting_after)

    async def revoke(self, scope: Scope, id: str) -> ApiKeyRecord:
        """Revoke a key of the scope (idempotent); it fails from the next request on."""
        key = await self.get(scope, id)
        revoked = await self._keys.revoke_key(scope, id, int(self._clock()))
        return revoked or key

    async def roll(self, scope: Scope, id: str, expires_in_seconds: int) -> IssuedKey:
        """A new secret for a usable key: a copy of it is created, and the old one now
        expires `expires_in_seconds` from now (so clients can switch over)."""
        old = await self.get(scope, id)
        if not old.active(self._clock()):
            raise NotFound(f"API key {id} is revoked or expired")
        record, secret = make_key(
            project=old.project,
            environment=old.environment,
            name=old.name,
            scopes=old.scopes,
            expires_at=old.expires_at,
            metadata={**old.metadata, "rolled_from": old.id},
        )
        await self._keys.create_key(record)
        await self._keys.set_key_expiry(scope, old.id, int(self._clock()) + expires_in_seconds)
        return IssuedKey(record, secret)

    async def bootstrap_admin(self, scope: Scope, env_key: str | None) -> str | None:
        """Make sure the scope has an admin key; returns the secret of one it created.

        `env_key` (a secret chosen by the operator) becomes an admin key when set, and
        nothing is returned: the operator knows it. Otherwise, when the scope has no
        usable admin key, one is created and its secret returned, to be shown once.
        """
        if env_key:
            if await self.lookup(env_key) is None:
                record, _ = make_key(
                    project=scope.project,
                    environment=scope.environment,
                    name="bootstrap (AIAGENTICS_API_KEY)",
                    scopes=ADMIN_SCOPES,
                    secret=env_key,
                )
                try:
                    await self._keys.create_key(record)
                except Exception:  # another worker inserted it first (unique secret_hash)
                    if await self.lookup(env_key) is None:
                        raise
            return None
        if await self._keys.count_active_admin_keys(scope, int(self._clock())):
            return None
        record, secret = make_key(
            project=scope.project,
            environment=scope.environment,
            name="bootstrap",
            scopes=ADMIN_SCOPES,
        )
        await self._keys.create_key(record)
        return secret
