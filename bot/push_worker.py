"""Sends the outbox through the WeChat API: at least once, and in practice once.

Rows are claimed by pushing their `next_attempt_at` forward by a lease in the same
statement that selects them (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so two workers
never take the same row, and a worker that dies mid-send leaves the row to be taken
again when the lease runs out. Nothing is held in memory that a restart could lose.

Customer-service messages (step follow-ups, pushes without a usable template) spend the
user's WeChat quota (bot/cs_quota.py); with none left the row waits for the user's next
action instead of failing. A push to a user we have never seen is given up after
RXF_PUSH_GIVE_UP_DAYS.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.database import is_postgres
from adapters.passes import run_passes
from adapters.ports import WeChatApi, WeChatApiError
from adapters.sqltypes import utcnow
from adapters.wechat_tokens import (
    DAILY_QUOTA,
    FORCE_INTERVAL,
    TOKEN_ERRORS,
    TokenRefreshDeferred,
)
from bot.models import OutboxRow, WeChatUser
from bot.push_quota import Quotas
from bot.push_render import render_push
from bot.push_results import client_msg_id
from bot.templates import PushTemplate

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
# The account's API calls for the day used up (DAILY_QUOTA) passes at midnight, so rows
# keep trying (at the longest delay) instead of going dead.
RETRYABLE = {None, -1, DAILY_QUOTA}
# Token errors (TOKEN_ERRORS) say nothing about the push: it waits for the token to be
# replaced (docs/wechat.md, "Access tokens"), at least the time between two force
# refreshes, and they never count toward going dead.
TOKEN_WAIT = FORCE_INTERVAL.total_seconds()
ENDED = {43004: "用户未关注", 40003: "openid无效"}
TEMPLATE_REFUSED = {40037, 47003, 40036}
NO_TEMPLATE_WAIT = timedelta(minutes=30)
NO_QUOTA = "客服消息额度已用完或窗口已关闭（无可用模板），等用户下次发消息后发出"
WECHAT_NO_QUOTA = {45015: "客服消息窗口已关闭", 45047: "客服消息额度已用完"}


@dataclass
class Sent:
    """How a push went out: as a template message (with WeChat's msgid) or a customer-service
    text."""

    channel: str
    msgid: str | None = None


class Undeliverable(Exception):
    """Nothing can deliver this now; keep the row and look again later."""


class Waiting(Exception):
    """No customer-service quota: the row waits for the user's next action."""


class GiveUp(Exception):
    """Nothing will ever deliver this row."""


class PushWorker:
    """Drains the outbox: sends each due row through the WeChat API, once, in order per user,
    retrying what may succeed later with backoff and giving up (status dead/ended) on what
    cannot."""

    def __init__(self, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession],
                 api: WeChatApi, *, templates: Mapping[str, PushTemplate],
                 max_attempts: int = 8, batch: int = 50, concurrency: int = 16,
                 interval: float = 0.5, base_delay: float = 2.0, max_delay: float = 600.0,
                 clock: Callable[[], datetime] = utcnow, detail_url: str | None = None,
                 give_up_after: timedelta = timedelta(days=7)) -> None:
        self.engine = engine
        self.sessions = sessions
        self.api = api
        self.templates = templates
        self.max_attempts = max_attempts
        self.batch = batch
        self.interval = interval
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.clock = clock
        self.detail_url = detail_url
        self.give_up_after = give_up_after
        self.quotas = Quotas(sessions, clock)
        self._gate = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
        self._pg = is_postgres(engine)

    def wake(self) -> None:
        """A row was just queued in this process: look now instead of at the next tick."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Run passes until `stop` is set; a failed pass is logged and the worker carries on."""
        await run_passes(self.run_once, stop, self._wake, self.interval, log, "push worker")

    async def run_once(self) -> int:
        """One pass: claim due rows, send them, record the outcomes; how many rows it took."""
        rows = await self.claim()
        if rows:
            users = await self._users({r.openid for r in rows})
            finisher = _Finisher(self.sessions)
            # One user's rows in order (the parts of a long reply read top to bottom);
            # different users at once.
            by_user: dict[str, list[OutboxRow]] = {}
            for row in sorted(rows, key=lambda r: r.id):
                by_user.setdefault(row.openid, []).append(row)
            await asyncio.gather(*(self._deliver_in_order(mine, users, finisher)
                                   for mine in by_user.values()))
            await finisher.flush()
        return len(rows)

    async def claim(self) -> list[OutboxRow]:
        """Take up to `batch` due rows for this worker (SKIP LOCKED on PostgreSQL, so workers in
        several processes never take the same row)."""
        now = self.clock()
        due = (select(OutboxRow.id)
               .where(OutboxRow.status == "pending", OutboxRow.next_attempt_at <= now)
               .order_by(OutboxRow.next_attempt_at, OutboxRow.id).limit(self.batch))
        if self._pg:
            due = due.with_for_update(skip_locked=True)
        async with self.sessions.begin() as session:
            result = await session.execute(
                update(OutboxRow).where(OutboxRow.id.in_(due.scalar_subquery()))
                .values(next_attempt_at=now + LEASE, attempts=OutboxRow.attempts + 1)
                .returning(OutboxRow))
            return list(result.scalars().all())

    async def _users(self, openids: set[str]) -> dict[str, _User]:
        if not openids:
            return {}
        async with self.sessions() as session:
            found = await session.execute(
                select(WeChatUser.openid, WeChatUser.subscribed)
                .where(WeChatUser.openid.in_(openids)))
            return {o: _User(s) for o, s in found}

    async def _deliver_in_order(self, rows: list[OutboxRow], users: dict[str, _User],
                                finisher: _Finisher) -> None:
        for row in rows:
            await self._deliver(row, users, finisher)

    async def _deliver(self, row: OutboxRow, users: dict[str, _User],
                       finisher: _Finisher) -> None:
        async with self._gate:
            try:
                sent = await self._send(row, users.get(row.openid))
            except Waiting as why:
                if await self.quotas.hold(row, str(why)):
                    log.info("push %s to %s waits for the user: %s", row.id, row.openid, why,
                             extra={"row_id": row.id, "openid": row.openid})
                else:
                    self.wake()  # a window opened meanwhile: the row is due again
                return
            except GiveUp as why:
                log.info("push %s to %s ended: %s", row.id, row.openid, why,
                         extra={"row_id": row.id, "openid": row.openid})
                finisher.add(row, status="ended", last_error=str(why))
                return
            except Undeliverable as why:
                finisher.add(row, status="pending", last_error=str(why),
                             next_attempt_at=self.clock() + NO_TEMPLATE_WAIT,
                             attempts=row.attempts - 1)
                return
            except WeChatApiError as exc:
                finisher.add(row, **self._failure(row, exc))
                return
            finisher.add(row, status="sent", sent_at=self.clock(), msgid=sent.msgid,
                         channel=sent.channel)

    async def _send(self, row: OutboxRow, user: _User | None) -> Sent:
        payload = json.loads(row.payload)
        if user is not None and not user.subscribed:
            raise WeChatApiError(43004, "unsubscribed (skipped)")
        if row.kind == "text":
            return await self._custom(row, user, payload["content"])
        template = self.templates.get(payload.get("event", ""))
        rendered = render_push(payload, self.detail_url, template)
        if template is not None:
            try:
                msgid = await self.api.send_template(
                    row.openid, template.template_id, rendered.data, rendered.url,
                    client_msg_id=client_msg_id(row))
                return Sent("template", msgid)
            except WeChatApiError as exc:
                if exc.errcode not in TEMPLATE_REFUSED:
                    raise
                log.warning("template %s refused (%s); trying customer-service message",
                            template.template_id, exc.errcode)
        return await self._custom(row, user, rendered.text)

    async def _custom(self, row: OutboxRow, user: _User | None, content: str) -> Sent:
        """A customer-service message, spending one of the user's quota."""
        if user is None:
            self._never_seen(row)
        opened = await self.quotas.take(row.openid)
        if opened is None:
            raise Waiting(NO_QUOTA)
        try:
            await self.api.send_text(row.openid, content)
        except WeChatApiError as exc:
            if exc.errcode in WECHAT_NO_QUOTA:
                await self.quotas.spent(row.openid, opened)
                raise Waiting(f"{exc.errcode} {WECHAT_NO_QUOTA[exc.errcode]}，"
                              "等用户下次发消息后发出") from exc
            if exc.errcode not in (None, -1):  # refused outright: WeChat counted nothing
                await self.quotas.give_back(row.openid, opened)
            raise
        return Sent("custom")

    def _never_seen(self, row: OutboxRow) -> None:
        """No row for this user: they never followed or wrote, so no window can open
        for them until they do; after give_up_after nobody is waiting for the news."""
        days = self.give_up_after.total_seconds() / 86400
        if self.clock() - row.created_at >= self.give_up_after:
            raise GiveUp(f"用户从未与公众号互动，{days:g}天后放弃")
        raise Undeliverable(f"用户从未与公众号互动（无客服窗口）且无可用模板；"
                            f"等其关注或发消息，{days:g}天后放弃")

    def _failure(self, row: OutboxRow, exc: WeChatApiError) -> dict[str, Any]:
        # The numbers are also fields of the JSON line, so a log query can filter on them.
        fields = {"row_id": row.id, "openid": row.openid, "errcode": exc.errcode,
                  "errmsg": exc.errmsg, "attempt": row.attempts}
        if exc.errcode in ENDED:
            log.info("push %s to %s ended: errcode %s (%s)", row.id, row.openid, exc.errcode,
                     ENDED[exc.errcode], extra=fields)
            return {"status": "ended", "last_error": f"{exc.errcode} {ENDED[exc.errcode]}"}
        if exc.errcode in TOKEN_ERRORS:
            deferred = exc.retry_after if isinstance(exc, TokenRefreshDeferred) else 0.0
            wait = max(TOKEN_WAIT, deferred) + random.uniform(0, 5)
            log.warning("push %s to %s waits %.0fs for the access token: %s", row.id,
                        row.openid, wait, exc.errmsg, extra={**fields, "retry_in": round(wait)})
            return {"status": "pending", "last_error": str(exc), "attempts": row.attempts - 1,
                    "next_attempt_at": self.clock() + timedelta(seconds=wait)}
        if exc.errcode in RETRYABLE and (row.attempts < self.max_attempts
                                         or exc.errcode == DAILY_QUOTA):
            delay = min(self.max_delay, self.base_delay * 2 ** (row.attempts - 1))
            delay *= random.uniform(0.5, 1.0)  # jitter: a recovered WeChat is not stampeded
            log.warning("push %s to %s failed: errcode %s (%s), attempt %s of %s; "
                        "next try in %.1fs", row.id, row.openid, exc.errcode,
                        exc.errmsg or "no answer", row.attempts, self.max_attempts, delay,
                        extra={**fields, "retry_in": round(delay, 3)})
            return {"status": "pending", "last_error": str(exc),
                    "next_attempt_at": self.clock() + timedelta(seconds=delay)}
        # Dead waits for an operator (`python -m bot outbox --retry ID`), hence ERROR.
        log.error("push %s to %s is dead: errcode %s (%s) at attempt %s of %s", row.id,
                  row.openid, exc.errcode, exc.errmsg or "no answer", row.attempts,
                  self.max_attempts, extra=fields)
        return {"status": "dead", "last_error": str(exc)}


