"""Audit lines: who did what to whom, and when, for the operators and a compliance review.

A line never holds personal data: the subject is a keyed hash (`subject`, made with
the data key, so it cannot be reversed or matched without it), the detail a short
fact ("kept_demands=1"). Lines are written in the transaction of the act itself, so an
act and its line land together. Kept RXF_AUDIT_RETENTION_DAYS (README, "Retention").
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from adapters.crypto import DataCipher
from adapters.database import Base
from adapters.sqltypes import UTCDateTime

DETAIL_MAX = 200
BIGID = BigInteger().with_variant(Integer, "sqlite")


class AuditEvent(Base):
    """One audit line: when, who (`actor`: user, operator:<name> or system), which act,
    on whom (`subject`, a keyed hash, never personal data) and a short non-personal detail."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BIGID, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(40))  # user | operator:<name> | system
    action: Mapped[str] = mapped_column(String(40), index=True)  # account_delete, …
    subject: Mapped[str] = mapped_column(String(64), index=True)
    detail: Mapped[str] = mapped_column(String(DETAIL_MAX), default="")
    # Where an operator acted from (the console's client address, "cli"); "" otherwise.
    address: Mapped[str] = mapped_column(String(45), default="", server_default="",
                                         index=True)


def subject(cipher: DataCipher, kind: str, value: str) -> str:
    """The keyed hash an audit line names its subject by ("openid", the openid). Its own
    domain, so it never equals the lookup hash of a phone or ID stored elsewhere."""
    return cipher.lookup_hash(f"audit:{kind}:{value}")


def line_values(at: datetime, actor: str, action: str, subject: str,
                detail: str, address: str = "") -> dict[str, object]:
    """The column values of one line, each cut to its column's size."""
    return {"at": at, "actor": actor[:40], "action": action[:40], "subject": subject[:64],
            "detail": detail[:DETAIL_MAX], "address": address[:45]}


def append(conn: Connection, *, at: datetime, actor: str, action: str, subject: str,
           detail: str = "", address: str = "") -> None:
    """One line, in the caller's transaction (a PhaseRunner phase)."""
    conn.execute(insert(AuditEvent.__table__),
                 line_values(at, actor, action, subject, detail, address))
