"""The one place typed text is normalised, each variant named for what it is for. No
heavy imports: the forms, the webhook and the CLI use them without loading jieba.

- `answer_text`: what a form field's answer is read from (NFKC, invisible characters
  dropped, stripped).
- `message_text`: an inbound message as the bot reads it (`answer_text`, inner
  whitespace runs collapsed to one space).
- `keyword_key`: what exact command and menu words compare (case, whitespace and
  punctuation ignored).
- `match_key`: what FAQ and intent matching compares (only CJK, letters and digits,
  lower-case).
- `display_line`: one line of visible text for a template push (control and invisible
  characters dropped, line breaks become spaces, no NFKC: shown as the user typed it).
"""

from __future__ import annotations

import re
import unicodedata

# Kept characters: CJK ideographs (basic + extension A + compatibility) and ASCII
# letters/digits. Everything else (spaces, punctuation, emoji) carries no meaning
# for matching and only breaks bigrams apart.
_DROP = re.compile(r"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
# What an exact word may come wrapped in: "菜单。", "「注册」", "帮助!".
_PUNCT = re.compile(r"[\s,.!?;:，。！？；：、~…「」『』“”\"'()（）]+")


def answer_text(text: str) -> str:
    """NFKC (full-width -> half-width), invisible characters dropped, stripped: what a
    field's answer is read from."""
    text = unicodedata.normalize("NFKC", text)
    if text.isprintable():  # the usual case, checked in C
        return text.strip()
    # Zero-width spaces, BOMs and control characters come with copy-paste: drop them.
    return "".join(ch for ch in text if ch.isprintable() or ch.isspace()).strip()


def message_text(text: str) -> str:
    """`answer_text` with inner whitespace runs collapsed to one space (a zero-width space
    pasted inside a phone number would make it unreadable)."""
    return " ".join(answer_text(text).split())


def keyword_key(text: str) -> str:
    """Lower-case, whitespace and punctuation removed: "「注册」。" and "注册" are one
    word for the exact command and menu words."""
    return _PUNCT.sub("", text).lower()


def match_key(text: str) -> str:
    """NFKC, lower-case, only CJK/letters/digits kept: what matching compares."""
    return _DROP.sub("", unicodedata.normalize("NFKC", text).lower())


def display_line(value: str) -> str:
    """One line of visible text: WeChat shows no line breaks in a template keyword, and
    control or invisible characters (category C: ZWSP, BOM...) only hide what a reader
    sees."""
    kept = "".join(" " if ch in "\r\n\t" else ch for ch in value
                   if ch in "\r\n\t" or not unicodedata.category(ch).startswith("C"))
    return " ".join(kept.split())
