"""Webhook delivery: Standard Webhooks signing, the dispatcher and the service over the `Outbox`
Protocol of `aiagentics.storage.outbox`."""

from aiagentics.engine.webhooks.signing import (
    InvalidSecret,
    generate_secret,
    secret_key,
    sign,
    signature_headers,
)

__all__ = ["InvalidSecret", "generate_secret", "secret_key", "sign", "signature_headers"]
