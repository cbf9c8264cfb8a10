"""Webhook delivery: Standard Webhooks signing, the durable outbox, the dispatcher, the service."""

from aiagentics.engine.webhooks.signing import (
    InvalidSecret,
    generate_secret,
    secret_key,
    sign,
    signature_headers,
)

__all__ = ["InvalidSecret", "generate_secret", "secret_key", "sign", "signature_headers"]
