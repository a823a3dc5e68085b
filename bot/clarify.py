"""Asking what was meant when the reading is not sure: two close intents as numbered
choices, or one likely intent as "您是想…吗？", and reading the owner's answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dialogs.base import ConvState
from dialogs.replies import Reply, Text
from dialogs.validators import Invalid, yes_no
from knowledge.normal import match_key
from knowledge.slots import Slots
from knowledge.understanding import Understanding

# A bare no to "您是想…吗？" ("不是", "都不是"): asked again, not read as a question.
DECLINED = "好的。请换个说法告诉我您想办什么，或回复「菜单」看看我能办的事。"
# A bare 是的 / 不是 when nothing was asked: not a question for the FAQ's "答不上来".
NOTHING_ASKED = "好的。需要办什么直接告诉我，或回复「菜单」看看我能办的事。"


def ask(conv: ConvState, understood: Understanding, label: Callable[[str], str]) -> list[Reply]:
    """Put the question and remember what was said with it (its values hold for the
    intent chosen)."""
    conv.choices = {"kind": "clarify", "items": list(understood.choices),
                    "slots": understood.slots.present(), "text": understood.text}
    labels = [label(k) for k in understood.choices]
    if len(labels) == 1:
        return [Text(f"您是想「{labels[0]}」吗？\n回复「是」或 1 开始，或换个说法告诉我。")]
    lines = ["您是想："] + [f"{i} {name}" for i, name in enumerate(labels, 1)]
    lines.append("回复数字选择，或换个说法告诉我。")
    return [Text("\n".join(lines))]


def _yes_no(text: str) -> bool | None:
    try:
        return yes_no(text)
    except Invalid:
        return None


def stray_yes_no(text: str) -> bool:
    """A bare yes or no in words (是的, 不是), said when no question is pending."""
    return not match_key(text).isdigit() and _yes_no(text) is not None


def declined(text: str) -> bool:
    """The answer is a bare no (不是, 都不是, 不对): to what was offered, not a question."""
    return _yes_no(text) is False


def chosen(pending: dict[str, Any], text: str) -> Understanding | None:
    """The reading the owner's answer picks (the chosen intent with the values said in
    the question), or None when the answer is something else, read afresh."""
    items = pending.get("items", [])
    word = match_key(text)
    if len(items) == 1:  # 是, 对的, 1 … take it
        index = 0 if _yes_no(text) else -1
    else:
        index = int(word) - 1 if word.isdigit() else -1
    if not 0 <= index < len(items):
        return None
    return Understanding(pending.get("text", ""), "intent", items[index], 1.0,
                        slots=Slots.from_present(pending.get("slots") or {}))
