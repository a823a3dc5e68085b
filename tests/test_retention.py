"""Every table's retention (README, "Retention"): housekeeping purges a row once it is
older than its table's period, and not a minute before; the periods come from the
RXF_*_RETENTION_DAYS settings. (Pending pushes are never purged: test_housekeeping.)"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert

from adapters.audit import AuditEvent
from adapters.outbox import OutboxItem, OutboxRow, outbox_values
from adapters.platform_local.accounts import KEEP_LOGINS
from adapters.platform_local.models import (
    ConsentRow,
    PlatformEventRow,
    SmsCodeRow,
    SmsMessageRow,
    WebLoginRow,
)
from adapters.sms import KEEP_MESSAGES
from bot.housekeeping import Retention, purge
from bot.models import (
    Conversation,
    Delivery,
    FollowerSource,
    SeenRequest,
    UnansweredQuestion,
)
from config.settings import load_settings

MINUTE = timedelta(minutes=1)


def _rows(t0: datetime) -> dict[str, tuple[Any, dict[str, Any]]]:
    sent = outbox_values(OutboxItem("o_a", "text", {"content": "x"}, dedupe_key="s"), t0)
    return {
        "deliveries": (Delivery, {"key": "m:o_a:1", "openid": "o_a", "replies": "[]",
                                  "created_at": t0}),
        "conversations": (Conversation, {"openid": "o_a", "data": "", "version": 1,
                                         "updated_at": t0, "rl_window": 0, "rl_count": 0}),
        "outbox": (OutboxRow, {**sent, "status": "sent"}),
        "sms_codes": (SmsCodeRow, {"phone_hash": "h", "purpose": "register", "code_hash": "c",
                                   "salt": "s", "attempts": 0, "used": False,
                                   "created_at": t0, "expires_at": t0 + 5 * MINUTE}),
        "sms_messages": (SmsMessageRow, {"phone_enc": "", "phone_hash": "h", "text": "t",
                                         "created_at": t0}),
        "faq_unanswered": (UnansweredQuestion, {"question": "q", "count": 1, "first_at": t0,
                                                "last_at": t0}),
        "audit_events": (AuditEvent, {"at": t0, "actor": "user", "action": "a",
                                      "subject": "s", "detail": ""}),
        "seen_requests": (SeenRequest, {"key": "k", "body_hash": "b", "seen_at": t0}),
        "follower_sources": (FollowerSource, {"openid": "o_a", "scene": "county_1",
                                              "event": "subscribe", "first_at": t0}),
        "platform_events": (PlatformEventRow, {"event_id": "e", "kind": "credit", "body": "{}",
                                               "received_at": t0}),
        "web_logins": (WebLoginRow, {"scene": "login_1", "status": "refused",
                                     "created_at": t0}),
    }


def _periods(keep: Retention) -> dict[str, timedelta]:
    days = {"deliveries": keep.delivery, "conversations": keep.conversation,
            "outbox": keep.outbox, "sms_codes": keep.sms_code, "faq_unanswered": keep.faq_log,
            "audit_events": keep.audit, "seen_requests": keep.replay,
            "follower_sources": keep.follower_source, "platform_events": keep.platform_event}
    periods = {k: timedelta(days=v) for k, v in days.items()}
    periods.update(sms_messages=KEEP_MESSAGES, web_logins=KEEP_LOGINS,
                   consents=timedelta(days=keep.consent))
    return periods


async def test_each_table_is_purged_at_its_age_and_not_before(
        make_harness: Callable[..., Awaitable[Any]]) -> None:
    h = await make_harness(delivery_retention_days=2, conversation_retention_days=9,
                           sms_code_retention_days=3, faq_log_retention_days=40,
                           audit_retention_days=400, replay_retention_days=4,
                           follower_source_retention_days=100, outbox_retention_days=20,
                           platform_event_retention_days=200, consent_retention_days=300)
    # Rows made now: the server's own hourly pass (real time) must not purge them first.
    t0 = h.clock()
    keep = Retention.from_settings(h.settings)
    assert keep.delivery == 2 and keep.audit == 400 and keep.consent == 300
    periods = _periods(keep)
    async with h.runtime.sessions.begin() as s:
        for model, values in _rows(t0).values():
            await s.execute(insert(model), values)
        await s.execute(insert(ConsentRow), {"account_id": "a1", "openid": "o_r",
                                             "version": "v", "agreed_at": t0})
    purged = dict.fromkeys(periods, 0)
    for period in sorted(set(periods.values())):
        for at in (t0 + period - MINUTE, t0 + period + MINUTE):
            counts = await purge(h.runtime.sessions, keep, now=at)
            for name in periods:
                purged[name] += counts.get(name, 0)
            expected = {n: int(p < at - t0) for n, p in periods.items()}
            assert purged == expected, (at - t0, purged)


def test_retention_settings_come_from_the_environment(monkeypatch: Any) -> None:
    monkeypatch.setenv("RXF_DELIVERY_RETENTION_DAYS", "3")
    monkeypatch.setenv("RXF_FAQ_LOG_RETENTION_DAYS", "90")
    keep = Retention.from_settings(load_settings())
    assert keep.delivery == 3 and keep.faq_log == 90 and keep.conversation == 7
