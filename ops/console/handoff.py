"""/handoff: users who asked for a human (转人工), how long they have waited, and
marking them handled (ops.actions.handoff)."""

from __future__ import annotations

from aiohttp import web

from ops.actions import Refused
from ops.actions import handoff as actions
from ops.console.auth import requires
from ops.console.views import actor, address, error_page, now, redirect, render, runtime


@requires("viewer")
async def listing(request: web.Request) -> web.StreamResponse:
    """Users in an open human session, longest waiting first."""
    rt, moment = runtime(request), now(request)
    rows = await actions.waiting(rt.sessions, rt.cipher, moment)
    return render(request, "handoff.html", {
        "rows": [(w, w.waited(moment)) for w in rows],
        "done": request.query.get("done") == "handled"})


@requires("operator")
async def handled(request: web.Request) -> web.StreamResponse:
    """Mark one user's human session handled."""
    rt = runtime(request)
    try:
        await actions.mark_handled(rt.sessions, rt.cipher, request.match_info["openid"][:64],
                                   actor=actor(request), address=address(request),
                                   now=now(request))
    except Refused as exc:
        return error_page(request, 409, exc.message)
    return redirect("/handoff?done=handled")


def add_routes(app: web.Application) -> None:
    """/handoff and /handoff/<openid>/handled."""
    app.router.add_get("/handoff", listing)
    app.router.add_post("/handoff/{openid}/handled", handled)
