"""Tables of the tickets (工单): the ticket, its moves and its images.

Every table carries the user's `openid`, so 注销 (bot/forget.py) erases all of it. What
the user typed for a Q3 check (name, ID number, phone, the failed check) is one
encrypted JSON column; images are encrypted bytes (adapters/crypto.py). Retention is in
bot/housekeeping.py and the README ("Retention").
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from adapters.database import Base
from adapters.sqltypes import UTCDateTime, utcnow

BIGID = BigInteger().with_variant(Integer, "sqlite")


class TicketRow(Base):
    """One ticket: its number, kind (q3 | q6), status and what the user gave."""

    __tablename__ = "tickets"
    __table_args__ = (Index("ix_tickets_status_updated", "status", "updated_at"),)

    id: Mapped[int] = mapped_column(BIGID, primary_key=True)
    no: Mapped[str] = mapped_column(String(20), unique=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(60), default="")  # masked, for lists
    description: Mapped[str] = mapped_column(Text, default="")  # masked when written
    details_enc: Mapped[str | None] = mapped_column(Text)  # encrypted JSON (Q3 facts)
    last_reply: Mapped[str] = mapped_column(Text, default="")
    idem_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TicketEventRow(Base):
    """One move of a ticket: who, when, from and to which status, the message sent."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(BIGID, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"),
                                           index=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str] = mapped_column(String(8))
    to_status: Mapped[str] = mapped_column(String(8))
    actor: Mapped[str] = mapped_column(String(40))  # "用户" or the operator's name
    message: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TicketMediaRow(Base):
    """One image of a ticket: fetched from WeChat at once (media/get) by the media
    worker, retried like the outbox, then kept encrypted or refused with the reason."""

    __tablename__ = "ticket_media"
    __table_args__ = (Index("ix_ticket_media_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BIGID, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"),
                                           index=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(16))  # licence | screenshot
    media_id: Mapped[str] = mapped_column(String(256))
    # pending | stored | refused (wrong type, too big, expired) | failed (gave up)
    status: Mapped[str] = mapped_column(String(8), default="pending")
    mime: Mapped[str] = mapped_column(String(16), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    content_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(200))
    idem_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
