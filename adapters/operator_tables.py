"""Tables of the operators' console (ops/console): operators, their sessions, handled
handoffs. Here with the other tables, so every process (wiring) has them in its metadata.

Sessions live in the database so that every server process (--workers N) knows them.
Migration: migrations/versions/0010_console.py.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from adapters.database import Base
from adapters.sqltypes import UTCDateTime, utcnow


class OperatorRow(Base):
    """One person allowed into the console; the password only as an argon2 hash."""

    __tablename__ = "console_operators"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    role: Mapped[str] = mapped_column(String(10))  # viewer | operator | admin
    password_hash: Mapped[str] = mapped_column(Text)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConsoleSession(Base):
    """A logged-in browser: the cookie's hash (never the cookie), whose, its CSRF token."""

    __tablename__ = "console_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    operator: Mapped[str] = mapped_column(String(40), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class HandoffHandled(Base):
    """A 转人工 session an operator marked handled: the user's `human_until` at that time,
    so a newer message from the user (which moves it) shows the user again."""

    __tablename__ = "console_handoffs_handled"

    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    human_until: Mapped[str] = mapped_column(String(40))
    handled_by: Mapped[str] = mapped_column(String(40))
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
