"""The loop of a background worker that works in passes (the push worker, the media
worker): run a pass; when it found work, run the next at once; otherwise sleep until
woken or the interval is up. A failed pass is logged and the next one tries again, so a
database away for a moment never kills the worker."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable


async def run_passes(run_once: Callable[[], Awaitable[int]], stop: asyncio.Event,
                     wake: asyncio.Event, interval: float, log: logging.Logger,
                     name: str) -> None:
    """Call `run_once` (how many items it handled) until `stop` is set."""
    while not stop.is_set():
        try:
            busy = await run_once()
        except Exception:
            log.exception("%s pass failed", name)
            busy = 0
        if busy:
            continue
        wake.clear()
        waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
        await asyncio.wait(waits, timeout=interval, return_when=asyncio.FIRST_COMPLETED)
        for waiting in waits:
            waiting.cancel()
