"""认证授权 through the webhook: three steps with progress, prefilled from registration,
skipping what is done, refusals with the manual's advice that keep every value, the
authorisation record, 修改个人认证/修改企业认证, idle resume and a restart mid-way."""

from __future__ import annotations

from sqlalchemy import select, text

from adapters.platform_local.models import AuthorisationRow, MembershipRow, PersonCertRow
from tests.accounts_support import (
    MA,
    MENGZI,
    WANG_PHONE,
    ZHOU,
    certify_all,
    last_code,
    register,
)
from tests.factories import seed_enterprise
from tests.support import Harness


async def test_three_steps_after_registration(harness: Harness) -> None:
    h = harness
    opened = await register(h)
    assert "认证授权 1/3 · 个人认证" in opened and "①证件类型：大陆居民身份证" in opened
    assert "②本人姓名：周露" in opened and "③本人证件号：532***********0024" in opened
    assert "短信验证码" not in opened  # the phone was proven at registration
    second = await h.say("确认")
    assert "个人认证通过（1/3）" in second and "认证授权 2/3 · 企业要素认证" in second
    assert "①企业名称：云南贸易有限公司" in second and "④法定代表人证件号：532" in second
    third = await h.say("确认")
    assert "企业要素认证通过（2/3）：云南贸易有限公司（玉溪市红塔区）" in third
    assert "认证授权 3/3 · 签署授权书" in third and "《信用信息查询授权书》" in third
    assert "水、电、气" in third and "请输入水费户号，没有请回复「无」" in third
    bad = await h.say("水费#12")
    assert "②" not in bad
    assert "户号只能有数字、字母或“-”" in bad and "请输入水费户号" in bad
    await h.walk("无", "电费户号：5300012345678")  # the label in front is dropped
    summary = await h.say("没有")
    assert "①水费户号：无" in summary and "②电费户号：*********5678" in summary
    assert "签署人：周露" in summary and "回复「签署」" in summary
    done = await h.say("签署")
    assert "授权书已签署（3/3）" in done and "认证授权全部完成" in done
    async with h.runtime.sessions() as s:
        auth = (await s.scalars(select(AuthorisationRow))).one()
        membership = (await s.scalars(select(MembershipRow))).one()
        cert = (await s.scalars(select(PersonCertRow))).one()
        raw = str(dict((await s.execute(text("SELECT * FROM pf_person_certs"))).mappings()
                       .one()))
    assert auth.signer_name == "周露" and auth.text_version.startswith("RXF-AUTH")
    assert auth.signed_at is not None and auth.water_enc is None and auth.gas_enc is None
    assert auth.power_enc and "5300012345678" not in auth.power_enc
    assert h.runtime.cipher.decrypt(auth.power_enc) == "5300012345678"
    assert membership.certified_at and membership.authorised_at
    assert ZHOU["id"] not in raw and ZHOU["phone"] not in raw and cert.cert_type == "resident"
    assert "认证授权已全部完成" in await h.say("认证授权")


async def test_not_registered_is_offered_registration(harness: Harness) -> None:
    offer = await harness.say("认证")
    assert "还没有注册" in offer and "1 注册企业账号" in offer
    assert "（1/8）《个人信息处理规则》" in await harness.say("1")


async def test_skips_passed_steps(harness: Harness) -> None:
    h = harness
    await seed_enterprise(h.runtime, h.openid, certified=False, authorised=False)
    reply = await h.click("CERTIFY")
    assert "个人认证已完成" in reply and "认证授权 2/3" in reply
    assert "认证授权 3/3" in await h.say("确认")


async def test_three_factor_refusal_keeps_values_and_needs_a_code(harness: Harness) -> None:
    h = harness
    await register(h)
    asked = await h.say("修改4")
    assert "当前：159****1931" in asked
    code_q = await h.say(WANG_PHONE)  # a phone not proven yet: a code is sent to it
    assert "验证码已发送至137****1265" in code_q and "（5/5）" in code_q
    summary = await h.say(await last_code(h, WANG_PHONE))
    assert "④本人手机号：137****1265" in summary
    refused = await h.say("确认")
    assert "信息不一致，请确保所有信息属于本人" in refused
    assert "运营商" in refused and "3～30天" in refused
    assert "②本人姓名：周露" in refused and "④本人手机号：137****1265" in refused
    await h.say("修改4")
    back = await h.say(ZHOU["phone"])  # back to the proven phone: no code
    assert "④本人手机号：159****1931" in back and "验证码" not in back
    assert "个人认证通过" in await h.say("确认")


