"""Understanding figures: intent accuracy, slot accuracy, confident answers and the cost of
one reading, on tests/understanding_eval.yaml; and the FAQ's confident-answer share on
every question set of tests/faq_eval.yaml, the fresh (written blind) one included.

Run: .venv/bin/python bench/understanding.py [--misses] [--part dev|dev2|dev3|holdout|all]
Prints figures only; nothing here asserts a time. Tune on `dev`, `dev2` and `dev3`;
`holdout` is
the measure of how the reading generalises and is never tuned on.
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


# What the bot does with a message before any reading: an exact command or a menu word,
# as the intent it amounts to (outside a dialog, 帮助 shows the menu).
COMMAND_INTENTS = {"help": "MENU", "menu": "MENU", "human": "HUMAN", "greeting": "GREETING",
                   "thanks": "THANKS"}
WORD_INTENTS = {"DEMAND_LIST": "STATUS", "DEMAND_PENDING": "STATUS", "DEMAND_CREDIT": "STATUS",
                "DEMAND_LOAN": "STATUS", "DEMAND_DRAFTS": "STATUS",
                "EDIT_PERSON": "CERTIFY", "EDIT_ENTERPRISE": "CERTIFY",
                "SWITCH_ENTERPRISE": "ENTERPRISES", "ADD_ENTERPRISE": "ENTERPRISES",
                "CONTACT": None, "GUIDE": None, "FAQ": None, "LOGIN_SCENE": None}


def routed(registry: Any, text: str) -> tuple[bool, str | None]:
    """(taken, intent) for a command or a menu word, which the bot acts on unread."""
    from bot import commands
    from bot.inbound import message_text

    text = message_text(text)
    command = commands.parse(text)
    if command is not None:
        return True, COMMAND_INTENTS.get(command.name)
    matched = registry.match(text)
    if matched is not None:
        key = matched[0].key
        return True, WORD_INTENTS.get(key, key)
    return False, None


def read(understander: Any, text: str, names: list[str],
         registry: Any = None) -> tuple[str | None, str, dict[str, Any]]:
    """(first choice, kind, slots) as the bot would act on them; with a registry, exact
    commands and menu words first, as the router takes them."""
    if registry is not None:
        taken, intent = routed(registry, text)
        if taken:
            return intent, "intent" if intent else "none", {}
    u = understander.understand(text, names)  # as the router reads for a user owning them
    first = u.intent if u.kind == "intent" else (u.choices[0] if u.choices else None)
    slots = u.slots.present()
    if u.enterprise:
        slots["enterprise"] = u.enterprise
    return first, u.kind, slots


def evaluate(understander: Any, lines: list[dict[str, Any]], names: list[str],
             registry: Any = None) -> Figures:
    fig = Figures()
    for line in lines:
        text, gold = str(line["q"]), line.get("intent")
        gold_slots = {k: str(v) for k, v in (line.get("slots") or {}).items()}
        first, kind, found = read(understander, text, names, registry)
        if registry is not None and not found:  # a word taken unread has its slots too
            found = read(understander, text, names)[2]
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
        understander.read(text)
    gc.collect()
    gc.freeze()  # as the server does after loading
    # Each line's cheapest of `rounds` readings: what the reading costs, without the
    # pauses a shared machine adds at random (those swung p99 by 2x between runs).
    best = [float("inf")] * len(texts)
    for _ in range(rounds):
        for i, text in enumerate(texts):
            t0 = time.perf_counter()
            understander.read(text)  # not the cache of repeats: every reading in full
            best[i] = min(best[i], (time.perf_counter() - t0) * 1e6)
    best.sort()
    return best[len(best) // 2], best[min(len(best) - 1, int(len(best) * 0.99))]


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
    parser.add_argument("--part", choices=("dev", "dev2", "dev3", "holdout", "all"),
                        default="all")
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
    from dialogs.registry import Registry

    registry = Registry.default()
    parts = ("dev", "dev2", "dev3", "holdout") if args.part == "all" else (args.part,)
    for part in parts:
        report(f"{part}, the reading alone", evaluate(understander, data[part], names),
               args.misses)
        fig = evaluate(understander, data[part], names, registry)
        print(f"{part}, as the bot routes it (exact commands and menu words first): "
              f"intent top-1 {fig.top1 / fig.total:.3f} ({fig.top1}/{fig.total}), "
              f"confident and right {fig.confident_right / max(fig.in_scope, 1):.3f}")
    faq_figures()
    texts = [str(line["q"]) for part in parts for line in data[part]]
    p50, p99 = latency(understander, texts, args.rounds)
    print(f"one reading                  p50 {p50:.0f} us, p99 {p99:.0f} us over the lines "
          f"(each line's fastest of {args.rounds} warm readings; {len(texts)} lines)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
