"""ORM work as phases of the PhaseRunner, for adapters that keep their data in our database.

A call's whole unit of work runs as one sync function on the runner: one thread hop on
SQLite (joining the group commit) instead of one per statement through the async driver,
which had made the local platform and the SMS codes most of a journey message's CPU.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from adapters.database import PhaseRunner

T = TypeVar("T")


class SessionPhases:
    """Mixin for adapters whose calls run as phases of a PhaseRunner (`self.runner`): a
    standalone adapter gets its own runner on the sessionmaker's engine."""

    runner: PhaseRunner

    def _use_runner(self, sessions: async_sessionmaker[AsyncSession],
                    runner: PhaseRunner | None) -> None:
        # Standalone (tests, tools) an adapter gets its own runner on the same engine;
        # the server passes the conversation store's, so all phases share one thread.
        if runner is None:
            engine = sessions.kw["bind"]
            if not isinstance(engine, AsyncEngine):
                raise TypeError("the sessionmaker must be bound to an AsyncEngine")
            runner = PhaseRunner(engine)
        self.runner = runner

    async def _read(self, work: Callable[[Session], T]) -> T:
        return await self.runner.run(_in_session, work)

    async def _write(self, work: Callable[[Session], T]) -> T:
        """`work` runs in one transaction (on SQLite, in its own savepoint of a group
        commit): all of it lands or none of it does."""
        return await self.runner.run(_in_session, work, write=True)


def _in_session(conn: Connection, work: Callable[[Session], Any]) -> Any:
    # The session joins the runner's transaction and never commits it: the runner does.
    with Session(bind=conn, expire_on_commit=False) as session:
        result = work(session)
        session.flush()
        return result