async def test_other_certificate_type_and_its_format(harness: Harness) -> None:
    h = harness
    await register(h)
    choose = await h.say("修改1")
    assert "1 大陆居民身份证" in choose and "2 港澳居民来往内地通行证" in choose
    assert "序号1到4" in await h.say("9")
    number_q = await h.say("回乡证")
    assert "请输入本人证件号" in number_q  # the number went with the old type
    wrong = await h.say("12345678")
    assert "H（香港）或M（澳门）" in wrong and "请输入本人证件号" in wrong
    summary = await h.say("h1234567８")
    assert "①证件类型：港澳居民来往内地通行证" in summary and "③本人证件号：H******78" in summary
    refused = await h.say("确认")  # not in the demo registry
    assert "信息不一致" in refused and "①证件类型：港澳居民来往内地通行证" in refused


async def test_four_factor_refusal_with_q3_advice(harness: Harness) -> None:
    h = harness
    await register(h, {**MA, "company": "昭通金苹果农业开发有限公司",
                       "uscc": "91530602MA6KU9G1H9"})
    await h.say("确认")  # person passes
    await h.say("修改1")
    await h.say(MENGZI["company"])
    await h.say("修改2")
    summary = await h.say(MENGZI["uscc"])
    assert "①企业名称：蒙自石榴红农产品有限公司" in summary
    refused = await h.say("确认")
    assert "工商四要素校验不一致" in refused and "数字1和字母I" in refused
    assert "回复「认证」继续" not in refused  # already here: the hint is dropped
    assert "③法定代表人姓名：马文斌" in refused  # kept
    await h.walk("修改1", "昭通金苹果农业开发有限公司", "修改2")
    await h.say("91530602MA6KU9G1H9")
    assert "认证授权 3/3" in await h.say("确认")


async def test_restart_and_idle_mid_certification(harness: Harness) -> None:
    h = harness
    await register(h)
    await h.say("确认")
    await h.restart()
    assert "企业要素认证通过" in await h.say("确认")
    await h.say("无")
    h.clock.advance(minutes=31)
    offer = await h.say("无")
    assert "上次的「签署授权书」还没完成（已填1项）" in offer
    resumed = await h.say("1")
    assert "继续「签署授权书」" in resumed and "请输入电费户号" in resumed
    await h.walk("无", "无")
    assert "认证授权全部完成" in await h.say("同意")


async def test_certify_word_mid_step_keeps_what_was_typed(harness: Harness) -> None:
    h = harness
    await register(h)
    await h.walk("确认", "修改1", "云南贸易有限责任公司")
    back = await h.say("认证")  # at the summary: shown again
    assert "好的，我们接着来" in back and "①企业名称：云南贸易有限责任公司" in back
    await h.say("修改1")
    back = await h.say("认证授权")  # at a question: put aside, then carried on at once
    assert "继续「企业要素认证」" in back and "当前：云南贸易有限责任公司" in back


async def test_edit_person_and_enterprise_later(harness: Harness) -> None:
    h = harness
    await register(h)
    await certify_all(h)
    edit = await h.say("修改个人认证")
    assert "【修改个人认证】" in edit and "②本人姓名：周露" in edit
    assert "个人认证信息已更新" in await h.say("确认")
    edit = await h.say("修改企业认证")
    assert "【修改企业认证】" in edit and "②统一社会信用代码：91530121MA6P1RDX22" in edit
    updated = await h.say("确认")
    assert "企业认证信息已更新：云南贸易有限公司（玉溪市红塔区）" in updated
    assert "签署授权书" not in updated  # nothing else is missing
    info = await h.say("我的信息")
    assert "个人认证：已通过" in info and "532***********0024" in info
    assert ZHOU["id"] not in info and ZHOU["phone"] not in info
