"""Operator edits on top of faq.yaml: the shipped file stays the base, and the edits the
operators make (a new phrasing of an entry, a new entry) are applied to its parsed data
before the loader validates it, so an edited FAQ passes exactly the checks of `faq check`.
Pure: the edits come in as values; storing them is the caller's business."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

ADD_PHRASING, NEW_ENTRY = "add_phrasing", "new_entry"


@dataclass(frozen=True)
class FaqChange:
    """One operator edit: add `text` as a variant of `entry_id`, or a new entry
    `entry_id` with `text` as its question, `answer` and `variants`."""

    action: Literal["add_phrasing", "new_entry"]
    entry_id: str
    text: str
    answer: str = ""
    variants: tuple[str, ...] = ()


def apply_changes(data: Any, changes: Sequence[FaqChange], file_name: str,
                  problems: list[str]) -> Any:
    """faq.yaml's parsed data with the changes applied (the input is left untouched);
    a change that cannot apply (its entry is gone) is added to `problems`."""
    if not changes or not isinstance(data, list):
        return data
    entries = copy.deepcopy(data)
    by_id = {item.get("id"): item for item in entries if isinstance(item, dict)}
    for number, change in enumerate(changes, 1):
        if change.action == NEW_ENTRY:
            item: dict[str, Any] = {"id": change.entry_id, "question": change.text,
                                    "answer": change.answer}
            if change.variants:
                item["variants"] = list(change.variants)
            entries.append(item)
            by_id.setdefault(change.entry_id, item)
            continue
        target = by_id.get(change.entry_id)
        if target is None:
            problems.append(f"{file_name}: edit #{number}: entry {change.entry_id!r} "
                            "does not exist")
            continue
        variants = target.get("variants")
        target["variants"] = [*variants, change.text] if isinstance(variants, list) \
            else [change.text]
    return entries
