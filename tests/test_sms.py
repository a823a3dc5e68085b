"""SMS codes: the service's limits on both databases, the HTTP gateway, the dev route and
the CLI, and the limits as an owner meets them in the registration dialog."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import select

from adapters.platform_local.models import SmsCodeRow, SmsMessageRow
from adapters.sms import BEIJING, HttpGateway, LocalGateway, SmsService, wait_text
from adapters.sqltypes import utcnow
from ops.cli import accounts as cli_accounts
from tests.accounts_support import ZHOU, last_code, sms_count, to_code
from tests.support import Harness, serve_posts

PHONE = "13812345678"


def _service(h: Harness) -> SmsService:
    return h.runtime.ports.sms


def _morning(h: Harness) -> None:
    """Put the bot's clock at 09:00 Beijing time, so limits never straddle midnight."""
    now = utcnow()
    target = (now.astimezone(BEIJING) + timedelta(days=1)).replace(
        hour=9, minute=0, second=0, microsecond=0)
    h.clock.offset = target.astimezone(UTC) - now


async def _send_the_days_ten(h: Harness, sms: SmsService, key: str) -> None:
    """The daily cap's ten codes, a minute apart."""
    for i in range(10):
        assert (await sms.send_code(PHONE, "register", f"{key}{i}")).ok
        h.clock.advance(seconds=61)


async def _kill_with_wrong_tries(sms: SmsService, code: str) -> None:
    """Five wrong codes: the one sent is dead."""
    for _ in range(5):
        await sms.check_code(PHONE, "register", "000000" if code != "000000" else "111111")


async def test_code_sent_hashed_and_checked_once(harness: Harness) -> None:
    sms = _service(harness)
    sent = await sms.send_code(PHONE, "register", "k1")
    assert sent.ok and "138****5678" in sent.message and PHONE not in sent.message
    code = await last_code(harness, PHONE)
    async with harness.runtime.sessions() as s:
        row = (await s.scalars(select(SmsCodeRow))).one()
        message = (await s.scalars(select(SmsMessageRow))).one()
    assert code not in row.code_hash and row.code_hash != code and len(row.salt) >= 16
    assert PHONE not in message.phone_enc and code in message.text
    assert (await sms.check_code(PHONE, "register", code)).ok
    again = await sms.check_code(PHONE, "register", code)
    assert again.status == "none"  # a code works once


async def test_same_idem_key_sends_once(harness: Harness) -> None:
    sms = _service(harness)
    first = await sms.send_code(PHONE, "register", "delivery-1")
    second = await sms.send_code(PHONE, "register", "delivery-1")
    assert first.ok and second.ok
    assert await sms_count(harness, PHONE) == 1


async def test_wrong_code_five_times_kills_it(harness: Harness) -> None:
    sms = _service(harness)
    await sms.send_code(PHONE, "register", "k")
    code = await last_code(harness, PHONE)
    wrong = "000000" if code != "000000" else "111111"
    results = [await sms.check_code(PHONE, "register", wrong) for _ in range(5)]
    assert [r.tries_left for r in results[:4]] == [4, 3, 2, 1]
    assert "还可以再试4次" in results[0].message
    assert results[4].status == "too_many" and "已失效" in results[4].message
    after = await sms.check_code(PHONE, "register", code)
    assert after.status == "too_many"  # the right code no longer helps


async def test_code_killed_by_wrong_tries_is_replaced_at_once(harness: Harness) -> None:
    _morning(harness)
    sms = _service(harness)
    await sms.send_code(PHONE, "register", "k1")
    code = await last_code(harness, PHONE)
    await _kill_with_wrong_tries(sms, code)
    again = await sms.send_code(PHONE, "register", "k2")  # seconds later: no minute's wait
    assert again.ok and again.live and await sms_count(harness, PHONE) == 2
    early = await sms.send_code(PHONE, "register", "k3")  # the new one is live: the minute
    assert early.reason == "too_soon" and early.live
    assert "刚刚已发送至138****5678" in early.message
    assert (await sms.check_code(PHONE, "register", await last_code(harness, PHONE))).ok


