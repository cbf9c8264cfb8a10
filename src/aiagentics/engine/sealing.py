"""Sealing stored secrets (webhook secrets, write-only fields, idempotent responses) with Fernet.

The key comes from `settings.secret_key`, else from `secret.key` beside the database,
created with mode 0600 on first use. Text is sealed with `seal`/`unseal`, bytes with
`seal_bytes`/`unseal_bytes`; `fingerprint` is a keyed hash for values that are only
compared (a stored plain hash of a request body would let anyone holding the database
test guesses of the secrets in it).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from aiagentics.engine.statedir import KEY_FILE, PRIVATE_FILE, private_dir
from aiagentics.project import GatewaySettings

__all__ = ["KEY_FILE", "Sealer", "load_or_create_key"]


class Sealer:
    """Encrypts and authenticates small secrets for storage."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)
        # A separate key for fingerprints, derived so that one secret configures both.
        self._mac_key = hashlib.sha256(b"aiagentics fingerprint\0" + key).digest()
        # Kept so that the run engine can scrub it from error messages, never to show.
        self.key_text = key.decode("ascii")

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

    def seal_bytes(self, plaintext: bytes) -> bytes:
        """Ciphertext (urlsafe base64 bytes) of `plaintext`."""
        return self._fernet.encrypt(plaintext)

    def unseal_bytes(self, sealed: bytes) -> bytes:
        """The plaintext bytes; raises ValueError when the token is not ours or was altered."""
        try:
            return self._fernet.decrypt(sealed)
        except InvalidToken:
            raise ValueError("sealed value cannot be opened with this key") from None

    def fingerprint(self, *parts: bytes) -> str:
        """A keyed hash (hex) of `parts`, the same for the same parts under the same key."""
        digest = hashlib.blake2b(key=self._mac_key, digest_size=32)
        for part in parts:
            # Length-prefixed, so that moving bytes from one part to the next changes it.
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
        return digest.hexdigest()


def load_or_create_key(path: Path) -> bytes:
    """Read the key file, or create it atomically with mode 0600."""
    private_dir(path.parent, tighten=False)
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    key = Fernet.generate_key()
    try:
        # O_EXCL: when two workers race, exactly one writes and both read that one.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return path.read_bytes().strip()
    os.fchmod(fd, PRIVATE_FILE)  # the umask only narrows os.open's mode; be exact
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key
