"""Optional encryption at rest: AES-256-GCM from the `cryptography` package, no home-made crypto.

A sealed file is `MAGIC + nonce + ciphertext`; the file's role (user and table) is bound in as
associated data, so a sealed file cannot be swapped in for another one undetected. Files
without the magic prefix are plaintext: written before encryption was turned on, or planted.
`Cipher.open` refuses them; only `encrypt-data` reads them (raw) to seal them.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"CKB-AESGCM-1\n"
NONCE_BYTES = 12
KEY_BYTES = 32
KEY_ENV = "CHECKIN_BOT_DATA_KEY"


class DataKeyError(ValueError):
    """The key is malformed, or does not open the data."""


class Cipher:
    """Seals and opens file contents with one data key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise DataKeyError(f"the data key must be {KEY_BYTES} bytes")
        self._aead = AESGCM(key)

    @classmethod
    def from_text(cls, text: str) -> Cipher:
        """A key as given in CHECKIN_BOT_DATA_KEY: URL-safe base64 of 32 random bytes."""
        try:
            key = base64.urlsafe_b64decode(text.strip().encode("ascii"))
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raise DataKeyError("the data key is not URL-safe base64") from None
        return cls(key)

    def seal(self, plaintext: bytes, role: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return MAGIC + nonce + self._aead.encrypt(nonce, plaintext, role.encode())

    def open(self, data: bytes, role: str) -> bytes:
        """Plaintext of a sealed file; DataKeyError if the file is not sealed or the key is wrong.

        An unsealed file is never passed through: with a key set, anyone able to drop a file
        into the data directory could otherwise have it read as data.
        """
        if not is_sealed(data):
            raise DataKeyError("this file is not encrypted")
        body = data[len(MAGIC) :]
        try:
            return self._aead.decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:], role.encode())
        except InvalidTag:
            raise DataKeyError("the data key does not open this file") from None


def is_sealed(data: bytes) -> bool:
    return data.startswith(MAGIC)


def new_key() -> str:
    """A fresh key, printed by `checkin-bot keygen`."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode("ascii")
