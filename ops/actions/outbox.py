"""The outbox as operators see it: rows by status with the reason and attempts, and
re-queueing a dead (or ended) row. `python -m bot outbox` and the console's /outbox page
both call these."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from adapters.masking import mask_text
from adapters.outbox import OutboxRow
from ops.actions import Refused, audit
from ops.actions.audit import Sessions

STATUSES = ("pending", "waiting", "sent", "dead", "ended")
STATUS_NAMES = {"pending": "待发送", "waiting": "等待窗口", "sent": "已发送", "dead": "失败",
                "ended": "已终止"}
RETRYABLE = ("dead", "ended")


@dataclass(frozen=True)
class Push:
    """One outbox row, its text masked."""

    id: int
    openid: str
    kind: str
    status: str
    attempts: int
    reason: str
    what: str
    demand_no: str
    created_at: datetime
    sent_at: datetime | None

    @property
    def retryable(self) -> bool:
        """Whether an operator may re-queue it."""
        return self.status in RETRYABLE


def _push(row: OutboxRow) -> Push:
    payload = json.loads(row.payload)
    demand_no = str(payload.get("demand_no") or "")
    what = demand_no or str(payload.get("content", ""))[:40].replace("\n", " ")
    reason = "" if row.status == "sent" else (row.last_error or "")
    return Push(row.id, row.openid, row.kind, row.status, row.attempts,
                mask_text(reason), mask_text(what), demand_no, row.created_at, row.sent_at)


async def rows(sessions: Sessions, *, status: str | None = None, demand_no: str = "",
               openid: str = "", limit: int = 50) -> list[Push]:
    """The newest rows first, filtered by status, 单据号 or the user's openid."""
    query = select(OutboxRow).order_by(OutboxRow.id.desc()).limit(limit)
    if status:
        query = query.where(OutboxRow.status == status)
    if demand_no.strip():
        query = query.where(OutboxRow.payload.contains(f'"{demand_no.strip().upper()}"'))
    if openid.strip():
        query = query.where(OutboxRow.openid == openid.strip())
    async with sessions() as session:
        return [_push(r) for r in (await session.scalars(query)).all()]


async def counts(sessions: Sessions) -> dict[str, int]:
    """Rows per status (every status present, zero when none)."""
    async with sessions() as session:
        found = dict((await session.execute(
            select(OutboxRow.status, func.count(OutboxRow.id)).group_by(OutboxRow.status))
        ).all())
    return {status: int(found.get(status, 0)) for status in STATUSES}


async def retry(sessions: Sessions, row_id: int, *, actor: str, address: str,
                now: datetime) -> None:
    """Re-queue a dead or ended row from its first attempt, audited; Refused when the row
    is not (any longer) dead or ended, so two operators cannot send it twice."""
    async with sessions.begin() as session:
        done = await session.execute(
            update(OutboxRow).where(OutboxRow.id == row_id, OutboxRow.status.in_(RETRYABLE))
            .values(status="pending", attempts=0, next_attempt_at=now))
        if not done.rowcount:
            raise Refused(f"推送 #{row_id} 不是失败或已终止状态，未重新排队。")
        await audit.add(session, actor=actor, address=address, action="outbox_retry",
                        target=f"outbox:{row_id}", detail="", at=now)
