"""/v1/keys: create, list, retrieve, revoke and roll API keys (admin keys only).

A key only ever manages keys of its own project and environment, so a test key can never
mint a live one.
"""

# No `from __future__ import annotations`: Litestar reads these annotations at runtime.

import time
from typing import Any

from litestar import Controller, delete, get, post

from aiagentics.engine import bodies as m
from aiagentics.gateway.auth import AuthContext, make_key, needs
from aiagentics.gateway.errors import NotFound
from aiagentics.gateway.routes.common import (
    Deleted,
    Limit,
    check_cursor,
    check_id,
    cursor,
    cursor_gone,
    error_responses,
    list_body,
)
from aiagentics.gateway.services import Services
from aiagentics.storage.base import ApiKeyRecord


def render_key(key: ApiKeyRecord, secret: str | None = None) -> dict[str, Any]:
    """The API object of a key (with `secret` only right after creation)."""
    out: dict[str, Any] = {
        "id": key.id,
        "object": "api_key",
        "created_at": key.created_at,
        "name": key.name,
        "scopes": key.scopes,
        "project": key.project,
        "environment": key.environment,
        "hint": key.hint,
        "expires_at": key.expires_at,
        "revoked_at": key.revoked_at,
        "metadata": key.metadata,
    }
    if secret is not None:
        out["secret"] = secret
    return out


async def _load(services: Services, auth: AuthContext, id: str) -> ApiKeyRecord:
    check_id(id, "key", "API key")
    key = await services.store.get_key(auth.scope, id)
    if key is None:
        raise NotFound(f"no such API key: {id}")
    return key


class KeyController(Controller):
    path = "/v1/keys"
    tags = ["keys"]
    opt = needs("admin")

    @post(
        "/",
        status_code=200,
        responses=error_responses(),
        summary="Create an API key (its secret is shown once)",
        operation_id="create_key",
    )
    async def create(
        self, data: m.KeyCreate, services: Services, auth: AuthContext
    ) -> m.KeyCreated:
        expires = int(time.time()) + data.expires_in_seconds if data.expires_in_seconds else None
        record, secret = make_key(
            project=auth.project,
            environment=auth.environment,
            name=data.name,
            scopes=list(dict.fromkeys(data.scopes)),
            expires_at=expires,
            metadata=data.metadata,
        )
        await services.store.create_key(record)
        return render_key(record, secret)  # type: ignore[return-value]

    @get(
        "/",
        responses=error_responses(),
        summary="List API keys (newest first)",
        operation_id="list_keys",
    )
    async def list_all(
        self,
        services: Services,
        auth: AuthContext,
        limit: int = Limit,
        starting_after: str | None = cursor("key", "key"),
    ) -> m.KeyList:  # type: ignore[valid-type]
        check_cursor(starting_after, "key")
        if starting_after and await services.store.get_key(auth.scope, starting_after) is None:
            raise cursor_gone(starting_after)
        page = await services.store.list_keys(
            auth.scope, limit=limit, starting_after=starting_after
        )
        return list_body([render_key(k) for k in page.items], page.has_more)  # type: ignore[return-value]

    @get(
        "/{id:str}",
        responses=error_responses(404),
        summary="Retrieve an API key",
        operation_id="get_key",
    )
    async def retrieve(self, id: str, services: Services, auth: AuthContext) -> m.KeyObject:
        return render_key(await _load(services, auth, id))  # type: ignore[return-value]

    @delete(
        "/{id:str}",
        status_code=200,
        responses=error_responses(404),
        summary="Revoke an API key (effective on the next request)",
        operation_id="revoke_key",
    )
    async def revoke(self, id: str, services: Services, auth: AuthContext) -> Deleted:
        await _load(services, auth, id)
        await services.store.revoke_key(auth.scope, id, int(time.time()))
        return Deleted(id=id, object="api_key")

    @post(
        "/{id:str}/roll",
        status_code=200,
        responses=error_responses(404),
        summary="Roll a key: a new secret; the old one stays valid for expires_in_seconds",
        operation_id="roll_key",
    )
    async def roll(
        self, id: str, data: m.KeyRoll, services: Services, auth: AuthContext
    ) -> m.KeyCreated:
        old = await _load(services, auth, id)
        if not old.active(time.time()):
            raise NotFound(f"API key {id} is revoked or expired")
        record, secret = make_key(
            project=old.project,
            environment=old.environment,
            name=old.name,
            scopes=old.scopes,
            expires_at=old.expires_at,
            metadata={**old.metadata, "rolled_from": old.id},
        )
        await services.store.create_key(record)
        await services.store.set_key_expiry(
            auth.scope, old.id, int(time.time()) + data.expires_in_seconds
        )
        return render_key(record, secret)  # type: ignore[return-value]