async def test_refusal_says_whether_a_code_still_works(harness: Harness) -> None:
    _morning(harness)
    sms = _service(harness)
    await sms.send_code(PHONE, "register", "l1")
    live = await sms.send_code(PHONE, "register", "l2")
    assert live.reason == "too_soon" and live.live
    assert live.message.startswith("验证码刚刚已发送至138****5678，5分钟内有效")
    assert (await sms.check_code(PHONE, "register", await last_code(harness, PHONE))).ok
    used = await sms.send_code(PHONE, "register", "l3")  # the only code is used up
    assert used.reason == "too_soon" and not used.live
    assert used.message.startswith("暂时不能发送新的验证码，请") and "已发送" not in used.message
    other = await sms.send_code(PHONE, "certify", "l4")  # no certify code was ever sent
    assert other.reason == "too_soon" and not other.live


async def test_daily_cap_still_applies_to_a_dead_code(harness: Harness) -> None:
    _morning(harness)
    sms = _service(harness)
    await _send_the_days_ten(harness, sms, "c")
    capped = await sms.send_code(PHONE, "register", "live")
    assert capped.reason == "daily_cap" and capped.live and "仍然有效" in capped.message
    code = await last_code(harness, PHONE)
    await _kill_with_wrong_tries(sms, code)
    dead = await sms.send_code(PHONE, "register", "dead")
    assert dead.reason == "daily_cap" and not dead.live and "仍然有效" not in dead.message
    assert await sms_count(harness, PHONE) == 10


async def test_resend_wait_expiry_and_purpose(harness: Harness) -> None:
    _morning(harness)
    sms = _service(harness)
    await sms.send_code(PHONE, "register", "a")
    early = await sms.send_code(PHONE, "register", "b")
    assert not early.ok and early.reason == "too_soon" and 55 <= early.wait_seconds <= 60
    assert "秒后再获取" in early.message
    harness.clock.advance(seconds=61)
    assert (await sms.send_code(PHONE, "register", "c")).ok
    code = await last_code(harness, PHONE)
    assert (await sms.check_code(PHONE, "certify", code)).status == "none"  # other purpose
    harness.clock.advance(minutes=5, seconds=1)
    expired = await sms.check_code(PHONE, "register", code)
    assert expired.status == "expired" and "5分钟" in expired.message


async def test_daily_cap_says_how_long(harness: Harness) -> None:
    _morning(harness)
    sms = _service(harness)
    await _send_the_days_ten(harness, sms, "d")
    capped = await sms.send_code(PHONE, "register", "d10")
    assert not capped.ok and capped.reason == "daily_cap"
    assert "10次上限" in capped.message and "明天" in capped.message and "小时" in capped.message
    assert capped.wait_seconds > 14 * 3600  # 09:10 -> midnight
    assert (await sms.send_code("13912345678", "register", "other")).ok  # per phone
    harness.clock.advance(hours=16)  # the next Beijing day
    assert (await sms.send_code(PHONE, "register", "d11")).ok


def test_wait_text() -> None:
    assert [wait_text(s) for s in (0, 45, 60, 61, 3600, 7260)] == \
        ["1秒", "45秒", "60秒", "2分钟", "1小时", "2小时1分钟"]


async def _gateway_server(status: int, delay: float = 0.0) -> tuple[web.AppRunner, str,
                                                                    list[Any]]:
    import asyncio

    seen: list[Any] = []

    async def receive(request: web.Request) -> web.Response:
        seen.append(await request.json())
        await asyncio.sleep(delay)
        return web.json_response({"ok": status < 300}, status=status)

    runner, base = await serve_posts(receive, "/sms")
    return runner, f"{base}/sms", seen


