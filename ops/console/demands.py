"""/demands (local platform): every demand, one demand with its approval trail, and the
institution actions of `python -m bot demand advance` (ops.actions.demands.advance)."""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from adapters.platform_port import PlatformError
from ops.actions import Refused
from ops.actions import demands as actions
from ops.console.auth import requires
from ops.console.views import actor, address, error_page, now, redirect, render, runtime
from state_machines.demand import STATES

NOT_LOCAL = "需求列表读取本地平台（RXF_PLATFORM=local）；对接平台时请使用平台自己的后台。"


@requires("viewer")
async def listing(request: web.Request) -> web.StreamResponse:
    """Demands, newest first, optionally of one status."""
    platform = runtime(request).ports.platform
    status = request.query.get("status", "")
    if status not in STATES:
        status = ""
    if not actions.reads_all(platform):
        return render(request, "demands.html", {"rows": [], "status": "", "states": STATES,
                                                "note": NOT_LOCAL})
    rows = await actions.listing(platform, status or None, 100)
    return render(request, "demands.html", {"rows": rows, "status": status, "states": STATES,
                                            "note": ""})


async def _detail(request: web.Request, *, error: str = "", form: dict[str, str] | None = None,
                  status: int = 200) -> web.StreamResponse:
    platform = runtime(request).ports.platform
    if not actions.reads_all(platform):
        return error_page(request, 404, NOT_LOCAL)
    try:
        demand = await actions.detail(platform, request.match_info["no"][:30])
    except PlatformError as exc:
        return error_page(request, 404, exc.message)
    return render(request, "demand.html", {
        "d": demand, "actions": actions.ACTION_NAMES, "error": error, "form": form or {},
        "names": await _names(request),
        "done": request.query.get("done") == "moved"}, status=status)


async def _names(request: web.Request) -> dict[str, str]:
    """Chinese names of zone and loan-kind keys, from the catalogue (keys stay when the
    catalogue cannot answer)."""
    catalog = runtime(request).ports.catalog
    try:
        names = dict(await catalog.loan_kinds())
        names.update({z.key: z.name for z in await catalog.zones()})
    except PlatformError:
        return {}
    return names


@requires("viewer")
async def detail(request: web.Request) -> web.StreamResponse:
    """One demand with its approval trail and the action form."""
    return await _detail(request)


@requires("operator")
async def advance(request: web.Request) -> web.StreamResponse:
    """An institution's move, made by an operator; audited."""
    form = {k: str(v)[:200] for k, v in (await request.post()).items() if k != "csrf_token"}
    rt = runtime(request)
    try:
        demand = await actions.advance(
            rt.ports.platform, rt.sessions, no=request.match_info["no"][:30],
            action=form.get("action", ""), institution=form.get("institution", ""),
            amount=form.get("amount", ""), comment=form.get("comment", ""),
            handler=form.get("handler", ""), actor=actor(request), address=address(request),
            now=now(request))
    except (Refused, PlatformError) as exc:
        return await _detail(request, error=exc.message, form=form, status=400)
    rt.worker.wake()
    return redirect(f"/demands/{quote(demand.no)}?done=moved")


def add_routes(app: web.Application) -> None:
    """/demands, /demands/<单据号>, /demands/<单据号>/advance."""
    app.router.add_get("/demands", listing)
    app.router.add_get("/demands/{no}", detail)
    app.router.add_post("/demands/{no}/advance", advance)
