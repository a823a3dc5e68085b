"""The demand lifecycle: the machine's table and refusals, the moves on both adapters
(status, approval record and pushes in one transaction) and the operator CLI."""

from __future__ import annotations

from decimal import Decimal

import pytest

from adapters.platform_port import IllegalMove
from ops.cli.demands import dispatch
from ops.cli.parser import parser
from state_machines.demand import (
    ENTERPRISE,
    INSTITUTION,
    LIFECYCLE,
    RULES,
    STATES,
    Actor,
    DemandCase,
    MoveRefused,
)
from tests.demand_support import (  # noqa: F401  (env_fixture provides `env`)
    OTHER_PERSON,
    QUJING,
    WALK_OPEN,
    DemandEnv,
    env_fixture,
    http_env_fixture,
    local_env_fixture,
)
from tests.factories import YUNNAN_TRADE
from tests.support import eventually

BANK = Actor(INSTITUTION, "icbc_yn", "中国工商银行云南省分行", serves_region=True)
OTHER_BANK = Actor(INSTITUTION, "abc_yn", "中国农业银行云南省分行", serves_region=True)
FAR_BANK = Actor(INSTITUTION, "qujing_ccb", "曲靖市商业银行", serves_region=False)


def _refused(case: DemandCase, action: str, actor: Actor, **kw: object) -> str:
    before = case.state
    with pytest.raises(MoveRefused) as refused:
        LIFECYCLE.move(case, action, actor, **kw)  # type: ignore[arg-type]
    assert case.state == before
    return refused.value.message


def test_every_state_and_move_is_declared() -> None:
    assert set(STATES) == {"草稿", "待关注", "待授信", "待放款", "已放款", "已退回", "已撤回"}
    assert {a: r.push for a, r in RULES.items() if r.push} == {
        "grant": "credit", "disburse": "disburse", "reject": "reject"}
    assert LIFECYCLE.allowed_actions("待关注") == ("follow", "reject", "withdraw")
    assert LIFECYCLE.allowed_actions("已放款") == ()


def test_the_happy_path_and_what_each_move_leaves() -> None:
    case = DemandCase("草稿")
    assert LIFECYCLE.move(case, "submit", Actor(ENTERPRISE)).to_status == "待关注"
    assert LIFECYCLE.move(case, "follow", BANK).rule.next_node == "授信审批"
    assert case.taken_by == "icbc_yn"
    grant = LIFECYCLE.move(case, "grant", BANK, amount=Decimal(150000))
    assert grant.rule.push == "credit" and case.granted == Decimal(150000)
    disburse = LIFECYCLE.move(case, "disburse", BANK)
    assert disburse.amount == Decimal(150000) and case.state == "已放款"
    assert LIFECYCLE.model_count() == 0  # models are attached for one move only


def test_illegal_moves_are_refused_with_the_reason() -> None:
    loan = DemandCase("待放款", taken_by="icbc_yn", taken_by_name="中国工商银行云南省分行",
                      granted=Decimal(100000))
    assert _refused(loan, "follow", BANK) == "当前状态为待放款，不能关注"
    assert _refused(loan, "withdraw", Actor(ENTERPRISE)) == "当前状态为待放款，不能撤回"
    assert "已由中国工商银行云南省分行受理" in _refused(loan, "disburse", OTHER_BANK)
    too_much = _refused(loan, "disburse", BANK, amount=Decimal(200000))
    assert too_much == "放款金额20万元超过授信金额10万元"
    assert _refused(loan, "reject", BANK) == "退回需要填写原因"
    credit = DemandCase("待授信", taken_by="icbc_yn")
    assert _refused(credit, "grant", BANK) == "授信需要填写大于0的金额"
    assert _refused(DemandCase("待关注"), "follow", Actor(ENTERPRISE)) == "只有金融机构可以关注"
    assert _refused(DemandCase("待关注"), "withdraw", BANK) == "只有企业可以撤回"
    assert "不能放款" in _refused(DemandCase("已放款"), "disburse", BANK)
    assert "没有「approve」这个操作" in _refused(DemandCase("待关注"), "approve", BANK)


def test_who_may_follow() -> None:
    directed = DemandCase("待关注", directed=True, chosen=("abc_yn",))
    assert "不在企业选定的机构中" in _refused(directed, "follow", BANK)
    assert LIFECYCLE.move(directed, "follow", OTHER_BANK).to_status == "待授信"
    open_case = DemandCase("待关注")
    assert "曲靖市商业银行不服务该企业所在区域" in _refused(open_case, "follow", FAR_BANK)
    assert "不服务" in _refused(open_case, "reject", FAR_BANK, reason="不符合")
    assert LIFECYCLE.move(open_case, "follow", BANK).to_status == "待授信"


