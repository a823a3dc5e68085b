"""Platform callbacks are checked before anything is pushed (issue 12): the fields and
their bounds, and the move against the demand's lifecycle as the bot has been told it.
Every refusal goes through the real endpoint with a valid signature, answers a 4xx with
the reason as JSON, and leaves no event and no push behind."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from adapters.platform_local.models import PlatformEventRow
from bot.platform_event_rules import Refused, read_event
from tests.push_support import FAST, TEMPLATES, event_body, post_event, rows, subscribe
from tests.support import Harness, eventually

MakeHarness = Callable[..., Awaitable[Harness]]
NO = "RZ20261127000001"
ID_NUMBER = "532501199201270024"


def body(event: str = "credit", **demand: Any) -> bytes:
    data = json.loads(event_body(["o_a"], event=event))
    data["demand"].update(demand)
    data["demand"] = {k: v for k, v in data["demand"].items() if v is not OMIT}
    return json.dumps(data, ensure_ascii=False).encode()


OMIT = object()


async def events(h: Harness) -> int:
    async with h.runtime.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(PlatformEventRow)) or 0)


async def refused(h: Harness, raw: bytes) -> tuple[int, str, str]:
    """Post a signed callback that must change nothing; its (status, code, message)."""
    before_events, before_rows = await events(h), len(await rows(h))
    status, text = await post_event(h, raw)
    answer = json.loads(text)
    assert answer["ok"] is False
    assert await events(h) == before_events and len(await rows(h)) == before_rows
    return status, answer["error"]["code"], answer["error"]["message"]


async def accepted(h: Harness, raw: bytes) -> None:
    status, text = await post_event(h, raw)
    assert status == 200, text


@pytest.fixture
async def h(make_harness: MakeHarness) -> Harness:
    return await make_harness(**{**FAST, **TEMPLATES})


@pytest.mark.parametrize(("raw", "code"), [
    (body(amount="-20万元"), "invalid_amount"),
    (body(amount="0"), "invalid_amount"),
    (body(amount="二十万块钱左右"), "invalid_amount"),
    (body(amount="9" * 20), "invalid_amount"),
    (body(amount=200000), "invalid_amount"),
    (body(event="reject", reason="资料不全。" * 1000), "invalid_reason"),
    (body(event="reject", reason="原" * 201), "invalid_reason"),
    (body(event="reject", reason=["资料不全"]), "invalid_reason"),
    (body(institution=OMIT), "invalid_institution"),
    (body(institution="\u200b "), "invalid_institution"),
    (body(institution="银" * 81), "invalid_institution"),
    (body(no="RZ1"), "invalid_no"),
    (body(no="20261127000001"), "invalid_no"),
    (body(time="tomorrow"), "invalid_time"),
    (body(status="待放款待放款待放款"), "invalid_status"),
])
async def test_malformed_fields_are_400(h: Harness, raw: bytes, code: str) -> None:
    status, got, message = await refused(h, raw)
    assert (status, got) == (400, code) and message


async def test_moves_the_lifecycle_forbids_are_422(h: Harness) -> None:
    await subscribe(h, "o_a")
    status, code, message = await refused(h, body(event="disburse"))  # before any grant
    assert (status, code) == (422, "illegal_move") and "不能放款" in message
    assert await refused(h, body(status="已放款")) == (
        422, "status_mismatch", "event credit leaves a demand 待放款, not 已放款")
    assert (await refused(h, body(amount=OMIT)))[:2] == (422, "amount_required")
    assert (await refused(h, body(event="reject", reason=" ")))[:2] == (422, "reason_required")
    await accepted(h, body(amount="20万元"))  # 授信 20万 by 富滇银行
    code_msg = await refused(h, body())  # a second grant, under another event id
    assert code_msg[:2] == (422, "illegal_move") and "当前状态为待放款，不能授信" in code_msg[2]
    too_much = await refused(h, body(event="disburse", amount="200001"))
    assert too_much[:2] == (422, "amount_too_high") and "超过授信金额20万元" in too_much[2]
    other = await refused(h, body(event="disburse", institution="工商银行"))
    assert other[:2] == (422, "not_handler") and "已由富滇银行受理" in other[2]
    await accepted(h, body(event="disburse", amount="15万元"))
    late = await refused(h, body(event="reject", reason="资料不全"))
    assert late[:2] == (422, "illegal_move") and "当前状态为已放款，不能退回" in late[2]
    await eventually(lambda: len(h.fake.sent(kind="template")) == 2)
    sent = [r.payload["data"]["amount"]["value"] for r in h.fake.sent(kind="template")]
    assert sent == ["20万元", "15万元"]


async def test_disburse_defaults_to_the_granted_amount(h: Harness) -> None:
    await accepted(h, body(amount="200000.00"))
    await accepted(h, body(event="disburse", amount=OMIT))
    payloads = [json.loads(r.payload) for r in await rows(h)]
    assert [p["amount"] for p in payloads] == ["20万元", None]


@pytest.mark.parametrize("reason", [
    f"法人身份证{ID_NUMBER}与登记不符",
    "法人身份证5325\u200b0119\u200b9201\u200b2700\u200b24与登记不符",
    "法人身份证 5325 0119 9201 2700 24 与登记不符，请联系 159-1151-1931",
])
async def test_a_reason_is_pushed_and_stored_masked(h: Harness, reason: str) -> None:
    await subscribe(h, "o_a")
    await accepted(h, body(event="reject", reason=reason))
    record = (await eventually(lambda: h.fake.sent(kind="template")))[0].payload
    # Whatever keyword the template gives the reason (the dev shorthand: remark).
    shown = next(v["value"] for v in record["data"].values() if "法人身份证" in v["value"])
    assert shown.startswith("法人身份证") and "*" in shown and "\u200b" not in shown
    (row,) = await rows(h)
    async with h.runtime.sessions() as s:
        kept = (await s.scalars(select(PlatformEventRow))).one().body
    for text in (shown, row.payload, kept, json.dumps(record, ensure_ascii=False)):
        digits = "".join(ch for ch in text if ch.isdecimal())
        assert ID_NUMBER not in digits and "15911511931" not in digits
        assert "0119" not in text and "1151" not in text


async def test_limits_are_inclusive(h: Harness) -> None:
    await accepted(h, body(event="reject", reason="原" * 200, institution="银" * 80,
                           no="RZ20261127000009"))
    (row,) = await rows(h)
    assert json.loads(row.payload)["reason"] == "原" * 200


_ANY = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                 st.text(max_size=300), st.lists(st.text(max_size=5), max_size=3))


@settings(max_examples=300, deadline=None)
@given(event=st.sampled_from(["credit", "disburse", "reject"]),
       demand=st.fixed_dictionaries({}, optional={
           "no": st.one_of(_ANY, st.from_regex(r"RZ\d{14}", fullmatch=True)),
           "status": st.one_of(_ANY, st.sampled_from(["待放款", "已放款", "已退回"])),
           "amount": st.one_of(_ANY, st.from_regex(r"-?\d{1,16}(\.\d{1,3})?(万|亿)?元?",
                                                   fullmatch=True)),
           "institution": _ANY, "enterprise": _ANY, "time": _ANY, "reason": _ANY}))
def test_any_demand_fields_are_read_or_refused(event: str, demand: dict[str, Any]) -> None:
    """Whatever a signed body carries, reading it ends in an event or a 4xx, and a read
    event has every bound the push relies on."""
    data = {"event_id": "e1", "timestamp": 1, "event": event, "recipients": ["o_a"],
            "demand": demand}
    try:
        read = read_event(data)
    except Refused as no:
        assert no.status in (400, 422) and no.code and no.message
        return
    assert read.amount is None or 0 < read.amount <= Decimal(10) ** 12
    assert len(read.reason) <= 200 and len(read.institution) <= 80
    assert json.dumps(read.stored(), ensure_ascii=False)
