"""Sealing stored secrets (webhook signing secrets, write-only fields) with Fernet.

The key comes from `settings.secret_key`, else from `secret.key` beside the database,
created with mode 0600 on first use. E unseals with `services.sealer.unseal(text)`.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from aiagentics.gateway.settings import GatewaySettings

KEY_FILE = "secret.key"


class Sealer:
    """Encrypts and authenticates small secrets for storage."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    @classmethod
    def from_settings(cls, settings: GatewaySettings) -> Sealer:
        """The configured key, or the key file beside the database (created 0600)."""
        if settings.secret_key:
            return cls(settings.secret_key.encode("ascii"))
        return cls(load_or_create_key(settings.data_dir / KEY_FILE))

    def seal(self, plaintext: str) -> str:
        """Ciphertext (urlsafe base64 text) of `plaintext`."""
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def unseal(self, sealed: str) -> str:
        """The plaintext; raises ValueError when the token is not ours or was altered."""
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise ValueError("sealed value cannot be opened with this key") from None


def load_or_create_key(path: Path) -> bytes:
    """Read the key file, or create it atomically with mode 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    key = Fernet.generate_key()
    try:
        # O_EXCL: when two workers race, exactly one writes and both read that one.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key
