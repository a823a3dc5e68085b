"""Understanding figures: intent accuracy, slot accuracy, confident answers and the cost of
one reading, on tests/understanding_eval.yaml; and the FAQ's confident-answer share on
every question set of tests/faq_eval.yaml, the fresh (written blind) one included.

Run: .venv/bin/python bench/understanding.py [--misses] [--part dev|holdout|all]
Prints figures only; nothing here asserts a time. Tune on `dev`; `holdout` is the
measure of how the reading generalises and is never tuned on.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EVAL_FILE = ROOT / "tests" / "understanding_eval.yaml"
FAQ_EVAL = ROOT / "tests" / "faq_eval.yaml"
SLOT_KEYS = ("amount", "term", "demand_no", "enterprise", "institution", "loan_kind",
             "guarantee")


@dataclass
class Figures:
    total: int = 0
    top1: int = 0  # the decision's first choice is the labelled intent (null: no intent)
    in_scope: int = 0
    confident_right: int = 0  # answered outright, and right
    confident_wrong: int = 0  # answered outright, and wrong (null lines included)
    ambiguous: int = 0
    null_total: int = 0
    null_false: int = 0  # a null line read as an intent outright
    slot_right: Counter[str] = field(default_factory=Counter)
    slot_gold: Counter[str] = field(default_factory=Counter)
    slot_found: Counter[str] = field(default_factory=Counter)
    lines_all_slots: int = 0
    per_intent: Counter[str] = field(default_factory=Counter)
    per_intent_right: Counter[str] = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)


def read(understander: Any, text: str, names: list[str]) -> tuple[str | None, str, dict[str, Any]]:
    """(first choice, kind, slots) as the bot would act on them."""
    from knowledge.slots import match_enterprise

    u = understander.understand(text)
    if understander.names_in(text, names):  # as the router does for a user owning them
        u = understander.understand(text, names)
    first = u.intent if u.kind == "intent" else (u.choices[0] if u.choices else None)
    slots = u.slots.present()
    enterprise = match_enterprise(text, names)
    if enterprise:
        slots["enterprise"] = enterprise
    return first, u.kind, slots


def evaluate(understander: Any, lines: list[dict[str, Any]], names: list[str]) -> Figures:
    fig = Figures()
    for line in lines:
        text, gold = str(line["q"]), line.get("intent")
        gold_slots = {k: str(v) for k, v in (line.get("slots") or {}).items()}
        first, kind, found = read(understander, text, names)
        found = {k: str(v) for k, v in found.items()}
        fig.total += 1
        fig.per_intent[str(gold)] += 1
        right = first == gold
        fig.top1 += right
        fig.per_intent_right[str(gold)] += right
        fig.ambiguous += kind == "ambiguous"
        if gold is None:
            fig.null_total += 1
            fig.null_false += kind == "intent"
            fig.confident_wrong += kind == "intent"
        else:
            fig.in_scope += 1
            fig.confident_right += kind == "intent" and right
            fig.confident_wrong += kind == "intent" and not right
        for key in SLOT_KEYS:
            fig.slot_gold[key] += key in gold_slots
            fig.slot_found[key] += key in found
            fig.slot_right[key] += key in gold_slots and found.get(key) == gold_slots[key]
        whole = {k: v for k, v in found.items() if k in SLOT_KEYS} == gold_slots
        fig.lines_all_slots += whole
        if not right or not whole or (gold is not None and kind != "intent"):
            fig.misses.append(f"  [{kind}] {text} -> {first} (want {gold}); slots "
                              f"{found if found != gold_slots else 'ok'}"
                              f"{'' if whole else f' want {gold_slots}'}")
    return fig


def report(title: str, fig: Figures, misses: bool) -> None:
    print(f"{title}: {fig.total} lines ({fig.in_scope} with an intent, {fig.null_total} null)")
    print(f"  intent top-1 accuracy        {fig.top1 / fig.total:.3f} ({fig.top1}/{fig.total})")
    print(f"  confident and right          {fig.confident_right / max(fig.in_scope, 1):.3f} "
          f"of lines with an intent; {fig.confident_wrong} confident and wrong; "
          f"{fig.ambiguous} asked which")
    print(f"  null read as an intent       {fig.null_false}/{fig.null_total}")
    print(f"  lines with every slot right  {fig.lines_all_slots / fig.total:.3f}")
    for key in SLOT_KEYS:
        gold, found, right = fig.slot_gold[key], fig.slot_found[key], fig.slot_right[key]
        if gold or found:
            print(f"    {key:<12} recall {right}/{gold}  precision {right}/{found}")
    worst = sorted(fig.per_intent, key=lambda k: fig.per_intent_right[k] / fig.per_intent[k])
    print("  per intent: " + ", ".join(
        f"{k} {fig.per_intent_right[k]}/{fig.per_intent[k]}" for k in worst))
    if misses and fig.misses:
        print("\n".join(fig.misses))


def latency(understander: Any, texts: list[str], rounds: int) -> tuple[float, float]:
    for text in texts:  # warm: jieba's and the regexes' caches
        understander.understand(text)
    gc.collect()
    gc.freeze()  # as the server does after loading
    samples = []
    for _ in range(rounds):
        for text in texts:
            t0 = time.perf_counter()
            understander.understand(text)
            samples.append((time.perf_counter() - t0) * 1e6)
    samples.sort()
    return samples[len(samples) // 2], samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def faq_figures() -> None:
    import yaml

    from bench.faq import _cases
    from bench.faq import evaluate as faq_evaluate
    from knowledge.matcher import FaqMatcher

    matcher = FaqMatcher.load()
    data = yaml.safe_load(FAQ_EVAL.read_text(encoding="utf-8"))
    for title, prefix in (("eval", ""), ("held-out", "holdout_"), ("fresh (blind)", "fresh_")):
        in_domain, out_domain = _cases(data, prefix)
        if not in_domain:
            continue
        fig = faq_evaluate(matcher, in_domain, out_domain)
        print(f"FAQ {title:<14} confident answers {fig.answered / fig.in_domain:.3f} "
              f"({fig.answered_right} right of {fig.answered}); top-1 "
              f"{fig.top1 / fig.in_domain:.3f}; out-of-domain answered "
              f"{fig.false_answers}/{fig.out_domain}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--misses", action="store_true", help="list what was read wrong")
    parser.add_argument("--part", choices=("dev", "holdout", "all"), default="all")
    parser.add_argument("--rounds", type=int, default=5, help="timed passes over the set")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    import yaml

    from knowledge.understanding import Understander

    started = time.perf_counter()
    understander = Understander.load()
    print(f"load                         {time.perf_counter() - started:.2f} s")
    data = yaml.safe_load(EVAL_FILE.read_text(encoding="utf-8"))
    names = [str(n) for n in data["enterprises"]]
    parts = ("dev", "holdout") if args.part == "all" else (args.part,)
    for part in parts:
        report(part, evaluate(understander, data[part], names), args.misses)
    faq_figures()
    texts = [str(line["q"]) for part in parts for line in data[part]]
    p50, p99 = latency(understander, texts, args.rounds)
    print(f"one reading                  p50 {p50:.0f} us, p99 {p99:.0f} us "
          f"({len(texts) * args.rounds} readings of {len(texts)} lines, warm)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
