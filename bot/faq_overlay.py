"""The operators' FAQ edits, live in every server process without a restart.

faq.yaml stays the base; the edits stored in `faq_edits` (written by ops/actions/faq.py)
are applied on top each time the matcher is built. Every process polls the highest edit
version (one indexed MAX, every RXF_FAQ_POLL_INTERVAL seconds, on SQLite and PostgreSQL
alike) and, when it moved, rebuilds its matcher off the event loop and swaps ports.faq in
place, as a reload does. An overlay that does not validate any more (faq.yaml changed
under it) keeps the old matcher serving and says so in the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.ports import Ports
from bot.models import FaqEditRow
from knowledge.loader import load_knowledge
from knowledge.matcher import FaqError, FaqMatcher
from knowledge.overlay import FaqChange

log = logging.getLogger("rxf.faq")


@dataclass(frozen=True)
class Reloaded:
    """What a knowledge reload did: `ok` false keeps the old knowledge serving."""

    ok: bool
    message: str


async def overlay_version(sessions: async_sessionmaker[AsyncSession]) -> int:
    """The highest stored edit version (0 when the FAQ is the shipped file alone)."""
    async with sessions() as session:
        return int(await session.scalar(select(func.max(FaqEditRow.version))) or 0)


async def stored_changes(
        sessions: async_sessionmaker[AsyncSession]) -> tuple[int, list[FaqChange]]:
    """The stored knowledge edits in the order they were made, and their version."""
    async with sessions() as session:
        rows = (await session.scalars(
            select(FaqEditRow).where(FaqEditRow.version.is_not(None))
            .order_by(FaqEditRow.version))).all()
    changes = [FaqChange(row.action, row.entry_id or "", row.text,  # type: ignore[arg-type]
                         row.answer or "", tuple(row.variants or ())) for row in rows]
    return (int(rows[-1].version or 0) if rows else 0), changes


def build_matcher(directory: Path | None, changes: list[FaqChange]) -> FaqMatcher:
    """A matcher for faq.yaml plus the edits; FaqError names every problem. Slow (the
    index is rebuilt): call it off the event loop."""
    return FaqMatcher(load_knowledge(directory, changes))


class FaqOverlay:
    """Keeps one process's ports.faq in step with the stored edits."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], ports: Ports,
                 directory: Path | None, interval: float) -> None:
        self._sessions = sessions
        self._ports = ports
        self._directory = directory
        self._interval = interval
        self._lock = asyncio.Lock()
        self.version = 0  # the version ports.faq was built with
        self._tried = 0  # the latest version tried: a broken one is logged once, not per poll

    async def refresh(self, force: bool = False) -> Reloaded:
        """Swap in the current edits if their version moved (or always, when forced);
        a broken overlay leaves the serving matcher alone. Returns what happened."""
        async with self._lock:  # the poller and an in-process edit must not race
            if not force and await overlay_version(self._sessions) in (self.version,
                                                                          self._tried):
                return Reloaded(True, "unchanged")
            try:
                self._tried, changes = await stored_changes(self._sessions)
                matcher = await asyncio.to_thread(build_matcher, self._directory, changes)
            except FaqError as exc:
                log.error("faq edits not applied, the old answers keep serving: %s", exc)
                return Reloaded(False, f"refused: {exc}")
            self._ports.faq = matcher
            self.version = self._tried
            log.info("faq edits applied: version %d, %d entries", self.version,
                     len(matcher.entries))
            return Reloaded(True, f"reloaded {len(matcher.entries)} entries")

    async def run(self, stop: asyncio.Event) -> None:
        """Poll for new edits until `stop` is set."""
        while not stop.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), self._interval)
            if stop.is_set():
                return
            try:
                await self.refresh()
            except Exception:  # a database hiccup: the next poll tries again
                log.warning("faq edit poll failed", exc_info=True)
