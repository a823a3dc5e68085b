"""Helpers for the push tests: signed platform callbacks and outbox inspection."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import aiohttp
from sqlalchemy import select

from adapters.outbox import OutboxRow
from bot.platform_events import sign
from tests.support import Harness

SECRET = "platform-secret-for-tests"
TEMPLATES = {"template_credit": "TPL_CREDIT", "template_disburse": "TPL_DISBURSE",
             "template_reject": "TPL_REJECT"}
FAST = {"platform_secret": SECRET, "push_base_delay": 0.05, "push_max_delay": 0.2,
        "push_interval": 0.05}


ENTERPRISE = "云南贸易有限公司"
OMIT = object()  # event_body(enterprise=OMIT): a platform that does not send the name yet


def event_body(recipients: list[str], *, event: str = "credit", event_id: str | None = None,
               timestamp: int | None = None, no: str = "RZ20261127000001",
               enterprise: object = ENTERPRISE) -> bytes:
    demand: dict[str, Any] = {
        "no": no, "status": {"credit": "待放款", "disburse": "已放款", "reject": "已退回"}[event],
        "amount": "20万元", "institution": "富滇银行", "time": "2026-11-27 10:15",
        "reason": "资料不全" if event == "reject" else None}
    if enterprise is not OMIT:
        demand["enterprise"] = enterprise
    return json.dumps({
        "event_id": event_id or uuid.uuid4().hex, "timestamp": timestamp or int(time.time()),
        "type": "demand.status_changed", "event": event, "recipients": recipients,
        "demand": demand,
    }, ensure_ascii=False).encode()


async def post_event(h: Harness, body: bytes, signature: str | None = None) -> tuple[int, str]:
    headers = {"X-RXF-Signature": signature or sign(SECRET, body),
               "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as s, \
            s.post(f"{h.base}/platform/events", data=body, headers=headers) as r:
        return r.status, await r.text()


async def rows(h: Harness) -> list[OutboxRow]:
    async with h.runtime.sessions() as s:
        return list((await s.scalars(select(OutboxRow).order_by(OutboxRow.id))).all())


async def subscribe(h: Harness, *openids: str) -> None:
    for openid in openids:
        reply = await h.sim.event(openid, "subscribe")
        assert reply.status == 200


def sent_to(h: Harness, kind: str = "template") -> list[str]:
    return sorted(r.touser or "" for r in h.fake.sent(kind=kind))


def as_dict(row: OutboxRow) -> dict[str, Any]:
    return {"status": row.status, "attempts": row.attempts, "error": row.last_error,
            "channel": row.channel}


def separate_workers(h: Harness, n: int, **options: Any) -> tuple[list[Any], list[Any]]:
    """n push workers, each with its own engine and pool like separate processes: the
    engines (to dispose) and the workers."""
    from adapters import database
    from adapters.wechat_api import WeChatApiClient
    from bot.push_worker import PushWorker

    engines, workers = [], []
    for _ in range(n):
        engine = database.make_engine(h.settings.database_url,
                                      schema=h.settings.database_schema)
        sessions = database.session_factory(engine)
        api = WeChatApiClient(appid=h.settings.wechat_appid, secret=h.settings.wechat_secret,
                              api_base=h.settings.api_base, sessions=sessions)
        engines.append(engine)
        workers.append(PushWorker(engine, sessions, api, **options))
    return engines, workers
