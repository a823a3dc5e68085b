"""The two normal forms of typed text, with no heavy imports (the forms and the CLI use
them without loading jieba)."""

from __future__ import annotations

import re
import unicodedata

# Kept characters: CJK ideographs (basic + extension A + compatibility) and ASCII
# letters/digits. Everything else (spaces, punctuation, emoji) carries no meaning
# for matching and only breaks bigrams apart.
_DROP = re.compile(r"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def clean(text: str) -> str:
    """NFKC (full-width -> half-width), invisible characters dropped, stripped: what a
    field's answer is read from."""
    text = unicodedata.normalize("NFKC", text)
    if text.isprintable():  # the usual case, checked in C
        return text.strip()
    # Zero-width spaces, BOMs and control characters come with copy-paste: drop them.
    return "".join(ch for ch in text if ch.isprintable() or ch.isspace()).strip()


def normalise(text: str) -> str:
    """NFKC, lower-case, only CJK/letters/digits kept: what matching compares."""
    return _DROP.sub("", unicodedata.normalize("NFKC", text).lower())
