"""Events as WeChat means them: WeChat's own notices are acknowledged and leave no
trace; a person's events keep working and count toward the per-user limit; only login
QR scenes are logins, other scenes are where a follower came from; a voice message
without recognition is answered once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import func, select

from adapters.outbox import OutboxItem, OutboxRow, enqueue
from bot.models import Conversation, Delivery, FollowerSource, WeChatUser
from tests.support import Harness
from tests.wechat_samples import (
    PERSON,
    SCAN_SCENE,
    SUBSCRIBE_SCENE,
    SYSTEM,
    VOICE_UNRECOGNISED,
    _times,
    fill,
)

MakeHarness = Callable[..., Awaitable[Harness]]
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


async def _count(h: Harness, model: type, openid: str) -> int:
    async with h.runtime.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(model).where(
            model.openid == openid)) or 0)


async def _click(h: Harness, openid: str) -> str:
    # Each click a CreateTime of its own: two in one second would be one retried event.
    reply = await h.sim.event(openid, "CLICK", "CONTACT", create_time=next(_times))
    assert reply.status == 200
    return reply.content or ""


def _minute_start(h: Harness) -> None:
    """Move the bot's clock to the start of a minute: the per-user limit counts per
    clock minute, and a test crossing into the next one would start counting afresh."""
    now = h.clock()
    h.clock.advance(seconds=60 - now.second - now.microsecond / 1e6)


async def _traces(h: Harness, openid: str) -> tuple[int, int, int]:
    return (await _count(h, WeChatUser, openid), await _count(h, Conversation, openid),
            await _count(h, Delivery, openid))


@pytest.mark.parametrize("mode", ["plain", "safe"])
async def test_wechat_notices_get_success_and_leave_no_trace(
        make_harness: MakeHarness, mode: str, caplog: pytest.LogCaptureFixture) -> None:
    extra = {"wechat_aes_key": AES_KEY} if mode == "safe" else {}
    h = await make_harness(rate_limit_per_minute=3, **extra)
    _minute_start(h)
    caplog.set_level("INFO", logger="bot.events")
    for name, sample in SYSTEM.items():
        # The sender of a job notice is often the account's own mass-send assistant.
        reply = await h.sim.post(fill(sample, "o_notice", msgid=7))
        assert (reply.status, reply.body) == (200, "success"), name
        assert name.lower() in caplog.text
    assert await _traces(h, "o_notice") == (0, 0, 0)
    # Ten notices did not use up the user's three messages a minute.
    for _ in range(3):
        assert "0871" in await h.say("联系我们", openid="o_notice")


async def test_template_result_still_reaches_the_outbox(harness: Harness) -> None:
    h = harness
    async with h.runtime.sessions.begin() as s:
        await enqueue(s, [OutboxItem("o_tpl", "push", {"x": 1}, dedupe_key="tpl")], h.clock())
        row = await s.scalar(select(OutboxRow).where(OutboxRow.dedupe_key == "tpl"))
        row.status, row.msgid = "sent", "200163836"
    xml = fill(SYSTEM["TEMPLATESENDJOBFINISH"], "o_tpl", msgid=200163836)
    assert (await h.sim.post(xml)).body == "success"
    async with h.runtime.sessions() as s:
        row = await s.scalar(select(OutboxRow).where(OutboxRow.dedupe_key == "tpl"))
    assert row is not None and row.delivery_status == "success"
    assert await _traces(h, "o_tpl") == (0, 0, 0)


async def test_person_events_work_and_count_toward_the_limit(
        make_harness: MakeHarness) -> None:
    h = await make_harness(rate_limit_per_minute=len(PERSON) + 1)
    _minute_start(h)
    for name, sample in PERSON.items():
        reply = await h.sim.post(fill(sample, "o_person"))
        assert (reply.status, reply.body) == (200, "success"), name
    assert (await _traces(h, "o_person"))[0] == 1  # a person: a follower row
    assert "0871" in await _click(h, "o_person")
    # The limit is used up by events alone: a menu click is slowed like a message.
    assert "太快" in await _click(h, "o_person")
    assert "太快" in await h.say("联系我们", openid="o_person")


async def test_clicks_are_slowed_like_messages(make_harness: MakeHarness) -> None:
    h = await make_harness(rate_limit_per_minute=3)
    _minute_start(h)
    replies = [await _click(h, "o_clicker") for _ in range(5)]
    assert all("0871" in r for r in replies[:3])
    assert all("太快" in r for r in replies[3:])
    # Unfollowing over the limit still counts as unfollowing.
    unfollow = await h.sim.event("o_clicker", "unsubscribe", create_time=next(_times))
    assert unfollow.body == "success"
    async with h.runtime.sessions() as s:
        user = await s.get(WeChatUser, "o_clicker")
    assert user is not None and not user.subscribed


async def test_channel_scenes_welcome_and_are_recorded(harness: Harness) -> None:
    h = harness
    first = await h.sim.post(fill(SUBSCRIBE_SCENE, "o_county", scene="county_530102"))
    assert "欢迎关注融信服" in (first.content or "") and "请回复数字选择" in (first.content or "")
    assert "登录二维码" not in (first.content or "")
    scan = await h.sim.post(fill(SCAN_SCENE, "o_county", scene="bank_branch_x"))
    assert "请回复数字选择" in (scan.content or "") and "登录" not in (scan.content or "")
    assert "欢迎关注" not in (scan.content or "")  # they follow already
    # A second scan of the same code keeps the first time.
    await h.sim.post(fill(SCAN_SCENE, "o_county", scene="bank_branch_x"))
    async with h.runtime.sessions() as s:
        rows = (await s.scalars(select(FollowerSource).where(
            FollowerSource.openid == "o_county").order_by(FollowerSource.first_at))).all()
        user = await s.get(WeChatUser, "o_county")
    assert [(r.scene, r.event) for r in rows] == [("county_530102", "subscribe"),
                                                  ("bank_branch_x", "scan")]
    assert user is not None and user.subscribed


async def test_login_scenes_still_ask_to_confirm(harness: Harness) -> None:
    h = harness
    scene = await h.runtime.ports.platform.create_login_scene()
    from dialogs.login import SCENE_PREFIX

    assert scene.startswith(SCENE_PREFIX)  # the prefix the login QR carries
    reply = await h.sim.post(fill(SUBSCRIBE_SCENE, "o_web", scene=scene))
    assert "欢迎关注融信服" in (reply.content or "")
    assert "登录" in (reply.content or "")  # asked to register first, or to confirm
    assert "没有找到这个登录二维码" in (
        (await h.sim.post(fill(SCAN_SCENE, "o_web", scene="login_nosuchscene"))).content or "")
    async with h.runtime.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(FollowerSource)) == 0


async def test_voice_without_recognition_is_answered_once_an_hour(harness: Harness) -> None:
    h = harness

    async def voice() -> str:
        reply = await h.sim.post(fill(VOICE_UNRECOGNISED, "o_voice"))
        assert reply.status == 200
        return reply.content or ""

    first = await voice()
    assert "请发文字" in first and "语音" in first and "再说一遍" not in first
    assert await voice() == ""  # not again: it cannot help
    assert "0871" in await h.say("联系我们", openid="o_voice")
    assert await voice() == ""
    h.clock.advance(hours=1, minutes=1)
    assert "请发文字" in await voice()


async def test_voice_hint_survives_a_restart(harness: Harness) -> None:
    h = harness
    assert "请发文字" in ((await h.sim.post(fill(VOICE_UNRECOGNISED, "o_v2"))).content or "")
    await h.restart()
    assert ((await h.sim.post(fill(VOICE_UNRECOGNISED, "o_v2"))).content or "") == ""
    h.clock.advance(minutes=59)
    assert ((await h.sim.post(fill(VOICE_UNRECOGNISED, "o_v2"))).content or "") == ""
