"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

Headers: `webhook-id` (the message id, stable across retries), `webhook-timestamp`
(unix seconds of the attempt) and `webhook-signature`: space-separated
`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, one per secret in use, so
that a receiver holding the old or the new secret accepts the message while a
rotation overlaps.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Sequence

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


class InvalidSecret(ValueError):
    """A webhook secret that is not `whsec_<base64>` of 16 to 64 bytes."""


def generate_secret() -> str:
    """A fresh `whsec_<base64>` secret."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key of a `whsec_` secret (its base64-decoded part)."""
    if not secret.startswith(SECRET_PREFIX):
        raise InvalidSecret("a webhook secret must start with whsec_")
    encoded = secret[len(SECRET_PREFIX) :]
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidSecret("a webhook secret must be whsec_ followed by base64") from exc
    if not 16 <= len(key) <= 64:
        raise InvalidSecret("a webhook secret must encode 16 to 64 bytes")
    return key


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,<base64>` signature of a message."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signature_headers(
    secrets_in_use: Sequence[str], msg_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The three Standard Webhooks headers, signed with every secret in use (newest first)."""
    if not secrets_in_use:
        raise InvalidSecret("no secret to sign with")
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(s, msg_id, timestamp, body) for s in secrets_in_use),
    }
