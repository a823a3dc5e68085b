"""Operator helpers behind `python -m bot faq ask|check` (pure: no database)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from knowledge.intents import read_intent_files
from knowledge.loader import read_knowledge
from knowledge.matcher import FaqMatcher


def format_ranking(matcher: FaqMatcher, question: str, limit: int = 5) -> str:
    """The best entries for a question with their confidence, and what ask() decides."""
    result = matcher.ask(question)
    lines = [f"question: {question}", f"words:    {' '.join(matcher.words(question)) or '-'}"]
    if result.kind == "answer":
        lines.append(f"decision: answer -> {result.candidates[0].entry.id}")
    elif result.kind == "suggest":
        ids = ", ".join(c.entry.id for c in result.candidates)
        lines.append(f"decision: suggest -> {ids}")
    else:
        lines.append("decision: none")
    ranked = matcher.rank(question, limit=limit)
    width = max((len(c.entry.id) for c in ranked), default=0)
    for number, candidate in enumerate(ranked, 1):
        entry = candidate.entry
        lines.append(f"  {number}. {candidate.score:.3f}  {entry.id:<{width}}  {entry.question}")
    if not ranked:
        lines.append("  (no entry shares a word with this question)")
    return "\n".join(lines)


def run_check(directory: Path | None = None, out: TextIO | None = None) -> int:
    """Validate the knowledge files; print the problems; 0 when fine, 1 otherwise."""
    stream = out or sys.stdout
    knowledge, problems = read_knowledge(directory)
    intents, _, intent_problems = read_intent_files(directory)
    problems += intent_problems
    if problems:
        print(f"{len(problems)} problem(s) in the knowledge files:", file=stream)
        for problem in problems:
            print(f"  - {problem}", file=stream)
        return 1
    texts = sum(len(e.texts) for e in knowledge.entries)
    examples = sum(len(i.examples) for i in intents.intents)
    print(
        f"knowledge OK: {len(knowledge.entries)} entries, {texts} questions and variants, "
        f"{len(knowledge.synonyms)} synonym aliases, {len(knowledge.userdict)} user words; "
        f"{len(intents.intents)} intents, {examples} examples",
        file=stream,
    )
    return 0
