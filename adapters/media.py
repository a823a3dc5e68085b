"""Images users send for a ticket: fetched from WeChat at once, checked, kept encrypted.

WeChat keeps a temporary media file for 3 days (docs/wechat.md, "Temporary media"), so
each MediaId is fetched through `media/get` as soon as it arrives: the step only writes
a pending `ticket_media` row and wakes this worker, which claims due rows like the push
worker claims the outbox (a lease on `next_attempt_at`, `FOR UPDATE SKIP LOCKED` on
PostgreSQL), retries a failed download with backoff and gives up after `max_attempts`.
The content decides the type (JPEG or PNG magic bytes, never the name or the header)
and its size must stay within WeChat's own 10 MB image limit. A refused or lost image is
told to the user through the outbox, in the same transaction that records it. Logs name
the row, the size and the type, never the content.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.crypto import DataCipher
from adapters.database import is_postgres
from adapters.outbox import OutboxItem, enqueue
from adapters.passes import run_passes
from adapters.ports import WeChatApiError
from adapters.sqltypes import utcnow
from adapters.ticket_models import TicketMediaRow, TicketRow

log = logging.getLogger(__name__)

MAX_IMAGE_BYTES = 10 * 1024 * 1024  # WeChat's own limit for an image (docs/wechat.md)
INVALID_MEDIA = 40007  # media/get: unknown or expired media_id
LEASE = timedelta(seconds=60)
_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))
ROLE_NAMES = {"licence": "营业执照照片", "screenshot": "截图"}

Fetch = Callable[[str, int], Awaitable[bytes]]


class ImageRefused(Exception):
    """The file is not an image we keep; `reason` is said to the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def image_type(data: bytes) -> str:
    """The image's MIME type read from its first bytes, or ImageRefused."""
    if not data:
        raise ImageRefused("是空文件")
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageRefused("超过10MB")
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return mime
    raise ImageRefused("不是JPG或PNG图片")


@dataclass(frozen=True)
class _Claimed:
    id: int
    ticket_id: int
    openid: str
    role: str
    media_id: str
    attempts: int


class MediaWorker:
    """Downloads pending ticket images through `fetch` (the WeChat API's media/get)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], cipher: DataCipher,
                 fetch: Fetch, *, clock: Callable[[], datetime] = utcnow,
                 max_attempts: int = 6, base_delay: float = 2.0, max_delay: float = 600.0,
                 interval: float = 5.0, on_told: Callable[[], None] | None = None) -> None:
        self.sessions = sessions
        self.cipher = cipher
        self.fetch = fetch
        self.clock = clock
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.interval = interval
        self.on_told = on_told  # an outbox row was queued: wake the push worker
        self._wake = asyncio.Event()
        self._pg = is_postgres(sessions.kw["bind"])

    def wake(self) -> None:
        """A row was just queued: fetch it now instead of at the next tick."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Work until `stop`; a pass that fails is logged and the next one tries again."""
        await run_passes(self.run_once, stop, self._wake, self.interval, log, "media worker")

    async def run_once(self) -> int:
        """Claim the due rows and fetch each; the number of rows handled."""
        rows = await self._claim()
        await asyncio.gather(*(self._one(row) for row in rows))
        return len(rows)

    async def _claim(self) -> list[_Claimed]:
        now = self.clock()
        t = TicketMediaRow.__table__
        due = (select(t.c.id).where(t.c.status == "pending", t.c.next_attempt_at <= now)
               .order_by(t.c.next_attempt_at, t.c.id).limit(20))
        if self._pg:
            due = due.with_for_update(skip_locked=True)
        async with self.sessions.begin() as session:
            result = await session.execute(
                update(t).where(t.c.id.in_(due.scalar_subquery()))
                .values(next_attempt_at=now + LEASE, attempts=t.c.attempts + 1)
                .returning(t.c.id, t.c.ticket_id, t.c.openid, t.c.role, t.c.media_id,
                           t.c.attempts))
            return [_Claimed(*r) for r in result.all()]

    async def _one(self, row: _Claimed) -> None:
        try:
            data = await self.fetch(row.media_id, MAX_IMAGE_BYTES)
            mime = image_type(data)
        except ImageRefused as refused:
            log.info("ticket image %s refused: %s", row.id, refused.reason,
                     extra={"row_id": row.id})
            await self._refuse(row, refused.reason)
            return
        except WeChatApiError as exc:
            await self._failed(row, exc)
            return
        sealed = self.cipher.encrypt_bytes(data)
        async with self.sessions.begin() as session:
            await session.execute(
                update(TicketMediaRow).where(TicketMediaRow.id == row.id)
                .values(status="stored", mime=mime, size=len(data), content_enc=sealed,
                        last_error=None))
        log.info("ticket image %s stored: %s, %d bytes", row.id, mime, len(data),
                 extra={"row_id": row.id})

    async def _failed(self, row: _Claimed, exc: WeChatApiError) -> None:
        if exc.errcode == INVALID_MEDIA:
            await self._refuse(row, "已过期或无法读取", error=str(exc))
            return
        if row.attempts >= self.max_attempts:
            log.warning("ticket image %s given up after %s attempts: %s", row.id,
                        row.attempts, exc, extra={"row_id": row.id})
            await self._refuse(row, "没能从微信取到", error=str(exc), status="failed")
            return
        delay = min(self.max_delay, self.base_delay * 2 ** (row.attempts - 1))
        delay *= random.uniform(0.5, 1.0)
        log.warning("ticket image %s download failed (%s), attempt %s of %s; next in %.1fs",
                    row.id, exc, row.attempts, self.max_attempts, delay,
                    extra={"row_id": row.id})
        async with self.sessions.begin() as session:
            await session.execute(
                update(TicketMediaRow).where(TicketMediaRow.id == row.id)
                .values(last_error=str(exc)[:200],
                        next_attempt_at=self.clock() + timedelta(seconds=delay)))

    async def _refuse(self, row: _Claimed, reason: str, *, error: str = "",
                      status: str = "refused") -> None:
        """Record why, and tell the user in the same transaction."""
        async with self.sessions.begin() as session:
            ticket = await session.get(TicketRow, row.ticket_id)
            await session.execute(
                update(TicketMediaRow).where(TicketMediaRow.id == row.id)
                .values(status=status, last_error=(error or reason)[:200], content_enc=None))
            if ticket is not None:
                what = ROLE_NAMES.get(row.role, "图片")
                text = (f"您为工单{ticket.no}发送的{what}{reason}，没有保存。"
                        "请重新发送一张JPG或PNG格式、10MB以内的图片。")
                await enqueue(session, [OutboxItem(row.openid, "text", {"content": text},
                                                   dedupe_key=f"ticket-media:{row.id}")],
                              self.clock())
        if self.on_told is not None:
            self.on_told()
