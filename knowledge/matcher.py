"""FAQ matcher: ranks the entries of knowledge/faq.yaml for a user's question.

Each question and variant of an entry is one small document, indexed as search-mode
jieba words, character bigrams and single characters (see knowledge.text). Documents
are scored with BM25+ and a smoothed IDF, which stays positive on a corpus this small.

An entry's confidence (about 0..1) blends three views of the match: its best text's
BM25+ score divided by the score the question would get against a perfect copy of
itself (plus a little of its second best text), how much of that best text the
question covers, and how much of the question the entry's whole vocabulary explains.
Words the FAQ has never seen count in the denominators, so an off-topic question
("今天天气怎么样") has little confidence whatever its best match.

ask() answers outright only with a high confidence, a clear margin over the runner-up
and enough evidence (not one everyday word); otherwise it suggests up to three close
entries, or says none. Thresholds were calibrated on tests/faq_eval.yaml; see
bench/faq.py for the figures.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from knowledge.loader import FaqEntry, FaqError, Knowledge, check_knowledge, load_knowledge
from knowledge.text import BIGRAM, CHAR, WORD, SynonymMap, Tokenizer, init_jieba, normalise
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
    entry: FaqEntry
    score: float  # normalised confidence, about 0..1


@dataclass(frozen=True)
class FaqResult:
    """answer: candidates[0] is the answer (runners-up may follow);
    suggest: up to 3 close candidates, best first; none: no candidates."""

    kind: Literal["answer", "suggest", "none"]
    candidates: tuple[Candidate, ...]


@dataclass(frozen=True)
class Tuning:
    k1: float = 1.2
    b: float = 0.5  # documents are one-liners: length matters less than in prose
    delta: float = 0.5  # BM25+ floor for a matched term
    weights: dict[str, float] = field(
        default_factory=lambda: {WORD: 1.0, BIGRAM: 0.8, CHAR: 0.2}
    )
    # Unseen words weigh this share of the rarest IDF in the confidence denominator:
    # enough to sink off-topic questions, not so much that a rambling one sinks.
    unknown_weight: float = 0.6
    second_doc_weight: float = 0.1  # a second matching variant adds a little
    coverage_mix: float = 0.3  # share of "how much of the variant the question covers"
    entry_weight: float = 0.5  # share of the entry-wide view in the confidence
    answer_min: float = 0.5
    answer_margin: float = 0.1
    suggest_min: float = 0.3
    suggest_ratio: float = 0.6  # a suggestion scores at least this share of the best
    max_suggestions: int = 3
    whole_variant: float = 0.8  # covered share that makes a variant "the question itself"
    min_content_chars: int = 2  # "好", "在吗", "谢谢": nothing left to match


class _Bm25:
    """BM25+ over feature lists, with postings precomputed for fast queries."""

    def __init__(self, docs: list[list[str]], tuning: Tuning) -> None:
        n_docs = len(docs)
        df: Counter[str] = Counter()
        for doc in docs:
            df.update(set(doc))
        avgdl = sum(map(len, docs)) / n_docs if n_docs else 1.0
        self.idf = {t: math.log(1 + (n_docs - n + 0.5) / (n + 0.5)) for t, n in df.items()}
        self.unknown_idf = math.log(1 + (n_docs + 0.5) / 0.5) * tuning.unknown_weight
        # term -> [(doc, BM25+ value of the term in the doc, IDF)]
        self.postings: dict[str, list[tuple[int, float, float]]] = defaultdict(list)
        # Each document's own IDF mass, to tell how much of it a question covers.
        self.doc_mass: list[float] = []
        k1, b, delta = tuning.k1, tuning.b, tuning.delta
        weights = tuning.weights
        for index, doc in enumerate(docs):
            norm = k1 * (1 - b + b * len(doc) / avgdl)
            mass = 0.0
            for term, tf in Counter(doc).items():
                idf = self.idf[term]
                part = tf * (k1 + 1) / (tf + norm) + delta
                self.postings[term].append((index, idf * part, idf))
                mass += weights[term[0]] * idf
            self.doc_mass.append(mass or 1.0)
        self.self_factor = 1 + delta

    def score(
        self, query: dict[str, float]
    ) -> tuple[dict[int, float], dict[int, float], float]:
        """BM25+ scores and matched IDF mass of the documents sharing a term, and the
        query's own perfect score."""
        scores: dict[int, float] = defaultdict(float)
        matched: dict[int, float] = defaultdict(float)
        perfect = 0.0
        for term, weight in query.items():
            perfect += weight * self.idf.get(term, self.unknown_idf) * self.self_factor
            for index, value, idf in self.postings.get(term, ()):
                scores[index] += weight * value
                matched[index] += weight * idf
        return scores, matched, perfect


@dataclass(frozen=True)
class _Ranking:
    """Internal: ranked entries as (confidence, position, share of the entry's best
    text that the question covers), and the question's content words."""

    ranked: list[tuple[float, int, float]]
    words: tuple[str, ...]


