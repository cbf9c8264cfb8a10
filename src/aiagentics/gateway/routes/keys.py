"""/v1/keys: create, list, retrieve, revoke and roll API keys (admin keys only).

A key only ever manages keys of its own project and environment, so a test key can never
mint a live one.
"""

# No `from __future__ import annotations`: Litestar reads these annotations at runtime.

from typing import Any

from litestar import Controller, delete, get, post

from aiagentics.engine import bodies as m
from aiagentics.engine.keys import IssuedKey, KeysService
from aiagentics.gateway.auth import AuthContext, needs
from aiagentics.gateway.routes.common import Deleted, Limit, cursor, error_responses, list_body
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


def render_issued(issued: IssuedKey) -> dict[str, Any]:
    """The API object of a key just created, with its secret."""
    return render_key(issued.record, issued.secret)


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
    async def create(self, data: m.KeyCreate, keys: KeysService, auth: AuthContext) -> m.KeyCreated:
        issued = await keys.create(
            auth.scope,
            name=data.name,
            scopes=list(data.scopes),
            expires_in_seconds=data.expires_in_seconds,
            metadata=data.metadata,
        )
        return render_issued(issued)  # type: ignore[return-value]

    @get(
        "/",
        responses=error_responses(),
        summary="List API keys (newest first)",
        operation_id="list_keys",
    )
    async def list_all(
        self,
        keys: KeysService,
        auth: AuthContext,
        limit: int = Limit,
        starting_after: str | None = cursor("key", "key"),
    ) -> m.KeyList:  # type: ignore[valid-type]
        page = await keys.list(auth.scope, limit=limit, starting_after=starting_after)
        return list_body([render_key(k) for k in page.items], page.has_more)  # type: ignore[return-value]

    @get(
        "/{id:str}",
        responses=error_responses(404),
        summary="Retrieve an API key",
        operation_id="get_key",
    )
    async def retrieve(self, id: str, keys: KeysService, auth: AuthContext) -> m.KeyObject:
        return render_key(await keys.get(auth.scope, id))  # type: ignore[return-value]

    @delete(
        "/{id:str}",
        status_code=200,
        responses=error_responses(404),
        summary="Revoke an API key (effective on the next request)",
        operation_id="revoke_key",
    )
    async def revoke(self, id: str, keys: KeysService, auth: AuthContext) -> Deleted:
        await keys.revoke(auth.scope, id)
        return Deleted(id=id, object="api_key")

    @post(
        "/{id:str}/roll",
        status_code=200,
        responses=error_responses(404),
        summary="Roll a key: a new secret; the old one stays valid for expires_in_seconds",
        operation_id="roll_key",
    )
    async def roll(
        self, id: str, data: m.KeyRoll, keys: KeysService, auth: AuthContext
    ) -> m.KeyCreated:
        issued = await keys.roll(auth.scope, id, data.expires_in_seconds)
        return render_issued(issued)  # type: ignore[return-value]
