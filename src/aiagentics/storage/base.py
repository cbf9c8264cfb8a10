"""The storage interface: one Protocol per aggregate, and `Storage`, the root that holds them.

`Definitions` (agents, tools, memory stores, webhooks, files), `Keys`, `Idempotency` and
`RunJournal` (runs and their event logs) and `Threads` (conversations across runs) are what the engine and the gateway talk to;
`storage/sqlite/` is the embedded backend, and another backend implements the same
Protocols and passes the same contract tests (tests/contract/). Definition calls are
scoped by `Scope(project, environment)`: an object of another scope does not exist.
Every method is async: a backend does its blocking work off the event loop.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

import msgspec

from aiagentics.kinds import STORE_KINDS, StoreKind
from aiagentics.kinds import VERSIONED as VERSIONED
from aiagentics.storage.memory import Chunks, Scratchpads
from aiagentics.storage.outbox import Outbox
from aiagentics.storage.records import RunEvent, RunRecord
from aiagentics.storage.threads import Threads

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
    scopes: builtins.list[str]
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
    headers: builtins.list[tuple[str, str]]
    body: bytes


class Page(msgspec.Struct):
    """One page of a list."""

    items: builtins.list[Any]
    has_more: bool


class DuplicateName(Exception):
    """A resource of this kind already has this name in the scope."""

    def __init__(self, kind: str, name: str) -> None:
        super().__init__(f"a {kind} named {name!r} already exists")
        self.kind = kind
        self.name = name


class DuplicateId(Exception):
    """An object with this id exists already."""


class DatabaseUnavailable(Exception):
    """The configured database cannot be used (server unreachable, backend not installed);
    the message names it (never with a password) and says how to fix it."""


class Definitions(Protocol):
    """Definitions of every kind, versioned where the kind is."""

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

    async def missing(
        self, kind: Kind, scope: Scope, ids: builtins.list[str]
    ) -> builtins.list[str]:
        """Those of `ids` that do not exist in the scope (order kept)."""
        ...

    async def referrers(self, kind: Kind, scope: Scope, field: str, id: str) -> builtins.list[str]:
        """Ids of `kind` objects whose data field `field` (a string or list of strings) holds `id`."""
        ...


class Keys(Protocol):
    """API keys, stored by the sha256 of their secret."""

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


class Idempotency(Protocol):
    """Responses remembered under an Idempotency-Key, per owner."""

    async def idempotency_begin(
        self, owner: str, key: str, body_hash: str, now: int
    ) -> StoredResponse | None:
        """Claim `key` for `owner`; returns None when claimed, else the existing record."""
        ...

    async def idempotency_finish(
        self,
        owner: str,
        key: str,
        status: int,
        headers: builtins.list[tuple[str, str]],
        body: bytes,
    ) -> None:
        """Store the response of a claimed key."""
        ...

    async def idempotency_abandon(self, owner: str, key: str) -> None:
        """Release a claim whose request failed before producing a storable response."""
        ...

    async def idempotency_purge(self, older_than: int) -> int:
        """Forget records created before `older_than`."""
        ...


class Store(Definitions, Keys, Idempotency, Protocol):
    """Definitions, keys and idempotency records together (one object may serve all three)."""


class RunJournal(Protocol):
    """Runs and their event logs: the run row is rewritten at segment boundaries, events
    are appended one by one as they happen."""

    async def insert(self, run: RunRecord, max_active: int | None = None) -> bool:
        """Insert a run; False (nothing inserted) when its project and environment already
        have `max_active` queued or in-progress runs (checked in the same write)."""
        ...

    async def save(self, run: RunRecord) -> None:
        """Write the run's status, owner, timestamps and state."""
        ...

    async def transition(
        self, run_id: str, from_status: str, to_status: str, owner: str | None
    ) -> bool:
        """Compare-and-set the status (so two callers cannot both resume or cancel a run)."""
        ...

    async def get(
        self, run_id: str, project: str | None = None, environment: str | None = None
    ) -> RunRecord | None:
        """One run (limited to a project and environment when given)."""
        ...

    async def list(
        self,
        project: str,
        environment: str,
        *,
        limit: int = 20,
        starting_after: str | None = None,
        agent_id: str | None = None,
        status: str | None = None,
    ) -> tuple[builtins.list[RunRecord], bool]:
        """Newest first; returns (runs, has_more)."""
        ...

    async def request_cancel(self, run_id: str) -> bool:
        """Flag an active run for its owner process to cancel."""
        ...

    async def cancel_requests(self, owner: str) -> builtins.list[str]:
        """Ids of this owner's active runs that another process asked to cancel."""
        ...

    async def active(self) -> builtins.list[RunRecord]:
        """Runs left queued or in progress (startup recovery)."""
        ...

    async def append(self, event: RunEvent) -> None:
        """Persist one public event."""
        ...

    async def append_batch(
        self, events: Sequence[RunEvent], internal: Sequence[RunEvent] = ()
    ) -> None:
        """Persist public events (in order) and internal records in one write: all or none.

        Group commit: the engine hands over what piled up since its last flush."""
        ...

    async def append_internal(self, event: RunEvent) -> None:
        """Persist an internal record beside the log; `event.seq` is the public event it follows."""
        ...

    async def internal_events(self, run_id: str) -> builtins.list[RunEvent]:
        """The run's internal records, in the order they were written."""
        ...

    async def status(self, run_id: str) -> str | None:
        """Only the run's status (None when there is no such run): cheap enough to poll."""
        ...

    async def events_after(
        self, run_id: str, seq: int = 0, limit: int = 1000
    ) -> builtins.list[RunEvent]:
        """Public events with a sequence number above `seq`, in order."""
        ...

    async def last_seq(self, run_id: str) -> int:
        """The sequence number of the run's latest public event (0 when none)."""
        ...


class Storage(Protocol):
    """The root: every aggregate, one unit of work across them, and a change token."""

    # Read-only members, so that an implementation may hold narrower types.
    @property
    def definitions(self) -> Definitions: ...

    @property
    def keys(self) -> Keys: ...

    @property
    def idempotency(self) -> Idempotency: ...

    @property
    def runs(self) -> RunJournal: ...

    @property
    def scratchpads(self) -> Scratchpads: ...

    @property
    def chunks(self) -> Chunks: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def threads(self) -> Threads: ...

    def transaction(self) -> AbstractAsyncContextManager[Any]:
        """`async with storage.transaction():` every aggregate call the current task awaits
        inside commits together (or not at all, when the block raises); nested ones join."""
        ...

    async def change_token(self) -> object:
        """A value that differs after any commit that may change definitions or keys (here
        or in another process): what read caches hold. Commits of run logs, the outbox,
        memory and idempotency records may leave it alone."""
        ...

    async def migrate(self) -> None:
        """Bring the schema up to date."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
