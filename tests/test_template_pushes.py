"""Template pushes end to end through the strict fake WeChat API, and `templates check`."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any

import pytest

from bot.templates import EXAMPLE
from devtools.chat import _render_record
from ops.cli import templates as cli_templates
from tests.push_support import FAST, event_body, post_event, rows, subscribe
from tests.support import Harness, eventually

MakeHarness = Callable[..., Awaitable[Harness]]
DETAIL = "https://rxf.example/demand"


async def typed(make_harness: MakeHarness, **kw: object) -> Harness:
    return await make_harness(**{**FAST, "templates": str(EXAMPLE), **kw})


def _body(recipients: list[str], event: str = "credit", **demand: Any) -> bytes:
    body = json.loads(event_body(recipients, event=event))
    body["demand"].update(demand)
    return json.dumps(body, ensure_ascii=False).encode()


async def test_a_push_fills_the_templates_typed_keywords(make_harness: MakeHarness) -> None:
    h = await typed(make_harness, detail_url=DETAIL)
    await subscribe(h, "o_a")
    assert (await post_event(h, event_body(["o_a"])))[0] == 200
    record = (await eventually(lambda: h.fake.sent(kind="template")))[0]
    assert record.payload["template_id"] == "rxf-example-credit"
    assert {k: v["value"] for k, v in record.payload["data"].items()} == {
        "character_string1": "RZ20261127000001", "thing2": "云南贸易有限公司",
        "amount3": "200000.00元", "phrase4": "待放款", "time5": "2026-11-27 10:15",
        "thing6": "富滇银行"}
    # Every keyword of the template is filled, and nothing is sent that WeChat would drop.
    assert record.result["ignored"] == [] and record.result["empty"] == []
    row = await eventually(lambda: _sent_row(h))
    assert record.payload["client_msg_id"] == f"rxf-outbox-{row.id}"
    assert record.payload["url"] == f"{DETAIL}?no=RZ20261127000001"
    shown = _render_record(asdict(record))  # what `python -m bot chat` prints
    assert "模板消息「您的融资需求已获授信」 rxf-example-credit" in shown
    assert "单据号 character_string1: RZ20261127000001" in shown
    assert "金额 amount3: 200000.00元" in shown and f"详情链接：{DETAIL}" in shown


async def test_long_and_large_values_are_cut_to_fit(make_harness: MakeHarness) -> None:
    h = await typed(make_harness)
    await subscribe(h, "o_a", "o_b")
    enterprise = "云南" + "贸" * 30 + "有限公司"
    await post_event(h, _body(["o_a"], "credit", amount="1.5亿元", enterprise=enterprise))
    # Another demand: nothing may follow a grant's reject on the platform's lifecycle.
    await post_event(h, _body(["o_b"], "reject", no="RZ20261127000002",
                              reason="资料不全：" + "缺" * 40))
    await eventually(lambda: len(h.fake.sent(kind="template")) == 2)
    data = {r.touser: {k: v["value"] for k, v in r.payload["data"].items()}
            for r in h.fake.sent(kind="template")}
    assert data["o_a"]["amount3"] == "150000000元"
    assert data["o_a"]["thing2"] == enterprise[:19] + "…"
    assert data["o_b"]["thing4"] == ("资料不全：" + "缺" * 40)[:19] + "…"
    assert data["o_b"]["phrase3"] == "已退回"
    assert {r.status for r in await rows(h)} == {"sent"}


async def test_our_own_field_names_are_dropped_by_a_real_template(
        make_harness: MakeHarness) -> None:
    """What went wrong before: the shorthand's keys against a 类目模板 arrive as a notice
    with every field empty. The fake shows it, and `templates check` says so."""
    h = await make_harness(**FAST, template_credit="rxf-example-credit")
    await subscribe(h, "o_a")
    await post_event(h, event_body(["o_a"]))
    record = (await eventually(lambda: h.fake.sent(kind="template")))[0]
    assert "demand_no" in record.result["ignored"]
    assert "character_string1" in record.result["empty"]
    shown = _render_record(asdict(record)).splitlines()
    assert "   单据号 character_string1: （空）" in shown
    assert any(line.startswith("   模板里没有、微信不显示：") and "demand_no" in line
               for line in shown)


async def test_an_id_the_account_does_not_hold_falls_back_to_text(
        make_harness: MakeHarness) -> None:
    h = await typed(make_harness)
    assert h.fake.remove_template("rxf-example-credit")
    await h.say("联系我们", openid="o_a")  # opens the 48-hour window
    await post_event(h, event_body(["o_a"]))
    sent = await eventually(lambda: h.fake.sent(kind="custom", touser="o_a"))
    assert sent[-1].payload["text"]["content"].startswith("【您的融资需求已获授信】")
    assert h.fake.sent(kind="template") == []


async def test_a_resend_with_the_same_client_msg_id_is_one_message(
        make_harness: MakeHarness) -> None:
    h = await typed(make_harness)
    await subscribe(h, "o_a")
    data = {"character_string1": {"value": "RZ1"}}
    api = h.runtime.api
    first = await api.send_template("o_a", "rxf-example-credit", data,
                                    client_msg_id="rxf-outbox-9")
    again = await api.send_template("o_a", "rxf-example-credit", data,
                                    client_msg_id="rxf-outbox-9")
    other = await api.send_template("o_a", "rxf-example-credit", data,
                                    client_msg_id="rxf-outbox-10")
    assert first == again != other and len(h.fake.sent(kind="template")) == 2


async def test_templates_check_matches(make_harness: MakeHarness,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    h = await typed(make_harness)
    assert await cli_templates.check(h.settings) == 0
    out = capsys.readouterr().out
    assert "credit: template rxf-example-credit" in out and "all templates match" in out
    assert "ok        amount3 <- amount" in out and "MISMATCH" not in out


async def test_templates_check_reports_each_mismatch(make_harness: MakeHarness,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    h = await typed(make_harness)
    h.fake.remove_template("rxf-example-disburse")
    h.fake.add_template("rxf-example-credit", "授信通知",
                        "单据号：{{character_string1.DATA}}\n企业：{{thing3.DATA}}\n"
                        "金额：{{amount3.DATA}}\n状态：{{phrase4.DATA}}\n时间：{{time5.DATA}}\n"
                        "机构：{{thing6.DATA}}")
    assert await cli_templates.check(h.settings) == 1
    out = capsys.readouterr().out.splitlines()
    # The account keeps credit, reject and the ticket template of the example.
    assert "disburse: MISMATCH template rxf-example-disburse is not among the account's " \
           "3 templates" in out
    assert any(line.strip().startswith("MISMATCH  thing2 <- enterprise") for line in out)
    assert any(line.strip().startswith("MISMATCH  thing3: in the template but not filled")
               for line in out)
    assert out[-1] == "3 mismatch(es)"


async def test_templates_check_flags_the_shorthand_against_real_templates(
        make_harness: MakeHarness, capsys: pytest.CaptureFixture[str]) -> None:
    h = await make_harness(**FAST, template_credit="rxf-example-credit")
    assert await cli_templates.check(h.settings) == 1
    out = capsys.readouterr().out
    assert "MISMATCH  demand_no <- demand_no" in out and "dev shorthand" in out
    assert "disburse: no template configured" in out


async def _sent_row(h: Harness) -> Any:
    found = await rows(h)
    return found[0] if found and found[0].status == "sent" else None
