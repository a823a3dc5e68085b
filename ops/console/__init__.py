"""The operators' web console: server-rendered pages (aiohttp-jinja2, Chinese, usable
without JavaScript, every asset served from here), on its own listener.

`build_console_app(runtime)` makes the aiohttp application; `ops.console.serve` runs it
beside the webhook. Each page module exposes `add_routes(app)` and renders with
`ops.console.views.render` (which gives every template `csrf_token`, `operator` and the
navigation); `ops.console.auth` holds logins, sessions, CSRF and `requires(role)`. Pages
act only through ops.actions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web

from wiring.runtime import Runtime

HERE = Path(__file__).parent
# Content-Security-Policy: nothing from elsewhere, no inline script at all.
CSP = ("default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


@web.middleware
async def headers_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Security headers on every answer; a friendly page for 404/405."""
    from ops.console.views import error_page

    try:
        response = await handler(request)
    except web.HTTPNotFound:
        response = error_page(request, 404, "没有这个页面。")
    except web.HTTPMethodNotAllowed:
        response = error_page(request, 405, "不支持这种请求方式。")
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def build_console_app(runtime: Runtime) -> web.Application:
    """The console application over a server process's Runtime (wiring/runtime.py)."""
    from adapters.masking import mask_text
    from ops.console import (
        audit,
        auth,
        demands,
        faq,
        handoff,
        operators,
        outbox,
        overview,
        tickets,
        users,
    )
    from ops.console.views import china

    app = web.Application(middlewares=[headers_middleware, auth.session_middleware],
                          client_max_size=64 * 1024)
    auth.put(app, "runtime", runtime)
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(HERE / "templates"),
                         filters={"china": china, "masked": mask_text},
                         undefined=jinja2.StrictUndefined)
    app.router.add_static("/static/", HERE / "static", name="static", append_version=True)
    for module in (auth, overview, faq, tickets, outbox, users, handoff, demands, audit,
                   operators):
        module.add_routes(app)
    return app
