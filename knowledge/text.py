"""Text preparation shared by the FAQ, the intents and the messages: normalisation,
synonyms, jieba tokenisation (guarded, once per process), slot placeholders and the
question-cue test."""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping

import jieba

from knowledge.normal import match_key

# Namespaces of index features. Words and bigrams are kept apart so a two-character
# word is not counted twice; single characters only rescue typos, so they weigh little.
# PINYIN is not a feature of its own but the weight of a homophone stand-in
# (knowledge.ranking: 代款, unknown, is read as the known 贷款).
WORD, BIGRAM, CHAR, PINYIN = "w", "b", "c", "p"

# The slot placeholders knowledge.slots puts in place of values (xamt for 五十万 …).
PLACEHOLDERS = frozenset(("xamt", "xterm", "xno", "xorg", "xkind", "xsecure", "xent"))
_PLACEHOLDERS = re.compile("(" + "|".join(sorted(PLACEHOLDERS, key=len, reverse=True)) + ")")

# A question longer than this is rambling; its head carries the question and cutting
# it bounds the time jieba spends on pasted essays.
MAX_QUERY_CHARS = 300
# jieba's HMM guesses words its dictionary lacks (滇云 as one word); in a long message
# that guess is a third of the cut's cost and the many known words carry the meaning.
HMM_CHARS = 30


class SynonymMap:
    """Rewrites aliases to their canonical term in one left-to-right pass.

    At each position the longest alias wins, so 金融机构 stays whole although 机构 is
    an alias, and a rewritten term is never rewritten again.
    """

    def __init__(self, alias_to_canonical: Mapping[str, str]) -> None:
        self._map = {match_key(a): match_key(c) for a, c in alias_to_canonical.items()}
        self._map = {a: c for a, c in self._map.items() if a}
        # Canonical terms match themselves so that an alias inside them cannot fire.
        for canonical in set(self._map.values()):
            self._map.setdefault(canonical, canonical)
        alternatives = sorted(self._map, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, alternatives))) if alternatives else None

    @property
    def canonical_terms(self) -> frozenset[str]:
        return frozenset(self._map.values())

    def apply(self, normalised: str) -> str:
        if self._pattern is None:
            return normalised
        return self._pattern.sub(lambda m: self._map[m.group(0)], normalised)


_jieba_lock = threading.Lock()
_jieba_ready = False
_jieba_words: set[str] = set()


def init_jieba(words: Iterable[tuple[str, int | None, str | None]]) -> None:
    """Initialise jieba's global tokenizer once per process and add user words.

    jieba's dictionary is process-wide state: the lock keeps concurrent loads from
    building it twice, and words already added are skipped so that reloading the
    knowledge does not re-tune frequencies.
    """
    global _jieba_ready
    with _jieba_lock:
        if not _jieba_ready:
            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _jieba_ready = True
        for word, freq, tag in words:
            if word not in _jieba_words:
                jieba.add_word(word, freq, tag)
                _jieba_words.add(word)


class Tokenizer:
    """Turns a question into weighted features: search-mode words, bigrams, characters."""

    def __init__(self, synonyms: SynonymMap, stopwords: frozenset[str], *,
                 chars: bool = True) -> None:
        self.synonyms = synonyms
        # Single-character features; the intents weigh them nothing, so skip building them.
        self.chars = chars
        self.stopwords = frozenset(match_key(w) for w in stopwords if match_key(w))

    def content_words(self, text: str) -> list[str]:
        """jieba words of the normalised, synonym-mapped text, stop words removed."""
        rewritten = self.synonyms.apply(match_key(text)[:MAX_QUERY_CHARS])
        hmm = len(rewritten) <= HMM_CHARS
        words: list[str] = []
        # Slot placeholders (knowledge.slots) are words of their own: normalised text has
        # no spaces, and jieba cut "xamtxterm" (五十万一年) into one unknown word.
        for part in _PLACEHOLDERS.split(rewritten):
            if part in PLACEHOLDERS:
                words.append(part)
            elif part:
                words += jieba.lcut(part, HMM=hmm)
        return [w for w in words if w not in self.stopwords]

    def features(self, text: str) -> list[str]:
        """Feature keys "<namespace>:<token>", repeated as often as they occur."""
        return self.analyse(text)[1]

    def analyse(self, text: str) -> tuple[list[str], list[str]]:
        """The content words left after stop words, and their feature keys."""
        words = self.content_words(text)
        content = "".join(words)
        freq = jieba.dt.FREQ
        keys: list[str] = []
        for word in words:
            keys.append(f"{WORD}:{word}")
            # Search mode without a second cut: the dictionary's 2- and 3-character
            # parts of a longer word, as jieba.cut_for_search emits them.
            for n in (2, 3):
                for i in range(len(word) - n + 1 if len(word) > n else 0):
                    part = word[i : i + n]
                    if freq.get(part) and part not in self.stopwords:
                        keys.append(f"{WORD}:{part}")
        # Character pairs of Chinese text only: letters pair into noise ("xamt" -> xa,
        # am, mt), and an ASCII word is a word feature already.
        keys.extend(f"{BIGRAM}:{content[i:i + 2]}" for i in range(len(content) - 1)
                    if content[i] > "\u2e7f" and content[i + 1] > "\u2e7f")
        if self.chars:
            keys.extend(f"{CHAR}:{ch}" for ch in content if ch not in self.stopwords)
        return words, keys


# Cues that a message is a question or a complaint rather than a form value. Matched on
# the NFKC-normalised raw text, so "？" and "?" both count.
_QUESTION_CUES = re.compile(
    r"[?？]|怎么|怎样|如何|为什么|为啥|咋|啥|什么|吗|么|呢|哪|多久|多少|几|是否|能不能|可不可以"
    r"|请问|咨询|不知道|不会|不能|不行|不了|不到|不上|不通过|不一致|不对|没反应|收不|没收到"
    r"|失败|报错|出错|错误|异常|帮忙|帮我|求助|转人工"
)


def looks_like_question(text: str) -> bool:
    """Whether a message reads like a question or a problem report."""
    return bool(_QUESTION_CUES.search(unicodedata.normalize("NFKC", text)))
