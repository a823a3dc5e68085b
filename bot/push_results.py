"""TEMPLATESENDJOBFINISH: WeChat's final word on a template message we sent."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.outbox import OutboxRow

log = logging.getLogger(__name__)

BLOCKED = "failed:user block"
SYSTEM_FAILED = "failed: system failed"
RECORD_TRIES = 4


def client_msg_id(row: OutboxRow) -> str:
    """The outbox id, so a resend after a lost answer is one message (WeChat keeps one per
    openid + client_msg_id for 10 minutes); the one retry after WeChat's own "system
    failed" needs a new one, or WeChat would take it for that failed message again."""
    retried = (row.delivery_status or "").startswith("retried")
    return f"rxf-outbox-{row.id}" + ("-retry" if retried else "")


class TemplateResults:
    """Records WeChat's final word on template messages (TEMPLATESENDJOBFINISH) on their
    outbox rows."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession],
                 clock: Callable[[], datetime]) -> None:
        self.sessions = sessions
        self.clock = clock

    async def record(self, msgid: str, status: str) -> None:
        """Store the result `status` for the row that sent `msgid`; a result for an unknown msgid
        is logged and dropped."""
        status = status.strip()
        # The worker writes a send's msgid a few milliseconds after WeChat accepted it;
        # a result that overtakes that write waits for it briefly instead of being lost.
        for _ in range(RECORD_TRIES):
            if await self._apply(msgid, status):
                return
            await asyncio.sleep(0.05)
        log.info("template result for unknown msgid %s: %s", msgid, status)

    async def _apply(self, msgid: str, status: str) -> bool:
        async with self.sessions.begin() as session:
            row = await session.scalar(select(OutboxRow).where(OutboxRow.msgid == msgid))
            if row is None:
                return False
            values: dict[str, object] = {"delivery_status": status[:60]}
            if status == BLOCKED:
                values.update(status="ended", last_error="用户拒收模板消息")
            elif status.replace(" ", "") == SYSTEM_FAILED.replace(" ", "") \
                    and not (row.delivery_status or "").startswith("retried"):
                # One more try, once: WeChat's own failure may be passing.
                values.update(status="pending", next_attempt_at=self.clock(), msgid=None,
                              delivery_status=f"retried after {status}"[:60])
            await session.execute(update(OutboxRow).where(OutboxRow.id == row.id).values(**values))
        return True
