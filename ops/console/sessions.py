"""Console sessions in the database, so every server process knows them.

The browser holds a random token; the table holds its SHA-256 only, with the operator's
name, the session's CSRF token and when it was last used (idle expiry).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from adapters.operator_tables import ConsoleSession, OperatorRow
from ops.actions.audit import Sessions
from ops.actions.operators import Operator

# Writing seen_at on every page would be a write per click; a minute's precision is enough
# for a 30-minute idle limit.
TOUCH_EVERY = timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(sessions: Sessions, operator: Operator, now: datetime,
                       idle: timedelta) -> str:
    """A new session for a logged-in operator; its token (for the cookie). Sessions idle
    past the limit are dropped here, so the table stays small."""
    token = secrets.token_urlsafe(32)
    async with sessions.begin() as session:
        await session.execute(delete(ConsoleSession).where(ConsoleSession.seen_at < now - idle))
        session.add(ConsoleSession(token_hash=_hash(token), operator=operator.name,
                                   csrf=secrets.token_urlsafe(32), created_at=now,
                                   seen_at=now))
    return token


async def load(sessions: Sessions, token: str, now: datetime,
               idle: timedelta) -> tuple[Operator, str] | None:
    """The operator and CSRF token of a live session; None when unknown, idle too long
    or its operator disabled (the session is then dropped)."""
    key = _hash(token)
    async with sessions() as session:
        found = (await session.execute(
            select(ConsoleSession.seen_at, ConsoleSession.csrf, OperatorRow.name,
                   OperatorRow.role, OperatorRow.disabled)
            .join(OperatorRow, OperatorRow.name == ConsoleSession.operator)
            .where(ConsoleSession.token_hash == key))).first()
    if found is None:
        return None
    if found.disabled or found.seen_at + idle < now:
        await close(sessions, token)
        return None
    if now - found.seen_at >= TOUCH_EVERY:
        async with sessions.begin() as session:
            await session.execute(update(ConsoleSession)
                                  .where(ConsoleSession.token_hash == key).values(seen_at=now))
    return Operator(found.name, found.role), found.csrf


async def close(sessions: Sessions, token: str) -> None:
    """End a session (logout, expiry)."""
    async with sessions.begin() as session:
        await session.execute(delete(ConsoleSession)
                              .where(ConsoleSession.token_hash == _hash(token)))
