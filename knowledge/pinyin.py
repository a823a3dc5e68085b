"""Toneless pinyin of Chinese words: the channel that lets a homophone typo from a pinyin
keyboard (代款 for 贷款, 方款 for 放款, 力率 for 利率) still match.

The readings are pypinyin's own dictionaries, shipped inside that package as JSON.
They are read straight from its folder rather than through `import pypinyin`, which
would keep both dictionaries (and copies of them) alive: 55 MB per process, against
about 6 MB for the compact tables built here (one toneless reading per character, and
a phrase only where its reading differs from its characters' first readings, as 银行
does: 行 is xing alone, hang in 银行).
"""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
import unicodedata
from functools import cache, lru_cache
from pathlib import Path

_lock = threading.Lock()


def _toneless(syllable: str) -> str:
    """lǜ -> lu, háng -> hang: keyboards type no tones and most users type ü as u or v."""
    plain = unicodedata.normalize("NFD", syllable)
    return "".join(ch for ch in plain if not unicodedata.combining(ch)).lower()


def _folder() -> Path:
    spec = importlib.util.find_spec("pypinyin")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("pypinyin is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


# Readings are kept for the CJK blocks users type (extension A and the unified block):
# one list slot per code point holding an interned syllable is a few hundred KB,
# where a dict of one-character strings was 8 MB.
FIRST, LAST = 0x3400, 0x9FFF
Tables = tuple[list[str], dict[str, tuple[str, ...]]]
_tables: Tables | None = None


def _compact() -> str:
    """The readings we keep, as one text of "word<TAB>syllables" lines. Every object the
    JSON parse makes dies when this returns, so its memory goes back whole; tables
    built among the parse's leftovers kept 35 MB of RSS per process."""
    folder = _folder()
    raw = json.loads((folder / "pinyin_dict.json").read_text(encoding="utf-8"))
    chars = {chr(int(code)): _toneless(said.split(",")[0]) for code, said in raw.items()
             if FIRST <= int(code) <= LAST}
    lines = [f"{ch}\t{said}" for ch, said in chars.items()]
    raw = json.loads((folder / "phrases_dict.json").read_text(encoding="utf-8"))
    for phrase, readings in raw.items():
        said = [_toneless(r[0]) for r in readings]
        if len(said) == len(phrase) and said != [chars.get(ch) for ch in phrase]:
            lines.append(f"{phrase}\t{' '.join(said)}")
    return "\n".join(lines)


def _build() -> Tables:
    readings: list[str] = [""] * (LAST - FIRST + 1)
    phrases: dict[str, tuple[str, ...]] = {}
    for line in _compact().split("\n"):
        word, _, said = line.partition("\t")
        if len(word) == 1:
            readings[ord(word) - FIRST] = sys.intern(said)
        else:
            phrases[word] = tuple(sys.intern(s) for s in said.split(" "))
    return readings, phrases


def _by_char(readings: list[str], word: str) -> tuple[str, ...]:
    out = []
    for ch in word:
        code = ord(ch) - FIRST
        if 0 <= code < len(readings) and readings[code]:
            out.append(readings[code])
    return tuple(out)


def tables() -> Tables:
    """(reading per code point from FIRST, phrase -> readings where they differ), built
    once per process."""
    global _tables
    if _tables is None:
        with _lock:
            if _tables is None:
                _tables = _build()
    return _tables


@lru_cache(maxsize=65536)
def word_pinyin(word: str) -> tuple[str, ...]:
    """Readings of a word's Chinese characters (other characters are skipped)."""
    readings, phrases = tables()
    known = phrases.get(word)
    return known if known is not None else _by_char(readings, word)


@cache
def _syllable_set() -> frozenset[str]:
    readings, _ = tables()
    # 嗯 (n), 呣 (m), 哼 (hng) would split every "an", "en" in two.
    return frozenset(r for r in readings if r) - {"n", "m", "ng", "hm", "hng"}


LONGEST_SYLLABLE = 6  # zhuang, shuang
MAX_SPELLINGS = 8


@lru_cache(maxsize=4096)
def spellings(latin: str) -> tuple[tuple[str, ...], ...]:
    """Every way a run of letters reads as toneless pinyin ("nihao" -> (ni, hao); "xian"
    -> (xian), (xi, an)): owners without a Chinese keyboard type the sound itself."""
    known = _syllable_set()
    word = latin.lower().replace("v", "u")
    # ways[i]: the readings of word[i:], fewest syllables first, built from the end; a
    # cap keeps a long string of letters from multiplying out.
    ways: list[list[tuple[str, ...]]] = [[] for _ in range(len(word))] + [[()]]
    for i in range(len(word) - 1, -1, -1):
        found = [(word[i:j], *rest)
                 for j in range(i + 1, min(len(word), i + LONGEST_SYLLABLE) + 1)
                 if word[i:j] in known for rest in ways[j]]
        ways[i] = sorted(found, key=len)[:MAX_SPELLINGS]
    return tuple(ways[0])


def _blur(syllable: str) -> str:
    if syllable[:2] in ("zh", "ch", "sh"):
        syllable = syllable[0] + syllable[2:]
    elif syllable[0] == "n" and len(syllable) > 1:
        syllable = "l" + syllable[1:]
    if syllable.endswith("ng") and not syllable.endswith("ong") and len(syllable) > 2:
        syllable = syllable[:-1]
    return syllable


@lru_cache(maxsize=65536)
def blurred(said: tuple[str, ...]) -> tuple[str, ...]:
    """Readings with the sounds a pinyin keyboard's 模糊音 setting merges, and Yunnan
    speech does too: z/zh, c/ch, s/sh, l/n, an/ang, en/eng, in/ing (产平 for 产品,
    留动 for 流动, 牛力 for 流利)."""
    return tuple(_blur(x) for x in said)