async def test_http_gateway_posts_json_and_reports_failure(harness: Harness) -> None:
    rt = harness.runtime
    runner, url, seen = await _gateway_server(200)
    try:
        sms = SmsService(rt.sessions, rt.cipher, HttpGateway(url), harness.clock, rt.runner)
        assert (await sms.send_code(PHONE, "register", "h1")).ok
        assert seen[0]["phone"] == PHONE and "验证码" in seen[0]["text"]
        code = seen[0]["text"].split("验证码是")[1][:6]
        assert (await sms.check_code(PHONE, "register", code)).ok
        assert await sms_count(harness, PHONE) == 0  # nothing recorded locally
    finally:
        await runner.cleanup()
    runner, url, seen = await _gateway_server(200, delay=2.0)
    try:
        slow = SmsService(rt.sessions, rt.cipher, HttpGateway(url, timeout=0.3), harness.clock,
                          rt.runner)
        failed = await slow.send_code("13900000000", "register", "h2")
        assert not failed.ok and failed.reason == "failed" and "发送失败" in failed.message
        # The code that did not go out cannot be used, and a refusal does not promise it.
        assert (await slow.check_code("13900000000", "register", "000000")).status == "none"
        again = await slow.send_code("13900000000", "register", "h3")
        assert again.reason == "too_soon" and not again.live
        assert "暂时不能发送新的验证码" in again.message
    finally:
        await runner.cleanup()


async def test_dev_route_masks_and_pages(harness: Harness) -> None:
    sms = _service(harness)
    await sms.send_code(PHONE, "register", "r1")
    await sms.send_code("13912345678", "register", "r2")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{harness.base}/dev/sms", params={"after": "0"}) as resp:
            data = await resp.json()
        first = data["messages"]
        assert [m["phone"] for m in first] == ["138****5678", "139****5678"]
        assert all(PHONE not in str(m) for m in first)
        async with http.get(f"{harness.base}/dev/sms",
                            params={"after": str(first[0]["id"])}) as resp:
            assert len((await resp.json())["messages"]) == 1
        async with http.get(f"{harness.base}/dev/sms", params={"after": "x"}) as resp:
            assert resp.status == 400


async def test_cli_outbox_masks_unless_phone_given(harness: Harness, capsys: Any) -> None:
    await _service(harness).send_code(PHONE, "register", "c1")
    args = argparse.Namespace(command="sms", sms_command="outbox", phone=None, limit=5)
    assert await cli_accounts.dispatch(harness.settings, args) == 0
    out = capsys.readouterr().out
    assert "138****5678" in out and PHONE not in out
    args.phone = "138 1234 5678"
    assert await cli_accounts.dispatch(harness.settings, args) == 0
    assert PHONE in capsys.readouterr().out
    other = argparse.Namespace(command="menu-sync")
    assert await cli_accounts.dispatch(harness.settings, other) is None


# --- the limits as the owner meets them ---------------------------------------------------
async def test_dialog_wrong_code_five_times_then_resend(harness: Harness) -> None:
    h = harness
    _morning(h)
    asked = await to_code(h)
    assert "验证码已发送至159****1931" in asked and "6位验证码" in asked
    code = await last_code(h, ZHOU["phone"])
    wrong = "000000" if code != "000000" else "111111"
    replies = await h.walk(*[wrong] * 5)
    assert "还可以再试4次" in replies[0] and "请输入短信里的6位验证码" in replies[0]
    assert "已失效" in replies[4] and "请回复「重发」获取新的验证码" in replies[4]
    resent = await h.say("重发")  # seconds later: the dead code is replaced at once
    assert "验证码已发送至159****1931，5分钟内有效" in resent and "秒后" not in resent
    assert await sms_count(h, ZHOU["phone"]) == 2
    fresh = await last_code(h, ZHOU["phone"])
    early = await h.say("重发")  # the new code is live: now the minute applies
    assert "验证码刚刚已发送至159****1931，5分钟内有效" in early and "后再回复「重发」" in early
    assert await sms_count(h, ZHOU["phone"]) == 2
    assert "同意《注册服务协议》" in await h.say(fresh)


