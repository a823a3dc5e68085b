"""Encryption of personal data at rest and keyed hashes for looking it up.

One secret (RXF_DATA_KEY) is stretched with HKDF into encryption keys and a separate
hashing key, so a leaked lookup hash says nothing about the ciphertexts.

New values are AES-256-GCM with a random 96-bit nonce, written as "g1." + base64url
(nonce + ciphertext + tag): five times cheaper than Fernet, and every message encrypts
and decrypts the conversation once. Values written earlier as Fernet tokens still read.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import tempfile
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class DataKeyError(Exception):
    """RXF_DATA_KEY is missing or malformed (not url-safe base64 of at least 32 bytes)."""


GCM_PREFIX = "g1."
_NONCE = 12


def _derive(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)


class DataCipher:
    """Encrypts personal data at rest and makes the keyed hashes it is looked up by, all from
    the one RXF_DATA_KEY. `encrypt`/`decrypt` round-trip (decrypt also reads the older
    Fernet tokens); `lookup_hash` is deterministic (for unique columns and lookups);
    `secret_hash` is salted (SMS codes). Raises DataKeyError on a bad key."""

    def __init__(self, key: str) -> None:
        try:
            secret = base64.urlsafe_b64decode(key.encode() + b"=" * (-len(key) % 4))
        except ValueError as exc:
            raise DataKeyError("RXF_DATA_KEY: must be url-safe base64") from exc
        if len(secret) < 32:
            raise DataKeyError("RXF_DATA_KEY: must encode at least 32 bytes")
        self._gcm = AESGCM(_derive(secret, b"rxf-encrypt-gcm"))
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(secret, b"rxf-encrypt")))
        self._hash_key = _derive(secret, b"rxf-lookup")

    def encrypt(self, plaintext: str) -> str:
        nonce = os.urandom(_NONCE)
        sealed = self._gcm.encrypt(nonce, plaintext.encode(), None)
        return GCM_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def decrypt(self, token: str) -> str:
        try:
            if token.startswith(GCM_PREFIX):
                raw = base64.urlsafe_b64decode(token[len(GCM_PREFIX):])
                return self._gcm.decrypt(raw[:_NONCE], raw[_NONCE:], None).decode()
            return self._fernet.decrypt(token.encode()).decode()
        except (InvalidTag, InvalidToken, ValueError) as exc:
            raise DataKeyError("stored data cannot be decrypted with RXF_DATA_KEY") from exc

    def encrypt_bytes(self, data: bytes) -> bytes:
        """A file (a ticket's image) sealed with AES-256-GCM: nonce + ciphertext + tag."""
        nonce = os.urandom(_NONCE)
        return nonce + self._gcm.encrypt(nonce, data, b"rxf-file")

    def decrypt_bytes(self, sealed: bytes) -> bytes:
        """The file `encrypt_bytes` sealed; DataKeyError when the key does not open it."""
        try:
            return self._gcm.decrypt(sealed[:_NONCE], sealed[_NONCE:], b"rxf-file")
        except (InvalidTag, ValueError) as exc:
            raise DataKeyError("stored file cannot be decrypted with RXF_DATA_KEY") from exc

    def lookup_hash(self, value: str) -> str:
        return hmac.new(self._hash_key, value.encode(), hashlib.sha256).hexdigest()

    def secret_hash(self, value: str, salt: str) -> str:
        """Hash of a short secret (an SMS code): salted and keyed, never stored in clear."""
        return hmac.new(self._hash_key, f"{salt}:{value}".encode(), hashlib.sha256).hexdigest()


def new_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


def load_or_create_dev_key(var_dir: Path) -> str:
    """Dev only: a key generated on first run and kept beside the SQLite file.

    Two servers started together in one folder must end with one key: the key is written
    whole to a private temporary file and published with link(), which fails if the name
    exists. So data.key never exists half-written, and the loser reads the winner's key."""
    path = var_dir / "data.key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = new_key()
    fd, tmp = tempfile.mkstemp(dir=var_dir, prefix=".data.key.")  # 0600 by mkstemp
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(key + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:  # another process won the race: use its key
            return path.read_text().strip()
    finally:
        os.unlink(tmp)
    return key
