"""发布融资需求 through the real webhook, on the local platform and on the http adapter
against the fake platform (each on SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from tests.demand_support import (  # noqa: F401  (env_fixture provides `env`)
    QUJING,
    WALK_DIRECTED,
    DemandEnv,
    MakeHarness,
    env_fixture,
)
from tests.factories import seed_enterprise
from tests.fake_platform import running_fake_platform
from tests.support import Harness


async def test_directed_demand_published_with_summary_and_number(env: DemandEnv) -> None:
    await env.seed()
    replies = await env.h.walk(*WALK_DIRECTED)
    assert "（1/6）请选择专区" in replies[0] and "8 脱贫人口小额信贷" in replies[0]
    assert "大写：贰拾万元整" in replies[2]
    assert "1 中国工商银行云南省分行" in replies[5] and "曲靖市商业银行" not in replies[5]
    summary = replies[-1]
    for shown in ("申请额度：200,000.00元（大写：贰拾万元整）", "贷款期限：12个月",
                  "需求类型：定向", "中国工商银行云南省分行、中国农业银行云南省分行",
                  "公司名称：云南贸易有限公司", "法人姓名：周露", "法人手机号：159****1931",
                  "统一社会信用代码：91530121MA6P1RDX22", "所属区域：玉溪市红塔区"):
        assert shown in summary, shown
    assert "15911511931" not in summary
    done = await env.h.say("提交")
    assert "提交成功" in done and "待关注" in done
    no = done.split("单据号：")[1].split("\n")[0]
    demand = await env.h.runtime.ports.platform.demand(env.h.openid, no)
    assert demand.status == "待关注" and demand.institutions == ("icbc_yn", "abc_yn")
    assert demand.records[0].node == "提交需求" and len(done.encode()) < 2000


async def test_open_demand_says_who_will_see_it(env: DemandEnv) -> None:
    await env.seed()
    replies = await env.h.walk("发布需求", "普通", "50万", "不限", "流动资金贷款", "非定向")
    assert "玉溪市红塔区的16家入驻金融机构都能看到" in replies[-1]
    summary = await env.h.say("支付货款")
    assert "需求类型：非定向" in summary and "指定金融机构" not in summary
    assert "贷款期限：不限" in summary
    assert "提交成功" in await env.h.say("提交")


async def test_uncertified_enterprise_is_told_what_is_missing(env: DemandEnv) -> None:
    await env.seed(certified=False, authorised=False)
    reply = await env.h.say("发布需求")
    assert "还差：企业要素认证、签署授权书" in reply
    assert "现在开始认证授权" in reply
    nobody = await env.h.say("我要贷款", openid="o_stranger")
    assert "先注册企业账号" in nobody


@pytest.mark.parametrize("typed, daxie", [
    ("200000", "贰拾万元整"), ("20万", "贰拾万元整"), ("二十万元", "贰拾万元整"),
    ("0.5亿", "伍仟万元整"), ("２０００００", "贰拾万元整"), ("100000000", "壹亿元整"),
    ("1005.3", "壹仟零伍元叁角"), ("10010", "壹万零壹拾元整"), ("0.01", "壹分"),
    ("1,005.30元", "壹仟零伍元叁角"), ("107000.53", "壹拾万柒仟元零伍角叁分"),
])
async def test_amount_formats_and_daxie(harness_local: Harness, typed: str, daxie: str) -> None:
    h = harness_local
    await h.walk("发布需求", "1")
    reply = await h.say(typed)
    assert f"大写：{daxie}）" in reply and "贷款期限" in reply, reply


async def test_amount_refusals_repeat_the_question(env: DemandEnv) -> None:
    await env.seed()
    await env.h.walk("发布需求", "1")
    for typed, reason in (("2亿", "普通专区最高可申请1亿元，您填的是2亿元"),
                          ("0", "申请额度要大于0"), ("很多钱", "没看懂这个金额"),
                          ("1.001", "最多精确到分")):
        reply = await env.h.say(typed)
        assert reason in reply and "请输入申请额度" in reply, reply
    await env.h.say("上一步")
    await env.h.say("脱贫人口小额信贷")
    reply = await env.h.say("10万")
    assert "脱贫人口小额信贷专区最高可申请5万元" in reply


async def test_zone_changed_to_a_lower_limit_sends_back_to_the_amount(env: DemandEnv) -> None:
    await env.seed()
    await env.h.walk(*WALK_DIRECTED)
    await env.h.say("修改1")
    refused = await env.h.say("8")  # the zone's limit is checked as soon as it is chosen
    assert "脱贫人口小额信贷专区单笔最高5万元，之前的申请额度20万元超过了" in refused
    assert "请输入申请额度" in refused
    summary = await env.h.say("5万")
    assert "伍万元整" in summary and "请核对您的融资需求" in summary
    assert "提交成功" in await env.h.say("提交")


async def test_institution_choice_refusals(env: DemandEnv) -> None:
    await env.seed()
    await env.h.walk(*WALK_DIRECTED[:6])
    four = await env.h.say("1 2 3 4")
    assert "请选择1到3项，您选了4项" in four and "请选1到3家金融机构" in four
    twice = await env.h.say("2 2")
    assert "重复" in twice
    outside = await env.h.say("1 曲靖市商业银行")
    assert "「曲靖市商业银行」不在服务玉溪市红塔区的金融机构名单里" in outside
    # The 16-line list was just shown; a wrong answer re-asks without repeating it.
    assert "（选项见上一条，共16项）" in outside and "1 中国工商银行云南省分行" not in outside
    nicknames = await env.h.say("工行 农行 建行")
    assert "贷款用途" in nicknames
    summary = await env.h.say("采购原材料")
    assert "中国工商银行云南省分行、中国农业银行云南省分行、中国建设银行云南省分行" in summary


async def test_platform_refuses_an_institution_outside_the_region(env: DemandEnv) -> None:
    """Even if a client sends one, the platform refuses an institution that does not
    serve the enterprise's region (曲靖市商业银行 serves 曲靖 only)."""
    from decimal import Decimal

    from adapters.platform_port import DemandInput, PlatformError

    seeded = await env.seed()
    data = DemandInput(zone="general", amount=Decimal(200000), term_months=12,
                       loan_kind="working_capital", directed=True,
                       institutions=("qujing_ccb",), purpose="备货")
    with pytest.raises(PlatformError) as refused:
        await env.h.runtime.ports.platform.save_demand(
            env.h.openid, seeded.enterprise_id, data, submit=True, idem_key="k-outside")
    assert refused.value.code == "invalid_institutions"
    assert "曲靖市商业银行不服务您企业所在的玉溪市红塔区" in refused.value.message
    other = await env.seed("o_qujing", person={"name": "李建华", "id": "530102197503140317",
                                               "phone": "13888260417"}, enterprise=QUJING)
    ok = await env.h.runtime.ports.platform.save_demand(
        "o_qujing", other.enterprise_id, data, submit=True, idem_key="k-qujing")
    assert ok.status == "待关注"


