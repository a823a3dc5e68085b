"""Ranks labelled groups of short texts for a message: the engine under both the FAQ
(an entry's question and variants) and the intents (an intent's examples).

Each text is one small document, indexed as features (knowledge.text: search-mode jieba
words, character bigrams, single characters, pinyin syllable pairs), scored with BM25+
and a smoothed IDF, which stays positive on a corpus this small.

A group's confidence (about 0..1) blends three views of the match: its best text's
BM25+ score divided by the score the message would get against a perfect copy of
itself, how much of that best text the message covers, and how much of the message
the group's whole vocabulary explains.
Features the corpus has never seen count in the denominators, so an off-topic message
("今天天气怎么样") has little confidence whatever its best match.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

import numpy as np

from knowledge.loader import Knowledge
from knowledge.normal import match_key
from knowledge.pinyin import blurred, spellings, word_pinyin
from knowledge.text import BIGRAM, CHAR, PINYIN, WORD, SynonymMap, Tokenizer, init_jieba


@dataclass(frozen=True)
class Tuning:
    """How features weigh and where the answer/suggest lines are drawn. The defaults
    are the FAQ's, calibrated on tests/faq_eval.yaml (bench/faq.py)."""

    k1: float = 1.2
    b: float = 0.5  # documents are one-liners: length matters less than in prose
    delta: float = 0.5  # BM25+ floor for a matched term
    weights: dict[str, float] = field(
        default_factory=lambda: {WORD: 1.0, BIGRAM: 0.8, CHAR: 0.2, PINYIN: 0.3}
    )
    # Unseen features weigh this share of the rarest IDF in the confidence denominator:
    # enough to sink off-topic questions, not so much that a rambling one sinks.
    unknown_weight: float = 0.8
    coverage_mix: float = 0.7  # share of "how much of the variant the question covers"
    entry_weight: float = 0.5  # share of the group-wide view in the confidence
    answer_min: float = 0.45
    answer_margin: float = 0.05
    suggest_min: float = 0.4
    suggest_ratio: float = 0.6  # a suggestion scores at least this share of the best
    max_suggestions: int = 3
    whole_variant: float = 0.8  # covered share that makes a variant "the question itself"
    min_content_chars: int = 2  # "好", "在吗", "谢谢": nothing left to match
    # Count a term's rarity over groups instead of texts (intents: many examples of one
    # group share its defining word).
    idf_by_group: bool = False


class _Bm25:
    """BM25+ over feature lists, with postings precomputed for fast queries."""

    def __init__(self, docs: list[list[str]], tuning: Tuning,
                 doc_group: list[int] | None = None) -> None:
        n_docs = len(docs)
        df: Counter[str] = Counter()
        if tuning.idf_by_group and doc_group is not None:
            # A word every example of one intent shares (注册 in REGISTER) is what
            # defines it: rarity is counted over groups, not over their texts.
            sets: dict[int, set[str]] = defaultdict(set)
            for doc, group in zip(docs, doc_group, strict=True):
                sets[group].update(doc)
            for terms in sets.values():
                df.update(terms)
            n_units = len(sets)
        else:
            for doc in docs:
                df.update(set(doc))
            n_units = n_docs
        avgdl = sum(map(len, docs)) / n_docs if n_docs else 1.0
        self.idf = {t: math.log(1 + (n_units - n + 0.5) / (n + 0.5)) for t, n in df.items()}
        self.unknown_idf = math.log(1 + (n_units + 0.5) / 0.5) * tuning.unknown_weight
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



Decision = Literal["answer", "suggest", "none"]
# Letters read as pinyin from this length: shorter ones are English (ok, hi) as often.
MIN_LATIN = 4

# The best group also says how much of its best text the message covers (the evidence
# test reads it); the others need no second look.
TOP_COVERED = 1


class Ranked(NamedTuple):
    """One group's standing for a message: confidence, its position in the corpus and
    the share of its best text the message covers. (A tuple: a ranking makes a dozen of
    these per message, and a frozen dataclass cost 3 µs apiece.)"""

    confidence: float
    position: int
    covered: float


@dataclass(frozen=True)
class Ranking:
    """Groups sharing features with a message, best first, and its content words."""

    ranked: list[Ranked]
    words: tuple[str, ...]


