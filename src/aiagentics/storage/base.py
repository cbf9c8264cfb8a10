"""The storage interface for definitions (agents, tools, memory stores, webhooks, files) and keys.

Controllers and services talk only to `Store`; `SQLiteStore` (storage/sqlite/definitions.py) is the
embedded default and a PostgreSQL backend can implement the same methods. Every call
is scoped by `Scope(project, environment)`: an object of another scope does not exist.
Methods are async so that a networked backend fits; the SQLite one returns at once.
"""

from __future__ import annotations

from typing import Any, Protocol

import msgspec

from aiagentics.kinds import STORE_KINDS, StoreKind
from aiagentics.kinds import VERSIONED as VERSIONED

# The definition kinds and those whose updates keep older versions (from the kind table).
Kind = StoreKind
KINDS: tuple[Kind, ...] = STORE_KINDS


class Scope(msgspec.Struct, frozen=True):
    """A project and one of its environments (`test`, `live`)."""

    project: str
    environment: str


class Resource:
    """One stored definition; `data` holds the kind's fields (spec + description + metadata).

    A backend may pass `raw` (the stored JSON of `data`) instead of `data`: it is decoded
    on first access, so reads that only re-emit the JSON never decode it.
    """

    __slots__ = (
        "_data",
        "created_at",
        "environment",
        "id",
        "kind",
        "name",
        "project",
        "raw",
        "updated_at",
        "version",
    )

    def __init__(
        self,
        id: str,
        kind: str,
        project: str,
        environment: str,
        name: str | None,
        version: int,
        created_at: int,
        updated_at: int,
        data: dict[str, Any] | None = None,
        raw: bytes | None = None,
    ) -> None:
        if data is None and raw is None:
            raise ValueError("a Resource needs data or raw")
        self.id = id
        self.kind = kind
        self.project = project
        self.environment = environment
        self.name = name
        self.version = version
        self.created_at = created_at
        self.updated_at = updated_at
        self._data = data
        self.raw = raw

    @property
    def data(self) -> dict[str, Any]:
        """The kind's fields (decoded from `raw` once, when needed)."""
        if self._data is None:
            self._data = msgspec.json.decode(self.raw or b"{}")
        return self._data

    def __repr__(self) -> str:
        return f"Resource({self.kind} {self.id} {self.name!r} v{self.version})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Resource) and (self.id, self.version, self.data) == (
            other.id,
            other.version,
            other.data,
        )

    __hash__ = None  # type: ignore[assignment]


class ApiKeyRecord(msgspec.Struct):
    """A stored API key; only the sha256 of its secret is kept."""

    id: str
    project: str
    environment: str
    name: str
    scopes: list[str]
    secret_hash: str
    hint: str
    created_at: int
    expires_at: int | None = None
    revoked_at: int | None = None
    last_used_at: int | None = None
    metadata: dict[str, str] = msgspec.field(default_factory=dict)

    def active(self, now: float) -> bool:
        """Neither revoked nor expired."""
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class StoredResponse(msgspec.Struct):
    """A response remembered under an Idempotency-Key (status None while the first request runs)."""

    body_hash: str
    status: int | None
    headers: list[tuple[str, str]]
    body: bytes


class Page(msgspec.Struct):
    """One page of a list."""

    items: list[Any]
    has_more: bool


class DuplicateName(Exception):
    """A resource of this kind already has this name in the scope."""

    def __init__(self, kind: str, name: str) -> None:
        super().__init__(f"a {kind} named {name!r} already exists")
        self.kind = kind
        self.name = name


class DuplicateId(Exception):
    """An object with this id exists already."""


class Store(Protocol):
    """Definitions, keys and idempotency records."""

    # -- definitions ---------------------------------------------------------------
    async def create(
        self,
        kind: Kind,
        scope: Scope,
        name: str | None,
        data: dict[str, Any],
        *,
        id: str | None = None,
    ) -> Resource:
        """Insert; raises DuplicateName / DuplicateId. `id` lets `aia dev` keep stable ids."""
        ...

    async def get(self, kind: Kind, scope: Scope, id: str) -> Resource | None:
        """The current version, or None (also for another scope's object)."""
        ...

    async def get_by_name(self, kind: Kind, scope: Scope, name: str) -> Resource | None:
        """The current version by unique name."""
        ...

    async def update(
        self, kind: Kind, scope: Scope, id: str, name: str | None, data: dict[str, Any]
    ) -> Resource | None:
        """Replace name and data; version + 1 (the previous one kept for VERSIONED kinds)."""
        ...

    async def delete(self, kind: Kind, scope: Scope, id: str) -> bool:
        """Delete with its versions; False when absent."""
        ...

    async def list(
        self, kind: Kind, scope: Scope, *, limit: int = 20, starting_after: str | None = None
    ) -> Page:
        """Newest first; `starting_after` is the id of the last item of the previous page."""
        ...

    async def versions(
        self,
        kind: Kind,
        scope: Scope,
        id: str,
        *,
        limit: int = 20,
        starting_after: int | None = None,
    ) -> Page | None:
        """Every version of one object, newest first (None when the object is absent)."""
        ...

    async def missing(self, kind: Kind, scope: Scope, ids: list[str]) -> list[str]:
        """Those of `ids` that do not exist in the scope (order kept)."""
        ...

    async def referrers(self, kind: Kind, scope: Scope, field: str, id: str) -> list[str]:
        """Ids of `kind` objects whose data field `field` (a string or list of strings) holds `id`."""
        ...

    # -- keys --------------------------------------------------------------------------
    async def create_key(self, key: ApiKeyRecord) -> ApiKeyRecord:
        """Insert a key record."""
        ...

    async def key_by_hash(self, secret_hash: str) -> ApiKeyRecord | None:
        """Look a key up by the sha256 of its secret (revoked ones too)."""
        ...

    async def get_key(self, scope: Scope, id: str) -> ApiKeyRecord | None:
        """One key of the scope."""
        ...

    async def list_keys(
        self, scope: Scope, *, limit: int = 20, starting_after: str | None = None
    ) -> Page:
        """Keys of the scope, newest first."""
        ...

    async def revoke_key(self, scope: Scope, id: str, at: int) -> ApiKeyRecord | None:
        """Mark revoked (idempotent)."""
        ...

    async def set_key_expiry(self, scope: Scope, id: str, expires_at: int) -> ApiKeyRecord | None:
        """Shorten a key's life (key rotation)."""
        ...

    async def count_active_admin_keys(self, scope: Scope, now: int) -> int:
        """How many usable admin keys the scope has (bootstrap)."""
        ...

    # -- idempotency -------------------------------------------------------------------
    async def idempotency_begin(
        self, owner: str, key: str, body_hash: str, now: int
    ) -> StoredResponse | None:
        """Claim `key` for `owner`; returns None when claimed, else the existing record."""
        ...

    async def idempotency_finish(
        self, owner: str, key: str, status: int, headers: list[tuple[str, str]], body: bytes
    ) -> None:
        """Store the response of a claimed key."""
        ...

    async def idempotency_abandon(self, owner: str, key: str) -> None:
        """Release a claim whose request failed before producing a storable response."""
        ...

    async def idempotency_purge(self, older_than: int) -> int:
        """Forget records created before `older_than`."""
        ...
