"""申请人工核验 (manual Q3) end to end: 马文斌 registers 蒙自石榴红 (whose legal
representative the demo registry still has as 陈志刚), the four-factor check refuses,
he asks for manual verification, sends the licence photo, gets a number; an operator
resolves it from the command line; he gets the reply and re-certifies with every field
filled in."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from ops.cli.parser import parser
from ops.cli.tickets import dispatch
from tests.accounts_support import MA, MENGZI, register
from tests.support import Harness, eventually
from tests.ticket_support import JPEG, send_picture, settled

NO = re.compile(r"GD\d{14}")


async def _cli(h: Harness, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = await dispatch(h.settings, parser().parse_args(["ticket", *argv]))
    assert code is not None
    return code, capsys.readouterr().out


async def test_q3_from_refusal_to_recertification(harness: Harness,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    h = harness
    refused = await register(h, {**MA, **MENGZI})
    assert "工商四要素校验不一致" in refused and "申请人工核验" in refused
    again = await h.say("确认")
    assert "仍然不一致（第2次核验）" in again and "数字1和字母I" not in again
    opened = await h.say("申请人工核验")
    assert "不用重新填" in opened and "1 已满4天" in opened
    wait = await h.say("2")
    assert "4天左右才同步" in wait
    await h.say("申请人工核验")
    assert "营业执照" in await h.say("1")
    assert "照片是必需的" in await h.say("好了")  # the licence is not optional
    assert "收到营业执照照片" in await send_picture(h, JPEG)
    assert "收到第1张截图" in await send_picture(h, JPEG)
    summary = await h.say("好了")
    assert "④法定代表人证件号：530***********013X" in summary and MA["id"] not in summary
    assert "⑤联系手机：186****3526" in summary and "营业执照照片：1张；截图：1张" in summary
    filed = await h.say("提交")
    assert "一般1–2个工作日" in filed
    no = NO.search(filed).group(0)  # type: ignore[union-attr]
    ticket = await settled(h, no)
    assert ticket.status == "待处理" and ticket.count("stored", role="licence") == 1
    assert ticket.details["check"]["failed"] == "legal_rep"
    assert ticket.details["legal_rep_id"] == MA["id"]  # kept whole, encrypted

    code, out = await _cli(h, capsys, "list")
    assert code == 0 and no in out and "人工核验" in out
    code, out = await _cli(h, capsys, "show", no)
    assert code == 0 and "530***********013X" in out and "不一致：法定代表人姓名" in out
    code, out = await _cli(h, capsys, "show", no, "--reveal", "--by", "张三")
    assert code == 0 and MA["id"] in out and MA["phone"] in out
    async with h.runtime.sessions() as s:
        line = (await s.execute(text("SELECT actor, action, detail, subject FROM audit_events"))
                ).one()
    assert line[:3] == ("operator:张三", "ticket_reveal", no) and h.openid not in line[3]
    code, out = await _cli(h, capsys, "resolve", no, "--reply", "已完成数据同步", "--by", "张三")
    assert code == 0 and "已解决" in out
    code, out = await _cli(h, capsys, "reject", no, "--reply", "x")
    assert code == 1 and "当前状态为已解决，不能驳回" in out

    told = await eventually(lambda: [r.payload["text"]["content"]
                                     for r in h.fake.sent("custom", h.openid)
                                     if no in r.payload["text"]["content"]])
    assert "已完成数据同步" in told[0] and "重新认证" in told[0]
    assert "已解决" in await h.say(no)
    reopened = await h.say("重新认证")
    assert "都已带入" in reopened and "④公司名称：蒙自石榴红农产品有限公司" in reopened
    done = await h.say("确认")
    assert "注册成功" in done


async def test_manual_verification_needs_a_refusal_first(harness: Harness) -> None:
    assert "请先回复「认证授权」" in await harness.say("申请人工核验")
    assert "没有找到工单GD20991231000001" in await harness.say("GD20991231000001")


async def test_q3_from_adding_an_enterprise(harness: Harness) -> None:
    h = harness
    await register(h, {**MA, "company": "昭通金苹果农业开发有限公司",
                       "uscc": "91530602MA6KU9G1H9"})
    await h.say("添加企业")
    await h.walk(MENGZI["company"], MENGZI["uscc"], MA["name"])
    summary = await h.say(MA["id"])
    assert "请核对企业信息" in summary
    assert "申请人工核验" in await h.say("确认")
    await h.walk("申请人工核验", "1")
    await send_picture(h, JPEG)
    confirm = await h.say("没有")
    assert "⑤联系手机：186****3526" in confirm  # the account's phone
    no = NO.search(await h.say("提交")).group(0)  # type: ignore[union-attr]
    assert "还在处理中" in await h.say("重新认证")
    desk = h.runtime.ports.tickets
    assert desk is not None
    await settled(h, no)
    from ops.actions.tickets import resolve_ticket

    await resolve_ticket(desk, no, reply="已同步", by="李四")
    reopened = await h.say("重新认证")
    assert "①企业名称：蒙自石榴红农产品有限公司" in reopened and "④法定代表人证件号" in reopened
    assert "已添加企业「蒙自石榴红农产品有限公司」" in await h.say("确认")
