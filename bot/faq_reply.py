"""Turns FAQ matches into replies: an answer, "您是不是想问" with numbers, or an honest
"答不上来" that offers the menu and a human, logging the question for the operators."""

from __future__ import annotations

import logging
from typing import Any

from adapters.ports import FaqPort, Ports
from bot import observe
from bot.faq_log import FaqLog
from dialogs.base import ConvState, StepContext
from dialogs.help import PHONE
from dialogs.replies import Reply, Text
from knowledge.loader import FaqEntry

log = logging.getLogger(__name__)

NOT_FOUND = ("抱歉，这个问题我还答不上来，已记录给工作人员。\n"
             "您可以：回复「菜单」看看我能办什么；回复「常见问题」看大家常问的；"
             f"或回复「转人工」找客服（电话 {PHONE}）。")


class FaqResponder:
    """Turns FAQ results into replies: an answer with its related questions, numbered
    suggestions, or the honest "答不上来"; logs what it could not answer outright."""

    def __init__(self, ports: Ports, log_store: FaqLog | None) -> None:
        # Read through the ports so a reload (which swaps ports.faq) takes effect at once.
        self.ports = ports
        self.log_store = log_store

    @property
    def matcher(self) -> FaqPort | None:
        """The FAQ as the ports hold it now (None: no FAQ configured)."""
        return self.ports.faq

    async def answer(self, ctx: StepContext, conv: ConvState, text: str) -> list[Reply]:
        """The reply to `text` as a question (outside a dialog): the answer, up to 3 numbered
        suggestions (kept as the pending choice), or NOT_FOUND; logs all but a sure answer."""
        result = self.matcher.ask(text) if self.matcher is not None else None
        observe.faq("unanswered" if result is None else {
            "answer": "answered", "suggest": "suggested"}.get(result.kind, "unanswered"))
        if (result is None or result.kind != "answer") and self.log_store is not None:
            # Operators want every question we could not answer outright, guesses too.
            await self.log_store.record(text, ctx.now)
        if result is None or result.kind == "none":
            return [Text(NOT_FOUND)]
        if result.kind == "answer":
            return self._entry_reply(conv, result.candidates[0].entry)
        ids = [c.entry.id for c in result.candidates[:3]]
        conv.choices = {"kind": "faq", "ids": ids}
        lines = ["您是不是想问："]
        lines += [f"{i} {c.entry.question}" for i, c in enumerate(result.candidates[:3], 1)]
        lines.append("回复数字查看；都不是的话，换个说法问我，或回复「转人工」。")
        return [Text("\n".join(lines))]

    def inline(self, text: str) -> str | None:
        """Inside a dialog: answer only a confident match to something that reads as a
        question, so a wrong field value is never mistaken for one."""
        if self.matcher is None or not self.matcher.looks_like_question(text):
            return None
        entry = self.confident(text)
        return entry.answer if entry is not None else None

    def confident(self, text: str) -> FaqEntry | None:
        """The entry that answers `text` outright, or None."""
        if self.matcher is None:
            return None
        result = self.matcher.ask(text)
        return result.candidates[0].entry if result.kind == "answer" else None

    def answered(self, conv: ConvState, entry: FaqEntry) -> list[Reply]:
        """The reply for an entry already found to answer the message outright."""
        observe.faq("answered")
        return self._entry_reply(conv, entry)

    async def answer_choice(self, ctx: StepContext, conv: ConvState, pending: dict[str, Any],
                            index: int) -> list[Reply] | None:
        """The entry picked by number from the suggestions offered; None when the number is not
        one of them (the router then reads the message anew)."""
        ids = pending.get("ids", [])
        if not 0 <= index < len(ids) or self.matcher is None:
            return None
        try:
            entry = self.matcher.get(ids[index])
        except KeyError:
            return None
        return self._entry_reply(conv, entry)

    def _entry_reply(self, conv: ConvState, entry: FaqEntry) -> list[Reply]:
        matcher, related = self.matcher, []
        for entry_id in entry.related[:3] if matcher is not None else ():
            try:
                related.append(matcher.get(entry_id))
            except KeyError:
                log.warning("faq entry %s names unknown related %s", entry.id, entry_id)
        if not related:
            return [Text(entry.answer)]
        conv.choices = {"kind": "faq", "ids": [r.id for r in related]}
        lines = [entry.answer, "", "相关问题（回复数字查看）："]
        lines += [f"{i} {r.question}" for i, r in enumerate(related, 1)]
        return [Text("\n".join(lines))]
