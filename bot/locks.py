"""One user's messages are handled one at a time, in arrival order, in every process.

Inside a process an asyncio.Lock per openid (FIFO, like aiogram's FSM middleware it is
taken *before* the state is loaded). Across processes on PostgreSQL a session-level
advisory lock: PostgreSQL queues waiters in order and drops the lock if the process dies.

The lock's connection comes from its own small pool and is handed to the step, which
reads and writes the conversation on it. Lock holders therefore never compete with the
step's other queries for the main pool: with one pool, 30 users in flight held every
connection in locks while their steps waited for one (a deadlock until pool timeout).

Lock and unlock go straight to asyncpg (a prepared statement, one round trip each):
through SQLAlchemy the pair cost 270-320 µs of CPU a message, on asyncpg 140-160.
A failed raw lock is retried once through SQLAlchemy, whose error handling tells a dead
connection (after a database restart) from any other failure and drops the pool's.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.database import is_postgres

_LOCK = "SELECT pg_advisory_lock($1)"
_UNLOCK = "SELECT pg_advisory_unlock($1)"
_LOCK_CHECKED = text("SELECT pg_advisory_lock(:k)")


def advisory_key(openid: str) -> int:
    return int.from_bytes(hashlib.blake2b(openid.encode(), digest_size=8).digest(), "big",
                          signed=True)


class _Entry:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class UserLocks:
    """The per-user lock (this module's docstring): `hold(openid)` serialises one user's
    steps in this process and, on PostgreSQL, across processes."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._pg = is_postgres(engine)
        self._entries: dict[str, _Entry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    @asynccontextmanager
    async def hold(self, openid: str) -> AsyncIterator[AsyncConnection | None]:
        """Hold the user's lock; yields the lock's connection on PostgreSQL."""
        entry = self._entries.get(openid)
        if entry is None:
            entry = self._entries[openid] = _Entry()
        entry.users += 1
        try:
            async with entry.lock:
                if self._pg:
                    async with self._pg_lock(openid) as conn:
                        yield conn
                else:
                    yield None
        finally:
            entry.users -= 1
            if entry.users == 0:  # no waiter left: forget it so the dict never grows
                self._entries.pop(openid, None)

    @asynccontextmanager
    async def _pg_lock(self, openid: str) -> AsyncIterator[AsyncConnection]:
        key = advisory_key(openid)
        conn = await self._locked(key)
        try:
            yield conn
        finally:
            try:
                await asyncio.shield(self._unlock(conn, key))
            except BaseException:
                # A connection that may still hold the lock must never return to the pool.
                await conn.invalidate()
            finally:
                await conn.close()

    async def _locked(self, key: int) -> AsyncConnection:
        """A connection holding the lock. The lock pool is not pinged on checkout (with
        pre-ping every message paid a round trip for it); a connection that died in the
        pool, after a database restart, fails the lock statement instead, holding no lock,
        and one retry on a fresh connection follows. SQLAlchemy has by then dropped every
        connection pooled before the failure."""
        for attempt in (1, 2):
            # Autocommit (the lock pool's setting): the lock, the step's reads and the
            # unlock are one round trip each; the store's writes open a transaction.
            conn = await self._engine.connect()
            try:
                try:
                    await (await _driver(conn)).fetchval(_LOCK, key)
                except Exception:
                    # Nothing was locked. Said again through SQLAlchemy: a dead
                    # connection then raises the DBAPIError the retry below reads.
                    await conn.execute(_LOCK_CHECKED, {"k": key})
                    await conn.commit()  # the lock is the session's; no transaction stays
                return conn
            except DBAPIError as exc:
                await conn.invalidate()
                await conn.close()
                if attempt == 2 or not exc.connection_invalidated:
                    raise
            except BaseException:
                await conn.invalidate()
                await conn.close()
                raise
        raise AssertionError("unreachable")

    @staticmethod
    async def _unlock(conn: AsyncConnection, key: int) -> None:
        if conn.in_transaction():
            await conn.rollback()
        await (await _driver(conn)).fetchval(_UNLOCK, key)


async def _driver(conn: AsyncConnection) -> Any:
    """The asyncpg connection under `conn` (autocommit: no transaction to keep in step)."""
    return (await conn.get_raw_connection()).driver_connection