@dataclass(frozen=True)
class _User:
    subscribed: bool


# What finishing a send may change (`_Finisher.add` reads each of them from the row).
_COLUMNS = ("status", "last_error", "next_attempt_at", "sent_at", "msgid", "channel",
            "attempts")
_TABLE = OutboxRow.__table__
_FINISH = (_TABLE.update().where(_TABLE.c.id == bindparam("row_id"))
           .values({c: bindparam(f"new_{c}") for c in _COLUMNS}))


class _Finisher:
    """Writes outcomes in small groups: one statement for many rows instead of one
    transaction per send, while a crash loses at most a few milliseconds of outcomes."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], delay: float = 0.01) -> None:
        self.sessions = sessions
        self.delay = delay
        self.pending: list[dict[str, Any]] = []
        self._timer: asyncio.Task[None] | None = None

    def add(self, row: OutboxRow, **changes: Any) -> None:
        current = {"status": row.status, "last_error": row.last_error,
                   "next_attempt_at": row.next_attempt_at, "sent_at": row.sent_at,
                   "msgid": row.msgid, "channel": row.channel, "attempts": row.attempts}
        current.update(changes)
        if current.get("last_error"):
            current["last_error"] = str(current["last_error"])[:500]
        self.pending.append({"row_id": row.id, **{f"new_{c}": v for c, v in current.items()}})
        if self._timer is None:
            self._timer = asyncio.ensure_future(self._later())

    async def _later(self) -> None:
        await asyncio.sleep(self.delay)
        self._timer = None
        await self.flush()

    async def flush(self) -> None:
        batch, self.pending = self.pending, []
        if batch:
            async with self.sessions.begin() as session:
                conn = await session.connection()
                await conn.execute(_FINISH, batch)


async def pending_count(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    async with sessions() as session:
        rows = await session.execute(text("SELECT status, count(*) FROM outbox GROUP BY status"))
        return {status: count for status, count in rows}
