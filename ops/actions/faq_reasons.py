"""Why an FAQ edit is refused, in the operators' words: the loader's problems (the
checks of `faq check`, knowledge/loader.py) put into short Chinese."""

from __future__ import annotations

import re
from collections.abc import Callable

_RULES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"edit #\d+: entry '(?P<id>[^']*)' does not exist"),
     lambda m: f"没有编号为 {m['id']} 的条目"),
    (re.compile(r"duplicate variant '(?P<text>.*)' \(twice\)"),
     lambda m: f"「{m['text']}」这个说法这一条里已经有了"),
    (re.compile(r"duplicate id '(?P<id>[^']*)'"),
     lambda m: f"已经有编号为 {m['id']} 的条目了"),
    (re.compile(r"id must match"),
     lambda m: "条目编号只能用小写英文字母、数字和下划线，并以字母开头"),
    (re.compile(r"empty question"), lambda m: "问题不能为空"),
    (re.compile(r"empty answer"), lambda m: "答案不能为空"),
    (re.compile(r"empty variant"), lambda m: "说法不能为空（只有标点或空格也不行）"),
    (re.compile(r"answer is (?P<n>\d+) bytes \(max (?P<max>\d+)\)"),
     lambda m: f"答案太长（{m['n']} 字节，最多 {m['max']}），微信会截断"),
]


_CLASH = re.compile(r"entry '(?P<id>[^']*)': duplicate variant '(?P<text>.*)' "
                    r"\(also in '(?P<other>[^']*)' as '(?P<as>.*)'\)")


def reason(problem: str, entry_id: str = "") -> str:
    """One loader problem as the Chinese sentence an operator is shown; `entry_id` is the
    entry being edited (the loader names the clashing pair in file order)."""
    clash = _CLASH.search(problem)
    if clash:
        mine = clash["id"] == entry_id
        other, theirs = (clash["other"], clash["as"]) if mine else (clash["id"], clash["text"])
        return (f"这个说法和条目 {other} 已有的「{theirs}」在匹配时是同一句话，两条会打架；"
                f"请换个说法，或把它加到 {other} 上")
    for pattern, say in _RULES:
        found = pattern.search(problem)
        if found:
            return say(found)
    return f"没有通过常见问题校验（faq check）：{problem}"
