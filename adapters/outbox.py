"""The outbox: messages to send through the WeChat API, written in the same transaction
as whatever caused them (a conversation step, a demand's status change, a platform
callback), so nothing is announced that did not happen and nothing that happened is
lost. `bot.push_worker` drains it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Text, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, Session, mapped_column

from adapters.database import Base
from adapters.sqltypes import UTCDateTime, utcnow


class OutboxRow(Base):
    """A message to send through the WeChat API, written in the transaction that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # text | push
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending|sent|dead|ended
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    dedupe_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    msgid: Mapped[str | None] = mapped_column(String(40), index=True)
    channel: Mapped[str | None] = mapped_column(String(12))  # template | custom
    delivery_status: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)



@dataclass
class OutboxItem:
    """A message to queue in the outbox: to whom, what kind (`text`: a customer-service text;
    `push`: a demand status push) and its payload. `dedupe_key`, when given, makes queueing
    the same message twice a no-op."""

    openid: str
    kind: str  # text: a customer-service text | push: a demand status push
    payload: dict[str, Any]
    dedupe_key: str | None = None


def outbox_values(item: OutboxItem, now: datetime) -> dict[str, Any]:
    return {"openid": item.openid, "kind": item.kind, "status": "pending", "attempts": 0,
            "payload": json.dumps(item.payload, ensure_ascii=False, default=str),
            "dedupe_key": item.dedupe_key, "next_attempt_at": now, "created_at": now}


async def enqueue(session: AsyncSession, items: Sequence[OutboxItem], now: datetime) -> None:
    """Queue rows inside the caller's transaction. A dedupe_key already queued makes the
    transaction fail with IntegrityError: the caller's work was done before."""
    await session.run_sync(enqueue_sync, items, now)


def enqueue_sync(session: Session, items: Sequence[OutboxItem], now: datetime) -> None:
    """`enqueue` for work already on a sync session (the local platform's phases)."""
    if items:
        session.execute(insert(OutboxRow), [outbox_values(i, now) for i in items])
