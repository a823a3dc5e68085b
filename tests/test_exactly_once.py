"""Retries never run a step twice; one user's messages run one at a time, in order; a
slow step answers within WeChat's budget and delivers the rest later."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from devtools.sim import text_xml
from tests import demo_dialog
from tests.demo_dialog import demo_registry
from tests.support import Harness, eventually, free_port, start_harness

MakeHarness = Callable[..., Awaitable[Harness]]


async def _to_note(h: Harness, openid: str) -> None:
    await h.walk("演示", "蒋五", "13812345678", "蓝色", openid=openid)


async def test_three_identical_deliveries_race_one_step(make_harness: MakeHarness) -> None:
    h = await make_harness(registry=demo_registry())
    await _to_note(h, "o_retry")
    demo_dialog.CALLS.clear()
    xml = text_xml("o_retry", "慢0.3", msg_id=777001)
    replies = await asyncio.gather(*(h.sim.post(xml) for _ in range(3)))
    assert demo_dialog.CALLS == {"note": 1}
    assert len({r.content for r in replies}) == 1 and "请核对" in (replies[0].content or "")
    late = await h.sim.post(xml)  # a retry after the fact gets the same answer too
    assert late.content == replies[0].content and demo_dialog.CALLS == {"note": 1}


async def test_one_users_messages_run_in_arrival_order(make_harness: MakeHarness) -> None:
    h = await make_harness(registry=demo_registry())
    await _to_note(h, h.openid)
    first = asyncio.create_task(h.say("慢0.5"))  # the note, slow to check
    await asyncio.sleep(0.1)
    second = asyncio.create_task(h.say("确认"))  # sent while the first is still running
    one, two = await asyncio.gather(first, second)
    # Had the second overtaken the first, "确认" would have been taken as the note.
    assert "请核对" in one and "备注：慢0.5" in one
    assert "提交成功：蒋五" in two


async def test_slow_step_answers_in_budget_then_sends_result(make_harness: MakeHarness) -> None:
    h = await make_harness(registry=demo_registry(), reply_budget=0.3)
    await _to_note(h, "o_slow")
    demo_dialog.CALLS.clear()
    xml = text_xml("o_slow", "慢1.0", msg_id=777002)
    reply = await h.sim.post(xml)
    assert reply.content == "正在核验，请稍候…"
    sent = await eventually(lambda: h.fake.sent(kind="custom", touser="o_slow"), within=8)
    assert "请核对" in sent[0].payload["text"]["content"]
    # WeChat's retry of that delivery gets the same quick answer, not a second step.
    assert (await h.sim.post(xml)).content == "正在核验，请稍候…"
    assert demo_dialog.CALLS == {"note": 1}
    assert len(h.fake.sent(kind="custom", touser="o_slow")) == 1


async def test_long_reply_is_split_under_wechat_limit(harness: Harness) -> None:
    from bot.handler import MAX_TEXT_BYTES, split_long
    from dialogs.replies import Text

    parts = split_long([Text("\n".join(["一行说明文字" * 10] * 60))])
    assert len(parts) > 1
    assert all(len(p.content.encode()) <= MAX_TEXT_BYTES for p in parts if isinstance(p, Text))


async def test_flood_is_slowed_without_processing(make_harness: MakeHarness) -> None:
    h = await make_harness(rate_limit_per_minute=5)
    replies = [await h.say("联系我们", openid="o_flood") for _ in range(7)]
    assert all("0871" in r for r in replies[:5])
    assert all("太快" in r for r in replies[5:])


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
async def test_retries_across_two_processes_run_once(make_harness: MakeHarness) -> None:
    first = await make_harness(registry=demo_registry())
    other = first.settings.model_copy(update={"port": free_port()})
    second = await start_harness(other, faq=first.runtime.ports.faq, registry=demo_registry(),
                                 understander=first.runtime.ports.understander)
    try:
        await _to_note(first, "o_two")
        demo_dialog.CALLS.clear()
        xml = text_xml("o_two", "慢0.3", msg_id=888002)
        replies = await asyncio.gather(first.sim.post(xml), second.sim.post(xml),
                                       first.sim.post(xml), second.sim.post(xml))
        assert demo_dialog.CALLS == {"note": 1}
        assert len({r.content for r in replies}) == 1
    finally:
        await second.stop()
