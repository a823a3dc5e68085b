"""添加企业, 我的企业 / 切换企业 and 我的信息 through the webhook: a second enterprise added
and switched, the numbered list with the active one marked, and one WeChat user never
seeing another's enterprises."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import select

from adapters.platform_local.models import AccountRow
from tests.accounts_support import LI, LI_SECOND, ZHOU, certify_all, register
from tests.factories import seed_enterprise
from tests.support import Harness


@pytest.fixture
async def harness(make_harness: Callable[..., Awaitable[Harness]]) -> Harness:
    """These owners send more in a second than the 30-a-minute flood limit allows."""
    return await make_harness(rate_limit_per_minute=600)


async def _li_with_two(h: Harness) -> None:
    await register(h, LI)
    await certify_all(h)
    form = await h.say("添加企业")
    assert "【添加企业】" in form and "请输入企业名称" in form
    await h.walk(LI_SECOND["company"], LI_SECOND["uscc"], LI["name"])
    summary = await h.say(LI["id"])
    assert "①企业名称：曲靖恒达机械制造有限公司" in summary and "④法定代表人证件号：530" in summary
    added = await h.say("确认")
    assert "已添加企业「曲靖恒达机械制造有限公司」（曲靖市麒麟区），并设为当前企业" in added
    assert "认证授权 3/3" in added  # the new enterprise still needs its authorisation
    await h.walk("无", "无", "无")
    assert "「曲靖恒达机械制造有限公司」的认证授权全部完成" in await h.say("签署")


async def test_second_enterprise_added_listed_and_switched(harness: Harness) -> None:
    h = harness
    await _li_with_two(h)
    listing = await h.click("ENTERPRISES")
    assert "1 昆明滇云商贸有限公司\n" in listing
    assert "2 曲靖恒达机械制造有限公司（当前）" in listing and "3 添加企业" in listing
    assert "认证授权已完成" in listing
    switched = await h.say("1")
    assert "已切换到「昆明滇云商贸有限公司」" in switched and "发布融资需求" in switched
    info = await h.say("我的信息")
    assert "当前企业：昆明滇云商贸有限公司" in info and "所属区域：昆明市西山区" in info
    assert "共2家企业" in info and LI["id"] not in info and "530***********0317" in info
    pick = await h.say("切换企业")
    assert "请回复序号选择要切换到的企业" in pick and "1 昆明滇云商贸有限公司（当前）" in pick
    assert "已切换到「曲靖恒达机械制造有限公司」" in await h.say("2")
    profile = await h.runtime.ports.platform.profile(h.openid)
    assert profile.active is not None and profile.active.uscc == LI_SECOND["uscc"]


async def test_list_answers_only_once_and_other_words_route(harness: Harness) -> None:
    h = harness
    await _li_with_two(h)
    await h.say("我的企业")
    assert "0871-64980508" in await h.say("联系我们")  # not a choice: routed as usual
    await h.say("我的企业")
    assert "【添加企业】" in await h.say("3")  # the last number adds an enterprise


async def test_add_refuses_own_and_others_enterprises(harness: Harness) -> None:
    h = harness
    await _li_with_two(h)
    await h.walk("添加企业", "随便")
    own = await h.say(LI_SECOND["uscc"])
    assert "已经在您的企业列表里了" in own and "切换企业" in own
    await h.say("取消")
    other = "o_zhou"
    await seed_enterprise(h.runtime, other)  # 周露's 云南贸易有限公司
    taken = (await h.walk("添加企业", "云南贸易有限公司", ZHOU["uscc"]))[-1]
    assert "已经在融信服注册过" in taken and "转人工" in taken


async def test_users_see_only_their_own(harness: Harness) -> None:
    h = harness
    await _li_with_two(h)
    stranger = "o_stranger"
    mine = await h.say("我的企业", stranger)
    assert "还没有注册" in mine and "曲靖" not in mine and "昆明" not in mine
    assert "还没有注册" in await h.say("我的信息", stranger)
    await seed_enterprise(h.runtime, stranger)
    theirs = await h.say("我的企业", stranger)
    assert "云南贸易有限公司（当前）" in theirs and "曲靖" not in theirs
    assert "只有一家企业" in await h.say("切换企业", stranger)
    # A number left over from someone else's list does nothing to this user.
    assert "已切换" not in await h.say("2", stranger)
    async with h.runtime.sessions() as s:
        assert len((await s.scalars(select(AccountRow))).all()) == 2


async def test_my_info_before_certification(harness: Harness) -> None:
    h = harness
    await register(h)
    info = await h.say("我的信息")
    assert "账号：周露 159****1931" in info and "个人认证：未完成" in info
    assert "企业要素认证：未完成；授权书：未签署" in info and "所属区域：企业要素认证后确定" in info
    listing = await h.say("我的企业")
    assert "1 云南贸易有限公司（当前）" in listing and "待企业要素认证" in listing


async def test_a_put_aside_edit_does_not_take_over(harness: Harness) -> None:
    h = harness
    await register(h, LI)
    await certify_all(h)
    await h.walk("修改个人认证", "修改4", "13912345678")  # left at its SMS code question
    assert "添加企业" in await h.say("添加企业")
    await h.walk(LI_SECOND["company"], LI_SECOND["uscc"], LI["name"], LI["id"])
    added = await h.say("确认")
    assert "认证授权 3/3" in added and "继续「个人认证」" not in added
    await h.walk("无", "无", "无", "签署")
    assert "6位验证码" in await h.say("继续填写")  # the edit is still there to finish
