"""FAQ matcher figures: cold start, accuracy on tests/faq_eval.yaml, per-query latency.

Run: .venv/bin/python bench/faq.py [--misses]
Prints figures only; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from knowledge.matcher import FaqMatcher

ROOT = Path(__file__).resolve().parent.parent
EVAL_FILE = ROOT / "tests" / "faq_eval.yaml"


@dataclass
class Figures:
    in_domain: int = 0
    top1: int = 0
    top3: int = 0
    answered: int = 0
    answered_right: int = 0
    out_domain: int = 0
    false_answers: int = 0
    ood_suggested: int = 0
    misses: list[str] = field(default_factory=list)


def evaluate(
    matcher: FaqMatcher, in_domain: list[tuple[str, str]], out_domain: list[str]
) -> Figures:
    fig = Figures(in_domain=len(in_domain), out_domain=len(out_domain))
    for question, expected in in_domain:
        result = matcher.ask(question)
        ranked = matcher.rank(question, limit=3)
        ids = [c.entry.id for c in ranked]
        fig.top1 += bool(ids) and ids[0] == expected
        fig.top3 += expected in ids
        if result.kind == "answer":
            fig.answered += 1
            fig.answered_right += result.candidates[0].entry.id == expected
        if not ids or ids[0] != expected or result.kind != "answer":
            shown = ", ".join(f"{c.entry.id}={c.score:.2f}" for c in ranked)
            fig.misses.append(f"  [{result.kind}] {question} -> want {expected}: {shown}")
    for question in out_domain:
        result = matcher.ask(question)
        fig.false_answers += result.kind == "answer"
        fig.ood_suggested += result.kind == "suggest"
        if result.kind != "none":
            shown = ", ".join(f"{c.entry.id}={c.score:.2f}" for c in result.candidates)
            fig.misses.append(f"  [{result.kind}] OOD {question}: {shown}")
    return fig


def _report(title: str, fig: Figures, misses: bool) -> None:
    n_in, n_out = fig.in_domain, fig.out_domain
    print(f"{title}: {n_in} in-domain, {n_out} out-of-domain questions")
    print(f"  top-1 accuracy          {fig.top1 / n_in:.3f} ({fig.top1}/{n_in})")
    print(f"  top-3 accuracy          {fig.top3 / n_in:.3f} ({fig.top3}/{n_in})")
    print(f"  confident answers       {fig.answered / n_in:.3f} of in-domain, "
          f"{fig.answered_right / max(fig.answered, 1):.3f} of them right")
    print(f"  OOD false-answer rate   {fig.false_answers / n_out:.3f} "
          f"({fig.false_answers}/{n_out}; {fig.ood_suggested} got suggestions)")
    if misses and fig.misses:
        print("  not answered right, or out-of-domain not 'none':")
        print("\n".join(fig.misses))


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _cases(data: dict[str, Any], prefix: str) -> tuple[list[tuple[str, str]], list[str]]:
    in_domain = [(str(c["q"]), str(c["expect"])) for c in data.get(f"{prefix}in_domain", [])]
    return in_domain, [str(q) for q in data.get(f"{prefix}out_of_domain", [])]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--misses", action="store_true", help="list the eval questions missed")
    parser.add_argument("--rounds", type=int, default=20, help="timed passes over the eval set")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))

    started = time.perf_counter()
    from knowledge.matcher import FaqMatcher

    imported = time.perf_counter()
    matcher = FaqMatcher.load()
    loaded = time.perf_counter()

    import yaml

    data = yaml.safe_load(EVAL_FILE.read_text(encoding="utf-8"))
    main_set, holdout = _cases(data, ""), _cases(data, "holdout_")

    print(f"entries                   {len(matcher.entries)}")
    print(f"cold start                import {imported - started:.3f} s + load "
          f"{loaded - imported:.3f} s = {loaded - started:.3f} s")
    _report("eval set", evaluate(matcher, *main_set), args.misses)
    if holdout[0]:
        _report("held-out set", evaluate(matcher, *holdout), args.misses)

    questions = [q for q, _ in main_set[0]] + main_set[1]
    for question in questions:  # warm-up: first calls fill jieba's and re's caches
        matcher.ask(question)
    latencies: list[float] = []
    for _ in range(args.rounds):
        for question in questions:
            t0 = time.perf_counter()
            matcher.ask(question)
            latencies.append((time.perf_counter() - t0) * 1e6)
    print(f"latency per ask()         p50 {statistics.median(latencies):.0f} us, "
          f"p99 {_percentile(latencies, 0.99):.0f} us ({len(latencies)} queries, warm)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
