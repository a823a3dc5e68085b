"""注册 through the real webhook: the happy path, every field's wrong answers, the three-
and four-factor refusals with the manual's advice, phone/USCC already taken, the race
for one USCC, and personal data encrypted at rest and masked in every reply."""

from __future__ import annotations

import asyncio

from sqlalchemy import select, text

from adapters.platform_local.models import AccountRow, EnterpriseRow, MembershipRow
from dialogs.validators import gb11643_check_char
from tests.accounts_support import (
    MA,
    MENGZI,
    WANG_PHONE,
    YANG,
    ZHOU,
    last_code,
    register,
    sms_count,
    to_code,
)
from tests.support import Harness

YANG_COOP = {"company": "祥云县云祥蔬菜种植农民专业合作社", "uscc": "93532923MA6PEJ4N85"}


def _id(body17: str) -> str:
    return body17 + gb11643_check_char(body17)


async def test_happy_path_encrypted_and_masked(harness: Harness) -> None:
    h = harness
    first = await h.click("REGISTER")
    assert "法定代表人本人的手机号" in first and "（1/8）" in first and "密码" in first
    assert "《个人信息处理规则》" in first and "1 同意" in first  # its own question, first
    replies = [first, await to_code(h, start="不变")]  # "不变" at the first question: reask
    code_question = replies[-1]
    assert "验证码已发送至159****1931" in code_question
    replies.append(agreement := await h.say(await last_code(h, ZHOU["phone"])))
    assert "《注册服务协议》" in agreement and "1 同意" in agreement
    replies.append(summary := await h.say("同意"))
    assert "①法人手机号：159****1931" in summary and "③法人身份证号：532***********0024" in summary
    assert "⑤统一社会信用代码：91530121MA6P1RDX22" in summary
    replies.append(done := await h.say("确认"))
    assert "注册成功" in done and "认证授权" in done and "个人认证" in done
    for reply in replies:
        assert ZHOU["phone"] not in reply and ZHOU["id"] not in reply
    async with h.runtime.sessions() as s:
        account = (await s.scalars(select(AccountRow))).one()
        enterprise = (await s.scalars(select(EnterpriseRow))).one()
        membership = (await s.scalars(select(MembershipRow))).one()
        raw = (await s.execute(text("SELECT * FROM pf_accounts"))).mappings().one()
    assert account.openid == h.openid and account.active_enterprise_id == enterprise.id
    assert ZHOU["phone"] not in str(dict(raw)) and ZHOU["id"] not in str(dict(raw))
    assert h.runtime.cipher.decrypt(account.legal_id_enc) == ZHOU["id"]
    assert account.phone_hash == h.runtime.cipher.lookup_hash(ZHOU["phone"])
    assert ZHOU["id"] not in enterprise.legal_rep_id_enc
    assert enterprise.uscc == ZHOU["uscc"] and membership.certified_at is None
    assert "已注册过融信服账号（周露，159****1931）" in await h.say("注册")


async def test_phone_and_name_refusals(harness: Harness) -> None:
    h = harness
    await h.walk("注册", "同意")
    cases = [
        ("1591151193", "手机号应为11位，您输入了10位"),
        ("0871-64980508", "座机"),
        ("159一1511931", "只能是数字"),
        ("📱15911511931", "只能是数字"),
        ("1" * 2000, "手机号应为11位，您输入了2000位"),
        ("12911511931", "第2位应为3到9"),
    ]
    for sent, reason in cases:
        reply = await h.say(sent)
        assert reason in reply and "请输入法定代表人的手机号" in reply, (sent, reply)
        assert len(reply.encode()) < 2000
    assert "请输入法定代表人姓名" in await h.say("１５９ １１５１ １９３１")  # full-width, spaces
    for sent, reason in [("周露2", "数字"), ("周露😀", "表情"), ("Zhou Lu", "汉字"),
                         ("周", "至少2个字"), ("周" * 2000, "最多20个字"),
                         ("'; DROP TABLE pf_accounts;--", "不能有符号")]:
        reply = await h.say(sent)
        assert reason in reply and "请输入法定代表人姓名" in reply, (sent, reply)
    menu_word = await h.say("联系我们")  # four Chinese characters, but not a name
    assert "0871-64980508" in menu_word and "继续填写" in menu_word
    assert "请输入法定代表人姓名" in await h.say("继续填写")
    assert "身份证号" in await h.say("周露")
    assert "多次没通过" in (await h.walk("x", "y", "z"))[-1]  # help after 3 misses


