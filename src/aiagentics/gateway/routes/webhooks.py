"""/v1/webhooks: endpoints subscribed to run events (CRUD; delivery lives in engine/webhooks/).

The signing secret (`whsec_<base64>`) is generated when absent, returned once in the create
response and stored sealed as `secret_sealed` (unseal with `services.sealer.unseal`).
"""

from __future__ import annotations

import base64
import re
import secrets
from typing import Any

import httpx

from aiagentics.engine.outbound import OutboundRefused, check_url, literal_address
from aiagentics.engine.webhooks.signing import InvalidSecret, secret_key
from aiagentics.gateway.auth import AuthContext
from aiagentics.gateway.errors import InvalidRequest
from aiagentics.gateway.routes import models as m
from aiagentics.gateway.routes.resources import ResourceType, build_controller
from aiagentics.gateway.services import Services
from aiagentics.storage.base import Resource

SEALED_FIELD = "secret_sealed"


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: whsec_ + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


_URL = re.compile(m.WEBHOOK_URL_PATTERN)
_URL_ANY_HOST = re.compile(m.WEBHOOK_URL_ANY_HOST_PATTERN)


def check_webhook_url(url: str, allow_private_network: bool) -> None:
    """400 (param url) for a URL delivery would always refuse; static, no DNS lookup."""
    try:
        check_url(url, allow_private_network)
    except OutboundRefused as exc:
        raise InvalidRequest(
            f"url: webhooks cannot be delivered there: {exc.reason}",
            param="url",
            code="url_refused",
        ) from None
    except (httpx.InvalidURL, ValueError) as exc:
        raise InvalidRequest(f"url: not a valid URL: {exc}", param="url") from None
    # The documented syntax; a literal address (any spelling of one) passed check_url.
    syntax = _URL_ANY_HOST if allow_private_network else _URL
    if not syntax.fullmatch(url) and not _is_literal(url):
        raise InvalidRequest(
            "url: not a valid webhook URL: http(s)://host.name[:port][/path][?query] (no user"
            " info or fragment; a single-label host needs allow_private_network)",
            param="url",
        )


def _is_literal(url: str) -> bool:
    if not _URL_ANY_HOST.fullmatch(url):
        return False
    try:
        return literal_address(httpx.URL(url).host) is not None
    except (httpx.InvalidURL, ValueError):
        return False


async def _prepare(
    services: Services, auth: AuthContext, data: dict[str, Any], current: Resource | None
) -> dict[str, Any]:
    check_webhook_url(str(data.get("url") or ""), services.settings.allow_private_network)
    secret = data.pop("secret", None)
    if secret is not None:
        try:
            secret_key(secret)  # a secret that cannot sign is refused now, not at delivery
        except InvalidSecret as exc:
            raise InvalidRequest(f"secret: {exc}", param="secret") from None
    if secret is None and current is not None:
        data[SEALED_FIELD] = current.data[SEALED_FIELD]
        return data
    secret = secret or new_webhook_secret()
    data[SEALED_FIELD] = services.sealer.seal(secret)
    if current is None:
        data["_response_extra"] = {"secret": secret}
    return data


WEBHOOKS = ResourceType(
    kind="webhook",
    object="webhook",
    prefix="whk",
    path="/v1/webhooks",
    tag="webhooks",
    create_model=m.WebhookCreate,
    update_model=m.WebhookUpdate,
    object_model=m.WebhookObject,
    list_model=m.WebhookList,
    created_model=m.WebhookCreated,
    prepare=_prepare,
    hidden=frozenset({SEALED_FIELD, "secret"}),
)

WebhookController = build_controller(WEBHOOKS)
