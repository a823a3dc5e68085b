"""FAQ matcher: ranks the entries of knowledge/faq.yaml for a user's question.

The ranking itself (features, BM25+, the three-view confidence) is knowledge.ranking's,
shared with the intents. ask() answers outright only with a high confidence, a clear
margin over the runner-up and enough evidence (not one everyday word); otherwise it
suggests up to three close entries, or says none. Thresholds were calibrated on
tests/faq_eval.yaml; see bench/faq.py for the figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from knowledge.loader import FaqEntry, FaqError, Knowledge, check_knowledge, load_knowledge
from knowledge.ranking import Ranked, Ranker, Tuning, prepare
from knowledge.text import looks_like_question as _looks_like_question

__all__ = [
    "Candidate",
    "FaqEntry",
    "FaqError",
    "FaqMatcher",
    "FaqResult",
    "Tuning",
    "check_knowledge",
]


@dataclass(frozen=True)
class Candidate:
    """An FAQ entry ranked for a message, with its confidence (about 0..1)."""

    entry: FaqEntry
    score: float  # normalised confidence, about 0..1


@dataclass(frozen=True)
class FaqResult:
    """answer: candidates[0] is the answer (runners-up may follow);
    suggest: up to 3 close candidates, best first; none: no candidates."""

    kind: Literal["answer", "suggest", "none"]
    candidates: tuple[Candidate, ...]


class FaqMatcher:
    """The FAQ (adapters.ports.FaqPort): ranks entries for a message and decides between an
    answer, suggestions and nothing. Pure and in memory; build it with `load`."""

    def __init__(self, knowledge: Knowledge, tuning: Tuning | None = None) -> None:
        tokenizer, terms = prepare(knowledge)
        self._tokenizer = tokenizer
        self._entries = knowledge.entries
        self._by_id = {e.id: e for e in knowledge.entries}
        self._ranker = Ranker([e.texts for e in self._entries], tokenizer, terms,
                              tuning or Tuning())

    @classmethod
    def load(cls, directory: Path | None = None, tuning: Tuning | None = None) -> FaqMatcher:
        """Load and validate the knowledge folder (default: this package's folder).

        Raises FaqError naming every problem. The first load in a process initialises
        jieba (about half a second); later loads reuse it.
        """
        return cls(load_knowledge(directory), tuning)

    @property
    def entries(self) -> tuple[FaqEntry, ...]:
        return self._entries

    def get(self, entry_id: str) -> FaqEntry:
        """The entry with this id; KeyError if there is none."""
        return self._by_id[entry_id]

    def related(self, entry: FaqEntry | str) -> tuple[FaqEntry, ...]:
        """The entries an entry links to, in the order it lists them."""
        found = self.get(entry) if isinstance(entry, str) else entry
        return tuple(self._by_id[i] for i in found.related if i in self._by_id)

    def looks_like_question(self, text: str) -> bool:
        """Whether a message reads like a question or a problem report.

        Meant for dialogs: a message that failed a field's validation and looks like a
        question should go to ask() instead of getting the field's error.
        """
        return _looks_like_question(text)

    def words(self, text: str) -> tuple[str, ...]:
        """The content words the matcher sees (normalised, synonyms applied, no stop
        words): for operators wondering why a question matched what it did."""
        return tuple(self._tokenizer.content_words(text))

    def rank(self, text: str, limit: int = 5) -> tuple[Candidate, ...]:
        """Best entries for the text with their confidence, best first."""
        return tuple(self._candidate(r) for r in self._ranker.rank(text).ranked[:limit])

    def _candidate(self, item: Ranked) -> Candidate:
        # Short texts can score a little above 1 (BM25's length bonus): shown as 1.
        return Candidate(self._entries[item.position], round(min(1.0, item.confidence), 4))

    def ask(self, text: str) -> FaqResult:
        """answer (confident), suggest (close candidates, up to 3) or none."""
        kind, close = self._ranker.decide(self._ranker.rank(text))
        return FaqResult(kind, tuple(self._candidate(r) for r in close))
