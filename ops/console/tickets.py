"""/tickets: the 工单 users filed (人工核验 for a four-factor check the registry has not
caught up with, 问题反馈 with screenshots), and an operator's work on them through
ops.actions.tickets, as `python -m bot ticket …`: take, resolve or reject with a reply the
user receives. Opening an image and revealing the ID number and phone are audited."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from adapters.tickets import TicketStore
from ops.actions import tickets as actions
from ops.console.auth import requires
from ops.console.views import address, error_page, form_int, redirect, render
from ops.console.views import runtime as runtime_of
from state_machines.ticket import KIND_NAMES, STATES

NO_MAX = 20
DONE = {"take": "已受理。", "resolve": "已办结，回复已发给用户。",
        "reject": "已驳回，回复已发给用户。"}
MOVES = {"take": actions.take_ticket, "resolve": actions.resolve_ticket,
         "reject": actions.reject_ticket}


def _desk(request: web.Request) -> TicketStore:
    desk = runtime_of(request).ports.tickets
    if not isinstance(desk, TicketStore):  # the composition root always wires the desk
        raise web.HTTPServiceUnavailable(text="ticket desk not configured")
    return desk


def _name(request: web.Request) -> str:
    return request["operator"].name


@requires("viewer")
async def listing(request: web.Request) -> web.StreamResponse:
    """Tickets waiting and done, oldest waiting first; a status tab narrows them."""
    status = request.query.get("status", "")
    if status not in ("", *STATES):
        status = ""
    found = await actions.list_tickets(_desk(request), status or None, 200)
    return render(request, "tickets.html", {
        "rows": found, "status": status, "states": STATES, "kinds": KIND_NAMES,
        "waiting": actions.waiting})


async def _page(request: web.Request, *, reveal: bool = False, error: str = "",
                typed: dict[str, str] | None = None, status: int = 200) -> web.Response:
    no = request.match_info["no"][:NO_MAX]
    try:
        ticket = await actions.show_ticket(_desk(request), no, reveal=reveal,
                                           by=_name(request), address=address(request))
    except actions.ActionError as exc:
        return error_page(request, 404, exc.message)
    check: dict[str, Any] = ticket.details.get("check") or {}
    return render(request, "ticket.html", {
        "t": ticket, "kinds": KIND_NAMES, "roles": actions.ROLE,
        "image_status": actions.IMAGE_STATUS,
        "check": CHECK_LINE.format(check=actions.CHECKS.get(check.get("check"), "—"),
                                   failed=actions.FACTORS.get(check.get("failed"), "—"),
                                   times=check.get("times", "—")) if check else "",
        "open": actions.waiting(ticket), "revealed": reveal,
        "done": DONE.get(request.query.get("done", ""), ""), "error": error,
        "typed": typed or {}}, status=status)


CHECK_LINE = "{check}未通过，不一致：{failed}，共 {times} 次"


@requires("viewer")
async def detail(request: web.Request) -> web.StreamResponse:
    """One ticket: what the user gave (masked), its images, its moves."""
    return await _page(request)


@requires("admin")
async def reveal(request: web.Request) -> web.StreamResponse:
    """The ticket with its ID number and phone whole (the data-sync request needs them)."""
    return await _page(request, reveal=True)


@requires("operator")
async def move(request: web.Request) -> web.StreamResponse:
    """Take, resolve or reject; a refusal re-shows the ticket with the reply kept."""
    action = request.match_info["action"]
    if action not in MOVES:
        return error_page(request, 404, "没有这个操作。")
    form = await request.post()
    reply = str(form.get("reply", ""))
    no = request.match_info["no"][:NO_MAX]
    extra = {} if action == "take" else {"reply": reply}
    try:
        await MOVES[action](_desk(request), no, by=_name(request), address=address(request),
                            **extra)
    except actions.ActionError as exc:
        return await _page(request, error=exc.message, typed={"reply": reply}, status=422)
    runtime_of(request).worker.wake()
    return redirect(f"/tickets/{no}?done={action}")


@requires("operator")
async def image(request: web.Request) -> web.StreamResponse:
    """One image, decrypted for this view only (never cached); the view is audited."""
    index = form_int(request.match_info["index"])
    if index is None:
        return error_page(request, 400, "图片编号无效。")
    try:
        found = await actions.ticket_image(_desk(request), request.match_info["no"][:NO_MAX],
                                           index, by=_name(request),
                                           address=address(request))
    except actions.ActionError as exc:
        return error_page(request, 404, exc.message)
    return web.Response(body=found.data, content_type=found.mime, headers={
        "Cache-Control": "no-store",
        "Content-Disposition": f'inline; filename="{found.filename}"'})


def add_routes(app: web.Application) -> None:
    """/tickets, /tickets/<no>, its reveal, moves and images."""
    app.router.add_get("/tickets", listing)
    app.router.add_get("/tickets/{no}", detail)
    app.router.add_post("/tickets/{no}/reveal", reveal)
    app.router.add_post("/tickets/{no}/{action}", move)
    app.router.add_get("/tickets/{no}/images/{index}", image)
