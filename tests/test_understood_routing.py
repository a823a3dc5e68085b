"""What owners say in their own words, through the real webhook: requests that start the
work with their values, status questions answered with facts across all of a user's
enterprises, rate and amount questions answered from the catalogue, and questions asked
in the middle of a form."""

from __future__ import annotations

import re

import aiohttp

from devtools.sim import voice_xml
from tests.demand_support import (  # noqa: F401  (env_fixture, local_env_fixture)
    OTHER_PERSON,
    QUJING,
    WALK_OPEN,
    DemandEnv,
    env_fixture,
    local_env_fixture,
)
from tests.factories import YUNNAN_TRADE, add_enterprise
from tests.support import eventually

DEMAND_NO = re.compile(r"RZ\d{14}")


async def test_a_request_with_an_amount_starts_the_demand_with_it(local_env: DemandEnv) -> None:
    h = local_env.h
    await local_env.seed()
    reply = await h.say("我想贷款五十万")
    assert "已按您说的填好：申请额度 500,000.00元（大写：伍拾万元整）" in reply
    assert "请选择专区" in reply
    asked = await h.say("1")
    assert "贷款期限多少个月" in asked  # the amount is not asked again
    summary = await h.walk("12", "1", "2", "进货")
    assert "②申请额度：500,000.00元（大写：伍拾万元整）" in summary[-1]
    assert "提交成功" in await h.say("提交")


async def test_voice_with_amount_term_and_bank(local_env: DemandEnv) -> None:
    h = local_env.h
    await local_env.seed()
    reply = await h.sim.post(voice_xml(h.openid, "想借30万，用一年，找工行。"))
    said = reply.content or ""
    for part in ("申请额度 300,000.00元", "贷款期限 12个月", "定向给 中国工商银行云南省分行"):
        assert part in said, said
    summary = (await h.walk("1", "1", "采购原材料"))[-1]
    assert "需求类型：定向" in summary and "指定金融机构：中国工商银行云南省分行" in summary


async def test_values_said_before_certification_wait_for_it(local_env: DemandEnv) -> None:
    h = local_env.h
    await local_env.seed(authorised=False)
    reply = await h.say("我想贷款五十万用一年")
    assert "已记下：申请额度50万元、期限12个月。认证授权完成后接着发布。" in reply
    assert "签署授权书" in reply
    signed = (await h.walk("无", "无", "无", "签署"))[-1]
    assert "认证授权全部完成" in signed and "接着发布您刚才说的融资需求" in signed
    assert "申请额度 500,000.00元" in signed and "贷款期限 12个月" in signed
    assert "请选择专区" in signed


async def test_values_said_instead_of_a_form_answer_are_taken(local_env: DemandEnv) -> None:
    h = local_env.h
    await local_env.seed()
    await h.say("发布需求")
    reply = await h.say("要贷50万用一年")
    assert "已按您说的填好：申请额度 500,000.00元" in reply and "请选择专区" in reply
    assert "贷款种类" in await h.say("1")  # zone given; amount and term were taken


async def test_a_question_in_a_form_is_answered_there(local_env: DemandEnv) -> None:
    h = local_env.h
    await local_env.seed()
    await h.walk("发布需求", "1")
    reply = await h.say("利息多少")
    assert "年利率" in reply and "—— 我们接着来 ——" in reply and "请输入申请额度" in reply
    assert "贷款期限多少个月" in await h.say("20万")


