"""POST /platform/events: the platform (http mode) tells us a demand moved.

    X-RXF-Signature: sha256=<hex HMAC-SHA256 of the raw body with RXF_PLATFORM_SECRET>
    {"event_id": "...", "timestamp": 1764230400, "type": "demand.status_changed",
     "event": "credit" | "disburse" | "reject", "recipients": ["openid", ...],
     "demand": {"no": "...", "status": "...", "amount": "...", "institution": "...",
                "enterprise": "...", "time": "...", "reason": "..."}}

`demand.enterprise` (the enterprise's name, at most 100 characters) is optional: older
platforms do not send it, and the push then names no enterprise.

The timestamp is inside the signed body, so it cannot be refreshed by a replayer. A
valid event is stored and its pushes queued in one transaction before we answer 200; a
repeated event id answers 200 and queues nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.outbox import OutboxItem, enqueue
from adapters.platform_local.models import PlatformEventRow

log = logging.getLogger(__name__)

MAX_AGE = 300
MAX_BODY = 64 * 1024
PUSH_EVENTS = ("credit", "disburse", "reject")
MAX_RECIPIENTS = 200
MAX_ENTERPRISE = 100


class BadEvent(Exception):
    pass


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _parse(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise BadEvent("body is not JSON") from None
    if not isinstance(data, dict):
        raise BadEvent("body must be an object")
    for key, kind in (("event_id", str), ("timestamp", int), ("event", str),
                      ("recipients", list), ("demand", dict)):
        if not isinstance(data.get(key), kind) or isinstance(data.get(key), bool):
            raise BadEvent(f"{key} missing or not {kind.__name__}")
    if not 1 <= len(data["event_id"]) <= 80:
        raise BadEvent("event_id must be 1-80 characters")
    if data["event"] not in PUSH_EVENTS:
        raise BadEvent(f"event must be one of {', '.join(PUSH_EVENTS)}")
    recipients = data["recipients"]
    if len(recipients) > MAX_RECIPIENTS or not all(
            isinstance(r, str) and 0 < len(r) <= 64 for r in recipients):
        raise BadEvent("recipients must be openids")
    if not isinstance(data["demand"].get("no"), str):
        raise BadEvent("demand.no missing")
    enterprise = data["demand"].get("enterprise")
    if enterprise is not None and (not isinstance(enterprise, str)
                                   or len(enterprise) > MAX_ENTERPRISE):
        raise BadEvent(f"demand.enterprise must be a string of at most {MAX_ENTERPRISE} "
                       "characters")
    return data


class PlatformEvents:
    def __init__(self, secret: str | None, sessions: Callable[[], async_sessionmaker[AsyncSession]],
                 clock: Callable[[], datetime], wake: Callable[[], None] = lambda: None) -> None:
        self.secret = secret
        self._sessions = sessions
        self.clock = clock
        self.wake = wake

    async def handle(self, request: web.Request) -> web.Response:
        if not self.secret:
            return web.Response(status=404, text="platform callbacks are not enabled")
        if (request.content_length or 0) > MAX_BODY:
            return web.Response(status=400, text="body too large")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return web.Response(status=400, text="body too large")
        given = request.headers.get("X-RXF-Signature", "")
        if not hmac.compare_digest(sign(self.secret, body), given):
            return web.Response(status=401, text="bad signature")
        try:
            data = _parse(body)
        except BadEvent as exc:
            return web.Response(status=400, text=str(exc))
        if abs(time.time() - data["timestamp"]) > MAX_AGE:
            return web.Response(status=401, text="stale timestamp")
        fresh = await self._store(data, body)
        if fresh:
            self.wake()
        return web.json_response({"ok": True, "duplicate": not fresh})

    async def _store(self, data: dict[str, Any], body: bytes) -> bool:
        now = self.clock()
        demand = data["demand"]
        payload = {"event": data["event"], "demand_no": demand["no"],
                   "amount": demand.get("amount"), "status": demand.get("status", ""),
                   "institution": demand.get("institution", ""),
                   "enterprise": demand.get("enterprise") or "",
                   "time": demand.get("time", ""), "reason": demand.get("reason")}
        items = [OutboxItem(openid, "push", payload, dedupe_key=f"{data['event_id']}:{openid}")
                 for openid in dict.fromkeys(data["recipients"])]
        try:
            async with self._sessions().begin() as session:
                session.add(PlatformEventRow(event_id=data["event_id"], kind=data["event"],
                                             body=body.decode(), received_at=now))
                await session.flush()
                await enqueue(session, items, now)
        except IntegrityError:
            log.info("platform event %s repeated; nothing queued", data["event_id"])
            return False
        return True
