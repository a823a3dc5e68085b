"""/ : the overview: messages and active users this hour, pushes pending / waiting /
dead, unanswered questions today, users waiting for a human, and a 24-hour chart of
messages and pushes (inline SVG, no script)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import web
from sqlalchemy import func, select

from bot.models import Delivery, OutboxRow, UnansweredQuestion
from ops.actions import Refused, handoff, menu
from ops.actions import outbox as outbox_actions
from ops.actions.audit import Sessions
from ops.console.auth import requires
from ops.console.views import (
    BEIJING,
    actor,
    address,
    error_page,
    now,
    redirect,
    render,
    runtime,
)

HOURS = 24
CHART_W, CHART_H, TOP, BOTTOM = 720, 220, 16, 28


@dataclass(frozen=True)
class Hour:
    """One hour of the chart: its start and what happened in it."""

    start: datetime
    messages: int
    users: int
    pushes: int


def _bucket(at: datetime, first: datetime) -> int:
    return int((at - first).total_seconds() // 3600)


async def hours(sessions: Sessions, moment: datetime) -> list[Hour]:
    """The last 24 hours, oldest first (the last is the current, unfinished hour).
    Messages are the WeChat deliveries the bot handled (kept a day at least)."""
    first = moment.replace(minute=0, second=0, microsecond=0) - timedelta(hours=HOURS - 1)
    async with sessions() as session:
        inbound = (await session.execute(select(Delivery.created_at, Delivery.openid)
                                         .where(Delivery.created_at >= first))).all()
        sent = (await session.scalars(select(OutboxRow.sent_at)
                                      .where(OutboxRow.sent_at >= first))).all()
    messages, pushes = [0] * HOURS, [0] * HOURS
    users: list[set[str]] = [set() for _ in range(HOURS)]
    for at, openid in inbound:
        index = _bucket(at, first)
        if 0 <= index < HOURS:
            messages[index] += 1
            users[index].add(openid)
    for at in sent:
        index = _bucket(at, first) if at else -1
        if 0 <= index < HOURS:
            pushes[index] += 1
    return [Hour(first + timedelta(hours=i), messages[i], len(users[i]), pushes[i])
            for i in range(HOURS)]


def chart(data: list[Hour]) -> dict[str, object]:
    """Bar geometry of the 24-hour chart, for the template's <svg>."""
    peak = max([1, *(h.messages for h in data), *(h.pushes for h in data)])
    plot = CHART_H - TOP - BOTTOM
    slot = (CHART_W - 40) / len(data)
    bars, labels = [], []
    for i, hour in enumerate(data):
        x = 40 + i * slot
        for offset, value, kind in ((0.12, hour.messages, "msg"), (0.5, hour.pushes, "push")):
            height = plot * value / peak
            bars.append({"x": round(x + slot * offset, 1), "y": round(TOP + plot - height, 1),
                         "w": round(slot * 0.38, 1), "h": round(height, 1), "kind": kind,
                         "title": f"{hour.start.astimezone(BEIJING):%H}:00 "
                                  f"{'消息' if kind == 'msg' else '推送'} {value}"})
        if i % 3 == 0:
            labels.append({"x": round(x + slot / 2, 1),
                           "text": f"{hour.start.astimezone(BEIJING):%H}时"})
    return {"w": CHART_W, "h": CHART_H, "bars": bars, "labels": labels, "peak": peak,
            "base": CHART_H - BOTTOM, "top": TOP, "mid": round(TOP + plot / 2, 1),
            "half": peak / 2}


async def unanswered_today(sessions: Sessions, moment: datetime) -> int:
    """Questions without a confident answer asked since midnight, Beijing time."""
    local = moment.astimezone(BEIJING)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    async with sessions() as session:
        found = await session.scalar(select(func.count(UnansweredQuestion.id))
                                     .where(UnansweredQuestion.last_at >= midnight))
    return int(found or 0)


@requires("viewer")
async def overview(request: web.Request) -> web.StreamResponse:
    """The overview page."""
    rt, moment = runtime(request), now(request)
    data = await hours(rt.sessions, moment)
    counts = await outbox_actions.counts(rt.sessions)
    waiting = await handoff.waiting(rt.sessions, rt.cipher, moment)
    return render(request, "overview.html", {
        "current": data[-1], "counts": counts, "waiting": len(waiting),
        "unanswered": await unanswered_today(rt.sessions, moment), "chart": chart(data),
        "total_messages": sum(h.messages for h in data),
        "total_pushes": sum(h.pushes for h in data),
        "done": request.query.get("done") == "menu"})


@requires("operator")
async def menu_sync(request: web.Request) -> web.StreamResponse:
    """Publish the custom menu (as `python -m bot menu-sync`); audited."""
    rt = runtime(request)
    try:
        await menu.sync(rt.registry, rt.api, rt.sessions, actor=actor(request),
                        address=address(request), now=now(request))
    except Refused as exc:
        return error_page(request, 502, exc.message)
    return redirect("/?done=menu")


def add_routes(app: web.Application) -> None:
    """/ and /menu/sync."""
    app.router.add_get("/", overview)
    app.router.add_post("/menu/sync", menu_sync)
