"""The ticket lifecycle's rules, the tickets' retention and the image checks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from adapters.media import MAX_IMAGE_BYTES, ImageRefused, image_type
from adapters.ticket_models import TicketEventRow, TicketMediaRow, TicketRow
from bot.housekeeping import Retention, purge
from state_machines.ticket import (
    LIFECYCLE,
    OPERATOR,
    USER,
    IllegalTicketMove,
    TicketCase,
)
from tests.support import Harness
from tests.ticket_support import GIF, JPEG, PNG, settled


def test_moves_follow_the_rules() -> None:
    case = TicketCase("待补充", needs_attachment=True)
    with pytest.raises(IllegalTicketMove, match="还缺营业执照照片"):
        LIFECYCLE.move(case, "submit", USER)
    case.attachments = 1
    with pytest.raises(IllegalTicketMove, match="只有用户本人可以提交"):
        LIFECYCLE.move(case, "submit", OPERATOR)
    assert LIFECYCLE.move(case, "submit", USER).to_status == "待处理"
    with pytest.raises(IllegalTicketMove, match="需要填写给用户的回复"):
        LIFECYCLE.move(case, "resolve", OPERATOR, "  ")
    assert LIFECYCLE.move(case, "take", OPERATOR).to_status == "处理中"
    done = LIFECYCLE.move(case, "reject", OPERATOR, " 照片不清楚 ")
    assert (done.from_status, done.to_status, done.reply) == ("处理中", "已驳回", "照片不清楚")
    with pytest.raises(IllegalTicketMove, match="当前状态为已驳回，不能办结"):
        LIFECYCLE.move(case, "resolve", OPERATOR, "好了")
    with pytest.raises(IllegalTicketMove, match="没有「close」这个操作"):
        LIFECYCLE.move(case, "close", OPERATOR)
    assert LIFECYCLE.model_count() == 0
    assert LIFECYCLE.allowed_actions("待处理", OPERATOR) == ("take", "resolve", "reject")


def test_the_content_decides_the_type() -> None:
    assert image_type(JPEG) == "image/jpeg" and image_type(PNG) == "image/png"
    for bad, why in ((GIF, "不是JPG或PNG"), (b"", "空文件"), (b"%PDF-1.7", "不是JPG或PNG"),
                     (b"\xff\xd8\xff" + bytes(MAX_IMAGE_BYTES), "超过10MB")):
        with pytest.raises(ImageRefused, match=why):
            image_type(bad)
    assert image_type(b"\xff\xd8\xff" + bytes(MAX_IMAGE_BYTES - 3)) == "image/jpeg"


async def test_retention_of_tickets(harness: Harness) -> None:
    h = harness
    desk = h.runtime.ports.tickets
    assert desk is not None
    draft = await desk.draft("o_a", "q6", idem_key="a")
    closed = await desk.draft("o_a", "q6", idem_key="b")
    waiting = await desk.draft("o_a", "q6", idem_key="c")
    for ticket in (closed, waiting):
        await desk.attach("o_a", ticket.no, "m-" + ticket.no, "screenshot", "i" + ticket.no)
        await desk.submit("o_a", ticket.no, "页面报错")
    await desk.operate(closed.no, "resolve", "张三", "已修复", tell=None)
    t0 = h.clock()
    keep = Retention(ticket=30, ticket_image=20)

    async def left() -> tuple[set[str], int, int]:
        async with h.runtime.sessions() as s:
            nos = set((await s.scalars(select(TicketRow.no))).all())
            media = (await s.scalar(select(func.count()).select_from(TicketMediaRow))) or 0
            moves = (await s.scalar(select(func.count()).select_from(TicketEventRow))) or 0
        return nos, int(media), int(moves)

    await purge(h.runtime.sessions, keep, now=t0 + timedelta(days=6))
    assert (await left())[0] == {draft.no, closed.no, waiting.no}
    await purge(h.runtime.sessions, keep, now=t0 + timedelta(days=7, minutes=1))
    assert (await left())[:2] == ({closed.no, waiting.no}, 2)  # the draft, never filed
    await purge(h.runtime.sessions, keep, now=t0 + timedelta(days=20, minutes=1))
    assert (await left())[:2] == ({closed.no, waiting.no}, 0)  # pictures first
    counts = await purge(h.runtime.sessions, keep, now=t0 + timedelta(days=30, minutes=1))
    nos, _, moves = await left()
    assert nos == {waiting.no} and counts["tickets"] == 1 and moves == 2  # still open


async def test_numbers_and_ownership(harness: Harness) -> None:
    desk = harness.runtime.ports.tickets
    assert desk is not None
    first = await desk.draft("o_a", "q6", idem_key="k1")
    again = await desk.draft("o_a", "q6", idem_key="k1")  # a retried step
    second = await desk.draft("o_b", "q6", idem_key="k2")
    assert first.no == again.no and first.no.startswith("GD") and len(first.no) == 16
    assert int(second.no[-6:]) == int(first.no[-6:]) + 1
    assert await desk.get("o_b", first.no) is None  # not theirs: not found


async def test_erasing_the_account_takes_every_ticket_row(harness: Harness) -> None:
    from bot.forget import forget_account

    desk = harness.runtime.ports.tickets
    assert desk is not None
    mine = await desk.draft("o_gone", "q3", idem_key="g1", details={"legal_rep_id": "x"})
    await desk.attach("o_gone", mine.no, "m1", "licence", "g2")
    kept = await desk.draft("o_stays", "q6", idem_key="g3")
    # The media worker has dealt with the picture first (WeChat does not know "m1": the
    # user is told to send it again), so what 注销 finds does not depend on timing.
    await settled(harness, mine.no)
    async with harness.runtime.engine.begin() as conn:
        counts = await conn.run_sync(forget_account, "o_gone")
    assert counts == {"ticket_media": 1, "ticket_events": 1, "tickets": 1, "outbox": 1}
    assert await desk.find(mine.no) is None and await desk.find(kept.no) is not None
