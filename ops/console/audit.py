"""/audit: the append-only audit log (logins, failed ones too, reveals, retries, demand
actions, menu syncs, operator changes): who, when, from which address, what. The console
only reads it: no route edits or deletes a line."""

from __future__ import annotations

from aiohttp import web

from ops.actions import audit as actions
from ops.console.auth import requires
from ops.console.views import render, runtime


@requires("viewer")
async def listing(request: web.Request) -> web.StreamResponse:
    """The newest lines, optionally of one action."""
    sessions = runtime(request).sessions
    present = await actions.actions(sessions)
    action = request.query.get("action", "")
    if action not in present:
        action = ""
    lines = await actions.lines(sessions, action=action or None, limit=300)
    return render(request, "audit.html", {"lines": lines, "action": action,
                                          "present": present, "names": actions.ACTION_NAMES})


def add_routes(app: web.Application) -> None:
    """/audit (GET only)."""
    app.router.add_get("/audit", listing)