class Ranker:
    """BM25+ over groups of texts (`groups[i]` is group i's texts)."""

    def __init__(self, groups: Sequence[Sequence[str]], tokenizer: Tokenizer,
                 terms: frozenset[str], tuning: Tuning) -> None:
        self.tuning = tuning
        self.tokenizer = tokenizer
        # Domain vocabulary: one of these matched is evidence enough on its own,
        # whereas one everyday word ("几点", "名字") is not.
        self.terms = terms
        docs: list[list[str]] = []
        self._doc_group: list[int] = []
        for position, texts in enumerate(groups):
            for text in texts:
                docs.append(tokenizer.features(text))
                self._doc_group.append(position)
        self._index = _Bm25(docs, tuning, self._doc_group)
        # Postings as arrays: a message's scores for every text are a few vector
        # operations (one bincount per view), whatever its length. Scored in Python,
        # per posting, one reading cost 0.2-0.6 ms; this way it is a fraction of that.
        self._n_docs = len(docs)
        self._starts = np.searchsorted(np.asarray(self._doc_group), np.arange(len(groups)))
        self._doc_mass = np.asarray(self._index.doc_mass)
        # term -> (its texts, its BM25+ value in each, the groups knowing it, its IDF)
        self._posts: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, float]] = {}
        # Every feature a group knows over all its texts: evidence spread across
        # texts ("注册" in one, "认证" in another) still counts for the group.
        vocab: list[set[str]] = [set() for _ in groups]
        for doc, position in zip(docs, self._doc_group, strict=True):
            vocab[position].update(doc)
        self._vocab = [frozenset(v) for v in vocab]
        groups_with: dict[str, list[int]] = defaultdict(list)
        for position, known in enumerate(self._vocab):
            for term in known:
                groups_with[term].append(position)
        self._n_groups = len(groups)
        for term, entries in self._index.postings.items():
            if tuning.weights[term[0]]:  # a namespace weighing nothing is never looked up
                self._posts[term] = (
                    np.fromiter((d for d, _, _ in entries), np.intp),
                    np.fromiter((v for _, v, _ in entries), np.float64),
                    np.asarray(groups_with[term], np.intp), self._index.idf[term])
        # The pinyin channel: a word or bigram the corpus never saw is read as the known
        # ones that sound the same, so a pinyin keyboard's homophone typo (代款, 方款,
        # 力率) still matches. Known features map to themselves and are never replaced.
        self._sounds: dict[tuple[str, tuple[str, ...]], list[str]] = defaultdict(list)
        # The same, with the sounds 模糊音 merges (产平 for 产品): tried when no exact one.
        self._blurred: dict[tuple[str, tuple[str, ...]], list[str]] = defaultdict(list)
        for term in self._index.idf:
            space, _, surface = term.partition(":")
            if space in (WORD, BIGRAM):
                said = word_pinyin(surface)
                if len(said) == len(surface) >= 2:
                    self._sounds[(space, said)].append(term)
                    self._blurred[(space, blurred(said))].append(term)
        # The commonest sound-alike first (then by spelling): which known word stands in
        # for a typo must not hang on the order of a set, which varies per process.
        idf = self._index.idf
        for alike in (*self._sounds.values(), *self._blurred.values()):
            alike.sort(key=lambda term: (idf[term], term))

    def rank(self, text: str) -> Ranking:
        words, features = self.tokenizer.analyse(text)
        if sum(map(len, words)) < self.tuning.min_content_chars:
            return Ranking([], tuple(words))
        t = self.tuning
        query, heard = self._query(features)
        words = [said for w in words for said in heard.get(w, (w,))]
        # One pass over the message's features gathers what the arrays need.
        posts, unknown = self._posts, self._index.unknown_idf
        perfect = 0.0
        weights: list[float] = []
        idfs: list[float] = []
        docs: list[np.ndarray] = []
        values: list[np.ndarray] = []
        holders: list[np.ndarray] = []
        for term, weight in query.items():
            post = posts.get(term)
            if post is None:
                perfect += weight * unknown
                continue
            perfect += weight * post[3]
            weights.append(weight)
            idfs.append(post[3])
            docs.append(post[0])
            values.append(post[1])
            holders.append(post[2])
        perfect *= self._index.self_factor
        if perfect <= 0 or not docs:
            return Ranking([], tuple(words))
        weight_of = np.array(weights)
        mass = weight_of * np.array(idfs)
        sizes = [len(d) for d in docs]
        at = np.concatenate(docs)
        scores = np.bincount(at, np.concatenate(values) * np.repeat(weight_of, sizes),
                             self._n_docs)
        matched = np.bincount(at, np.repeat(mass, sizes), self._n_docs)
        # How much of the message each group's whole vocabulary explains.
        spread = np.bincount(np.concatenate(holders),
                             np.repeat(mass, [len(h) for h in holders]), self._n_groups)
        # Three views of one match, each about 0..1: how much of the message a text
        # explains (BM25+), how much of that text the message covers, and how much of
        # the message the group's whole vocabulary explains. A group stands by the text
        # the message fits best.
        covered = np.minimum(1.0, matched / self._doc_mass)
        hit = np.flatnonzero(scores)  # the powers only where a text shares a feature
        single = np.zeros(self._n_docs)
        single[hit] = (scores[hit] / perfect) ** (1 - t.coverage_mix) \
            * covered[hit] ** t.coverage_mix
        best = np.maximum.reduceat(single, self._starts)
        overall = spread * self._index.self_factor / perfect
        confidence = (1 - t.entry_weight) * best + t.entry_weight * overall
        touched = np.flatnonzero(best > 0)
        order = touched[np.argsort(-confidence[touched], kind="stable")]
        ranked = []
        for rank, position in enumerate(order.tolist()):
            fit = 0.0
            if rank < TOP_COVERED:  # which text stood for the group: its coverage
                lo = self._starts[position]
                hi = self._starts[position + 1] if position + 1 < self._n_groups \
                    else self._n_docs
                fit = float(covered[lo + int(np.argmax(single[lo:hi]))])
            ranked.append(Ranked(float(confidence[position]), position, fit))
        return Ranking(ranked, tuple(words))

    def _query(self, features: list[str]) -> tuple[dict[str, float],
                                                    dict[str, tuple[str, ...]]]:
        """Feature weights of a message, with homophone stand-ins for unknown words and
        bigrams, and the words so replaced (unknown -> the known ones heard in it)."""
        weights = self.tuning.weights
        known = self._index.idf
        sound_weight = weights[PINYIN]
        query: dict[str, float] = {}
        heard: dict[str, tuple[str, ...]] = {}
        for feature in sorted(set(features)):
            weight = weights[feature[0]]
            if not weight:  # a namespace weighing nothing costs its postings' walk only
                continue
            if feature in known or not sound_weight or feature[0] == CHAR:
                query[feature] = weight
                continue
            surface, space = feature[2:], feature[0]
            if space == WORD and len(surface) >= MIN_LATIN and surface.isascii() \
                    and surface.isalpha():
                said = tuple(t[2:] for t in self._spelt(surface))
                # The words heard bring their character pairs, as typed ones would.
                alike = [f"{WORD}:{w}" for w in said] + [
                    pair for w in said for i in range(len(w) - 1)
                    if (pair := f"{BIGRAM}:{w[i:i + 2]}") in known]
            else:
                alike = self._alike(space, surface) if len(surface) >= 2 else []
                said = (alike[0][2:],) if alike else ()
            if alike:
                for term in alike:
                    query[term] = max(query.get(term, 0.0),
                                      weights[term[0]] * sound_weight)
                if space == WORD:
                    heard[surface] = said
            else:
                query[feature] = weight  # unknown: counts against the confidence
        return query, heard

    def _alike(self, space: str, surface: str) -> list[str]:
        said = word_pinyin(surface)
        return self._sounds.get((space, said)) or self._blurred.get((space, blurred(said)), [])

    def _spelt(self, latin: str) -> list[str]:
        """The known words a run of pinyin letters says ("fangkuanle" -> 放款), read
        left to right, longest first, under its likeliest spelling that says any."""
        for spelling in spellings(latin):
            found: list[str] = []
            i = 0
            while i < len(spelling):
                for n in range(min(4, len(spelling) - i), 1, -1):
                    alike = self._sounds.get((WORD, spelling[i:i + n]))
                    if alike:
                        found.append(alike[0])
                        i += n
                        break
                else:
                    i += 1
            if found:
                return found
        return []

    def enough_evidence(self, words: tuple[str, ...], item: Ranked) -> bool:
        """One everyday word matched ("现在几点了" ~ "几点上班") is not enough to answer:
        it takes two matched words, a domain term, or a text the message covers almost
        whole."""
        vocab = self._vocab[item.position]
        hits = {w for w in words if f"{WORD}:{w}" in vocab}
        return (
            len(hits) >= 2
            or any(w in self.terms for w in hits)
            or item.covered >= self.tuning.whole_variant
        )

    def decide(self, ranking: Ranking) -> tuple[Decision, list[Ranked]]:
        """answer (the first is confident), suggest (close ones, best first) or none."""
        t = self.tuning
        ranked = ranking.ranked
        if not ranked or ranked[0].confidence < t.suggest_min:
            return "none", []
        top = ranked[0].confidence
        floor = max(t.suggest_min, top * t.suggest_ratio)
        close = [r for r in ranked[: t.max_suggestions] if r.confidence >= floor]
        runner_up = ranked[1].confidence if len(ranked) > 1 else 0.0
        if (
            top >= t.answer_min
            and top - runner_up >= t.answer_margin
            and self.enough_evidence(ranking.words, ranked[0])
        ):
            return "answer", close
        return "suggest", close


def prepare(knowledge: Knowledge, stopwords: frozenset[str] | None = None, *,
            chars: bool = True) -> tuple[Tokenizer, frozenset[str]]:
    """A tokenizer over the knowledge's synonyms (and its stop words, unless others are
    given), with jieba ready, and the domain terms: the canonical synonym terms and the
    user dictionary, whose single match is evidence enough."""
    synonyms = SynonymMap(knowledge.synonyms)
    # Canonical synonym terms are the vocabulary both sides are rewritten to: jieba
    # must keep them whole.
    extra = [(t, None, None) for t in sorted(synonyms.canonical_terms) if len(t) > 1]
    init_jieba([*knowledge.userdict, *extra])
    userdict = (match_key(word) for word, _, _ in knowledge.userdict)
    terms = frozenset(w for w in (*synonyms.canonical_terms, *userdict) if len(w) > 1)
    tokenizer = Tokenizer(synonyms, knowledge.stopwords if stopwords is None else stopwords,
                          chars=chars)
    return tokenizer, terms