async def test_status_across_enterprises_from_push_to_detail(local_env: DemandEnv) -> None:
    """A newcomer with two enterprises asks in their own words whether the bank has lent
    yet: the push named the enterprise, and the answer shows the right demand."""
    h = local_env.h
    seeded = await local_env.seed()
    first = await local_env.publish(WALK_OPEN)  # 云南贸易有限公司
    qujing = await add_enterprise(h.runtime, seeded.account_id, QUJING)
    await h.runtime.ports.platform.switch_enterprise(h.openid, qujing)
    second = await local_env.publish(WALK_OPEN)  # 曲靖恒达…, now the active one
    await local_env.advance(first, "follow", "工商银行")
    await local_env.advance(first, "grant", "工商银行", amount="400000")
    push = await eventually(lambda: h.fake.sent(kind="custom", touser=h.openid))
    assert f"企业：{YUNNAN_TRADE['name']}" in push[-1].payload["text"]["content"]

    answer = await h.say("银行放款了没有")
    assert answer.startswith(f"最新进展：{first}（{YUNNAN_TRADE['name']}）已获授信40万元")
    assert "您共有2笔已提交的融资需求，2笔在办理中" in answer
    active, other = f"【{QUJING['name']}（当前）】", f"【{YUNNAN_TRADE['name']}】"
    assert answer.index(active) < answer.index(other)
    assert f"{first} 50万元 已授信40万元，待放款" in answer
    assert f"{second} 50万元 待关注·金融机构关注" in answer
    detail = await h.say("2")  # the numbers open the details
    assert f"单据号：{first}" in detail and "授信额度：40万元" in detail

    one = await h.say("曲靖恒达那笔批了吗")
    assert "这笔需求还在等金融机构关注" in one and f"单据号：{second}" in one

    listed = await h.say("我的需求")
    assert "我的需求·全部（共2条" in listed and f"【{QUJING['name']}（当前）】" in listed

    spaced = f"rz {first[2:10]} {first[10:]}"
    opened = await h.say(f"帮我查一下{spaced}")
    assert f"单据号：{first}" in opened and "已获授信40万元，正在等待放款" in opened
    assert "已为您切换到这家企业" in opened
    profile = await h.runtime.ports.platform.profile(h.openid)
    assert profile.active is not None and profile.active.name == YUNNAN_TRADE["name"]


async def test_a_number_alone_opens_only_ones_own_demand(local_env: DemandEnv) -> None:
    h = local_env.h
    await local_env.seed()
    mine = await local_env.publish(WALK_OPEN)
    assert f"单据号：{mine}" in await h.say(mine[2:])  # the 14 digits alone
    await h.say("菜单")
    grouped = f"RZ {mine[2:6]}-{mine[6:10]}-{mine[10:]}"  # "RZ" starts 查进度 with an arg
    assert f"单据号：{mine}" in await h.say(grouped)
    assert "没有找到单据号为RZ12345678的需求" in await h.say("RZ12345678")  # too short
    other = "o_other_owner"
    await local_env.seed(other, person=OTHER_PERSON,
                         enterprise={"name": "玉溪恒通精密制造有限公司",
                                     "uscc": "91530402MA6N8Q2X6B", "region": "玉溪市红塔区"})
    theirs = await local_env.publish(WALK_OPEN, openid=other)
    refused = await h.say(f"查一下{theirs}")
    missing = await h.say("查一下RZ20991231999999")
    assert refused.replace(theirs, "X") == missing.replace("RZ20991231999999", "X")
    assert "没有找到单据号为" in refused


async def test_rates_and_amounts_from_the_catalogue(local_env: DemandEnv) -> None:
    h = local_env.h
    rates = await h.say("你们的贷款利息是多少")
    assert re.search(r"面向云南全省企业的\d+款产品：年利率[\d.]+%–[\d.]+%", rates), rates
    assert "利率最低的3款" in rates and "\n3 " in rates and "本地演示数据" in rates
    await local_env.seed()
    limits = await h.say("我们是做咖啡加工的小公司，能贷多少钱？")
    assert "面向玉溪市红塔区企业的" in limits and "单笔额度" in limits and "额度最高的3款" in limits
    detail = await h.say("1")
    assert "想申请？回复「申请这个」" in detail
    name = re.search(r"（(.+?)）", detail)
    assert name is not None
    applied = await h.say("申请这个")
    assert f"定向给 {name.group(1)}" in applied and "发布融资需求" in applied


async def test_two_close_intents_get_one_numbered_question(local_env: DemandEnv) -> None:
    h = local_env.h
    asked = await h.say("银行贷款")
    assert asked.startswith("您是想：") and "找金融产品" in asked and "了解贷款利率" in asked
    number = next(line[0] for line in asked.splitlines() if "找金融产品" in line)
    assert "想找什么样的贷款产品" in await h.say(number)


