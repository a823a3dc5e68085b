"""State shared by the halves of the local platform."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.crypto import DataCipher
from adapters.database import PhaseRunner
from adapters.local_data import CatalogData
from adapters.session_phases import SessionPhases


class LocalBase(SessionPhases):
    """What the local platform's parts share: the sessions, the cipher for personal data,
    the demo catalogue, the clock and the phase runner."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], cipher: DataCipher,
                 catalog: CatalogData, clock: Callable[[], datetime],
                 runner: PhaseRunner | None = None) -> None:
        self.sessions = sessions  # for operators' tools and tests reading the tables
        self.cipher = cipher
        self.catalog = catalog
        self.clock = clock
        self._use_runner(sessions, runner)

    async def close(self) -> None:
        """Nothing to release: the sessions belong to the runtime's engine."""
