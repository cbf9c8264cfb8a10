"""/v1/webhooks: endpoints subscribed to run events (CRUD; delivery lives in engine/webhooks/).

The signing secret (`whsec_<base64>`) is generated when absent, returned once in the create
response and stored sealed (see `engine/definitions.py`).
"""

from __future__ import annotations

from aiagentics.engine import bodies as m
from aiagentics.gateway.routes.resources import ResourceType, build_controller

WEBHOOKS = ResourceType(
    "webhook", "webhooks", m.WebhookObject, m.WebhookList, created_model=m.WebhookCreated
)
WebhookController = build_controller(WEBHOOKS)