async def test_moves_write_records_and_push_every_bound_user(env: DemandEnv) -> None:
    seeded = await env.seed()
    await env.bind("o_colleague", seeded.enterprise_id, OTHER_PERSON)
    no = await env.publish()
    with pytest.raises(IllegalMove, match="当前状态为待关注，不能授信"):
        await env.advance(no, "grant", amount="200000")
    with pytest.raises(IllegalMove, match="不在企业选定的机构中"):
        await env.advance(no, "follow", "建设银行")
    followed = await env.advance(no, "follow", "icbc_yn", comment="已受理")
    assert followed.status == "待授信" and await env.pushes(no) == []
    with pytest.raises(IllegalMove, match="当前状态为待授信，不能关注"):
        await env.advance(no, "follow", "icbc_yn")
    granted = await env.advance(no, "grant", amount="150000", handler="王五")
    assert granted.status == "待放款" and granted.granted_amount == Decimal(150000)
    assert granted.current_handler == "王五（中国工商银行云南省分行）"
    pushes = await env.pushes(no)
    assert sorted(o for o, _ in pushes) == sorted([env.h.openid, "o_colleague"])
    payload = pushes[0][1]
    assert payload["event"] == "credit" and payload["demand_no"] == no
    assert payload["amount"] == "15万元" and payload["status"] == "待放款"
    assert payload["institution"] == "中国工商银行云南省分行"
    assert payload["enterprise"] == YUNNAN_TRADE["name"]
    assert len(payload["time"]) == 16 and payload["time"][4] == "-"
    done = await env.advance(no, "disburse")
    assert done.status == "已放款" and done.disbursed_amount == Decimal(150000)
    assert [p["event"] for _, p in await env.pushes(no)].count("disburse") == 2
    assert [r.node for r in done.records] == ["提交需求", "机构关注", "授信", "放款"]
    assert done.records[1].comment == "已受理" and done.records[2].handler == "王五"
    with pytest.raises(IllegalMove, match="当前状态为已放款，不能退回"):
        await env.advance(no, "reject", comment="x")


async def test_reject_pushes_the_reason_and_open_demands_follow_by_region(
        env: DemandEnv) -> None:
    await env.seed()
    no = await env.publish(WALK_OPEN)
    with pytest.raises(IllegalMove, match="曲靖市商业银行不服务该企业所在区域"):
        await env.advance(no, "follow", "qujing_ccb")
    with pytest.raises(IllegalMove, match="退回需要填写原因"):
        await env.advance(no, "reject", "yuxi_rcb")
    rejected = await env.advance(no, "reject", "玉溪农村商业银行", comment="经营年限不足")
    assert rejected.status == "已退回" and rejected.current_node == "已退回"
    (_, payload), = await env.pushes(no)
    assert payload["event"] == "reject" and payload["reason"] == "经营年限不足"
    assert payload["amount"] == "50万元"


async def test_http_mode_announces_pushes_to_the_bot(http_env: DemandEnv) -> None:
    """In http mode the platform calls POST /platform/events; the bot queues the push,
    naming the enterprise the platform named."""
    env = http_env
    import json

    from sqlalchemy import select

    from adapters.outbox import OutboxRow

    await env.seed()
    no = await env.publish()
    await env.advance(no, "follow")
    await env.advance(no, "grant", amount="200000")
    async with env.h.runtime.sessions() as session:
        rows = (await session.scalars(select(OutboxRow).where(OutboxRow.kind == "push"))).all()
    assert [r.openid for r in rows] == [env.h.openid]
    payload = json.loads(rows[0].payload)
    assert payload["demand_no"] == no and payload["enterprise"] == YUNNAN_TRADE["name"]
    # No template is configured here: the user, inside the 48-hour window, gets the text.
    sent = await eventually(lambda: env.h.fake.sent(kind="custom", touser=env.h.openid))
    lines = sent[0].payload["text"]["content"].split("\n")
    assert lines[1] == f"企业：{YUNNAN_TRADE['name']}" and f"单据号：{no}" in lines


