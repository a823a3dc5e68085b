"""Events, the custom menu, and the WeChat API adapter's token handling."""

from __future__ import annotations

import pytest

from adapters.ports import WeChatApiError
from adapters.wechat_api import WeChatApiClient
from bot import commands
from bot.menu import MENU, menu_keys
from bot.models import WeChatUser
from devtools.sim import event_xml, image_xml, voice_xml
from ops.cli import main as cli
from tests.support import Harness


async def _user(h: Harness, openid: str) -> WeChatUser | None:
    async with h.runtime.sessions() as s:
        return await s.get(WeChatUser, openid)


async def test_subscribe_welcomes_and_unsubscribe_marks(harness: Harness) -> None:
    reply = await harness.sim.event("o_follow", "subscribe")
    assert "欢迎关注融信服" in (reply.content or "") and "请回复数字选择" in (reply.content or "")
    user = await _user(harness, "o_follow")
    assert user is not None and user.subscribed
    assert (await harness.sim.event("o_follow", "unsubscribe")).body == "success"
    user = await _user(harness, "o_follow")
    assert user is not None and not user.subscribed and user.unsubscribed_at is not None
    # Events are deduplicated by user + CreateTime: a real re-follow comes later.
    await harness.sim.event("o_follow", "subscribe", create_time=2_000_000_000)
    user = await _user(harness, "o_follow")
    assert user is not None and user.subscribed


async def test_welcome_menu_digit_answers(harness: Harness) -> None:
    menu = (await harness.sim.event(harness.openid, "subscribe")).content or ""
    line = next(x for x in menu.splitlines() if x.endswith("联系我们"))
    assert "0871-64980508" in await harness.say(line.split()[0])


async def test_click_view_and_unknown_key(harness: Harness) -> None:
    assert "0871-64980508" in await harness.click("CONTACT")
    assert "会转给人工客服" in await harness.click("HUMAN")
    transfer = await harness.sim.text(harness.openid, "我的贷款什么时候到")
    assert transfer.msg_type == "transfer_customer_service"
    view = await harness.sim.event(harness.openid, "VIEW", "https://example.invalid/")
    assert view.body == "success"
    assert "菜单已更新" in await harness.click("NO_SUCH_KEY")


async def test_event_retry_is_deduplicated_by_user_and_time(harness: Harness) -> None:
    xml = event_xml("o_dup", "CLICK", "CONTACT", create_time=1_800_000_000)
    first, second = await harness.sim.post(xml), await harness.sim.post(xml)
    assert first.content == second.content and "0871" in (first.content or "")


async def test_voice_image_and_other_types(harness: Harness) -> None:
    voice = await harness.sim.post(voice_xml(harness.openid, "联系我们。"))
    assert "0871-64980508" in (voice.content or "")
    unheard = await harness.sim.post(voice_xml(harness.openid, ""))
    assert "请发文字" in (unheard.content or "")
    image = await harness.sim.post(image_xml(harness.openid))  # outside a form: Q6
    assert "收到您的截图" in (image.content or "") and "要反馈这个问题吗" in (image.content or "")
    from devtools.sim import _xml

    location = _xml(harness.openid, "gh", None, "location",
                    "<Location_X>25.0</Location_X><Location_Y>102.7</Location_Y><MsgId>5</MsgId>")
    assert "只能看懂文字和语音" in ((await harness.sim.post(location)).content or "")


async def test_faq_answer_suggest_and_unanswered_log(harness: Harness) -> None:
    answer = await harness.say("注册的时候验证码收不到怎么办")
    assert "验证码" in answer
    none = await harness.say("明天昆明会下雨吗")
    assert "答不上来" in none and "转人工" in none
    rows = await harness.runtime.faq_log.top()
    assert any("下雨" in q for q, _, _ in rows)


async def test_menu_sync_publishes_through_the_fake_api(harness: Harness) -> None:
    assert await cli.menu_sync(harness.settings) == 0
    menu = harness.fake.menu
    assert menu is not None and len(menu["button"]) == 3
    assert all(1 <= len(b["sub_button"]) <= 5 for b in menu["button"])
    assert [b["name"] for b in menu["button"]] == [name for name, _ in MENU]


async def test_every_menu_entry_is_an_intent_and_a_typed_word(harness: Harness) -> None:
    registry = harness.runtime.registry
    missing = [k for k in menu_keys() if registry.by_key(k) is None]
    assert missing == []
    for _, entries in MENU:
        for key, label in entries:
            if commands.parse(label) is not None:  # 转人工 is understood at any step
                continue
            matched = registry.match(label)
            assert matched is not None and matched[0].key == key, label


def _client(h: Harness) -> WeChatApiClient:
    s = h.settings
    return WeChatApiClient(appid=s.wechat_appid, secret=s.wechat_secret, api_base=s.api_base,
                           sessions=h.runtime.sessions)


async def test_token_shared_and_refreshed_once_on_40001(harness: Harness) -> None:
    api, other = _client(harness), _client(harness)
    harness.fake.set_user("o_api")  # has just written: a customer-service window
    await api.send_text("o_api", "一")
    fetched = harness.fake.token_fetches
    await other.send_text("o_api", "二")  # another process: uses the shared token
    assert harness.fake.token_fetches == fetched
    harness.fake.expire_tokens()
    await api.send_text("o_api", "三")
    assert harness.fake.token_fetches == fetched + 1
    assert [r.payload["text"]["content"] for r in harness.fake.sent(kind="custom")] == \
        ["一", "二", "三"]


async def test_persistent_token_error_is_not_retried_in_a_loop(harness: Harness) -> None:
    api = _client(harness)
    harness.fake.set_user("o_api")  # has just written: a customer-service window
    await api.send_text("o_api", "warm")
    before = harness.fake.token_fetches
    harness.fake.add_fault("message/custom/send", errcode=40001, count=10)
    with pytest.raises(WeChatApiError) as caught:
        await api.send_text("o_api", "x")
    assert caught.value.errcode == 40001
    assert harness.fake.token_fetches == before + 1
