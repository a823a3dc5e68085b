"""POST /platform/events: the platform (http mode) tells us a demand moved.

    X-RXF-Signature: sha256=<hex HMAC-SHA256 of the raw body with RXF_PLATFORM_SECRET>
    {"event_id": "...", "timestamp": 1764230400, "type": "demand.status_changed",
     "event": "credit" | "disburse" | "reject", "recipients": ["openid", ...],
     "demand": {"no": "...", "status": "...", "amount": "...", "institution": "...",
                "enterprise": "...", "time": "...", "reason": "..."}}

`demand.enterprise` (the enterprise's name, at most 100 characters) is optional: older
platforms do not send it, and the push then names no enterprise.

The timestamp is inside the signed body, so it cannot be refreshed by a replayer. A
signed event is then checked (bot.platform_event_rules: its fields, and its move against
the demand's lifecycle as far as we have been told it); a valid one is stored (masked)
and its pushes queued in one transaction before we answer 200; a repeated event id
answers 200 and queues nothing. Every refusal is a 4xx with
`{"ok": false, "error": {"code", "message"}}` and changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from datetime import datetime

from aiohttp import web
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.outbox import OutboxItem, enqueue
from adapters.platform_local.models import PlatformEventRow
from bot.platform_event_rules import PlatformEvent, Refused, check_move, read_event

log = logging.getLogger(__name__)

MAX_AGE = 300
MAX_BODY = 64 * 1024
_DEMAND_LOCK = 0x5045  # advisory-lock namespace ("PE"): one callback per demand at a time


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def refusal(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"ok": False, "error": {"code": code, "message": message}},
                             status=status)


class PlatformEvents:
    """POST /platform/events (this module's docstring): checks the signature and the event,
    then queues the pushes in the outbox once per event id."""

    def __init__(self, secret: str | None, sessions: async_sessionmaker[AsyncSession],
                 clock: Callable[[], datetime], wake: Callable[[], None] = lambda: None) -> None:
        self.secret = secret
        self._sessions = sessions
        self.clock = clock
        self.wake = wake

    async def handle(self, request: web.Request) -> web.Response:
        """The aiohttp handler: 404 when callbacks are off, 4xx for a bad signature, a stale
        timestamp or a malformed event; 200 once the pushes are queued, and 200 with
        `duplicate` for an event id already handled."""
        if not self.secret:
            return refusal(404, "not_enabled", "platform callbacks are not enabled")
        if (request.content_length or 0) > MAX_BODY:
            return refusal(400, "too_large", "body too large")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return refusal(400, "too_large", "body too large")
        given = request.headers.get("X-RXF-Signature", "")
        if not hmac.compare_digest(sign(self.secret, body), given):
            return refusal(401, "bad_signature", "bad signature")
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, ValueError):
            return refusal(400, "invalid_body", "body is not JSON")
        try:
            event = read_event(data)
            if abs(time.time() - data["timestamp"]) > MAX_AGE:
                return refusal(401, "stale_timestamp", "stale timestamp")
            fresh = await self._store(event)
        except Refused as no:
            log.warning("platform event refused (%s %s): %s", no.status, no.code, no.message)
            return refusal(no.status, no.code, no.message)
        if fresh:
            self.wake()
        return web.json_response({"ok": True, "duplicate": not fresh})

    async def _store(self, event: PlatformEvent) -> bool:
        now = self.clock()
        payload = event.payload()
        items = [OutboxItem(openid, "push", payload, dedupe_key=f"{event.event_id}:{openid}")
                 for openid in event.recipients]
        try:
            async with self._sessions.begin() as session:
                if session.get_bind().dialect.name == "postgresql":
                    # Two callbacks for one demand are checked one after the other.
                    await session.execute(
                        text("SELECT pg_advisory_xact_lock(:ns, hashtext(:no))"),
                        {"ns": _DEMAND_LOCK, "no": event.no})
                # Written first: a repeat is known at once, and on SQLite the write lock is
                # taken before the demand's history is read.
                row = PlatformEventRow(
                    event_id=event.event_id, kind=event.event, received_at=now,
                    body=json.dumps(event.stored(), ensure_ascii=False),
                    demand_no=event.no, amount=event.amount,
                    institution=event.institution)
                session.add(row)
                await session.flush()
                before = (await session.scalars(
                    select(PlatformEventRow)
                    .where(PlatformEventRow.demand_no == event.no, PlatformEventRow.id != row.id)
                    .order_by(PlatformEventRow.id))).all()
                check_move(event, before)  # Refused: the transaction rolls back
                await enqueue(session, items, now)
        except IntegrityError:
            log.info("platform event %s repeated; nothing queued", event.event_id)
            return False
        return True
