"""Periodic purge so no table grows without end."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.sqltypes import utcnow
from bot.models import Conversation, Delivery, OutboxRow

log = logging.getLogger(__name__)

DELIVERY_KEEP = timedelta(days=1)
CONVERSATION_KEEP = timedelta(days=7)


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
