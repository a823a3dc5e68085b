"""The push worker's side of the customer-service quotas (bot/cs_quota.py).

Each customer-service send first takes one message from the user's window with a
conditional UPDATE, so workers in several processes together never spend more than
WeChat allows; a row with nothing left to spend waits ("waiting") until the user's next
action, which releases it (bot/store.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import bindparam, or_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.models import OutboxRow, WeChatUser

_U = WeChatUser.__table__
_O = OutboxRow.__table__
_MINE = _U.c.openid == bindparam("w_openid")

_TAKE = (update(_U)
         .where(_MINE, _U.c.cs_remaining > 0, _U.c.cs_expires_at > bindparam("now"))
         .values(cs_remaining=_U.c.cs_remaining - 1)
         .returning(_U.c.last_inbound_at))
# Both only touch the window that was taken from: a newer action has replaced it.
_GIVE_BACK = (update(_U).where(_MINE, _U.c.last_inbound_at == bindparam("opened"))
              .values(cs_remaining=_U.c.cs_remaining + 1))
_SPENT = (update(_U).where(_MINE, _U.c.last_inbound_at == bindparam("opened"))
          .values(cs_remaining=0))
# Taken first in the waiting transaction: the user row's lock orders it against the step
# that opens a window and releases waiting rows, so no row is left waiting beside a
# fresh quota. An increment, not a count: PostgreSQL re-reads a row it waited for, but a
# subquery would still see the statement's older snapshot. Exact, as only this moves a
# row into "waiting" and only the release (which zeroes it) moves rows out.
_HOLD = (update(_U)
         .where(_MINE, or_(_U.c.cs_remaining <= 0, _U.c.cs_expires_at.is_(None),
                           _U.c.cs_expires_at <= bindparam("now")))
         .values(cs_waiting=_U.c.cs_waiting + 1))
_ROW = update(_O).where(_O.c.id == bindparam("w_row_id"))


class Quotas:
    """The customer-service message windows as the push worker spends them (this module's
    docstring)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession],
                 clock: Callable[[], datetime]) -> None:
        self.sessions = sessions
        self.clock = clock

    async def take(self, openid: str) -> datetime | None:
        """One message from the user's window: when that window opened, or None."""
        async with self.sessions.begin() as session:
            result = await session.execute(_TAKE, {"w_openid": openid, "now": self.clock()})
            return result.scalar_one_or_none()

    async def give_back(self, openid: str, opened: datetime) -> None:
        """WeChat refused the send outright, so it spent nothing."""
        async with self.sessions.begin() as session:
            await session.execute(_GIVE_BACK, {"w_openid": openid, "opened": opened})

    async def spent(self, openid: str, opened: datetime) -> None:
        """WeChat says the window is closed or used up (45015/45047): believe it."""
        async with self.sessions.begin() as session:
            await session.execute(_SPENT, {"w_openid": openid, "opened": opened})

    async def hold(self, row: OutboxRow, why: str) -> bool:
        """Park the row until the user's next action. False when a window opened since
        the quota was looked at: the row is then due again at once instead."""
        now = self.clock()
        attempts = max(row.attempts - 1, 0)  # waiting is not a failed try
        async with self.sessions.begin() as session:
            held = await session.execute(_HOLD, {"w_openid": row.openid, "now": now})
            if held.rowcount:
                values = {"status": "waiting", "last_error": why[:500], "attempts": attempts}
            else:
                values = {"next_attempt_at": now, "attempts": attempts}
            await session.execute(_ROW.values(**values), {"w_row_id": row.id})
        return bool(held.rowcount)
