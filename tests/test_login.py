"""Web login by QR code: SCAN and subscribe-with-scene ask "确认登录融信服网页端？";
确认 records the login, 2/取消 refuses it, a scene is usable once and expires after
5 minutes; the CLI creates and lists scenes."""

from __future__ import annotations

import argparse
import itertools
import time
from typing import Any

from sqlalchemy import select

from adapters.platform_local.models import AccountRow, WebLoginRow
from ops.cli import accounts as cli_accounts
from tests.accounts_support import LI, ZHOU, last_code
from tests.factories import seed_enterprise
from tests.support import Harness


async def _scene(h: Harness) -> str:
    scene: str = await h.runtime.ports.platform.create_login_scene()
    return scene


_times = itertools.count(int(time.time()) + 1000)


async def _scan(h: Harness, scene: str, openid: str | None = None) -> str:
    # Events are deduplicated by user + CreateTime: each scan gets its own second.
    reply = await h.sim.event(openid or h.openid, "SCAN", scene, ticket="t",
                              create_time=next(_times))
    return reply.content or ""


async def _row(h: Harness, scene: str) -> WebLoginRow:
    async with h.runtime.sessions() as s:
        row = await s.get(WebLoginRow, scene)
    assert row is not None
    return row


async def test_scan_confirmed_once(harness: Harness) -> None:
    h = harness
    seeded = await seed_enterprise(h.runtime, h.openid)
    scene = await _scene(h)
    asked = await _scan(h, scene)
    assert "确认登录融信服网页端？" in asked and "1 确认" in asked and "2 取消" in asked
    assert "周露（159****1931）" in asked and ZHOU["phone"] not in asked
    assert "请回复 1 确认登录" in await h.say("嗯？")
    assert "已确认登录" in await h.say("1")
    row = await _row(h, scene)
    assert row.status == "confirmed" and row.account_id == seeded.account_id
    assert row.openid == h.openid and row.decided_at is not None
    assert (await h.runtime.ports.platform.check_login(scene)).status == "used"
    assert "已经用过了" in await _scan(h, scene)
    # Another user cannot take over a decided scene either.
    await seed_enterprise(h.runtime, "o_other", person={**ZHOU, "phone": "13912345678"},
                          enterprise={"name": "别的公司", "uscc": "914403001922038216",
                                      "region": "昆明市五华区"})
    assert "已经用过了" in await _scan(h, scene, "o_other")


async def test_refused_by_number_and_by_cancel(harness: Harness) -> None:
    h = harness
    await seed_enterprise(h.runtime, h.openid)
    first, second = await _scene(h), await _scene(h)
    await _scan(h, first)
    assert "已取消本次登录" in await h.say("2")
    assert (await _row(h, first)).status == "refused"
    await _scan(h, second)
    assert "已取消本次登录" in await h.say("取消")  # the global command refuses too
    assert (await _row(h, second)).status == "refused"


async def test_expired_scene(harness: Harness) -> None:
    h = harness
    await seed_enterprise(h.runtime, h.openid)
    old = await _scene(h)
    h.clock.advance(minutes=6)
    assert "已过期" in await _scan(h, old) and "刷新" in await _scan(h, old)
    late = await _scene(h)
    assert "确认登录" in await _scan(h, late)
    h.clock.advance(minutes=5, seconds=30)  # answered too late
    assert "已过期" in await h.say("1")
    assert (await _row(h, late)).status == "expired"
    assert "没有找到这个登录二维码" in await _scan(h, "login_nosuchscene")


async def test_new_follower_scanning_and_unregistered(harness: Harness) -> None:
    h = harness
    scene = await _scene(h)
    stranger = await h.sim.event("o_new", "subscribe", f"qrscene_{scene}", ticket="t")
    text = stranger.content or ""
    assert "欢迎关注融信服" in text and "还没有注册" in text and "重新扫码" in text
    assert "（1/8）《个人信息处理规则》" in await h.say("1", "o_new")  # the offer: register
    await seed_enterprise(h.runtime, "o_follower")
    known = await h.sim.event("o_follower", "subscribe", f"qrscene_{scene}", ticket="t")
    assert "欢迎关注融信服" in (known.content or "") and "确认登录" in (known.content or "")
    assert "已确认登录" in await h.say("确认", "o_follower")


async def test_scan_during_registration_keeps_it(harness: Harness) -> None:
    h = harness
    newcomer = "o_midway"
    await h.walk("注册", "同意", LI["phone"], LI["name"], openid=newcomer)
    scene = await _scene(h)
    asked = await _scan(h, scene, newcomer)
    assert "注册还没完成" in asked and "1 继续填写" in asked and "重新扫码" in asked
    resumed = await h.say("1", newcomer)
    assert "请输入法定代表人的18位身份证号" in resumed
    await h.walk(LI["id"], LI["company"], LI["uscc"], openid=newcomer)
    await h.walk(await last_code(h, LI["phone"]), "1", openid=newcomer)
    assert "注册成功" in await h.say("确认", newcomer)
    assert "确认登录" in await _scan(h, scene, newcomer)
    assert "已确认登录" in await h.say("1", newcomer)
    async with h.runtime.sessions() as s:
        account = await s.scalar(select(AccountRow).where(AccountRow.openid == newcomer))
    assert account is not None and (await _row(h, scene)).account_id == account.id


async def test_cli_new_and_list(harness: Harness, capsys: Any) -> None:
    args = argparse.Namespace(command="login", login_command="new", qrcode=True)
    assert await cli_accounts.dispatch(harness.settings, args) == 0
    out = capsys.readouterr().out
    scene = out.split("login scene: ")[1].split()[0]
    assert f"/scan {scene}" in out and "QR ticket:" in out
    assert harness.fake.sent(kind="qrcode")
    listing = argparse.Namespace(command="login", login_command="list", limit=5)
    assert await cli_accounts.dispatch(harness.settings, listing) == 0
    assert f"{scene}  pending" in capsys.readouterr().out
