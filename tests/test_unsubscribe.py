"""Unsubscribing deletes the user's conversation and deliveries at once (nothing of the
unsubscribe step is written back), exactly once; the account stays until 注销."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.models import Conversation, Delivery, WeChatUser
from tests.accounts_support import register
from tests.support import Harness


async def _rows(h: Harness, model: type, openid: str) -> int:
    async with h.runtime.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(model)
                                  .where(model.openid == openid)) or 0)


async def test_unsubscribe_forgets_the_chat_and_keeps_the_account(harness: Harness) -> None:
    h = harness
    await register(h)
    await h.walk("发布需求", "1")  # a form half filled: a conversation with values
    await h.say("联系我们", openid="o_other")
    assert await _rows(h, Conversation, h.openid) == 1
    assert await _rows(h, Delivery, h.openid) > 3

    gone = await h.sim.event(h.openid, "unsubscribe", create_time=1_900_000_000)
    assert gone.status == 200 and gone.body == "success"
    assert await _rows(h, Conversation, h.openid) == 0
    assert await _rows(h, Delivery, h.openid) == 0
    async with h.runtime.sessions() as s:
        user = await s.get(WeChatUser, h.openid)
    assert user is not None and not user.subscribed
    marked = user.unsubscribed_at
    # Someone else's chat is untouched.
    assert await _rows(h, Conversation, "o_other") == 1
    assert await _rows(h, Delivery, "o_other") == 1

    # WeChat retrying the same unsubscribe: answered, and nothing changes.
    h.clock.advance(seconds=5)
    again = await h.sim.event(h.openid, "unsubscribe", create_time=1_900_000_000)
    assert again.status == 200 and again.body == "success"
    assert await _rows(h, Conversation, h.openid) == 0
    assert await _rows(h, Delivery, h.openid) == 0
    async with h.runtime.sessions() as s:
        user = await s.get(WeChatUser, h.openid)
    assert user is not None and not user.subscribed and user.unsubscribed_at == marked

    # The account stays: following again, the user is still registered.
    assert (await h.runtime.ports.platform.profile(h.openid)).account is not None
    back = await h.sim.event(h.openid, "subscribe")
    assert "欢迎关注" in (back.content or "")
    assert "还没有注册" not in await h.say("我的信息")
