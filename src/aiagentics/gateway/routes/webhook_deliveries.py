"""/v1/webhooks/:id/deliveries (list, retrieve, redeliver) and /v1/webhooks/:id/rotate_secret."""

# No `from __future__ import annotations`: Litestar reads these annotations at runtime.

from typing import Annotated, Any, ClassVar, Literal

import msgspec
from litestar import Controller, get, post
from litestar.params import Parameter

from aiagentics.engine.bodies import WEBHOOK_SECRET_PATTERN
from aiagentics.engine.webhooks.service import MAX_OVERLAP_SECONDS, WebhookService
from aiagentics.engine.webhooks.signing import InvalidSecret, secret_key
from aiagentics.gateway.auth import AuthContext, require
from aiagentics.gateway.errors import InvalidRequest, NotFound
from aiagentics.gateway.routes.common import cursor, error_responses, list_body
from aiagentics.gateway.services import Services
from aiagentics.ids import has_prefix
from aiagentics.storage.base import Resource


class RotateSecret(msgspec.Struct, forbid_unknown_fields=True):
    """Rotate the signing secret; the old one keeps signing for `overlap_seconds`."""

    # For the OpenAPI document (merged by api/openapi.py): what secret_key accepts.
    __json_schema_extra__: ClassVar[dict[str, Any]] = {
        "properties": {
            "secret": {
                "anyOf": [{"type": "string", "pattern": WEBHOOK_SECRET_PATTERN}, {"type": "null"}]
            }
        }
    }

    overlap_seconds: Annotated[int, msgspec.Meta(ge=0, le=MAX_OVERLAP_SECONDS)] = 3600
    secret: str | None = None


def _service(services: Services) -> WebhookService:
    return services.webhooks  # type: ignore[no-any-return]


async def _webhook(services: Services, auth: AuthContext, id: str) -> Resource:
    return await _service(services).webhook(auth.scope, id)


class WebhookDeliveryController(Controller):
    path = "/v1/webhooks/{id:str}"
    tags = ["webhooks"]

    @get(
        "/deliveries",
        guards=[require("read")],
        responses=error_responses(404),
        summary="List a webhook's deliveries (newest first)",
        operation_id="list_webhook_deliveries",
    )
    async def list_deliveries(
        self,
        id: str,
        services: Services,
        auth: AuthContext,
        limit: int = Parameter(query="limit", ge=1, le=100, default=20),
        starting_after: str | None = cursor("dlv", "delivery"),
        status: Literal["pending", "delivered", "failed"] | None = Parameter(
            query="status", default=None
        ),
    ) -> dict[str, Any]:
        hook = await _webhook(services, auth, id)
        if starting_after is not None and not has_prefix(starting_after, "dlv"):
            raise InvalidRequest(
                "starting_after must be a delivery id (dlv_...)", param="starting_after"
            )
        outbox = _service(services).outbox
        if starting_after is not None and await outbox.get(hook.id, starting_after) is None:
            raise InvalidRequest(
                f"starting_after: no delivery {starting_after} of this webhook",
                param="starting_after",
                code="resource_missing",
            )
        page, more = await outbox.list(
            hook.id, limit=limit, starting_after=starting_after, status=status
        )
        attempts = await outbox.attempts_of([d.id for d in page])
        return list_body([d.to_json(attempts[d.id]) for d in page], more)

    @get(
        "/deliveries/{delivery_id:str}",
        guards=[require("read")],
        responses=error_responses(404),
        summary="Retrieve one delivery with every attempt",
        operation_id="get_webhook_delivery",
    )
    async def get_delivery(
        self, id: str, delivery_id: str, services: Services, auth: AuthContext
    ) -> dict[str, Any]:
        hook = await _webhook(services, auth, id)
        outbox = _service(services).outbox
        delivery = await outbox.get(hook.id, delivery_id)
        if delivery is None:
            raise NotFound(f"no such delivery: {delivery_id}")
        return delivery.to_json(await outbox.attempts(delivery.id))

    @post(
        "/deliveries/{delivery_id:str}/redeliver",
        guards=[require("admin")],
        status_code=202,
        responses=error_responses(404),
        summary="Send a delivery once more, now (whatever its status)",
        operation_id="redeliver_webhook_delivery",
    )
    async def redeliver(
        self, id: str, delivery_id: str, services: Services, auth: AuthContext
    ) -> dict[str, Any]:
        hook = await _webhook(services, auth, id)
        delivery = await _service(services).redeliver(hook.id, delivery_id)
        if delivery is None:
            raise NotFound(f"no such delivery: {delivery_id}")
        return delivery.to_json()

    @post(
        "/rotate_secret",
        guards=[require("admin")],
        status_code=200,
        responses=error_responses(404),
        summary="Rotate the signing secret (both are used during the overlap); shown once",
        operation_id="rotate_webhook_secret",
    )
    async def rotate_secret(
        self, id: str, services: Services, auth: AuthContext, data: RotateSecret | None = None
    ) -> dict[str, Any]:
        hook = await _webhook(services, auth, id)
        body = data or RotateSecret()
        if body.secret is not None:
            try:
                secret_key(body.secret)
            except InvalidSecret as exc:
                raise InvalidRequest(str(exc), param="secret") from None
        secret, expires = await _service(services).rotate_secret(
            auth.scope, hook, body.overlap_seconds, body.secret
        )
        return {
            "id": hook.id,
            "object": "webhook.secret",
            "secret": secret,
            "previous_secret_expires_at": int(expires) if expires is not None else None,
        }