async def test_one_likely_intent_is_offered_and_a_yes_keeps_what_was_said(
        local_env: DemandEnv) -> None:
    h = local_env.h
    await local_env.seed()
    assert (await h.say("贵不贵")).startswith("您是想「了解贷款利率」吗？")
    other = await h.say("不是，我问放款了没有")  # anything else is read afresh
    assert other.startswith("您还没有提交过融资需求")
    asked = await h.say("我是做进出口的 想搞个贸易融资")
    assert asked.startswith("您是想「发布融资需求」吗？"), asked
    started = await h.say("是的")
    assert "已按您说的填好：贷款种类 贸易融资" in started and "请选择专区" in started
    await h.say("取消")
    assert (await h.say("菜丹")).startswith("您是想「看功能菜单」吗？")
    assert (await h.say("不是")).startswith("好的。请换个说法告诉我您想办什么")


async def test_a_wish_is_asked_about_before_a_how_to_answer(local_env: DemandEnv) -> None:
    h = local_env.h
    await local_env.seed(authorised=False)
    # The FAQ knows how to certify, but "我要…" is a wish, not a how-to question.
    assert (await h.say("我要认怔")).startswith("您是想「认证授权」吗？")
    assert "签署授权书" in await h.say("是的")
    await h.say("取消")
    stray = await h.say("是的")  # nothing asked: no "答不上来"
    assert stray.startswith("好的。需要办什么直接告诉我") and "答不上来" not in stray
    assert "利率最低的3款" in await h.say("利息多少")  # the products are listed now
    # Typed at the list, neither is searched for as a product.
    assert (await h.say("我要认怔")).startswith("您是想「认证授权」吗？")
    assert "签署授权书" in await h.say("是的")


async def test_a_complaint_is_answered_and_recorded(local_env: DemandEnv) -> None:
    h = local_env.h
    reply = await h.say("等了一个月都没人理，我要投诉")
    assert "非常抱歉" in reply and "转人工" in reply
    logged = [q for q, _, _ in await h.runtime.faq_log.top()]
    assert "等了一个月都没人理,我要投诉" in logged  # as read: NFKC, the comma half-width


async def test_nothing_typed_ahead_is_lost(local_env: DemandEnv) -> None:
    h = local_env.h
    await local_env.seed()
    await h.walk("发布需求", "1")
    taken = await h.say("我要贷50万")  # a sentence for the amount itself
    assert "申请额度 500,000.00元" in taken and "贷款期限多少个月" in taken
    ahead = await h.say("流动资金")  # the loan kind, said before it was asked
    assert "已按您说的填好：贷款种类 流动资金贷款" in ahead and "贷款期限多少个月" in ahead
    early = await h.say("提交")
    assert "还有3项没填，填完就能提交" in early
    assert "请选择需求类型" in await h.say("12")  # the kind is not asked again
    menu = await h.say("菜单")
    assert "「发布融资需求」已为您保存" in menu
    assert "请回复数字选择" in menu
    again = await h.say("我的信息")
    assert "我的信息" in again
    back = await h.say("菜单")
    assert "「发布融资需求」还没填完，回复「继续填写」接着填" in back


async def test_an_enterprise_named_is_switched_to_at_once(local_env: DemandEnv) -> None:
    h = local_env.h
    seeded = await local_env.seed()
    await add_enterprise(h.runtime, seeded.account_id, QUJING)
    switched = await h.say("帮我切到曲靖恒达")
    assert f"已切换到「{QUJING['name']}」" in switched
    assert f"当前已经是「{QUJING['name']}」" in await h.say("换成恒达机械")
    listed = await h.say("切换企业")
    assert "请回复序号选择要切换到的企业" in listed


async def test_operators_see_how_many_messages_were_read(local_env: DemandEnv) -> None:
    h = local_env.h
    await h.say("你们的贷款利息是多少")
    await h.say("菜单")  # a command: never read
    async with aiohttp.ClientSession() as session, session.get(f"{h.base}/metrics") as r:
        body = await r.text()
    assert 'rxf_readings_total{kind="intent"}' in body
    assert "rxf_reading_seconds_bucket" in body