class FaqMatcher:
    def __init__(self, knowledge: Knowledge, tuning: Tuning | None = None) -> None:
        self._tuning = tuning or Tuning()
        synonyms = SynonymMap(knowledge.synonyms)
        # Canonical synonym terms are the vocabulary both sides are rewritten to:
        # jieba must keep them whole.
        extra = [(t, None, None) for t in sorted(synonyms.canonical_terms) if len(t) > 1]
        init_jieba([*knowledge.userdict, *extra])
        self._tokenizer = Tokenizer(synonyms, knowledge.stopwords)
        # Platform vocabulary: one of these matched is evidence enough on its own,
        # whereas one everyday word ("几点", "名字") is not.
        userdict = (normalise(word) for word, _, _ in knowledge.userdict)
        self._terms = frozenset(
            w for w in (*synonyms.canonical_terms, *userdict) if len(w) > 1
        )
        self._entries = knowledge.entries
        self._by_id = {e.id: e for e in knowledge.entries}
        docs: list[list[str]] = []
        self._doc_entry: list[int] = []
        for position, entry in enumerate(self._entries):
            for text in entry.texts:
                docs.append(self._tokenizer.features(text))
                self._doc_entry.append(position)
        self._index = _Bm25(docs, self._tuning)
        # Every feature an entry knows over all its texts: evidence spread across
        # variants ("注册" in one, "认证" in another) still counts for the entry.
        vocab: list[set[str]] = [set() for _ in self._entries]
        for doc, position in zip(docs, self._doc_entry, strict=True):
            vocab[position].update(doc)
        self._vocab = [frozenset(v) for v in vocab]
        self._entries_with: dict[str, list[int]] = defaultdict(list)
        for position, terms in enumerate(self._vocab):
            for term in terms:
                self._entries_with[term].append(position)

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

    def _rank(self, text: str) -> _Ranking:
        words, features = self._tokenizer.analyse(text)
        if sum(map(len, words)) < self._tuning.min_content_chars:
            return _Ranking([], tuple(words))
        t = self._tuning
        query = {f: t.weights[f.split(":", 1)[0]] for f in set(features)}
        scores, matched, perfect = self._index.score(query)
        if perfect <= 0:
            return _Ranking([], tuple(words))
        best: dict[int, list[tuple[float, int]]] = defaultdict(list)
        for doc, value in scores.items():
            best[self._doc_entry[doc]].append((value, doc))
        spread: dict[int, float] = defaultdict(float)
        for term, weight in query.items():
            idf = self._index.idf.get(term)
            if idf is not None:
                for position in self._entries_with[term]:
                    spread[position] += weight * idf * self._index.self_factor
        ranked = []
        for position, values in best.items():
            values.sort(reverse=True)
            top, doc = values[0]
            second = values[1][0] if len(values) > 1 else 0.0
            # Three views of one match, each about 0..1: how much of the question the
            # best text explains (BM25+), how much of that text the question covers,
            # and how much of the question the entry's whole vocabulary explains.
            explained = (top + t.second_doc_weight * second) / perfect
            covered = min(1.0, matched[doc] / self._index.doc_mass[doc])
            single = explained ** (1 - t.coverage_mix) * covered**t.coverage_mix
            overall = spread[position] / perfect
            confidence = (1 - t.entry_weight) * single + t.entry_weight * overall
            ranked.append((confidence, position, covered))
        ranked.sort(key=lambda item: (-item[0], self._entries[item[1]].id))
        return _Ranking(ranked, tuple(words))

    def rank(self, text: str, limit: int = 5) -> tuple[Candidate, ...]:
        """Best entries for the text with their confidence, best first."""
        return tuple(self._candidate(item) for item in self._rank(text).ranked[:limit])

    def _candidate(self, item: tuple[float, int, float]) -> Candidate:
        # Short texts can score a little above 1 (BM25's length bonus): shown as 1.
        return Candidate(self._entries[item[1]], round(min(1.0, item[0]), 4))

    def _enough_evidence(self, words: tuple[str, ...], item: tuple[float, int, float]) -> bool:
        """One everyday word matched ("现在几点了" ~ "几点上班") is not enough to answer:
        it takes two matched words, a platform term, or a variant the question covers
        almost whole."""
        vocab = self._vocab[item[1]]
        hits = {w for w in words if f"{WORD}:{w}" in vocab}
        return (
            len(hits) >= 2
            or any(w in self._terms for w in hits)
            or item[2] >= self._tuning.whole_variant
        )

    def ask(self, text: str) -> FaqResult:
        """answer (confident), suggest (close candidates, up to 3) or none."""
        t = self._tuning
        ranking = self._rank(text)
        ranked = ranking.ranked
        if not ranked or ranked[0][0] < t.suggest_min:
            return FaqResult("none", ())
        top = ranked[0][0]
        floor = max(t.suggest_min, top * t.suggest_ratio)
        close = tuple(self._candidate(i) for i in ranked[: t.max_suggestions] if i[0] >= floor)
        runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
        if (
            top >= t.answer_min
            and top - runner_up >= t.answer_margin
            and self._enough_evidence(ranking.words, ranked[0])
        ):
            return FaqResult("answer", close)
        return FaqResult("suggest", close)
