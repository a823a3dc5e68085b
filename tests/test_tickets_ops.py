"""The operators' ticket actions (ops/actions/tickets.py): the reply reaches the user as
a template when one is configured, as a customer-service message otherwise, and waits
for the user's next message when their window is closed; refusals say why."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import text

from adapters.tickets import TicketStore
from bot.templates import EXAMPLE
from ops.actions import tickets as actions
from tests.support import Harness, eventually
from tests.ticket_support import JPEG, PNG, send_picture, settled

NO = re.compile(r"GD\d{14}")


async def _filed(h: Harness, *pictures: bytes) -> str:
    for data in pictures:
        await send_picture(h, data)
    if not pictures:
        await h.say("报错了")
    filed = await h.say("提交资料时一直提示系统异常")
    found = NO.search(filed)
    assert found, filed
    await settled(h, found.group(0))
    return found.group(0)


def _desk(h: Harness) -> TicketStore:
    assert h.runtime.ports.tickets is not None
    return h.runtime.ports.tickets


async def test_resolve_goes_as_the_ticket_template_when_configured(
        make_harness: Callable[..., Awaitable[Harness]]) -> None:
    h = await make_harness(templates=str(EXAMPLE), push_interval=0.05)
    no = await _filed(h, JPEG)
    await actions.resolve_ticket(_desk(h), no, reply="问题已修复，请再试一次", by="王五")
    sent = await eventually(lambda: h.fake.sent("template", h.openid))
    data = sent[0].payload["data"]
    assert sent[0].payload["template_id"] == "rxf-example-ticket"
    assert data["character_string1"]["value"] == no and data["phrase2"]["value"] == "已解决"
    assert data["thing3"]["value"] == "问题已修复，请再试一次"


async def test_reply_waits_for_a_closed_window(harness: Harness) -> None:
    h = harness
    no = await _filed(h)
    h.clock.advance(hours=49)  # the 48-hour window closed meanwhile
    done = await actions.reject_ticket(_desk(h), no, reply="请补充出错页面的截图后再反馈",
                                       by="王五")
    assert done.status == "已驳回" and done.events[-1].actor == "王五"

    async def status() -> Any:
        async with h.runtime.sessions() as s:
            return (await s.execute(text("SELECT status FROM outbox WHERE kind = 'push'"))
                    ).scalar()

    assert await eventually(lambda: _is(status(), "waiting"))
    assert "已驳回" in await h.say("我的工单")  # the user writes again: the reply goes
    told = await eventually(lambda: [r for r in h.fake.sent("custom", h.openid)
                                     if no in r.payload["text"]["content"]])
    assert "请补充出错页面的截图" in told[0].payload["text"]["content"]


async def _is(value: Any, wanted: str) -> bool:
    return (await value) == wanted


async def test_refusals_and_views(harness: Harness) -> None:
    h = harness
    desk = _desk(h)
    no = await _filed(h, JPEG, PNG)
    with pytest.raises(actions.ActionError, match="请用 --reply"):
        await actions.resolve_ticket(desk, no, reply="  ", by="x")
    with pytest.raises(actions.ActionError, match="最多300字"):
        await actions.resolve_ticket(desk, no, reply="长" * 301, by="x")
    with pytest.raises(actions.ActionError, match="没有编号为GD20000101000001的工单"):
        await actions.take_ticket(desk, "gd20000101000001", by="x")
    with pytest.raises(actions.ActionError, match="没有「关闭」这个状态"):
        await actions.list_tickets(desk, "关闭")
    taken = await actions.take_ticket(desk, no, by="赵六")
    assert taken.status == "处理中" and [t.no for t in await actions.list_tickets(desk)] == [no]
    picture = await actions.ticket_image(desk, no, 2, by="王芳")
    assert picture.mime == "image/png" and picture.data == PNG and picture.filename.endswith(
        "-2.png")
    with pytest.raises(actions.ActionError, match="没有第3张"):
        await actions.ticket_image(desk, no, 3, by="王芳")
    # A reply with a phone in it is masked before it is stored or sent.
    done = await actions.resolve_ticket(desk, no, reply="已处理，有问题请联系13888260417",
                                        by="赵六")
    assert "138****0417" in done.last_reply and "13888260417" not in done.last_reply
    with pytest.raises(actions.ActionError, match="当前状态为已解决，不能受理"):
        await actions.take_ticket(desk, no, by="x")
