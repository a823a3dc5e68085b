"""Tables do not grow without end: old deliveries, idle conversations and sent pushes go."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from adapters.outbox import OutboxItem, OutboxRow, enqueue
from bot.housekeeping import purge
from bot.models import Conversation, Delivery
from tests.support import Harness


async def _count(h: Harness, model: type) -> int:
    async with h.runtime.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def test_purge_keeps_what_is_still_needed(harness: Harness) -> None:
    h = harness
    await h.say("联系我们", openid="o_old")
    await h.say("联系我们", openid="o_new")
    async with h.runtime.sessions.begin() as s:
        await enqueue(s, [OutboxItem("o_old", "text", {"content": "x"}, dedupe_key="a"),
                          OutboxItem("o_old", "text", {"content": "y"}, dedupe_key="b")],
                      h.clock() - timedelta(days=40))
        first = await s.scalar(select(OutboxRow).where(OutboxRow.dedupe_key == "a"))
        first.status = "sent"  # the other one stays pending: never purged
    later = h.clock() + timedelta(days=2)
    counts = await purge(h.runtime.sessions, now=later)
    assert {k: v for k, v in counts.items() if v} == {"deliveries": 2, "outbox": 1,
                                                      "seen_requests": 2}
    assert await _count(h, Delivery) == 0 and await _count(h, Conversation) == 2
    counts = await purge(h.runtime.sessions, now=later + timedelta(days=6))
    assert counts["conversations"] == 2 and await _count(h, OutboxRow) == 1
