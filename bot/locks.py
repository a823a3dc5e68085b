"""One user's messages are handled one at a time, in arrival order, in every process.

Inside a process an asyncio.Lock per openid (FIFO, like aiogram's FSM middleware it is
taken *before* the state is loaded). Across processes on PostgreSQL a session-level
advisory lock on a dedicated AUTOCOMMIT connection: PostgreSQL queues waiters in order
and drops the lock if the process dies.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.database import is_postgres


def advisory_key(openid: str) -> int:
    return int.from_bytes(hashlib.blake2b(openid.encode(), digest_size=8).digest(), "big",
                          signed=True)


class _Entry:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class UserLocks:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._pg = is_postgres(engine)
        self._entries: dict[str, _Entry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    @asynccontextmanager
    async def hold(self, openid: str) -> AsyncIterator[None]:
        entry = self._entries.get(openid)
        if entry is None:
            entry = self._entries[openid] = _Entry()
        entry.users += 1
        try:
            async with entry.lock:
                if self._pg:
                    async with self._pg_lock(openid):
                        yield
                else:
                    yield
        finally:
            entry.users -= 1
            if entry.users == 0:  # no waiter left: forget it so the dict never grows
                self._entries.pop(openid, None)

    @asynccontextmanager
    async def _pg_lock(self, openid: str) -> AsyncIterator[None]:
        key = advisory_key(openid)
        conn = await self._engine.connect()
        try:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
        except BaseException:
            await conn.invalidate()
            await conn.close()
            raise
        try:
            yield
        finally:
            try:
                await asyncio.shield(conn.execute(text("SELECT pg_advisory_unlock(:k)"),
                                                  {"k": key}))
            except BaseException:
                # A connection that may still hold the lock must never return to the pool.
                await conn.invalidate()
            finally:
                await conn.close()
