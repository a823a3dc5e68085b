"""/outbox: pushes by status with the reason and attempts, filtered by 单据号 or user,
and re-queueing a dead one (ops.actions.outbox.retry, as `python -m bot outbox --retry`)."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from ops.actions import Refused
from ops.actions import outbox as actions
from ops.console.auth import requires
from ops.console.views import actor, address, error_page, form_int, now, redirect, render
from ops.console.views import runtime as runtime_of

DONE = {"retried": "已重新排队，推送进程会尽快发送。"}


@requires("viewer")
async def listing(request: web.Request) -> web.StreamResponse:
    """The outbox, newest first."""
    status = request.query.get("status", "")
    if status not in ("", *actions.STATUSES):
        status = ""
    demand_no = request.query.get("no", "")[:30]
    openid = request.query.get("openid", "")[:64]
    rt = runtime_of(request)
    rows = await actions.rows(rt.sessions, status=status or None, demand_no=demand_no,
                              openid=openid)
    return render(request, "outbox.html", {
        "rows": rows, "status": status, "no": demand_no, "openid": openid,
        "counts": await actions.counts(rt.sessions), "names": actions.STATUS_NAMES,
        "done": DONE.get(request.query.get("done", ""), ""), "error": ""})


@requires("operator")
async def retry(request: web.Request) -> web.StreamResponse:
    """Re-queue one dead or ended row."""
    row_id = form_int(request.match_info["row"])
    if row_id is None:
        return error_page(request, 400, "推送编号无效。")
    rt = runtime_of(request)
    try:
        await actions.retry(rt.sessions, row_id, actor=actor(request),
                            address=address(request), now=now(request))
    except Refused as exc:
        return error_page(request, 409, exc.message)
    rt.worker.wake()
    return redirect("/outbox?" + urlencode({"done": "retried", "status": "pending"}))


def add_routes(app: web.Application) -> None:
    """/outbox and /outbox/<id>/retry."""
    app.router.add_get("/outbox", listing)
    app.router.add_post("/outbox/{row}/retry", retry)
