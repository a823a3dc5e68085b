"""Unanswered questions grouped by similarity, with the bot's best guess per group.

Two questions are alike when their content words (as the matcher sees them: normalised,
synonyms applied, stop words out) overlap by at least half (Jaccard), compared with the
group's most asked question; questions without content words group by their exact text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

SIMILAR = 0.5


@dataclass(frozen=True)
class AskedQuestion:
    """One logged question (masked) the FAQ could not answer outright."""

    id: int
    question: str
    count: int
    first_at: datetime
    last_at: datetime


@dataclass(frozen=True)
class Guess:
    """The bot's best entry for a question: what it would have offered, and how sure it
    was (`kind`: answer, suggest or none, as FaqMatcher.ask decides)."""

    entry_id: str
    question: str
    score: float
    kind: str


@dataclass(frozen=True)
class UnansweredGroup:
    """Similar unanswered questions. `id` is the most asked question's id (what dismiss
    and the CLI take); `count` and `last_at` sum up the whole group."""

    id: int
    question: str
    count: int
    last_at: datetime
    questions: tuple[AskedQuestion, ...]
    guess: Guess | None

    @property
    def question_ids(self) -> tuple[int, ...]:
        """The ids of every question in the group."""
        return tuple(q.id for q in self.questions)


def best_guess(matcher: Any, text: str) -> Guess | None:
    """The matcher's top entry for the text, or None when no entry shares a word."""
    ranked = matcher.rank(text, limit=1)
    if not ranked:
        return None
    top = ranked[0]
    return Guess(top.entry.id, top.entry.question, top.score, matcher.ask(text).kind)


def group_questions(rows: Sequence[AskedQuestion], matcher: Any) -> list[UnansweredGroup]:
    """Group the rows (most asked first); each group with its best guess."""
    buckets: list[tuple[frozenset[str], list[AskedQuestion]]] = []
    for row in sorted(rows, key=lambda r: (-r.count, -r.last_at.timestamp(), r.id)):
        words = frozenset(matcher.words(row.question))
        for head, members in buckets:
            if _alike(head, words, members[0].question, row.question):
                members.append(row)
                break
        else:
            buckets.append((words, [row]))
    groups = [UnansweredGroup(id=members[0].id, question=members[0].question,
                              count=sum(m.count for m in members),
                              last_at=max(m.last_at for m in members),
                              questions=tuple(members),
                              guess=best_guess(matcher, members[0].question))
              for _, members in buckets]
    groups.sort(key=lambda g: (-g.count, -g.last_at.timestamp(), g.id))
    return groups


def _alike(head: frozenset[str], words: frozenset[str], head_text: str, text: str) -> bool:
    if not head or not words:
        return head_text == text
    return len(head & words) / len(head | words) >= SIMILAR