async def test_draft_saved_then_resumed_and_submitted(env: DemandEnv) -> None:
    await env.seed()
    await env.h.walk(*WALK_DIRECTED)
    saved = await env.h.say("暂存")
    assert "已暂存为草稿" in saved
    no = saved.split("单据号：")[1][:16]
    listed = await env.h.say("草稿")
    assert no in listed and "草稿" in listed
    detail = await env.h.say("1")
    assert "状态：草稿" in detail and "回复1继续填写并提交" in detail
    resumed = await env.h.say("1")
    assert f"继续填写草稿 {no}" in resumed and "申请额度：200,000.00元" in resumed
    assert "中国工商银行云南省分行、中国农业银行云南省分行" in resumed
    edited = await env.h.say("修改2")
    assert "请输入申请额度" in edited
    assert "叁拾万元整" in await env.h.say("30万")
    done = await env.h.say("提交")
    assert f"单据号：{no}" in done and "30万元" in done
    demand = await env.h.runtime.ports.platform.demand(env.h.openid, no)
    assert demand.status == "待关注" and str(demand.amount) == "300000.00"


async def test_edit_cancel_and_nothing_lost_on_a_question(env: DemandEnv) -> None:
    await env.seed()
    await env.h.walk(*WALK_DIRECTED)
    changed = await env.h.say("修改 需求类型")
    assert "请选择需求类型" in changed
    summary = await env.h.walk("非定向", "不变")
    assert "需求类型：非定向" in summary[-1] and "贷款用途：采购原材料" in summary[-1]
    assert "已取消" in await env.h.say("取消")
    assert "（1/6）请选择专区" in await env.h.say("发布需求")


async def test_questions_mid_form_are_answered_and_the_field_asked_again(
        env: DemandEnv) -> None:
    await env.seed()
    await env.h.walk(*WALK_DIRECTED[:5])
    answer = await env.h.say("定向和非定向有什么区别？")
    assert "我们接着来" in answer and "请选择需求类型" in answer
    await env.h.walk("1", "1 2")
    asked = await env.h.say("怎么查审批进度")
    assert "请简要说明贷款用途" in asked and "贷款用途：怎么查审批进度" not in asked
    summary = await env.h.say("采购原材料")
    assert "贷款用途：采购原材料" in summary


async def test_browsing_in_between_never_pushes_out_a_form(env: DemandEnv) -> None:
    await env.seed()
    await env.h.walk(*WALK_DIRECTED[:4])
    aside = await env.h.say("金融产品")
    assert "「发布融资需求」已为您保存" in aside
    assert "已为您保存" not in await env.h.say("我的需求")  # a list is closed, not kept
    assert "已为您保存" not in await env.h.say("政策专区")
    back = await env.h.say("继续填写")
    assert "继续「发布融资需求」" in back and "请选择贷款种类" in back
    summary = (await env.h.walk(*WALK_DIRECTED[4:]))[-1]
    assert "申请额度：200,000.00元" in summary and "贷款期限：12个月" in summary


async def test_platform_down_keeps_everything_and_retry_submits(
        make_harness: MakeHarness, db: tuple[str, str | None], tmp_path: object) -> None:
    async with running_fake_platform(db[0], db[1], str(tmp_path)) as fake:
        h = await make_harness(rate_limit_per_minute=1000, platform="http",
                               platform_url=fake.url, platform_secret="s",
                               platform_timeout=1.0)
        await seed_enterprise(fake, h.openid)
        summary = (await h.walk(*WALK_DIRECTED))[-1]
        fake.down = True
        refused = await h.say("提交")
        assert "平台暂时无法访问" in refused and "请核对您的融资需求" in refused
        assert "中国农业银行云南省分行" in refused  # every value still there
        await fake.stop()  # now not even a connection
        assert "平台暂时无法访问" in await h.say("提交")
        fake.down = False
        await fake.start()
        done = await h.say("提交")
        assert "提交成功" in done, (summary, done)
        fake.down = True
        assert "平台暂时无法访问" in await h.say("发布需求")
        assert "平台暂时无法访问" in await h.say("我的需求")


@pytest.fixture
async def harness_local(make_harness: MakeHarness) -> Harness:
    h = await make_harness(rate_limit_per_minute=1000)
    await seed_enterprise(h.runtime, h.openid)
    return h