async def test_id_company_and_uscc_refusals(harness: Harness) -> None:
    h = harness
    await h.walk("注册", "同意", ZHOU["phone"], ZHOU["name"])
    for sent, reason in [
        ("532501199201270025", "校验位不对：按前17位算应为4"),
        (_id("53250120901231001"), "晚于今天"),
        (_id("53250119920230002"), "不是真实日期"),
        ("532501920127002", "15位的旧身份证号"),
        ("99250119920127002X", "不是有效的省份代码"),
    ]:
        reply = await h.say(sent)
        assert reason in reply and "18位身份证号" in reply, (sent, reply)
    assert "公司名称" in await h.say("５３２５０１１９９２０１２７００２４")  # full-width digits
    for sent, reason in [("云南贸易😀有限公司", "表情"), ("云南贸易(有限公司", "括号没有配对"),
                         ("云" * 2000, "2到60个字")]:
        reply = await h.say(sent)
        assert reason in reply and "请输入公司名称" in reply, (sent, reply)
    assert "信用代码" in await h.say("云南贸易有限公司")
    confusions = await h.say("9153O121MA6P1RDX22")
    assert "第5位可能是数字0而不是字母O" in confusions and "18位统一社会信用代码" in confusions
    assert "第8位可能是数字1而不是字母I" in await h.say("9153012IMA6P1RDX22")
    assert "应为18位，您输入了17位" in await h.say("91530121MA6P1RDX2")
    soft = await h.say("91530121MA6P1RDX23")
    assert "校验位不对（按前17位算应为2）" in soft and "再发一次同样的内容" in soft
    accepted = await h.say("91530121ma6p1rdx23")  # the same code again (case folded)
    assert "以工商核验结果为准" in accepted and "验证码已发送" in accepted
    await h.say("上一步")
    assert "已发送至159****1931" in await h.say(ZHOU["uscc"].lower())  # lower case accepted


async def test_sql_looking_company_is_kept_literally(harness: Harness) -> None:
    h = harness
    literal = "云南DROP TABLE pf_accounts贸易有限公司"
    refused = (await h.walk("注册", "同意", ZHOU["phone"], ZHOU["name"], ZHOU["id"],
                            literal))[-1]
    assert "“_”" in refused  # underscores are not in company names
    sql = "云南SELECT 1 FROM accounts贸易有限公司"
    await h.walk(sql, ZHOU["uscc"])
    await h.walk(await last_code(h, ZHOU["phone"]), "1")
    summary = await h.say("修改4")
    assert f"当前：{sql}" in summary
    assert f"④公司名称：{sql}" in await h.say("不变")
    failed = await h.say("确认")
    assert "工商四要素校验不一致" in failed
    async with h.runtime.sessions() as s:
        assert (await s.execute(text("SELECT count(*) FROM pf_accounts"))).scalar() == 0


async def test_three_factor_refused_with_q2_advice_then_fixed(harness: Harness) -> None:
    h = harness
    who = {**YANG, **YANG_COOP, "phone": WANG_PHONE}
    await to_code(h, who)
    await h.walk(await last_code(h, WANG_PHONE), "1")
    refused = await h.say("确认")
    assert "信息不一致，请确保所有信息属于本人" in refused
    assert "运营商" in refused and "携号转网" in refused  # the manual's Q2 causes
    assert "①法人手机号：137****1265" in refused  # values kept, summary again
    asked = await h.say("修改1")
    assert "当前：137****1265" in asked
    code_q = await h.say(YANG["phone"])
    assert "验证码已发送至151****6350" in code_q  # a new phone needs its own code
    summary = await h.say(await last_code(h, YANG["phone"]))
    assert "①法人手机号：151****6350" in summary and "②法人姓名：杨晓东" in summary
    assert "注册成功" in await h.say("确认")


