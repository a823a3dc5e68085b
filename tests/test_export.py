"""导出我的信息 (issue 14, items 2 and 6): a masked copy of what is held about the asker
and no one else, in parts when long, reached by words, by understood sentences and by
the menu; 注销账号 shows in the menu only once a dialog registers it."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from adapters.platform_local.models import ConsentRow
from adapters.platform_port import Account, Consent, Enterprise, PersonalData, Profile
from adapters.sqltypes import utcnow
from bot.handler import MAX_TEXT_BYTES, split_long
from dialogs.consent import CONSENT_VERSION
from dialogs.privacy import render
from dialogs.replies import Text
from tests.accounts_support import LI, ZHOU, certify_all, register
from tests.factories import add_enterprise, seed_enterprise
from tests.support import Harness, eventually

MakeHarness = Callable[..., Awaitable[Harness]]
OTHER = "o_other_owner"
LI_ENTERPRISE = {"name": LI["company"], "uscc": LI["uscc"], "region": "昆明市西山区"}
FULL_NUMBERS = re.compile(r"\d{17}[\dX]|1[3-9]\d{9}")


async def test_each_user_sees_only_their_own_data_masked(harness: Harness) -> None:
    h = harness
    await register(h)
    await certify_all(h)
    await seed_enterprise(h.runtime, OTHER, person=LI, enterprise=LI_ENTERPRISE)
    mine = await h.say("导出我的信息")
    for shown in ("周露", "159****1931", "532***********0024", ZHOU["company"], ZHOU["uscc"],
                  "玉溪市红塔区", "【个人认证】", "企业要素认证：", "RXF-AUTH-2024.1",
                  f"版本 {CONSENT_VERSION}", "（当前版本）", "共0笔", "修改个人认证",
                  "注销账号"):
        assert shown in mine, shown
    theirs = await h.say("导出我的信息", OTHER)
    assert "李建华" in theirs and LI["uscc"] in theirs and "138****0417" in theirs
    for reply, stranger in ((mine, LI), (theirs, ZHOU)):
        assert FULL_NUMBERS.search(reply) is None, reply
        assert stranger["name"] not in reply and stranger["uscc"] not in reply
        assert stranger["phone"][-4:] not in reply


async def test_long_copy_comes_in_parts_each_section_whole(harness: Harness) -> None:
    h = harness
    seeded = await seed_enterprise(h.runtime, h.openid)
    for n in range(14):
        await add_enterprise(h.runtime, seeded.account_id,
                             {"name": f"昆明第{n + 1}号测试商贸有限公司",
                              "uscc": f"91530100MA6P{n:04d}XQ",
                              "region": "昆明市五华区"})
    first = await h.say("我的个人信息")

    def sent() -> list[Any]:
        done = h.fake.sent(kind="custom", touser=h.openid)
        return done if any("【更正和删除】" in r.payload["text"]["content"] for r in done) \
            else []

    later = await eventually(sent)  # the copy's last part ends with how to correct it
    parts = [first] + [r.payload["text"]["content"] for r in later]
    assert len(parts) >= 2 and first.startswith("我的个人信息（")
    assert all(len(p.encode()) <= MAX_TEXT_BYTES for p in parts)
    _sections_whole(parts)
    whole = "\n".join(parts)
    assert all(f"昆明第{n}号测试商贸有限公司" in whole for n in range(1, 15))
    assert sum("【更正和删除】" in p for p in parts) == 1


def _sections_whole(parts: list[str]) -> None:
    for part in parts:  # an enterprise is never cut across two messages
        headers = len(re.findall(r"^\d+ \S+公司", part, re.M))
        assert headers == part.count("   信用代码") == part.count("   授权书："), part
    for part in parts[1:]:
        assert re.match(r"(【|\d+ )", part), part[:40]


@pytest.mark.parametrize("count", [12, 13, 14, 15, 16])
def test_a_copy_is_cut_only_between_sections(count: int) -> None:
    now = utcnow()
    enterprises = tuple(Enterprise(str(i), f"昆明第{i}号测试商贸有限公司",
                                   f"91530100MA6P{i:04d}XQ", "周露", ZHOU["id"],
                                   "昆明市五华区", now, now) for i in range(count))
    account = Account("a", ZHOU["phone"], "周露", ZHOU["id"], now)
    data = PersonalData(profile=Profile("o", account, None, enterprises, "0"),
                        consents=(Consent(CONSENT_VERSION, now),))
    parts = [p.content for p in split_long([Text(render(data, now))])
             if isinstance(p, Text)]
    assert len(parts) >= 2 and all(len(p.encode()) <= MAX_TEXT_BYTES for p in parts)
    _sections_whole(parts)


async def test_older_consents_are_listed_too(harness: Harness) -> None:
    h = harness
    seeded = await seed_enterprise(h.runtime, h.openid)
    async with h.runtime.sessions.begin() as s:
        s.add(ConsentRow(account_id=seeded.account_id, openid=h.openid,
                         version="RXF-PI-2025.9", agreed_at=utcnow()))
    copy = await h.say("导出我的信息")
    assert "版本 RXF-PI-2025.9" in copy and f"版本 {CONSENT_VERSION}" in copy


async def test_without_an_account_nothing_is_held(harness: Harness) -> None:
    said = await harness.say("导出我的信息")
    assert "平台没有保存您的账号信息" in said and "1 注册企业账号" in said


async def test_understood_sentences_reach_the_export(harness: Harness) -> None:
    h = harness
    await seed_enterprise(h.runtime, h.openid)
    for sentence in ("我想看看你们存了我哪些信息", "你们都保存了我啥子资料",
                     "把你们存的我的信息发给我"):
        assert "我的个人信息（" in await h.say(sentence), sentence
    assert "我的个人信息（" not in await h.say("我的信息")  # the short summary stays


async def test_menu_leads_to_export_and_to_delete_once_registered(
        harness: Harness) -> None:
    h = harness
    stranger = await h.say("菜单", "o_stranger")
    assert "导出我的信息" not in stranger and "注销账号" not in stranger
    await seed_enterprise(h.runtime, h.openid)
    menu = await h.say("菜单")
    number = re.search(r"(\d+) 导出我的信息", menu)
    assert number is not None
    assert "我的个人信息（" in await h.say(number.group(1))
    menu = await h.say("菜单")
    number = re.search(r"(\d+) 注销账号", menu)
    assert number is not None  # dialogs/account_delete.py registers ACCOUNT_DELETE
    asked = await h.say(number.group(1))
    assert "确认注销" in asked and "已取消注销" in await h.say("不了")


async def test_privacy_faq_says_how_to_see_and_delete(harness: Harness) -> None:
    answer = await harness.say("你们会把我的信息给谁")
    assert "导出我的信息" in answer and "注销账号" in answer and "加密" in answer
    assert "注销账号" in await harness.say("怎么注销账号")
