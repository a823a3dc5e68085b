"""The one masking function where text is kept: the FAQ's unanswered log (written by a
real message through the webhook) and the JSON log lines, against the dodges that
got ID numbers and phones past it before (issue 12)."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import text

from bot import logs
from tests.support import Harness

ZWSP = "\u200b"
ID_NUMBER, PHONE = "532501199201270024", "15911511931"


@pytest.mark.parametrize("dodge", [
    f"159{ZWSP}1151{ZWSP}1931", "159 1151 1931", "159-1151-1931", "１５９１１５１１９３１",
    f"5325{ZWSP}0119{ZWSP}9201{ZWSP}2700{ZWSP}24", "5325 0119 9201 2700 24",
])
async def test_unanswered_log_keeps_no_dodged_number(harness: Harness, dodge: str) -> None:
    reply = await harness.say(f"明天昆明会下雨吗，我的号码{dodge}")
    assert "答不上来" in reply
    logged = [q for q, _, _ in await harness.runtime.faq_log.top()]
    assert len(logged) == 1 and "下雨" in logged[0] and "****" in logged[0]
    digits = "".join(ch for ch in logged[0] if ch.isdecimal())
    assert PHONE not in digits and ID_NUMBER[:12] not in digits and ZWSP not in logged[0]


def _line(msg: str, *args: object, **extra: object) -> dict[str, object]:
    record = logging.LogRecord("t", logging.WARNING, __file__, 1, msg, args, None)
    record.__dict__.update(extra)
    line: dict[str, object] = json.loads(logs.JsonFormatter().format(record))
    return line


def test_json_log_masks_message_arguments_and_extra_fields() -> None:
    line = _line("verify failed for %s (%s)", f"159{ZWSP}1151{ZWSP}1931",
                 "5325 0119 9201 2700 24", phone=15911511931,
                 payload={"reason": "身份证532501-19920127-0024", "to": ["159.1151.1931"]},
                 count=3, amount="200000.00")
    text = json.dumps(line, ensure_ascii=False)
    assert line["msg"] == "verify failed for 159****1931 (532* **** **** **00 24)"
    assert line["phone"] == "159****1931" and line["count"] == 3
    assert line["payload"] == {"reason": "身份证532***-********-0024",
                               "to": ["159.****.1931"]}
    assert line["amount"] == "200000.00"
    assert PHONE not in text and "1151" not in text and "0119" not in text


async def test_a_reply_echoing_typed_numbers_is_masked_when_sent_and_stored(
        harness: Harness) -> None:
    await harness.say("注册")
    reply = await harness.say(f"修改 159{ZWSP}1151{ZWSP}1931")
    assert "159****1931" in reply and PHONE not in reply and ZWSP not in reply
    async with harness.runtime.sessions() as session:
        stored = (await session.execute(text("SELECT replies FROM deliveries"))).scalars().all()
    assert any("159****1931" in r for r in stored) and not any(PHONE in r for r in stored)


async def test_a_number_pasted_with_invisible_characters_is_read_as_typed(
        harness: Harness) -> None:
    await harness.walk("注册", "同意")
    reply = await harness.say(f"159{ZWSP}1151{ZWSP}1931")
    assert "（3/8）" in reply, reply  # taken as the phone, not refused as malformed
