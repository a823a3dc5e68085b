"""Status pushes: callbacks, template and fallback, retries, token refresh, restarts."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import pytest

from devtools.sim import event_xml
from ops.cli import main as cli
from tests.demand_support import OTHER_ENTERPRISE, DemandEnv
from tests.factories import YUNNAN_TRADE, add_enterprise
from tests.push_support import (
    ENTERPRISE,
    FAST,
    OMIT,
    TEMPLATES,
    event_body,
    post_event,
    rows,
    sent_to,
    subscribe,
)
from tests.support import Harness, eventually

MakeHarness = Callable[..., Awaitable[Harness]]


async def pushes(make_harness: MakeHarness, **kw: object) -> Harness:
    return await make_harness(**{**FAST, **TEMPLATES, **kw})


async def test_callback_pushes_once_per_recipient_by_template(make_harness: MakeHarness) -> None:
    h = await pushes(make_harness)
    await subscribe(h, "o_a", "o_b")
    body = event_body(["o_a", "o_b", "o_a"])
    assert (await post_event(h, body))[0] == 200
    await eventually(lambda: len(sent_to(h)) == 2)
    assert sent_to(h) == ["o_a", "o_b"]
    record = h.fake.sent(kind="template")[0].payload
    assert record["template_id"] == "TPL_CREDIT"
    assert record["data"]["demand_no"]["value"] == "RZ20261127000001"
    assert record["data"]["amount"]["value"] == "20万元"
    assert record["data"]["enterprise"]["value"] == ENTERPRISE
    # The platform retries its callback: same event id, nothing new.
    status, text = await post_event(h, body)
    assert status == 200 and '"duplicate": true' in text
    await h.say("联系我们", openid="o_c")  # some unrelated traffic
    assert len(await rows(h)) == 2 and sent_to(h) == ["o_a", "o_b"]


@pytest.mark.parametrize("case", ["signature", "stale", "garbage", "wrong-event", "huge",
                                  "enterprise-number", "enterprise-long"])
async def test_callback_refusals_queue_nothing(make_harness: MakeHarness, case: str) -> None:
    h = await pushes(make_harness)
    body = event_body(["o_a"])
    signature = None
    expected = 400
    if case == "enterprise-number":
        body = event_body(["o_a"], enterprise=91530121)
    elif case == "enterprise-long":
        body = event_body(["o_a"], enterprise="云" * 101)
    elif case == "signature":
        signature, expected = "sha256=" + "0" * 64, 401
    elif case == "stale":
        body, expected = event_body(["o_a"], timestamp=int(time.time()) - 600), 401
    elif case == "garbage":
        body = b"{not json"
    elif case == "wrong-event":
        body = body.replace(b'"credit"', b'"surprise"')
    elif case == "huge":
        body = b" " * 70_000 + body
    assert (await post_event(h, body, signature))[0] == expected
    assert await rows(h) == []


async def test_no_template_falls_back_to_customer_message_in_window(
        make_harness: MakeHarness) -> None:
    h = await pushes(make_harness, template_credit=None)
    await h.say("联系我们", openid="o_recent")  # opens the 48-hour window
    await post_event(h, event_body(["o_recent", "o_silent"]))
    sent = await eventually(lambda: h.fake.sent(kind="custom", touser="o_recent"))
    lines = sent[0].payload["text"]["content"].split("\n")
    assert lines[:3] == ["【您的融资需求已获授信】", f"企业：{ENTERPRISE}",
                         "单据号：RZ20261127000001"]
    assert lines[-1] == "回复单据号或「查进度」查看详情"
    # Never wrote to us: no template, no window. Kept (pending) for when either opens.
    silent = await eventually(lambda: _kept(h, "o_silent"))
    assert silent.attempts == 0 and h.fake.sent(kind="custom", touser="o_silent") == []


async def test_callback_enterprise_is_optional_and_cut_only_in_the_template(
        make_harness: MakeHarness) -> None:
    h = await pushes(make_harness, template_credit=None)
    await h.say("联系我们", openid="o_a")  # opens the 48-hour window for the text
    await subscribe(h, "o_b")
    await post_event(h, event_body(["o_a"], enterprise=OMIT))  # an older platform
    text = (await eventually(lambda: h.fake.sent(kind="custom")))[0].payload["text"]["content"]
    assert "企业" not in text and text.split("\n")[1] == "单据号：RZ20261127000001"
    longest = "云南" + "贸" * 94 + "有限公司"
    assert len(longest) == 100
    assert (await post_event(h, event_body(["o_b"], event="disburse",
                                           enterprise=longest)))[0] == 200
    # Another demand (a second 放款 of the first would be refused as an illegal move).
    await post_event(h, event_body(["o_a"], event="reject", no="RZ20261127000002",
                                   enterprise=None))
    await eventually(lambda: sent_to(h) == ["o_a", "o_b"])
    by_user = {r.touser: r.payload["data"] for r in h.fake.sent(kind="template")}
    assert by_user["o_b"]["enterprise"]["value"] == longest[:20]
    assert "enterprise" not in by_user["o_a"]


async def test_local_moves_push_the_demands_enterprise_not_the_active_one(
        make_harness: MakeHarness) -> None:
    """One WeChat user bound to two enterprises learns which one the push is about."""
    h = await pushes(make_harness, template_credit=None, rate_limit_per_minute=1000)
    env = DemandEnv(h, "local", None)
    seeded = await env.seed()
    no = await env.publish()  # for 云南贸易有限公司; the dialog opens the 48-hour window
    other = await add_enterprise(h.runtime, seeded.account_id, OTHER_ENTERPRISE)
    await h.runtime.ports.platform.switch_enterprise(h.openid, other)
    await env.advance(no, "follow")
    await env.advance(no, "grant", amount="150000")  # no credit template: the plain text
    sent = await eventually(lambda: h.fake.sent(kind="custom", touser=h.openid))
    lines = sent[0].payload["text"]["content"].split("\n")
    assert lines[:2] == ["【您的融资需求已获授信】", f"企业：{YUNNAN_TRADE['name']}"]
    assert f"单据号：{no}" in lines and lines[-1] == "回复单据号或「查进度」查看详情"
    await env.advance(no, "disburse")
    record = (await eventually(lambda: h.fake.sent(kind="template")))[0].payload
    assert record["template_id"] == "TPL_DISBURSE"
    assert record["data"]["enterprise"]["value"] == YUNNAN_TRADE["name"]
    assert record["data"]["demand_no"]["value"] == no


async def _kept(h: Harness, openid: str) -> object:
    row = next(r for r in await rows(h) if r.openid == openid)
    waiting = row.status == "pending" and "窗口" in (row.last_error or "")
    return row if waiting else None


async def test_wechat_down_then_back_delivers_once_late(make_harness: MakeHarness) -> None:
    h = await pushes(make_harness)
    await subscribe(h, "o_a")
    h.fake.add_fault("message/template/send", http_status=500, count=2)
    h.fake.add_fault("message/template/send", errcode=-1, count=1)
    h.fake.add_fault("message/template/send", errcode=45009, count=1)
    await post_event(h, event_body(["o_a"]))
    await eventually(lambda: sent_to(h) == ["o_a"], within=10)
    # The outcome is written a few milliseconds after WeChat accepted the message.
    row = await eventually(lambda: _status(h, "sent"))
    assert row.attempts == 5
    assert sent_to(h) == ["o_a"]


async def test_retries_end_dead_and_can_be_requeued(make_harness: MakeHarness) -> None:
    h = await pushes(make_harness, push_max_attempts=3)
    await subscribe(h, "o_a")
    h.fake.add_fault("message/template/send", errcode=-1, count=3)
    await post_event(h, event_body(["o_a"]))
    row = await eventually(lambda: _status(h, "dead"), within=10)
    assert row.attempts == 3 and "-1" in (row.last_error or "")
    assert await cli.outbox(h.settings, _Args(retry=row.id)) == 0
    await eventually(lambda: sent_to(h) == ["o_a"], within=10)


async def _status(h: Harness, status: str) -> object:
    found = [r for r in await rows(h) if r.status == status]
    return found[0] if found else None


class _Args:
    def __init__(self, retry: int | None = None, status: str | None = None) -> None:
        self.retry, self.status, self.limit = retry, status, 30


async def test_token_expired_mid_run_is_refreshed_once(make_harness: MakeHarness) -> None:
    h = await pushes(make_harness)
    await subscribe(h, "o_a", "o_b")
    await post_event(h, event_body(["o_a"]))
    await eventually(lambda: sent_to(h) == ["o_a"])
    fetched = h.fake.token_fetches
    h.fake.expire_tokens(42001)
    await post_event(h, event_body(["o_b"], event="disburse"))
    await eventually(lambda: sent_to(h) == ["o_a", "o_b"])
    assert h.fake.token_fetches == fetched + 1


async def test_unsubscribed_user_is_ended_not_retried(make_harness: MakeHarness) -> None:
    h = await pushes(make_harness)
    await subscribe(h, "o_gone")
    await h.sim.event("o_gone", "unsubscribe")
    await post_event(h, event_body(["o_gone"], event="reject"))
    row = await eventually(lambda: _status(h, "ended"))
    assert "43004" in (row.last_error or "") and row.attempts == 1
    assert sent_to(h) == []
    # Following again means future pushes arrive.
    await h.sim.event("o_gone", "subscribe", create_time=int(time.time()) + 5)
    await post_event(h, event_body(["o_gone"], event="reject", no="RZ20261127000002"))
    await eventually(lambda: sent_to(h) == ["o_gone"])


async def test_wechat_says_unsubscribed_ends_the_row(make_harness: MakeHarness) -> None:
    h = await pushes(make_harness)
    await subscribe(h, "o_a")
    h.fake.set_user("o_a", subscribed=False)
    await post_event(h, event_body(["o_a"]))
    row = await eventually(lambda: _status(h, "ended"))
    assert "43004" in (row.last_error or "")


async def test_template_job_results(make_harness: MakeHarness) -> None:
    h = await pushes(make_harness)
    await subscribe(h, "o_a", "o_b")
    await post_event(h, event_body(["o_a", "o_b"]))
    await eventually(lambda: len(sent_to(h)) == 2)
    await eventually(lambda: _all(h, "sent"))  # msgids recorded before WeChat reports back
    by_user = {r.touser: r for r in h.fake.sent(kind="template")}
    for openid, status in (("o_a", "failed:user block"), ("o_b", "failed: system failed")):
        xml = event_xml(openid, "TEMPLATESENDJOBFINISH",
                        extra=f"<MsgID>{by_user[openid].result['msgid']}</MsgID>"
                              f"<Status><![CDATA[{status}]]></Status>")
        assert (await h.sim.post(xml)).status == 200
    await eventually(lambda: len(sent_to(h)) == 3)  # o_b once more, o_a not
    await eventually(lambda: _states(h, {"o_a": "ended", "o_b": "sent"}))


async def test_restart_between_status_change_and_send(make_harness: MakeHarness) -> None:
    h = await pushes(make_harness, background=False)
    await subscribe(h, "o_a")
    await post_event(h, event_body(["o_a"]))
    assert [r.status for r in await rows(h)] == ["pending"]
    h.options["background"] = True
    await h.restart()
    await eventually(lambda: sent_to(h) == ["o_a"])
    await eventually(lambda: _all(h, "sent"))
    assert sent_to(h) == ["o_a"]


async def _all(h: Harness, status: str) -> bool:
    found = await rows(h)
    return bool(found) and all(r.status == status for r in found)


async def _states(h: Harness, expected: dict[str, str]) -> bool:
    return {r.openid: r.status for r in await rows(h)} == expected
