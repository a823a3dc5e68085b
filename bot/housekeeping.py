"""Periodic purge: every table has a stated retention (README, "Retention") and this
enforces it, hourly, in every server process (the deletes are idempotent).

Tables not listed here hold no personal data that ages (the WeChat token cache, the
catalogue) or live as long as what they describe: accounts, enterprises, demands and
their records until 注销 (dialogs/account_delete.py), the follower row as long as the
user follows (unsubscribe keeps it, marked; 注销 deletes it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.audit import AuditEvent
from adapters.platform_local.accounts import KEEP_LOGINS
from adapters.platform_local.models import (
    ConsentRow,
    PlatformEventRow,
    SmsCodeRow,
    SmsMessageRow,
    WebLoginRow,
)
from adapters.sms import KEEP_MESSAGES
from adapters.sqltypes import utcnow
from adapters.ticket_models import TicketEventRow, TicketMediaRow, TicketRow
from bot.models import (
    Conversation,
    Delivery,
    FollowerSource,
    OutboxRow,
    SeenRequest,
    UnansweredQuestion,
)
from config.settings import Settings
from state_machines.ticket import DRAFT, FINISHED

log = logging.getLogger(__name__)
DRAFT_KEEP = timedelta(days=7)  # a ticket never filed (待补充), like an idle form



@dataclass(frozen=True)
class Retention:
    """Days each table keeps its rows (RXF_<NAME>_RETENTION_DAYS)."""

    delivery: int = 1  # WeChat retries within seconds; a day is ample
    conversation: int = 7  # idle conversations: 继续填写 is offered for 7 days
    outbox: int = 30  # sent or ended pushes; pending ones are never purged
    sms_code: int = 2  # the daily caps count a Beijing day back
    faq_log: int = 180  # masked questions the FAQ could not answer
    consent: int = 1095  # then the user is asked again, as for a new version
    audit: int = 1825
    replay: int = 1  # signatures are refused after 10 minutes anyway
    follower_source: int = 365  # channel reports for a year
    platform_event: int = 365  # a demand's lifecycle checks read its earlier callbacks
    ticket: int = 365  # closed tickets (工单), with their moves and images
    ticket_image: int = 180  # a ticket's pictures (licence photos), even if still open

    @classmethod
    def from_settings(cls, settings: Settings) -> Retention:
        """The periods set by RXF_*_RETENTION_DAYS (the fixed ones keep their defaults)."""
        return cls(
            delivery=settings.delivery_retention_days,
            conversation=settings.conversation_retention_days,
            outbox=settings.outbox_retention_days,
            sms_code=settings.sms_code_retention_days,
            faq_log=settings.faq_log_retention_days,
            consent=settings.consent_retention_days,
            audit=settings.audit_retention_days,
            replay=settings.replay_retention_days,
            follower_source=settings.follower_source_retention_days,
            platform_event=settings.platform_event_retention_days,
            ticket=settings.ticket_retention_days,
            ticket_image=settings.ticket_image_retention_days)


def _rules(keep: Retention, now: datetime) -> list[tuple[str, Any, ColumnElement[bool]]]:
    def before(days: int | timedelta) -> datetime:
        return now - (days if isinstance(days, timedelta) else timedelta(days=days))

    rules: list[tuple[str, Any, ColumnElement[bool]]] = [
        ("deliveries", Delivery, Delivery.created_at < before(keep.delivery)),
        ("conversations", Conversation, Conversation.updated_at < before(keep.conversation)),
        ("outbox", OutboxRow, OutboxRow.status.in_(("sent", "ended"))
         & (OutboxRow.created_at < before(keep.outbox))),
        ("sms_codes", SmsCodeRow, SmsCodeRow.created_at < before(keep.sms_code)),
        ("sms_messages", SmsMessageRow, SmsMessageRow.created_at < before(KEEP_MESSAGES)),
        ("faq_unanswered", UnansweredQuestion,
         UnansweredQuestion.last_at < before(keep.faq_log)),
        ("audit_events", AuditEvent, AuditEvent.at < before(keep.audit)),
        ("seen_requests", SeenRequest, SeenRequest.seen_at < before(keep.replay)),
        ("follower_sources", FollowerSource,
         FollowerSource.first_at < before(keep.follower_source)),
        ("platform_events", PlatformEventRow,
         PlatformEventRow.received_at < before(keep.platform_event)),
        ("web_logins", WebLoginRow, WebLoginRow.created_at < before(KEEP_LOGINS)),
        ("consents", ConsentRow, ConsentRow.agreed_at < before(keep.consent)),
        *_ticket_rules(before(keep.ticket), before(keep.ticket_image), before(DRAFT_KEEP)),
    ]
    return rules


def _ticket_rules(closed_before: datetime, images_before: datetime, drafts_before: datetime
                  ) -> list[tuple[str, Any, ColumnElement[bool]]]:
    """Closed tickets after their period, drafts never filed after a week; a ticket's
    moves and images go with it (deleted first: no reliance on ON DELETE CASCADE), and
    pictures go after their own, shorter, period."""
    expired = select(TicketRow.id).where(
        (TicketRow.status.in_(FINISHED) & (TicketRow.updated_at < closed_before))
        | ((TicketRow.status == DRAFT) & (TicketRow.updated_at < drafts_before)))
    return [
        ("ticket_media", TicketMediaRow, TicketMediaRow.ticket_id.in_(expired)
         | (TicketMediaRow.created_at < images_before)),
        ("ticket_events", TicketEventRow, TicketEventRow.ticket_id.in_(expired)),
        ("tickets", TicketRow, TicketRow.id.in_(expired)),
    ]


async def purge(sessions: async_sessionmaker[AsyncSession],
                retention: Retention | None = None, *,
                now: datetime | None = None) -> dict[str, int]:
    now = now or utcnow()
    counts: dict[str, int] = {}
    async with sessions.begin() as session:
        for name, target, older in _rules(retention or Retention(), now):
            done = await session.execute(delete(target).where(older))
            counts[name] = int(getattr(done, "rowcount", 0) or 0)
    return counts


async def run(sessions: async_sessionmaker[AsyncSession], stop: asyncio.Event, *,
              retention: Retention | None = None, every: float = 3600.0,
              clock: Callable[[], datetime] = utcnow) -> None:
    while not stop.is_set():
        try:
            counts = await purge(sessions, retention, now=clock())
            if any(counts.values()):
                log.info("housekeeping purged %s", counts)
        except Exception:
            log.exception("housekeeping pass failed")
        try:
            await asyncio.wait_for(stop.wait(), every)
        except TimeoutError:
            pass
