"""The data cipher: what is written is unreadable without the key, tampering is caught,
and values written before the switch to AES-GCM (Fernet tokens) still read."""

from __future__ import annotations

import base64

import pytest
from cryptography.fernet import Fernet

from adapters.crypto import GCM_PREFIX, DataCipher, DataKeyError, _derive

KEY = "k" * 43
PHONE = "13812345678"


def test_round_trip_is_versioned_and_unlinkable() -> None:
    cipher = DataCipher(KEY)
    first, second = cipher.encrypt(PHONE), cipher.encrypt(PHONE)
    assert first.startswith(GCM_PREFIX) and PHONE not in first
    assert first != second  # a fresh nonce each time: equal values do not show as equal
    assert cipher.decrypt(first) == cipher.decrypt(second) == PHONE
    assert cipher.decrypt(cipher.encrypt("")) == ""
    assert cipher.decrypt(cipher.encrypt("云南贸易有限公司")) == "云南贸易有限公司"


def test_values_written_as_fernet_tokens_still_read() -> None:
    secret = base64.urlsafe_b64decode(KEY + "=")
    old = Fernet(base64.urlsafe_b64encode(_derive(secret, b"rxf-encrypt")))
    token = old.encrypt(PHONE.encode()).decode()
    assert DataCipher(KEY).decrypt(token) == PHONE


@pytest.mark.parametrize("spoil", [
    lambda t: t[:-2] + ("A" if t[-2] != "A" else "B") + t[-1],  # flipped tag bits
    lambda t: t[: len(GCM_PREFIX) + 4] + "!!" + t[len(GCM_PREFIX) + 6:],  # not base64
    lambda t: t[: len(GCM_PREFIX) + 8],  # cut short
])
def test_tampered_or_truncated_values_are_refused(spoil: object) -> None:
    cipher = DataCipher(KEY)
    token = cipher.encrypt(PHONE)
    with pytest.raises(DataKeyError):
        cipher.decrypt(spoil(token))  # type: ignore[operator]


def test_another_key_cannot_read() -> None:
    token = DataCipher(KEY).encrypt(PHONE)
    with pytest.raises(DataKeyError):
        DataCipher("m" * 43).decrypt(token)
