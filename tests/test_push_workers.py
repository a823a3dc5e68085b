"""Several push workers (processes) share the outbox: every row is sent exactly once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable

import pytest

from adapters.outbox import OutboxItem, enqueue
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
    engines, workers = separate_workers(h, 2, templates=h.settings.push_templates(),
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