async def test_dialog_refused_resend_without_a_live_code_says_so(harness: Harness) -> None:
    h = harness
    _morning(h)
    first, second = "o_sms_first", "o_sms_second"
    await to_code(h, openid=first)
    await h.say(await last_code(h, ZHOU["phone"]), first)  # that code is used now
    arrived = await to_code(h, openid=second)  # the same phone, seconds later
    assert "暂时不能发送新的验证码，请" in arrived and "秒后回复「重发」" in arrived
    assert "已发送" not in arrived and "6位验证码" in arrived
    again = await h.say("重发", second)
    assert again.startswith("暂时不能发送新的验证码，请") and "已发送" not in again
    assert await sms_count(h, ZHOU["phone"]) == 1
    h.clock.advance(seconds=61)
    assert "验证码已发送至159****1931" in await h.say("重发", second)
    assert "同意《注册服务协议》" in await h.say(await last_code(h, ZHOU["phone"]), second)


async def test_dialog_expired_code_and_format_errors(harness: Harness) -> None:
    h = harness
    await to_code(h)
    code = await last_code(h, ZHOU["phone"])
    assert "验证码是6位数字，您输入了5位" in await h.say(code[:5])
    assert "只能是数字" in await h.say("12345a")
    h.clock.advance(minutes=6)
    expired = await h.say(code)
    assert "已过期" in expired and "「重发」" in expired and "6位验证码" in expired
    assert "已发送" in await h.say("重新发送")
    fresh = await last_code(h, ZHOU["phone"])
    assert "注册服务协议" in await h.say(" ".join(fresh))  # spaces are fine


async def test_dialog_back_to_code_does_not_resend_within_a_minute(harness: Harness) -> None:
    h = harness
    await to_code(h)
    assert await sms_count(h, ZHOU["phone"]) == 1
    await h.say("上一步")
    again = await h.say("不变")  # the USCC kept: back at the code question
    assert "刚刚已发送至159****1931" in again and "5分钟内有效" in again
    assert await sms_count(h, ZHOU["phone"]) == 1
    assert "注册服务协议" in await h.say(await last_code(h, ZHOU["phone"]))


async def test_retried_delivery_sends_one_sms(harness: Harness) -> None:
    from devtools.sim import text_xml

    h = harness
    await h.walk("注册", "同意", ZHOU["phone"], ZHOU["name"], ZHOU["id"], ZHOU["company"])
    xml = text_xml(h.openid, ZHOU["uscc"], msg_id=9_100_001)
    first, second = await h.sim.post(xml), await h.sim.post(xml)
    assert first.content == second.content and "验证码已发送" in (first.content or "")
    assert await sms_count(h, ZHOU["phone"]) == 1


def test_beijing_day_is_utc_plus_8() -> None:
    assert datetime(2025, 1, 1, 16, 0, tzinfo=UTC).astimezone(BEIJING).day == 2


# --- per WeChat user and overall (issue 12: one user pumped codes to 8 phones) ---------
async def test_one_user_cycling_the_phone_reaches_three_phones(harness: Harness) -> None:
    h = harness
    _morning(h)
    await to_code(h)  # the first phone: ZHOU's
    phones = [f"1390000000{i}" for i in range(7)]
    replies = []
    for phone in phones:  # 修改2 (the phone), a new phone, a code sent on arrival: within a second
        await h.say("修改2")
        replies.append(await h.say(phone))
    sent = await _service(h).outbox(limit=100)
    assert len(sent) == 3 and len({p for _, p, _, _ in sent}) == 3
    assert "验证码已发送至139****0001" in replies[1]
    refused = replies[2]
    assert "同一个微信号每天最多给3个不同的手机号发送验证码" in refused
    assert "明天再试（约15小时" in refused and "已发送" not in refused
    # The phone is asked again, not a code that was never sent.
    assert "请输入法定代表人的手机号" in refused and "验证码（" not in refused
    assert all(r.startswith(refused) for r in replies[3:])  # then "多次没通过？…" too
    # A phone this user was already sent a code for still works, a minute on.
    h.clock.advance(seconds=61)
    await h.say("修改2")
    assert "验证码已发送至139****0000" in await h.say(phones[0])


