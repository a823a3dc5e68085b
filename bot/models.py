"""Tables of the bot runtime: users, conversations, deliveries, FAQ log.

The outbox lives in adapters.outbox: the local platform writes it too."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from adapters.audit import AuditEvent
from adapters.database import Base
from adapters.outbox import OutboxRow
from adapters.sqltypes import UTCDateTime, utcnow
from adapters.ticket_models import TicketEventRow, TicketMediaRow, TicketRow

__all__ = ["AuditEvent", "Conversation", "Delivery", "FaqEditRow", "FollowerSource", "OutboxRow",
           "SeenRequest", "TicketEventRow", "TicketMediaRow", "TicketRow", "UnansweredQuestion",
           "WeChatUser"]


class WeChatUser(Base):
    """One WeChat user (openid) who ever reached us: following or not, since when, and the
    customer-service window their latest action opened."""

    __tablename__ = "wechat_users"

    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    subscribed: Mapped[bool] = mapped_column(Boolean, default=True)
    subscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The customer-service window (bot/cs_quota.py): when the user's latest click,
    # subscribe, scan or message opened it, which kind, until when and how many
    # customer-service messages are left in it.
    last_inbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cs_kind: Mapped[str | None] = mapped_column(String(8))
    cs_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cs_remaining: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Outbox rows waiting for a window ("waiting"); the user's next action releases them.
    cs_waiting: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Conversation(Base):
    """One user's conversation (dialogs.base.ConvState), its JSON encrypted; `version` counts
    writes."""

    __tablename__ = "conversations"

    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    dialog: Mapped[str | None] = mapped_column(String(40))
    state: Mapped[str | None] = mapped_column(String(60))
    # Encrypted JSON: collected values hold ID numbers and phones.
    data: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    rl_window: Mapped[int] = mapped_column(BigInteger, default=0)
    rl_count: Mapped[int] = mapped_column(Integer, default=0)


class Delivery(Base):
    """One row per handled WeChat delivery; a retry finds it and gets the same reply."""

    __tablename__ = "deliveries"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    openid: Mapped[str] = mapped_column(String(64))
    replies: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class UnansweredQuestion(Base):
    """A question the FAQ could not answer outright (masked), with how often and when it was
    asked."""

    __tablename__ = "faq_unanswered"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question: Mapped[str] = mapped_column(String(200), unique=True)
    count: Mapped[int] = mapped_column(Integer, default=1)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when an operator's FAQ edit covers the question or dismisses it: not listed again.
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_edit: Mapped[int | None] = mapped_column(Integer)


class FaqEditRow(Base):
    """An operator's FAQ edit (ops/actions/faq.py), with who and when. Edits that change
    the knowledge carry the next overlay `version`; every server process polls the highest
    one and rebuilds its matcher from faq.yaml plus these rows (bot/faq_overlay.py)."""

    __tablename__ = "faq_edits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Unique: two operators saving at once cannot both take the same next version.
    version: Mapped[int | None] = mapped_column(Integer, unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(20))
    entry_id: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(String(200))
    answer: Mapped[str | None] = mapped_column(Text)
    variants: Mapped[list[str] | None] = mapped_column(JSON)
    covered: Mapped[int] = mapped_column(Integer, default=0)


class SeenRequest(Base):
    """A signed /wechat request already received, for the signature's lifetime: the same
    signature, timestamp and nonce with another body is a replay (docs/wechat.md)."""

    __tablename__ = "wechat_seen_requests"

    # sha256 of timestamp, nonce and signature: bounded whatever the query carried.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    body_hash: Mapped[str] = mapped_column(String(64))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class FollowerSource(Base):
    """A QR scene (channel poster, county, bank branch) a user followed or scanned
    through; the earliest is where the follower came from."""

    __tablename__ = "wechat_follower_sources"

    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    scene: Mapped[str] = mapped_column(String(64), primary_key=True)
    event: Mapped[str] = mapped_column(String(12))  # subscribe | scan
    first_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
