"""Periodic purge so no table grows without end."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.sqltypes import utcnow
from bot.models import Conversation, Delivery, FollowerSource, OutboxRow, SeenRequest

log = logging.getLogger(__name__)

DELIVERY_KEEP = timedelta(days=1)
CONVERSATION_KEEP = timedelta(days=7)
# The replay memory needs only the signature window (10 minutes); a day like the
# deliveries keeps it cheap to reason about and the table small.
SEEN_KEEP = timedelta(days=1)
# Where followers came from (QR scenes) serves channel reports for a year.
SOURCE_KEEP = timedelta(days=365)


async def purge(sessions: async_sessionmaker[AsyncSession], *, outbox_days: int,
                now: datetime | None = None) -> dict[str, int]:
    now = now or utcnow()
    async with sessions.begin() as session:
        counts = {
            "deliveries": (await session.execute(
                delete(Delivery).where(Delivery.created_at < now - DELIVERY_KEEP))).rowcount,
            # A conversation idle for 7 days has nothing left to resume.
            "conversations": (await session.execute(
                delete(Conversation).where(
                    Conversation.updated_at < now - CONVERSATION_KEEP))).rowcount,
            "outbox": (await session.execute(
                delete(OutboxRow).where(
                    OutboxRow.status.in_(("sent", "ended")),
                    OutboxRow.created_at < now - timedelta(days=outbox_days)))).rowcount,
            "seen_requests": (await session.execute(
                delete(SeenRequest).where(SeenRequest.seen_at < now - SEEN_KEEP))).rowcount,
            "follower_sources": (await session.execute(
                delete(FollowerSource).where(
                    FollowerSource.first_at < now - SOURCE_KEEP))).rowcount,
        }
    return {k: int(v or 0) for k, v in counts.items()}


async def run(sessions: async_sessionmaker[AsyncSession], stop: asyncio.Event, *,
              outbox_days: int, every: float = 3600.0,
              clock: Callable[[], datetime] = utcnow) -> None:
    while not stop.is_set():
        try:
            counts = await purge(sessions, outbox_days=outbox_days, now=clock())
            if any(counts.values()):
                log.info("housekeeping purged %s", counts)
        except Exception:
            log.exception("housekeeping pass failed")
        try:
            await asyncio.wait_for(stop.wait(), every)
        except TimeoutError:
            pass
