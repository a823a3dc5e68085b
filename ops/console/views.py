"""Helpers every console page shares: the navigation, rendering, who and where the
acting operator is, times in Beijing time, and error pages."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from ops.actions.audit import operator_actor
from wiring.runtime import Runtime

BEIJING = timezone(timedelta(hours=8))
# (path, label, role needed to see the entry); pages added later append here.
NAV: list[tuple[str, str, str]] = [
    ("/", "概览", "viewer"), ("/faq/unanswered", "未答问题", "viewer"),
    ("/tickets", "工单", "viewer"), ("/outbox", "推送", "viewer"), ("/users", "用户", "viewer"),
    ("/handoff", "转人工", "viewer"), ("/demands", "需求", "viewer"),
    ("/audit", "审计", "viewer"), ("/operators", "操作员", "admin"),
]


def runtime(request: web.Request) -> Runtime:
    """The server process's Runtime (wiring/runtime.py)."""
    return request.app["runtime"]


def now(request: web.Request) -> datetime:
    """The bot's clock (tests move it)."""
    return runtime(request).bot.clock()


def actor(request: web.Request) -> str:
    """How audit lines name the logged-in operator."""
    return operator_actor(request["operator"].name)


def address(request: web.Request) -> str:
    """The client's address, as audit lines keep it."""
    return request.remote or "unknown"


def china(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A moment in Beijing time ('—' for none)."""
    return "—" if value is None else value.astimezone(BEIJING).strftime(fmt)


def render(request: web.Request, template: str, context: dict[str, Any],
           status: int = 200) -> web.Response:
    """A page; never cached, since pages show live and personal data. The base context
    is added here too, for pages answered before the context processor ran (a refused
    CSRF token)."""
    from ops.console.auth import base_context

    response = aiohttp_jinja2.render_template(template, request,
                                              {**base_context(request), **context},
                                              status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def error_page(request: web.Request, status: int, message: str) -> web.Response:
    """A short Chinese explanation with the right status."""
    return render(request, "error.html", {"status": status, "message": message},
                  status=status)


def form_int(value: object) -> int | None:
    """A positive integer from a form or path, None when it is not one."""
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 18 else None


def redirect(location: str) -> web.Response:
    """A 303 to another page of the console (after a POST: the browser GETs it)."""
    return web.Response(status=303, headers={"Location": location})
