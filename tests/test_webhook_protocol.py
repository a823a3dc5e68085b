"""The WeChat wire protocol: signatures, echostr, safe mode, refusals."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiohttp
import pytest
import xmltodict
from sqlalchemy import func, select
from wechatpy.crypto import WeChatCrypto

from bot.models import Conversation, Delivery
from devtools.sim import text_xml
from tests.support import Harness

MakeHarness = Callable[..., Awaitable[Harness]]

# WeChat's documented examples (its message encryption guide's sample vectors).
ECHO = {"token": "AAAAA", "timestamp": "1714036504", "nonce": "1514711492",
        "signature": "f464b24fc39322e44b38aa78f5edd27bd1441696"}
SAFE = {"token": "spamtest", "aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        "appid": "wx2c2769f8efd9abc2", "timestamp": "1409735669", "nonce": "1320562132",
        "msg_signature": "5d197aaffba7e9b25a30732f161a50dee96bd5fa"}
SAFE_ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8"
    "PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jis"
    "a+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6"
    "X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl"
    "9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=")


async def _rows(h: Harness) -> tuple[int, int]:
    async with h.runtime.sessions() as s:
        return (await s.scalar(select(func.count()).select_from(Delivery)) or 0,
                await s.scalar(select(func.count()).select_from(Conversation)) or 0)


async def _get(h: Harness, params: dict[str, str]) -> tuple[int, str]:
    async with aiohttp.ClientSession() as s, s.get(f"{h.base}/wechat", params=params) as r:
        return r.status, await r.text()


async def test_echostr_with_official_vector(make_harness: MakeHarness) -> None:
    h = await make_harness(wechat_token=ECHO["token"])
    params = {k: ECHO[k] for k in ("timestamp", "nonce", "signature")}
    assert await _get(h, {**params, "echostr": "hello 123"}) == (200, "hello 123")
    assert (await _get(h, {**params, "signature": "0" * 40, "echostr": "x"}))[0] == 403
    assert (await _get(h, {"echostr": "x"}))[0] == 403


async def test_official_safe_mode_sample_decrypts_and_reply_is_encrypted(
        make_harness: MakeHarness) -> None:
    h = await make_harness(wechat_token=SAFE["token"], wechat_aes_key=SAFE["aes_key"],
                           wechat_appid=SAFE["appid"], signature_max_age=0)
    query, _ = h.sim.signed_query(timestamp=SAFE["timestamp"], nonce=SAFE["nonce"])
    query.update(encrypt_type="aes", msg_signature=SAFE["msg_signature"])
    body = f"<xml><ToUserName><![CDATA[gh]]></ToUserName><Encrypt><![CDATA[{SAFE_ENCRYPT}]]>" \
           "</Encrypt></xml>"
    reply = await h.sim.post_raw(query, body)
    assert reply.status == 200
    outer = xmltodict.parse(reply.body)["xml"]
    assert set(outer) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
    crypto = WeChatCrypto(SAFE["token"], SAFE["aes_key"], SAFE["appid"])
    inner = xmltodict.parse(crypto.decrypt_message(
        reply.body, outer["MsgSignature"], outer["TimeStamp"], outer["Nonce"]))["xml"]
    assert inner["ToUserName"] == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    assert inner["MsgType"] == "text" and inner["Content"]
    # The same ciphertext with a wrong nonce (signature mismatch) is refused.
    query2, _ = h.sim.signed_query(timestamp=SAFE["timestamp"], nonce="1")
    query2.update(encrypt_type="aes", msg_signature=SAFE["msg_signature"])
    assert (await h.sim.post_raw(query2, body)).status == 403


async def test_safe_mode_round_trip_and_wrong_appid(make_harness: MakeHarness) -> None:
    h = await make_harness(wechat_aes_key=SAFE["aes_key"], wechat_appid="wxrxfappid000001")
    assert h.sim.crypto is not None
    reply = await h.sim.text("o_safe", "联系我们")
    assert reply.status == 200 and "0871-64980508" in (reply.content or "")
    # Encrypted for another app id: decrypts, but must be refused.
    other = WeChatCrypto(h.settings.wechat_token, SAFE["aes_key"], "wxsomeoneelse00001")
    query, ts = h.sim.signed_query()
    enc = xmltodict.parse(other.encrypt_message(text_xml("o_safe", "hi"), query["nonce"], ts))
    encrypt = enc["xml"]["Encrypt"]
    from bot.wechat_io import signature

    query.update(encrypt_type="aes",
                 msg_signature=signature(h.settings.wechat_token, ts, query["nonce"], encrypt))
    body = f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    assert (await h.sim.post_raw(query, body)).status == 400
    # Plaintext to a safe-mode server is refused too.
    plain_query, _ = h.sim.signed_query()
    assert (await h.sim.post_raw(plain_query, text_xml("o_safe", "hi"))).status == 400


@pytest.mark.parametrize("case", [
    "no-signature", "bad-signature", "stale", "malformed", "no-msgtype", "huge", "doctype",
    "entity", "not-utf8", "empty", "no-from",
])
async def test_refusals_change_nothing(harness: Harness, case: str) -> None:
    query, _ = harness.sim.signed_query()
    body: str | bytes = text_xml("o_refused", "你好")
    expected = 400
    if case == "no-signature":
        query, expected = {}, 403
    elif case == "bad-signature":
        query["signature"], expected = "f" * 40, 403
    elif case == "stale":
        query, _ = harness.sim.signed_query(timestamp="1409735669")
        expected = 403
    elif case == "malformed":
        body = "<xml><ToUserName>oops"
    elif case == "no-msgtype":
        body = "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName></xml>"
    elif case == "huge":
        body = text_xml("o_refused", "长" * 30_000)
    elif case == "doctype":
        body = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><xml>&lol;</xml>'
    elif case == "entity":
        body = '<!ENTITY xxe SYSTEM "file:///etc/passwd"><xml><Content>&xxe;</Content></xml>'
    elif case == "not-utf8":
        body = text_xml("o_refused", "你好").encode("gbk")
    elif case == "empty":
        body = ""
    elif case == "no-from":
        body = "<xml><ToUserName>a</ToUserName><MsgType>text</MsgType></xml>"
    reply = await harness.sim.post_raw(query, body)
    assert reply.status == expected, reply.body
    assert await _rows(harness) == (0, 0)
    assert "0871" in await harness.say("联系我们")  # still serving


async def test_healthz_reports_database_and_faq(harness: Harness) -> None:
    async with aiohttp.ClientSession() as s, s.get(f"{harness.base}/healthz") as r:
        assert r.status == 200
        data = await r.json()
    assert data["database"] is True and data["faq"] > 20