async def test_one_user_gets_ten_codes_a_day(harness: Harness) -> None:
    sms = _service(harness)
    _morning(harness)
    phones = ["13900000001", "13900000002", "13900000003"]
    for i in range(10):
        sent = await sms.send_code(phones[i % 3], "register", f"u{i}", openid="o_pump")
        assert sent.ok, sent
        harness.clock.advance(seconds=21)  # each phone's minute has passed when it comes up
    harness.clock.advance(seconds=61)
    capped = await sms.send_code(phones[0], "register", "u10", openid="o_pump")
    assert not capped.ok and capped.reason == "user_codes"
    assert capped.message.startswith("同一个微信号每天最多获取10次验证码")
    assert "请明天再试（约14小时" in capped.message
    # The phone's own limit is not what stopped it, nor is another user stopped.
    assert (await sms.send_code(phones[0], "register", "other", openid="o_else")).ok
    harness.clock.advance(hours=16)  # the next Beijing day
    assert (await sms.send_code(phones[1], "register", "u11", openid="o_pump")).ok


async def test_overall_ceiling_per_minute(harness: Harness) -> None:
    rt = harness.runtime
    _morning(harness)
    sms = SmsService(rt.sessions, rt.cipher, LocalGateway(rt.cipher), harness.clock,
                     rt.runner, per_minute=3)
    for i in range(3):
        assert (await sms.send_code(f"1390000000{i}", "register", f"g{i}",
                                    openid=f"o_{i}")).ok
        harness.clock.advance(seconds=10)
    busy = await sms.send_code("13900000009", "register", "g9", openid="o_9")
    assert not busy.ok and busy.reason == "busy" and busy.wait_seconds == 30
    assert busy.message == "现在获取验证码的人较多，请30秒后再获取。"
    harness.clock.advance(seconds=31)  # the first code is a minute old
    assert (await sms.send_code("13900000009", "register", "g10", openid="o_9")).ok


async def test_ceiling_as_the_owner_meets_it(make_harness: Any) -> None:
    h = await make_harness(sms_per_minute=1)
    assert (await h.runtime.ports.sms.send_code("13900000001", "register", "x")).ok
    asked = await to_code(h)
    assert asked.startswith("现在获取验证码的人较多，请") and "秒后回复「重发」" in asked
    assert await sms_count(h, ZHOU["phone"]) == 0


async def test_concurrent_sends_cannot_pass_the_limits(harness: Harness) -> None:
    """Two services on the same database, as two processes: one user's 8 phones at once
    get 3 codes; 12 users at once against a ceiling of 5 get 5."""
    import asyncio

    rt = harness.runtime
    _morning(harness)

    def process(per_minute: int = 60) -> SmsService:
        return SmsService(rt.sessions, rt.cipher, LocalGateway(rt.cipher), harness.clock,
                          per_minute=per_minute)

    first, second = process(), process()
    try:
        results = await asyncio.gather(*(
            (first if i % 2 else second).send_code(f"1390000001{i}", "register", f"c{i}",
                                                   openid="o_burst") for i in range(8)))
        assert sum(r.ok for r in results) == 3
        assert {r.reason for r in results if not r.ok} == {"user_phones"}
    finally:
        first.runner.close()
        second.runner.close()
    harness.clock.advance(minutes=2)
    first, second = process(per_minute=5), process(per_minute=5)
    try:
        results = await asyncio.gather(*(
            (first if i % 2 else second).send_code(f"139000003{i:02d}", "register",
                                                   f"d{i}", openid=f"o_{i}")
            for i in range(12)))
        assert sum(r.ok for r in results) == 5
        assert {r.reason for r in results if not r.ok} == {"busy"}
    finally:
        first.runner.close()
        second.runner.close()
