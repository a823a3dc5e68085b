"""Puts the ticket desk together: the store dialogs reach through `Ports.tickets`, the
media worker that downloads its images, and (local verification) the demo's manual
data sync. Called once by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.crypto import DataCipher
from adapters.database import PhaseRunner
from adapters.media import Fetch, MediaWorker
from adapters.ports import Ports
from adapters.tickets import TicketStore
from adapters.verify import LocalVerifier


def wire_tickets(ports: Ports, sessions: async_sessionmaker[AsyncSession], cipher: DataCipher,
                 clock: Callable[[], datetime], runner: PhaseRunner | None, fetch: Fetch,
                 wake_push: Callable[[], None]) -> MediaWorker:
    """Fill `ports.tickets`; the media worker to run beside the push worker."""
    media = MediaWorker(sessions, cipher, fetch, clock=clock, on_told=wake_push)
    ports.tickets = TicketStore(sessions, cipher, clock, runner, on_image=media.wake,
                                on_outbox=wake_push)
    if isinstance(ports.verify, LocalVerifier):
        ports.verify.synced = ports.tickets.synced
    return media
