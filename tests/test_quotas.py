"""Customer-service quotas as WeChat counts them (docs/wechat.md), against the fake that
counts the same: 5 per message within 48 h, 3 per click/subscribe/scan within a minute,
each action replacing the last; pushes without quota wait for the user, never end."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from adapters.outbox import OutboxItem, enqueue
from bot import observe
from bot.models import WeChatUser
from devtools.sim import event_xml
from ops.cli import main as cli
from tests.push_support import FAST, TEMPLATES, event_body, post_event, rows, separate_workers
from tests.support import Harness, eventually

MakeHarness = Callable[..., Awaitable[Harness]]
USER = "o_quota_user"
_demand_numbers = itertools.count(1)


async def no_templates(make_harness: MakeHarness, **kw: Any) -> Harness:
    """No template configured: every push goes as a customer-service message."""
    return await make_harness(**{**FAST, **kw})


async def push(h: Harness, count: int, openid: str = USER) -> None:
    for _ in range(count):
        body = event_body([openid], no=f"RZ2026112700{next(_demand_numbers):04d}")
        assert (await post_event(h, body))[0] == 200


def custom_sent(h: Harness, openid: str = USER) -> int:
    return len(h.fake.sent(kind="custom", touser=openid))


async def statuses(h: Harness) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in await rows(h):
        counts[row.status] = counts.get(row.status, 0) + 1
    return counts


async def settled(h: Harness, expected: dict[str, int]) -> dict[str, int]:
    """Wait until the outbox holds exactly these statuses (none left pending)."""
    return await eventually(lambda: _equal(h, expected), within=10)


async def _equal(h: Harness, expected: dict[str, int]) -> dict[str, int] | None:
    found = await statuses(h)
    return found if found == expected else None


async def user_row(h: Harness, openid: str = USER) -> WeChatUser:
    async with h.runtime.sessions() as session:
        user = await session.scalar(select(WeChatUser).where(WeChatUser.openid == openid))
    assert user is not None
    return user


async def test_a_message_allows_five_then_pushes_wait_and_follow_the_next_message(
        make_harness: MakeHarness, capsys: pytest.CaptureFixture[str]) -> None:
    h = await no_templates(make_harness)
    await h.say("联系我们", openid=USER)
    await push(h, 7)
    await settled(h, {"sent": 5, "waiting": 2})
    # The bot stopped itself: WeChat never had to answer 45047.
    assert custom_sent(h) == 5 and h.fake.calls["message/custom/send"] == 5
    waiting = [r for r in await rows(h) if r.status == "waiting"]
    assert all("额度" in (r.last_error or "") and r.attempts == 0 for r in waiting)
    assert (await user_row(h)).cs_waiting == 2
    async with aiohttp.ClientSession() as http, http.get(f"{h.base}/metrics") as resp:
        assert 'rxf_outbox_rows{status="waiting"} 2.0' in await resp.text()
    await cli.outbox(h.settings, _Args(status="waiting"))
    shown = capsys.readouterr().out.splitlines()
    assert len(shown) == 2 and all(" waiting " in line and "额度" in line for line in shown)

    reply = await h.say("联系我们", openid=USER)
    assert reply.startswith("您有2条需求进展通知，马上发给您。\n")
    await settled(h, {"sent": 7})
    assert custom_sent(h) == 7 and (await user_row(h)).cs_waiting == 0


async def test_more_waiting_than_the_quota_are_told_and_the_rest_wait_again(
        make_harness: MakeHarness) -> None:
    h = await no_templates(make_harness)
    await h.say("联系我们", openid=USER)
    await push(h, 12)
    await settled(h, {"sent": 5, "waiting": 7})
    reply = await h.say("你好", openid=USER)
    assert reply.startswith("您有7条需求进展通知，先发给您5条，其余的在您下次发消息后发出。")
    await settled(h, {"sent": 10, "waiting": 2})
    assert custom_sent(h) == 10 and h.fake.calls["message/custom/send"] == 10


async def test_a_click_gives_three_within_one_minute_and_nothing_after(
        make_harness: MakeHarness) -> None:
    h = await no_templates(make_harness)
    await h.click("CONTACT", openid=USER)
    user = await user_row(h)
    assert (user.cs_kind, user.cs_remaining) == ("event", 3)
    await push(h, 4)
    await settled(h, {"sent": 3, "waiting": 1})
    # Three more, one of them for the waiting push. (A later CreateTime: the same one
    # would make it WeChat's retry of the first click.)
    again = await h.sim.event(USER, "CLICK", "CONTACT", create_time=int(time.time()) + 5)
    assert again.content and again.content.startswith("您有1条需求进展通知")
    await settled(h, {"sent": 4})
    h.clock.advance(seconds=61)
    await push(h, 1)
    await settled(h, {"sent": 4, "waiting": 1})
    assert custom_sent(h) == 4 and h.fake.calls["message/custom/send"] == 4


async def test_a_click_after_a_message_resets_to_three(make_harness: MakeHarness) -> None:
    h = await no_templates(make_harness)
    await h.say("联系我们", openid=USER)
    await h.click("CONTACT", openid=USER)  # the click's 3 replace the message's 5
    await push(h, 5)
    await settled(h, {"sent": 3, "waiting": 2})
    assert custom_sent(h) == 3 and h.fake.calls["message/custom/send"] == 3
    await h.say("你好", openid=USER)  # and a message's 5 replace what the click left
    assert (await user_row(h)).cs_remaining >= 3  # 5 less the two waiting ones in flight
    await settled(h, {"sent": 5})


async def test_events_nobody_typed_open_nothing(make_harness: MakeHarness) -> None:
    h = await no_templates(make_harness)
    await h.say("联系我们", openid=USER)
    opened = (await user_row(h)).last_inbound_at
    h.clock.advance(hours=49)  # the message's window is over
    finish = event_xml(USER, "TEMPLATESENDJOBFINISH",
                       extra="<MsgID>404</MsgID><Status><![CDATA[success]]></Status>")
    assert (await h.sim.post(finish)).status == 200
    assert (await h.sim.event(USER, "VIEW", "https://example.com/")).status == 200
    location = event_xml(USER, "LOCATION", extra="<Latitude>25.04</Latitude>"
                         "<Longitude>102.71</Longitude><Precision>65</Precision>")
    assert (await h.sim.post(location)).status == 200
    await push(h, 1)
    await settled(h, {"waiting": 1})
    assert h.fake.calls.get("message/custom/send", 0) == 0
    assert (await h.sim.event(USER, "unsubscribe")).status == 200
    user = await user_row(h)
    assert user.last_inbound_at == opened and user.cs_remaining == 5 and not user.subscribed


@pytest.mark.parametrize("errcode", [45015, 45047])
async def test_wechat_saying_no_quota_makes_the_push_wait_not_end(
        make_harness: MakeHarness, errcode: int) -> None:
    h = await no_templates(make_harness)
    await h.say("联系我们", openid=USER)
    h.fake.add_fault("message/custom/send", errcode=errcode)
    await push(h, 1)
    await settled(h, {"waiting": 1})
    (row,) = await rows(h)
    assert str(errcode) in (row.last_error or "") and row.attempts == 0
    assert (await user_row(h)).cs_remaining == 0  # WeChat's word over our count
    reply = await h.say("你好", openid=USER)
    assert reply.startswith("您有1条需求进展通知")
    await settled(h, {"sent": 1})


async def test_a_template_refused_falls_back_within_the_quota(
        make_harness: MakeHarness) -> None:
    h = await make_harness(**{**FAST, **TEMPLATES})
    await h.sim.event(USER, "subscribe")
    h.clock.advance(minutes=2)  # the subscribe's minute is over
    h.fake.add_fault("message/template/send", errcode=47003, count=2)
    await push(h, 1)
    await settled(h, {"waiting": 1})
    assert h.fake.calls.get("message/custom/send", 0) == 0
    await h.say("你好", openid=USER)
    await settled(h, {"sent": 1})
    assert custom_sent(h) == 1 and h.fake.sent(kind="template") == []


async def test_a_never_seen_user_is_given_up_after_the_set_days(
        make_harness: MakeHarness) -> None:
    h = await no_templates(make_harness, push_give_up_days=2)
    await push(h, 1, openid="o_never_seen")
    row = (await eventually(lambda: _with_error(h, "从未")))
    assert row.status == "pending"
    h.clock.advance(days=1, hours=23)
    looked = await eventually(lambda: _looked_again_after(h, h.clock()))
    assert looked.status == "pending"  # still within the two days
    h.clock.advance(hours=2)
    await settled(h, {"ended": 1})
    assert "2天后放弃" in ((await rows(h))[0].last_error or "")


async def _looked_again_after(h: Harness, moment: Any) -> Any:
    row = (await rows(h))[0]
    return row if row.next_attempt_at > moment else None


async def _with_error(h: Harness, part: str) -> Any:
    found = [r for r in await rows(h) if part in (r.last_error or "")]
    return found[0] if found else None


async def test_daily_api_quota_is_retried_not_dead_and_shown_in_metrics(
        make_harness: MakeHarness) -> None:
    h = await make_harness(**{**FAST, **TEMPLATES, "push_max_attempts": 2})
    await h.sim.event(USER, "subscribe")
    h.fake.add_fault("message/template/send", errcode=45009, count=3)
    await push(h, 1)
    await settled(h, {"sent": 1})
    assert (await rows(h))[0].attempts == 4
    async with aiohttp.ClientSession() as http, http.get(f"{h.base}/metrics") as resp:
        text = await resp.text()
    assert "rxf_wechat_daily_quota_reached 1.0" in text
    assert 'rxf_wechat_api_errors_total{errcode="45009"}' in text


@pytest.mark.parametrize(("hit", "reached"), [("2026-12-01T15:59:59", False),
                                               ("2026-12-01T16:00:00", True)])
def test_the_daily_quota_state_ends_at_beijing_midnight(hit: str, reached: bool) -> None:
    now = datetime.fromisoformat("2026-12-01T16:30:00+00:00").timestamp()  # 00:30 in Beijing
    last_hit = datetime.fromisoformat(hit + "+00:00").timestamp()
    assert observe.daily_quota_reached(last_hit, now) is reached
    assert observe.daily_quota_reached(0.0, now) is False


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
async def test_two_workers_never_spend_more_than_the_quota(make_harness: MakeHarness) -> None:
    h = await make_harness(**{**FAST, "background": False})
    await h.say("联系我们", openid=USER)  # 5 within 48 hours
    async with h.runtime.sessions.begin() as session:
        await enqueue(session, [OutboxItem(USER, "text", {"content": f"第{i}条"})
                                for i in range(16)], h.clock())
    engines, workers = separate_workers(h, 2, templates={}, interval=0.02, batch=4,
                                        clock=h.clock)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(w.run(stop)) for w in workers]
    try:
        await settled(h, {"sent": 5, "waiting": 11})
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        for engine in engines:
            await engine.dispose()
    assert custom_sent(h) == 5 and h.fake.calls["message/custom/send"] == 5
    user = await user_row(h)
    assert user.cs_remaining == 0 and user.cs_waiting == 11


class _Args:
    def __init__(self, status: str | None = None) -> None:
        self.retry, self.status, self.limit = None, status, 30
