"""One reading of a message: the intent (or two close ones to ask between) and its slots.

`Understander.understand()` runs once per text or voice message before routing. It
finds the slots (knowledge.slots), ranks the intents on the masked text
(knowledge.intents) and decides:

- intent: one intent is clearly meant;
- ambiguous: two intents are close, or one stands out without being certain; the bot
  asks which one (numbered), or whether that one is meant;
- none: nothing here (the FAQ, a form's own answer, or the polite fallback takes it).

Whether a slot-only message ("五十万", "RZ2026…") means anything is the router's call:
the reading reports what was said, not what to do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Literal

from knowledge.intents import NONE, IntentMatcher, IntentSpec
from knowledge.loader import load_knowledge
from knowledge.normal import answer_text
from knowledge.slots import Slots, enterprise_span, read_slots
from knowledge.text import PLACEHOLDERS, looks_like_question

Kind = Literal["intent", "ambiguous", "none"]
# Longer messages are rambling; their head carries the request, and cutting them keeps
# the reading's cost flat (a pasted essay must not cost the other users anything).
MAX_CHARS = 120
# Nothing to read in digits, punctuation and spaces alone (the answer to a numbered
# question): skip the ranking, which costs most of a reading.
_NOTHING = re.compile(r"[\s\d\W_]*", re.UNICODE)
# One intent short of certain but well ahead of everything else, NONE included ("贵不贵",
# "想搞个贸易融资"): asking "您是想…吗？" serves the owner better than the fallback. On the
# tuning sets 9 of the 10 such offers were the intent meant.
CONFIRM_MIN, CONFIRM_RATIO = 0.4, 1.4


@dataclass(frozen=True)
class Understanding:
    """How one message reads: an intent (`kind` "intent", with its confidence), two close ones
    or one likely one to ask about ("ambiguous", `choices`), or nothing ("none"); the
    values it names (`slots`) and whether it reads as a question."""

    text: str
    kind: Kind = "none"
    intent: str | None = None
    confidence: float = 0.0
    choices: tuple[str, ...] = ()  # ambiguous: the intents to ask between, best first
    slots: Slots = field(default_factory=Slots)
    question: bool = False  # reads like a question or a problem report
    # Which of the user's enterprises the message names (read with their names only).
    enterprise: str | None = None
    # Words beside the values: "159一1511931" at a phone question holds a number that
    # reads as an amount, but no word saying what is wanted.
    worded: bool = False

    @property
    def has_slots(self) -> bool:
        return bool(self.slots.present())


# Readings kept per text: owners repeat the same short things ("放款了没有", "利息多少",
# "你好"), and a reading is immutable, so a repeat costs a dictionary lookup.
CACHED_READINGS, CACHED_CHARS = 4096, 40


class Understander:
    """Reads messages (adapters.ports.UnderstanderPort): intent and slots, with the user's
    enterprise names when asked; readings of short texts are cached."""

    def __init__(self, intents: IntentMatcher) -> None:
        self.intents = intents
        self._cached = lru_cache(maxsize=CACHED_READINGS)(self.read)

    @classmethod
    def load(cls, directory: Path | None = None) -> Understander:
        """Raises knowledge.loader.FaqError naming every problem of the files."""
        return cls(IntentMatcher.load(load_knowledge(directory), directory))

    def spec(self, key: str) -> IntentSpec | None:
        return self.intents.by_key.get(key)

    def understand(self, text: str, enterprises: list[str] | None = None) -> Understanding:
        """Read a message; given the user's enterprise names, one named in it is read as
        "an enterprise of mine" (the router asks again with them when it matters)."""
        named = self._named(text, enterprises) if enterprises else None
        if named is None:
            return self._cached(text) if len(text) <= CACHED_CHARS else self.read(text)
        return self._read_named(text, enterprises or [], named)

    def naming(self, reading: Understanding, enterprises: list[str]) -> Understanding:
        """A reading done without the user's enterprise names, read again with them when
        the message names one; unchanged (and no second ranking) when it names none."""
        named = self._named(reading.text, enterprises)
        return reading if named is None else self._read_named(reading.text, enterprises, named)

    def _named(self, text: str, enterprises: list[str]) -> str | None:
        found = enterprise_span(answer_text(text[:MAX_CHARS]), enterprises, self.intents.lex)
        return found[0] if found else None

    def _read_named(self, text: str, enterprises: list[str], named: str) -> Understanding:
        head = text[:MAX_CHARS]
        slots, masked = read_slots(head, self.intents.lex, enterprises=enterprises)
        reading = self._decide(text, slots, masked, looks_like_question(head))
        return replace(reading, enterprise=named)

    def read(self, text: str) -> Understanding:
        """A reading without the cache (understand() keeps repeats)."""
        head = text[:MAX_CHARS]
        if not head or _NOTHING.fullmatch(head):
            slots, _ = read_slots(head, self.intents.lex) if head else (Slots(), "")
            return Understanding(text, slots=slots)
        slots, masked = read_slots(head, self.intents.lex)
        return self._decide(text, slots, masked, looks_like_question(head))

    def _decide(self, text: str, slots: Slots, masked: str, question: bool) -> Understanding:
        matcher = self.intents
        ranking = matcher.rank(masked)
        worded = any(len(w) > 1 and not w.isdigit() and w not in PLACEHOLDERS
                     for w in ranking.words)
        kind, close = matcher.ranker.decide(ranking)
        keys = [matcher.key(r) for r in close]
        if not keys or keys[0] == NONE:
            return Understanding(text, slots=slots, question=question, worded=worded)
        top = close[0].confidence
        if kind == "answer":
            return Understanding(text, "intent", keys[0], top, slots=slots, question=question,
                                 worded=worded)
        # Only intents with a label can be offered, and only when one leads.
        labelled = [k for k in keys if k != NONE and matcher.by_key[k].label]
        choices: tuple[str, ...] = ()
        if labelled and labelled[0] == keys[0]:
            ranked = ranking.ranked
            second = ranked[1].confidence if len(ranked) > 1 else 0.0
            if len(labelled) >= 2:
                choices = tuple(labelled[:2])
            elif top >= CONFIRM_MIN and top >= CONFIRM_RATIO * second:
                choices = (keys[0],)
        if choices:
            return Understanding(text, "ambiguous", None, top, choices, slots, question,
                                 worded=worded)
        return Understanding(text, "none", None, top, slots=slots, question=question,
                             worded=worded)