async def test_cli_advance_list_and_show(local_env: DemandEnv,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    env = local_env
    await env.seed()
    other = await env.seed("o_qujing", person={"name": "李建华", "id": "530102197503140317",
                                               "phone": "13888260417"}, enterprise=QUJING)
    assert other.enterprise_id
    no = await env.publish()

    async def run(*argv: str) -> tuple[int | None, str]:
        code = await dispatch(env.h.settings, parser().parse_args(["demand", *argv]))
        return code, capsys.readouterr().out

    code, out = await run("advance", no, "--action", "grant", "--institution", "icbc_yn",
                          "--amount", "20万")
    assert code == 1 and "当前状态为待关注，不能授信" in out
    code, out = await run("advance", no, "--action", "follow", "--institution", "工商银行")
    assert code == 0 and f"{no}：待关注 -> 待授信" in out
    code, out = await run("advance", no, "--action", "grant", "--institution", "icbc_yn")
    assert code == 1 and "--amount" in out
    code, out = await run("advance", no, "--action", "grant", "--institution", "icbc_yn",
                          "--amount", "20万", "--handler", "张三")
    assert code == 0 and "待授信 -> 待放款" in out and "已排队通知" in out
    code, out = await run("advance", no, "--action", "follow", "--institution", "银行")
    assert code == 1 and "对应多家机构" in out
    code, out = await run("advance", "RZ000000000000", "--action", "follow",
                          "--institution", "icbc_yn")
    assert code == 1 and "没有单据号为RZ000000000000的需求" in out
    code, out = await run("list")
    assert code == 0 and no in out and "待放款" in out
    code, out = await run("show", no)
    assert code == 0 and "授信" in out and "张三" in out
    assert await dispatch(env.h.settings, parser().parse_args(["outbox"])) is None


async def test_concurrent_submits_get_distinct_numbers(env: DemandEnv) -> None:
    import asyncio

    from adapters.platform_port import DemandInput

    seeded = await env.seed()
    data = DemandInput(zone="general", amount=Decimal(100000), term_months=None,
                       loan_kind="working_capital", directed=False, institutions=(),
                       purpose="备货")
    platform = env.h.runtime.ports.platform
    saved = await asyncio.gather(*(
        platform.save_demand(env.h.openid, seeded.enterprise_id, data, submit=True,
                             idem_key=f"k-{i}") for i in range(6)))
    numbers = sorted(d.no for d in saved)
    assert len(set(numbers)) == 6 and numbers[0].endswith("0001")
    assert numbers[-1].endswith("0006")


async def test_a_moves_comment_is_bounded_and_masked_wherever_it_goes(env: DemandEnv) -> None:
    """An institution's reason is stored in the approval record and pushed: an ID number
    in it, however typed, is masked in both; an essay is refused and changes nothing."""
    import json

    from sqlalchemy import select

    from adapters.outbox import OutboxRow
    from adapters.platform_port import PlatformError

    await env.seed()
    no = await env.publish()
    with pytest.raises(PlatformError, match="最多200个字，现在是201个字"):
        await env.advance(no, "reject", comment="原" * 201)
    assert (await env.h.runtime.ports.platform.demand(env.h.openid, no)).status == "待关注"
    reason = "法人身份证5325\u200b0119 9201 2700 24与登记不符，电话159-1151-1931"
    masked = "法人身份证532***** **** **00 24与登记不符，电话159-****-1931"
    rejected = await env.advance(no, "reject", comment=reason, handler="李经理\u200b")
    assert rejected.records[-1].comment == masked
    assert rejected.records[-1].handler == "李经理"
    # The bot's own push row: queued by the local platform, or by the http callback.
    async with env.h.runtime.sessions() as session:
        pushed = (await session.scalars(select(OutboxRow).where(OutboxRow.kind == "push"))).all()
    assert [json.loads(r.payload)["reason"] for r in pushed] == [masked]


async def test_cli_refuses_a_long_comment_and_masks_one(local_env: DemandEnv,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    env = local_env
    await env.seed()
    no = await env.publish()

    async def run(*argv: str) -> tuple[int | None, str]:
        code = await dispatch(env.h.settings, parser().parse_args(["demand", *argv]))
        return code, capsys.readouterr().out

    code, out = await run("advance", no, "--action", "reject", "--institution", "icbc_yn",
                          "--comment", "资料不全" * 60)
    assert code == 1 and "拒绝：意见（退回原因）最多200个字" in out
    code, out = await run("advance", no, "--action", "reject", "--institution", "icbc_yn",
                          "--comment", "联系人手机 159 1151 1931")
    assert code == 0
    code, out = await run("show", no)
    assert "联系人手机 159 **** 1931" in out and "1151" not in out
