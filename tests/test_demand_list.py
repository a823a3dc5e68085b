"""我的需求 / 查进度 through the real webhook on both adapters: tabs, paging, the detail
with approval records and elapsed time, withdrawing, and privacy between WeChat users."""

from __future__ import annotations

import re

from tests.demand_support import (  # noqa: F401  (env_fixture provides `env`)
    OTHER_ENTERPRISE,
    OTHER_PERSON,
    WALK_DIRECTED,
    WALK_OPEN,
    DemandEnv,
    env_fixture,
)

LINE = re.compile(r"^\d (RZ\d{14}) ", re.MULTILINE)


async def test_nothing_yet_and_not_registered(env: DemandEnv) -> None:
    assert "还没有注册企业账号" in await env.h.say("我的需求", openid="o_nobody")
    await env.seed()
    reply = await env.h.say("我的需求")
    assert "您还没有发布过融资需求" in reply and "发布需求" in reply


async def test_detail_shows_node_handler_elapsed_and_records(env: DemandEnv) -> None:
    await env.seed()
    no = await env.publish()
    env.h.clock.advance(days=17, hours=14, minutes=55)
    await env.advance(no, "follow", "工商银行", comment="已受理，请准备流水")
    listed = await env.h.say("查进度")
    assert f"1 {no} 20万元 待授信" in listed and "共1条" in listed
    detail = await env.h.say("1")
    for shown in ("状态：待授信", "当前节点：授信审批",
                  "当前处理人：李经理（中国工商银行云南省分行）",
                  "已用时：17天14小时55分钟", "申请额度：200,000.00元（大写：贰拾万元整）",
                  "需求类型：定向（中国工商银行云南省分行、中国农业银行云南省分行）",
                  "①", "提交需求", "周露｜云南贸易有限公司｜企业｜159****1931",
                  "②", "机构关注", "李经理｜中国工商银行云南省分行｜金融机构｜0871-60001001",
                  "意见：已受理，请准备流水", "回复「返回」回到列表"):
        assert shown in detail, shown
    assert "撤回" not in detail and len(detail.encode()) < 2000
    refused = await env.h.say("撤回")
    assert "当前状态为待授信，不能撤回" in refused
    back = await env.h.say("返回")
    assert f"1 {no}" in back


async def test_tabs_and_paging(env: DemandEnv) -> None:
    await env.seed()
    numbers = [await env.publish(WALK_OPEN if i % 2 else WALK_DIRECTED) for i in range(7)]
    await env.advance(numbers[0], "follow", "工商银行")
    first = await env.h.say("我的需求")
    assert "共7条，第1/2页" in first and "「下一页」翻页" in first
    assert LINE.findall(first) == numbers[::-1][:5]
    second = await env.h.say("下一页")
    assert "第2/2页" in second and LINE.findall(second) == numbers[::-1][5:]
    assert "已经是最后一页了" in await env.h.say("下一页")
    assert LINE.findall(await env.h.say("上一页")) == numbers[::-1][:5]
    assert "已经是第一页了" in await env.h.say("上一页")
    credit = await env.h.say("待授信")
    assert LINE.findall(credit) == [numbers[0]] and "待授信（共1条" in credit
    assert f"单据号：{numbers[0]}" in await env.h.say("1")
    empty = await env.h.say("待放款")
    assert "「待放款」下暂时没有需求" in empty
    pending = await env.h.say("待关注")  # typed outside the list too: a menu intent
    assert "共6条" in pending
    assert "请回复序号1到5" in await env.h.say("9")
    assert "共7条" in await env.h.click("DEMAND_LIST")


async def test_tab_words_start_the_list_from_anywhere(env: DemandEnv) -> None:
    await env.seed()
    no = await env.publish()
    reply = await env.h.say("待关注")
    assert f"1 {no}" in reply and "·待关注" in reply
    direct = await env.h.say(f"查进度 {no}")
    assert f"单据号：{no}" in direct


async def test_withdraw_with_confirmation(env: DemandEnv) -> None:
    await env.seed()
    no = await env.publish()
    await env.h.walk("我的需求", "1")
    ask = await env.h.say("撤回")
    assert f"确定撤回单据号{no}吗" in ask and "1 确定撤回" in ask
    kept = await env.h.say("2")
    assert "不撤回" in kept
    await env.h.say("撤回")
    unclear = await env.h.say("嗯")
    assert "请回复1确定撤回" in unclear
    done = await env.h.say("1")
    assert f"已撤回单据号{no}" in done and "已撤回" in done
    demand = await env.h.runtime.ports.platform.demand(env.h.openid, no)
    assert demand.status == "已撤回" and demand.records[-1].node == "撤回"
    assert "当前状态为已撤回，不能撤回" in (await env.h.walk("1", "撤回"))[-1]


async def test_withdraw_refused_after_an_institution_acted_meanwhile(env: DemandEnv) -> None:
    await env.seed()
    no = await env.publish()
    await env.h.walk("我的需求", "1", "撤回")
    await env.advance(no, "follow", "abc_yn")
    reply = await env.h.say("1")
    assert "当前状态为待授信，不能撤回" in reply and "状态：待授信" in reply


async def test_another_wechat_user_cannot_see_or_withdraw(env: DemandEnv) -> None:
    await env.seed()
    no = await env.publish()
    await env.seed("o_other", person=OTHER_PERSON, enterprise=OTHER_ENTERPRISE)
    listed = await env.h.say("我的需求", openid="o_other")
    assert no not in listed and "还没有发布过" in listed
    peek = await env.h.say(f"查进度 {no}", openid="o_other")
    assert f"没有找到单据号为{no}的需求" in peek and "周露" not in peek
    platform = env.h.runtime.ports.platform
    from adapters.platform_port import NotFound

    for call in (platform.demand("o_other", no), platform.withdraw("o_other", no, "k-x")):
        try:
            await call
        except NotFound:
            continue
        raise AssertionError("another user reached the demand")
    assert (await platform.demand(env.h.openid, no)).status == "待关注"


async def test_second_user_of_the_same_enterprise_sees_it(env: DemandEnv) -> None:
    seeded = await env.seed()
    no = await env.publish()
    await env.bind("o_colleague", seeded.enterprise_id, OTHER_PERSON)
    assert f"1 {no}" in await env.h.say("我的需求", openid="o_colleague")


async def test_draft_in_list_and_finished_demand_elapsed(env: DemandEnv) -> None:
    await env.seed()
    await env.h.walk(*WALK_DIRECTED, "暂存")
    no = await env.publish()
    env.h.clock.advance(hours=2, minutes=5)
    await env.advance(no, "reject", "中国农业银行云南省分行", comment="资料不全")
    env.h.clock.advance(days=3)
    listed = await env.h.say("我的需求")
    assert "草稿" in listed and "已退回" in listed
    detail = await env.h.say("1")
    assert "共用时：2小时5分钟" in detail and "意见：资料不全" in detail
    assert "当前处理人：—" in detail
