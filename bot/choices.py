"""Answering a pending numbered question: the router asked "1 … 2 …" (which intent was
meant, the menu, 继续填写 or 重新开始, FAQ suggestions) and this message may be the answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import clarify
from dialogs.base import ConvState, StepContext
from dialogs.replies import Reply, Text

if TYPE_CHECKING:
    from bot.router import Router


async def answer(router: Router, ctx: StepContext, conv: ConvState, pending: dict,
                 text: str) -> list[Reply] | None:
    """The answer to a pending numbered question (which intent was meant, a menu item,
    继续/重新开始, an FAQ suggestion); None when `text` does not answer it."""
    kind = pending.get("kind")
    if kind == "clarify":
        understood = clarify.chosen(pending, text)
        if understood is None:
            return [Text(clarify.DECLINED)] if clarify.declined(text) else None
        ctx.understood = understood
        return await router.run_key(ctx, conv, understood.intent or "", understood.text)
    if not text.isdigit():
        return None
    index = int(text) - 1
    if kind == "menu":
        items = pending.get("items", [])
        intent = router.registry.by_key(items[index]) if 0 <= index < len(items) else None
        return None if intent is None else await router.run_intent(ctx, conv, intent)
    if kind == "resume":
        if index == 0:
            return await router.commands.resume(ctx, conv)
        if index == 1:
            return await router.commands.restart(ctx, conv)
        return None
    return await router.faq.answer_choice(ctx, conv, pending, index)
