"""State shared by the halves of the local platform."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.crypto import DataCipher
from adapters.database import PhaseRunner
from adapters.local_data import CatalogData


class LocalBase:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], cipher: DataCipher,
                 catalog: CatalogData, clock: Callable[[], datetime],
                 runner: PhaseRunner | None = None) -> None:
        self.sessions = sessions
        self.cipher = cipher
        self.catalog = catalog
        self.clock = clock
        # The hot reads run as one phase on the conversation store's runner (one thread
        # hop on SQLite, batched with the other users' phases) instead of an ORM session.
        self.runner = runner or PhaseRunner(_engine(sessions))


def _engine(sessions: async_sessionmaker[AsyncSession]) -> AsyncEngine:
    engine = sessions.kw["bind"]
    assert isinstance(engine, AsyncEngine)
    return engine
