"""Several push workers (processes) share the outbox: every row is sent exactly once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable

import pytest

from adapters.outbox import OutboxItem, enqueue
from bot.templates import push_templates
from tests.push_support import FAST, TEMPLATES, rows, separate_workers
from tests.support import Harness, eventually

MakeHarness = Callable[..., Awaitable[Harness]]


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
async def test_two_workers_drain_1000_rows_each_sent_once(make_harness: MakeHarness) -> None:
    h = await make_harness(**{**FAST, **TEMPLATES, "background": False})
    now = h.clock()
    async with h.runtime.sessions.begin() as session:
        await enqueue(session, [
            OutboxItem(f"o_{i:04d}", "push", {"event": "credit", "demand_no": f"RZ{i:06d}"},
                       dedupe_key=f"k{i}") for i in range(1000)], now)
    engines, workers = separate_workers(h, 2, templates=push_templates(h.settings),
                                        interval=0.02, batch=25)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(w.run(stop)) for w in workers]
    try:
        await eventually(lambda: len(h.fake.sent(kind="template")) >= 1000, within=180)
        await asyncio.sleep(0.3)  # anything sent twice would show up by now
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        for engine in engines:
            await engine.dispose()
    counts = Counter(r.payload["data"]["demand_no"]["value"]
                     for r in h.fake.sent(kind="template"))
    assert len(counts) == 1000 and set(counts.values()) == {1}
    assert h.fake.templates.repeats == 0  # no second send hidden by client_msg_id
    assert {r.status for r in await rows(h)} == {"sent"}


async def test_one_users_messages_go_out_in_order(make_harness: MakeHarness) -> None:
    """The parts of a long reply read top to bottom even when WeChat answers the first
    send slowly: one user's rows are sent one after the other, users side by side."""
    h = await make_harness(**{**FAST, "background": False})
    await h.say("联系我们", openid="o_long")  # opens the 5-message window
    await h.say("联系我们", openid="o_other")
    async with h.runtime.sessions.begin() as session:
        await enqueue(session, [OutboxItem("o_long", "text", {"content": f"第{i}部分"})
                                for i in range(1, 5)]
                      + [OutboxItem("o_other", "text", {"content": "另一位"})], h.clock())
    h.fake.add_fault("message/custom/send", delay=0.3)  # the first send is slow
    await h.runtime.worker.run_once()
    sent = [r.payload["text"]["content"] for r in h.fake.sent(kind="custom", touser="o_long")]
    assert sent == [f"第{i}部分" for i in range(1, 5)]
    assert h.fake.sent(kind="custom", touser="o_other")
