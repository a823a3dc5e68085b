"""Intents as data (knowledge/intents.yaml) and the matcher that reads one from a message.

An intent is a group of example utterances; the message, with its slot values already
replaced by placeholders (knowledge.slots), is ranked against every group with the
FAQ's engine (knowledge.ranking) and its own tuning: intents are short and many of their
words are everyday ones ("我想", "多少"), so the intents keep some words the FAQ drops
as stop words, and single characters weigh nothing (they only slowed the ranking).
The NONE group holds how-to and troubleshooting phrasings: when it wins, the message is
the FAQ's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from knowledge.loader import FaqError, Knowledge, knowledge_dir
from knowledge.normal import match_key
from knowledge.ranking import Ranked, Ranker, Ranking, Tuning, prepare
from knowledge.slots import LEXICON_NAME, Lexicon, LexiconError, lexicon, read_slots
from knowledge.text import BIGRAM, CHAR, PINYIN, WORD

INTENTS_FILE = "intents.yaml"
NONE = "NONE"

# Calibrated on tests/understanding_eval.yaml's dev part (bench/understanding.py).
INTENT_TUNING = Tuning(
    weights={WORD: 1.0, BIGRAM: 0.8, CHAR: 0.0, PINYIN: 0.4},
    idf_by_group=True, coverage_mix=0.7, entry_weight=0.5, unknown_weight=0.25,
    answer_min=0.45, answer_margin=0.05, suggest_min=0.3, suggest_ratio=0.75,
    max_suggestions=2, min_content_chars=1, whole_variant=0.75,
)


@dataclass(frozen=True)
class IntentSpec:
    """One intent of intents.yaml: its key (as the registry knows it), its label for asking
    about it, whether it is a question answered with facts, and its example sentences."""

    key: str
    label: str  # how the bot names it when asking which of two was meant
    question: bool  # answered with facts: preferred over an FAQ answer
    examples: tuple[str, ...]


@dataclass(frozen=True)
class IntentData:
    """Everything intents.yaml declares: the intents, and the stop words intent matching
    keeps (they tell intents apart, though the FAQ ignores them)."""

    intents: tuple[IntentSpec, ...]
    keep_words: frozenset[str] = field(default_factory=frozenset)


def read_intents(directory: Path | None = None) -> tuple[IntentData, list[str]]:
    """Parse intents.yaml; the problems found (empty when it is fine)."""
    path = knowledge_dir(directory) / INTENTS_FILE
    problems: list[str] = []
    if not path.is_file():
        return IntentData(()), [f"{INTENTS_FILE}: missing (looked in {path.parent})"]
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        return IntentData(()), [f"{INTENTS_FILE}: invalid YAML: {' '.join(str(exc).split())}"]
    if not isinstance(data, dict) or not isinstance(data.get("intents"), dict):
        return IntentData(()), [f"{INTENTS_FILE}: must have an `intents:` mapping"]
    specs: list[IntentSpec] = []
    seen: dict[str, str] = {}
    for key, body in data["intents"].items():
        if not isinstance(body, dict) or not isinstance(body.get("examples"), list) \
                or not body["examples"]:
            problems.append(f"{INTENTS_FILE}: {key}: needs a non-empty examples list")
            continue
        examples = tuple(str(e).strip() for e in body["examples"])
        for example in examples:
            folded = match_key(example)
            if not folded:
                problems.append(f"{INTENTS_FILE}: {key}: empty example {example!r}")
            elif folded in seen:
                problems.append(f"{INTENTS_FILE}: {key}: example {example!r} is also "
                                f"in {seen[folded]}")
            else:
                seen[folded] = str(key)
        specs.append(IntentSpec(str(key), str(body.get("label") or ""),
                                bool(body.get("question")), examples))
    keep = data.get("keep_words") or []
    return IntentData(tuple(specs), frozenset(map(str, keep))), problems


def read_intent_files(directory: Path | None = None) -> tuple[IntentData, Lexicon | None,
                                                               list[str]]:
    """intents.yaml and the lexicon beside it, and the problems of both."""
    data, problems = read_intents(directory)
    try:
        lex: Lexicon | None = lexicon(knowledge_dir(directory) / LEXICON_NAME)
    except LexiconError as exc:
        lex = None
        problems.append(str(exc))
    return data, lex, problems


class IntentMatcher:
    """Ranks the intents for a message whose slots are already masked."""

    def __init__(self, data: IntentData, knowledge: Knowledge,
                 tuning: Tuning = INTENT_TUNING, lex: Lexicon | None = None) -> None:
        self.specs = data.intents
        self.lex = lex or lexicon()
        self.by_key = {s.key: s for s in self.specs}
        stopwords = frozenset(knowledge.stopwords) - data.keep_words
        tokenizer, terms = prepare(knowledge, stopwords, chars=bool(tuning.weights[CHAR]))
        groups = [[read_slots(e, self.lex)[1] for e in spec.examples] for spec in self.specs]
        self.ranker = Ranker(groups, tokenizer, terms, tuning)

    @classmethod
    def load(cls, knowledge: Knowledge, directory: Path | None = None) -> IntentMatcher:
        data, lex, problems = read_intent_files(directory)
        if problems:
            raise FaqError("invalid intents: " + "; ".join(problems))
        return cls(data, knowledge, lex=lex)

    def rank(self, masked: str) -> Ranking:
        return self.ranker.rank(masked)

    def key(self, item: Ranked) -> str:
        return self.specs[item.position].key
