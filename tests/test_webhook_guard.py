"""Hostile but signed deliveries: a MsgId shared by two users, a captured signature
carrying another body, malformed fields, and a changed EncodingAESKey."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import pytest
import xmltodict
from sqlalchemy import func, select
from wechatpy.crypto import WeChatCrypto

from bot.models import Conversation, Delivery, SeenRequest, WeChatUser
from bot.wechat_io import signature
from config.settings import SettingsError, load_settings
from devtools.sim import WeChatSim, text_xml
from tests.support import Harness, free_port, start_harness

MakeHarness = Callable[..., Awaitable[Harness]]
KEY_OLD = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
KEY_NEW = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
KEY_OTHER = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"


async def _count(h: Harness, model: type) -> int:
    async with h.runtime.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def test_same_msgid_from_two_users_runs_both(harness: Harness) -> None:
    h = harness
    first = await h.sim.post(text_xml("o_user_a", "联系我们", msg_id=6054768590064713728))
    second = await h.sim.post(text_xml("o_user_b", "菜单", msg_id=6054768590064713728))
    assert "0871" in (first.content or "")
    # B's own answer, not A's stored one.
    assert "0871" not in (second.content or "") and "请回复数字选择" in (second.content or "")
    assert await _count(h, Delivery) == 2
    # A's retry still gets A's reply.
    again = await h.sim.post(text_xml("o_user_a", "联系我们", msg_id=6054768590064713728))
    assert again.content == first.content


def _encrypted(sim: WeChatSim, query: dict[str, str], xml: str) -> tuple[dict[str, str], str]:
    """Another delivery under the same timestamp and nonce, with its own msg_signature."""
    assert sim.crypto is not None
    enc = xmltodict.parse(sim.crypto.encrypt_message(xml, query["nonce"],
                                                     query["timestamp"]))["xml"]["Encrypt"]
    own = {**query, "msg_signature": signature(sim.token, query["timestamp"],
                                               query["nonce"], enc)}
    return own, f"<xml><ToUserName><![CDATA[gh_rxf]]></ToUserName>" \
                f"<Encrypt><![CDATA[{enc}]]></Encrypt></xml>"


@pytest.mark.parametrize("mode", ["plain", "safe"])
async def test_signature_replayed_with_another_body_is_refused(
        make_harness: MakeHarness, mode: str) -> None:
    h = await make_harness(**({"wechat_aes_key": KEY_OLD} if mode == "safe" else {}))
    query, body = h.sim.wrap(text_xml("o_victim", "联系我们"))
    first = await h.sim.post_raw(query, body)
    assert first.status == 200 and "0871" in (first.content or "")
    # WeChat's own retry: the very same request gets the very same reply.
    retry = await h.sim.post_raw(query, body)
    assert (retry.status, retry.content) == (200, first.content)
    # The captured query with another body (another user, another message): refused.
    for xml in (text_xml("o_victim", "我的信息"), text_xml("o_attacker", "联系我们")):
        other = h.sim.wrap(xml)[1]  # encrypted in safe mode, under its own nonce
        replayed = await h.sim.post_raw(query, other)
        assert replayed.status == 403, replayed.body
    assert await _count(h, Delivery) == 1
    async with h.runtime.sessions() as s:
        assert await s.get(WeChatUser, "o_attacker") is None


async def test_safe_mode_lets_two_deliveries_share_a_nonce(make_harness: MakeHarness) -> None:
    # msg_signature covers each body: a shared timestamp and nonce is chance, not replay.
    h = await make_harness(wechat_aes_key=KEY_OLD)
    query, body = h.sim.wrap(text_xml("o_one", "联系我们"))
    assert (await h.sim.post_raw(query, body)).status == 200
    second = await h.sim.post_raw(*_encrypted(h.sim, query, text_xml("o_two", "联系我们")))
    assert second.status == 200 and "0871" in (second.content or "")
    assert await _count(h, Delivery) == 2
    # Nothing to remember in safe mode: the hot path writes no replay memory.
    assert await _count(h, SeenRequest) == 0


async def test_replay_is_refused_by_another_process(make_harness: MakeHarness) -> None:
    first = await make_harness()
    other = first.settings.model_copy(update={"port": free_port()})
    second = await start_harness(other, faq=first.runtime.ports.faq,
                                 understander=first.runtime.ports.understander)
    try:
        query, body = first.sim.wrap(text_xml("o_two", "联系我们"))
        assert (await first.sim.post_raw(query, body)).status == 200
        assert (await second.sim.post_raw(query, body)).status == 200  # a retry elsewhere
        assert (await second.sim.post_raw(query, text_xml("o_two", "我的信息"))).status == 403
    finally:
        await second.stop()
        await second.sim.__aexit__(None, None, None)


MALFORMED = {
    "msgid-not-a-number": re.sub(r"<MsgId>\d+", "<MsgId>abc", text_xml("o_bad", "你好")),
    "msgid-too-big": text_xml("o_bad", "你好", msg_id=10**25),
    "duplicate-from": text_xml("o_bad", "你好").replace(
        "<CreateTime>", "<FromUserName>o_other</FromUserName><CreateTime>"),
    "element-in-content": text_xml("o_bad", "x").replace(
        "<Content><![CDATA[x]]></Content>", "<Content><b>x</b>y</Content>"),
    "attribute-on-content": text_xml("o_bad", "x").replace("<Content>", '<Content a="1">'),
    "createtime-not-a-number": re.sub(r"<CreateTime>\d+", "<CreateTime>soon",
                                      text_xml("o_bad", "你好")),
    "openid-with-spaces": text_xml("o bad user", "你好"),
    "openid-too-long": text_xml("o" * 65, "你好"),
    "nested-from": "<xml><ToUserName>gh</ToUserName><FromUserName><a>o_x</a></FromUserName>"
                   "<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>x</Content>"
                   "<MsgId>1</MsgId></xml>",
    "event-nested": "<xml><ToUserName>gh</ToUserName><FromUserName>o_bad</FromUserName>"
                    "<CreateTime>1</CreateTime><MsgType>event</MsgType>"
                    "<Event><x>CLICK</x></Event></xml>",
    "duplicate-eventkey": "<xml><ToUserName>gh</ToUserName><FromUserName>o_bad</FromUserName>"
                          "<CreateTime>1</CreateTime><MsgType>event</MsgType>"
                          "<Event>CLICK</Event><EventKey>CONTACT</EventKey>"
                          "<EventKey>HUMAN</EventKey></xml>",
    "event-missing": "<xml><ToUserName>gh</ToUserName><FromUserName>o_bad</FromUserName>"
                     "<CreateTime>1</CreateTime><MsgType>event</MsgType></xml>",
    "content-missing": "<xml><ToUserName>gh</ToUserName><FromUserName>o_bad</FromUserName>"
                       "<CreateTime>1</CreateTime><MsgType>text</MsgType><MsgId>1</MsgId></xml>",
    "location-not-a-number": "<xml><ToUserName>gh</ToUserName><FromUserName>o_bad"
                             "</FromUserName><CreateTime>1</CreateTime><MsgType>location"
                             "</MsgType><Location_X>north</Location_X><MsgId>2</MsgId></xml>",
    "text-in-root": "<xml>hello<ToUserName>gh</ToUserName><FromUserName>o_bad</FromUserName>"
                    "<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>x</Content>"
                    "</xml>",
    "root-is-text": "<xml>hello</xml>",
}


@pytest.mark.parametrize("mode", ["plain", "safe"])
async def test_malformed_signed_xml_is_400(make_harness: MakeHarness, mode: str) -> None:
    h = await make_harness(**({"wechat_aes_key": KEY_OLD} if mode == "safe" else {}))
    for name, xml in MALFORMED.items():
        reply = await h.sim.post(xml)
        assert reply.status == 400, (name, reply.status, reply.body)
    assert (await _count(h, Delivery), await _count(h, Conversation),
            await _count(h, WeChatUser)) == (0, 0, 0)
    assert "0871" in await h.say("联系我们")  # still serving


async def test_previous_aes_key_is_accepted_and_answered_in_kind(
        make_harness: MakeHarness) -> None:
    h = await make_harness(wechat_aes_key=KEY_NEW, wechat_aes_key_previous=KEY_OLD)
    appid, token = h.settings.wechat_appid, h.settings.wechat_token
    for key in (KEY_NEW, KEY_OLD):
        sim = WeChatSim(h.sim.url, token, appid=appid, aes_key=key)
        # The sim decrypts the reply with its own key: a reply under the other key fails.
        reply = await sim.text(f"o_key_{key[:3]}", "联系我们")
        await sim.__aexit__(None, None, None)
        assert reply.status == 200 and "0871" in (reply.content or ""), key
        outer = xmltodict.parse(reply.body)["xml"]
        WeChatCrypto(token, key, appid).decrypt_message(
            reply.body, outer["MsgSignature"], outer["TimeStamp"], outer["Nonce"])
    stranger = WeChatSim(h.sim.url, token, appid=appid, aes_key=KEY_OTHER)
    assert (await stranger.text("o_key_x", "联系我们")).status == 400
    await stranger.__aexit__(None, None, None)


def test_previous_aes_key_is_checked_like_the_current(tmp_path: object) -> None:
    with pytest.raises(SettingsError, match="RXF_WECHAT_AES_KEY_PREVIOUS"):
        load_settings(wechat_aes_key=KEY_NEW, wechat_aes_key_previous="short")
    with pytest.raises(SettingsError, match="RXF_WECHAT_AES_KEY_PREVIOUS"):
        load_settings(wechat_aes_key_previous=KEY_OLD)  # no current key: a mistake
    assert load_settings(wechat_aes_key=KEY_NEW,
                         wechat_aes_key_previous=KEY_OLD).wechat_aes_key_previous == KEY_OLD
