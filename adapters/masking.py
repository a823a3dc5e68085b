"""Masking of identity numbers, phones and account numbers: replies, logs, stored and
pushed text (dialogs.masking gives the dialogs the same functions).

Masks keep the length (one '*' per hidden character) so a user can still tell
which of their documents is meant, and always hide at least half of a value.
`mask_text` first removes invisible characters and reads digits however they are
grouped, so a zero-width space or "159 1151 1931" does not carry a number past it.
"""

from __future__ import annotations

import re
import unicodedata

# 回乡证 and the 15-char 永居证, also masked in logs.
_PERMIT_IN_TEXT = re.compile(
    r"(?<![0-9A-Za-z])(?:[HM][0-9]{8}(?:[0-9]{2})?|[A-Z]{3}[0-9]{12})(?![0-9A-Za-z])"
)
# A digit group: any decimal digits (ASCII, full-width, other scripts: `\d` is Unicode),
# an ID's check character X only at its very end.
_GROUP = re.compile(r"\d+(?:[XxＸｘ](?![0-9A-Za-z０-９Ａ-Ｚａ-ｚ]))?")
# What people put between digit groups: spaces (also the ideographic and no-break ones),
# dashes of every width, dots, middle dots, underscores; at most three in a row.
_LONE_X = re.compile(r"[XxＸｘ](?![0-9A-Za-z０-９Ａ-Ｚａ-ｚ])")  # "…1231002 X"
_SEPARATOR = re.compile(r"[\s\-‐‑‒–—―－.．·・_]{1,3}")
_ID = re.compile(r"\d{17}[\dXxＸｘ]")
_PHONE = re.compile(r"(?P<prefix>(?:00)?86)?1[3-9]\d{9}")
_MAX_GROUPS = 18  # one digit per group, the longest thing we look for
_SHORTEST = 11  # digits of a mobile number, the shortest thing we look for


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


def strip_invisible(text: str) -> str:
    """Without format characters (Unicode category Cf: zero-width space, ZWJ/ZWNJ, BOM,
    soft hyphen, word joiner, bidi marks …): invisible to a reader, they would otherwise
    split an ID number or a phone so that no pattern sees it."""
    if text.isascii():
        return text
    # Each distinct character is looked up once: a reply repeats its few hundred
    # characters, and a per-character lookup was a twentieth of a message's CPU.
    hidden = {ch for ch in set(text) if unicodedata.category(ch) == "Cf"}
    if not hidden:
        return text
    return "".join(ch for ch in text if ch not in hidden)


def _digits(text: str) -> str:
    """ASCII digits for any decimal digit (full-width ones included); X stays X."""
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch.upper()
                   for ch in text)


def _runs(text: str) -> list[list[re.Match[str]]]:
    """Digit groups joined by separators: "159 1151-1931" is one run of three groups."""
    runs: list[list[re.Match[str]]] = []
    pos = 0
    while (group := _GROUP.search(text, pos)) is not None:
        run = [group]
        while (sep := _SEPARATOR.match(text, run[-1].end())) is not None \
                and (nxt := _GROUP.match(text, sep.end())
                     or _LONE_X.match(text, sep.end())) is not None \
                and not run[-1].group().upper().endswith(("X", "Ｘ")) \
                and not _decimal_point(text, run, sep, nxt):
            run.append(nxt)
        runs.append(run)
        pos = run[-1].end()
    return runs


def _decimal_point(text: str, run: list[re.Match[str]], sep: re.Match[str],
                   nxt: re.Match[str]) -> bool:
    """"150000000.00元": a point after one unbroken number, then one or two digits that
    nothing continues, is a decimal fraction, not a grouping; else an amount reads as
    a phone."""
    if len(run) > 1 or sep.group() not in (".", "．") or len(nxt.group()) > 2:
        return False
    after = _SEPARATOR.match(text, nxt.end())
    return after is None or _GROUP.match(text, after.end()) is None


def _hide(chars: list[str], run: list[re.Match[str]], first: int, skip: int, head: int,
          tail: int) -> None:
    """Star the digits of groups run[first:] after `skip` prefix digits, keeping `head`
    and `tail` of them; separators stay where they were."""
    positions = [i for group in run[first:] for i in range(*group.span())]
    wanted = positions[skip:]
    for i in wanted[head : len(wanted) - tail]:
        chars[i] = "*"


def _mask_run(chars: list[str], run: list[re.Match[str]]) -> None:
    """Whole groups only: a 单据号 (RZ + 14 digits) or an amount is one group that is
    neither 11 nor 18 digits long, so nothing inside it is ever taken for a phone."""
    i = 0
    while i < len(run):
        found = None
        digits = ""
        for j in range(i, min(len(run), i + _MAX_GROUPS)):
            digits += _digits(run[j].group())
            if len(digits) > 20:
                break
            if _ID.fullmatch(digits):
                found = (j, 0, 3, 4)
                break
            phone = _PHONE.fullmatch(digits)
            if phone and found is None:
                found = (j, len(phone.group("prefix") or ""), 3, 4)
        if found is None:
            i += 1
            continue
        last, skip, head, tail = found
        _hide(chars, run[: last + 1], i, skip, head, tail)
        i = last + 1


def mask_text(text: str) -> str:
    """Mask resident ID numbers (18 characters), mainland mobiles (11 digits from 13 to
    19, with or without +86) and permit numbers in free text, however they are typed:
    zero-width characters are removed first, and digits grouped by spaces, dashes or
    dots ("159 1151 1931", "5325 0119 9201 2700 24"), full-width or not, are read as
    one number. The one function for everything stored, logged or pushed."""
    text = strip_invisible(text)
    # A phone is 11 digits at least, an ID 18 characters: shorter runs (a menu's "1",
    # an amount) hold neither, and most replies have no other digits to rebuild for.
    runs = [run for run in _runs(text) if sum(g.end() - g.start() for g in run) >= _SHORTEST]
    if runs:
        chars = list(text)
        for run in runs:
            _mask_run(chars, run)
        text = "".join(chars)
    return _PERMIT_IN_TEXT.sub(lambda m: mask_id(m.group(0)), text)