async def test_four_factor_refused_with_q3_advice(harness: Harness) -> None:
    h = harness
    who = {**MA, **MENGZI}
    await to_code(h, who)
    await h.walk(await last_code(h, MA["phone"]), "1")
    refused = await h.say("确认")
    assert "工商四要素校验不一致" in refused and "营业执照" in refused
    assert "数字1和字母I" in refused and "特殊情况" not in refused  # the short Q3 advice
    assert "④公司名称：蒙自石榴红农产品有限公司" in refused
    await h.say("修改4")  # the company was wrong, and so its USCC
    assert "④公司名称：昭通金苹果农业开发有限公司" in await h.say("昭通金苹果农业开发有限公司")
    assert "当前：91532503MA6Q4H9E14" in await h.say("修改5")
    summary = await h.say("91530602MA6KU9G1H9")
    assert "⑤统一社会信用代码：91530602MA6KU9G1H9" in summary
    assert "注册成功" in await h.say("确认")


async def test_disagreeing_and_taken_phone_and_uscc(harness: Harness) -> None:
    h = harness
    await register(h)
    other = "o_second_owner"
    taken = (await h.walk("注册", "同意", ZHOU["phone"], openid=other))[-1]
    assert "这个手机号已经注册过融信服账号" in taken and "转人工" in taken
    assert "请输入法定代表人的手机号" in taken
    await h.walk(MA["phone"], MA["name"], MA["id"], "云南贸易有限公司", openid=other)
    uscc = await h.say(ZHOU["uscc"], other)
    assert "已经在融信服注册过" in uscc and "0871-64980508" in uscc
    await h.say("91530602MA6KU9G1H9", other)
    await h.say(await last_code(h, MA["phone"]), other)
    assert "请回复 1 同意" in await h.say("看不懂", other)
    refused = await h.say("我不同意", other)
    assert "需要同意《注册服务协议》才能注册" in refused and "1 同意" in refused


async def test_two_owners_race_for_one_uscc(harness: Harness) -> None:
    h = harness
    a, b = "o_race_a", "o_race_b"
    await to_code(h, openid=a)
    await h.walk(await last_code(h, ZHOU["phone"]), "1", openid=a)
    h.clock.advance(seconds=61)  # the second owner's code: a minute later
    await to_code(h, openid=b)
    await h.walk(await last_code(h, ZHOU["phone"]), "1", openid=b)
    replies = await asyncio.gather(h.say("确认", a), h.say("确认", b))
    won = [r for r in replies if "注册成功" in r]
    lost = [r for r in replies if "已经注册过" in r or "已经在融信服注册过" in r]
    assert len(won) == 1 and len(lost) == 1, replies
    async with h.runtime.sessions() as s:
        assert len((await s.scalars(select(AccountRow))).all()) == 1
        assert len((await s.scalars(select(EnterpriseRow))).all()) == 1


async def test_resume_after_idle_and_restart(harness: Harness) -> None:
    h = harness
    await h.walk("注册", "同意", ZHOU["phone"], ZHOU["name"])
    h.clock.advance(minutes=31)
    offer = await h.say(ZHOU["id"])
    assert "上次的「注册企业账号」还没完成（已填3项）" in offer
    resumed = await h.say("继续填写")
    assert "请输入法定代表人的18位身份证号" in resumed
    await h.restart()
    assert "公司名称" in await h.say(ZHOU["id"])
    await h.walk(ZHOU["company"], ZHOU["uscc"])
    await h.walk(await last_code(h, ZHOU["phone"]), "1")
    assert "注册成功" in await h.say("确认")


async def test_switching_back_to_a_verified_phone_needs_no_code(harness: Harness) -> None:
    h = harness
    a, b = ZHOU["phone"], MA["phone"]
    await to_code(h)
    await h.walk(await last_code(h, a), "1")  # A proven, at the summary
    await h.say("修改1")
    to_b = await h.say(b)
    assert "验证码已发送至186****3526" in to_b
    await h.say("修改1")  # seconds later, from B's code question
    back = await h.say(a)
    assert "①法人手机号：159****1931" in back and "请核对注册信息" in back
    assert "验证码" not in back  # neither a code nor a claim of one
    assert await sms_count(h, a) == 1 and await sms_count(h, b) == 1
    await h.say("修改1")
    again_b = await h.say(b)  # B's code is still live: saying so is true
    assert "验证码刚刚已发送至186****3526，5分钟内有效" in again_b
    summary = await h.say(await last_code(h, b))
    assert "①法人手机号：186****3526" in summary
    await h.say("修改1")
    assert "①法人手机号：159****1931" in await h.say(a)  # both proven now
    assert await sms_count(h, a) == 1 and await sms_count(h, b) == 1
    done = await h.say("确认")
    assert "注册成功" in done and a not in done and b not in done
