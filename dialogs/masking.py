"""Masking of identity numbers, phones and account numbers for replies and logs.

Masks keep the length (one '*' per hidden character) so a user can still tell
which of their documents is meant, and always hide at least half of a value.
"""

from __future__ import annotations

import re

# Digits as they may appear in raw (not yet NFKC-normalised) text: ASCII and full-width.
_D = "[0-9０-９]"
_X = "[0-9０-９XxＸｘ]"
_SEP = "[ \\-]?"
_ID_IN_TEXT = re.compile(
    f"(?<![0-9０-９A-Za-z]){_D}{{6}}{_SEP}{_D}{{8}}{_SEP}{_D}{{3}}{_X}(?![0-9０-９A-Za-z])"
)
_PHONE_IN_TEXT = re.compile(
    f"(?<![0-9０-９])(?:\\+?86{_SEP})?(?P<phone>[1１][3-9３-９]{_D}{_SEP}{_D}{{4}}{_SEP}{_D}{{4}})"
    f"(?![0-9０-９])"
)
# 回乡证 and the 15-char 永居证, also masked in logs.
_PERMIT_IN_TEXT = re.compile(
    r"(?<![0-9A-Za-z])(?:[HM][0-9]{8}(?:[0-9]{2})?|[A-Z]{3}[0-9]{12})(?![0-9A-Za-z])"
)


def _keep(value: str, head: int, tail: int) -> str:
    hidden = len(value) - head - tail
    if hidden <= 0:
        return "*" * len(value)
    return value[:head] + "*" * hidden + value[len(value) - tail :]


def mask_id(value: str) -> str:
    """532501199201270024 -> 532***********0024; shorter numbers keep less."""
    n = len(value)
    if n >= 15:
        return _keep(value, 3, 4)
    if n >= 10:
        return _keep(value, 2, 3)
    if n >= 6:
        return _keep(value, 1, 2)
    if n >= 3:
        return _keep(value, 1, 1)
    return "*" * n


def mask_phone(value: str) -> str:
    """15911511931 -> 159****1931; other lengths fall back to mask_id's rule."""
    if len(value) >= 11:
        return _keep(value, 3, 4)
    return mask_id(value)


def mask_account(value: str) -> str:
    """Utility account numbers keep their last 4 (last 2 when short)."""
    n = len(value)
    if n >= 8:
        return _keep(value, 0, 4)
    if n >= 5:
        return _keep(value, 0, 2)
    return "*" * n


def _mask_digits(match: str, head: int, tail: int) -> str:
    """Mask a matched number but leave its separators (spaces, hyphens) in place."""
    positions = [i for i, ch in enumerate(match) if ch not in " -"]
    hidden = set(positions[head : len(positions) - tail])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(match))


def _mask_phone_match(m: re.Match[str]) -> str:
    start, end = m.span("phone")
    whole = m.group(0)
    offset = start - m.start()
    phone = whole[offset : offset + end - start]
    return whole[:offset] + _mask_digits(phone, 3, 4) + whole[offset + end - start :]


def mask_text(text: str) -> str:
    """Mask 18-char resident IDs, mainland mobiles and permit numbers in free text."""
    text = _ID_IN_TEXT.sub(lambda m: _mask_digits(m.group(0), 3, 4), text)
    text = _PHONE_IN_TEXT.sub(_mask_phone_match, text)
    return _PERMIT_IN_TEXT.sub(lambda m: mask_id(m.group(0)), text)
