"""/users and /users/<openid>: WeChat users, their account and enterprises, and the
conversation timeline. ID numbers and phones are masked; an admin may reveal one field
with a typed reason (audited, ops.actions.users.reveal)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from adapters.platform_port import PlatformError, Profile
from ops.actions import Refused
from ops.actions import users as actions
from ops.console.auth import requires
from ops.console.views import actor, address, error_page, now, render, runtime

OPENID_MAX = 64


@requires("viewer")
async def listing(request: web.Request) -> web.StreamResponse:
    """Users, the most recently active first."""
    openid = request.query.get("openid", "")[:OPENID_MAX]
    rows = await actions.listing(runtime(request).sessions, openid=openid)
    return render(request, "users.html", {"rows": rows, "openid": openid})


def _fields(profile: Profile) -> list[dict[str, str]]:
    """The masked fields of a profile and the key to reveal each."""
    found = []
    for field in actions.FIELDS:
        value = actions.field_value(profile, field)
        if value:
            found.append({"field": field, "name": actions.field_name(field),
                          "masked": actions.masked(field, value)})
    return found


async def _page(request: web.Request, *, revealed: dict[str, str] | None = None,
                error: str = "", status: int = 200) -> web.StreamResponse:
    openid = request.match_info["openid"]
    rt = runtime(request)
    user = await actions.known(rt.sessions, openid) if len(openid) <= OPENID_MAX else None
    if user is None:
        return error_page(request, 404, "没有这个微信用户。")
    try:
        profile: Profile = await rt.ports.platform.profile(openid)
        platform_error = ""
    except PlatformError as exc:
        profile, platform_error = Profile(openid=openid), exc.message
    enterprises: list[dict[str, Any]] = [{
        "e": e, "rep_field": actions.REP_ID + e.id,
        "rep_masked": actions.masked("id", e.legal_rep_id) if e.legal_rep_id else "—",
    } for e in profile.enterprises]
    return render(request, "user.html", {
        "user": user, "profile": profile, "fields": _fields(profile),
        "enterprises": enterprises, "platform_error": platform_error,
        "timeline": await actions.timeline(rt.sessions, rt.cipher, openid),
        "revealed": revealed or {}, "error": error}, status=status)


@requires("viewer")
async def detail(request: web.Request) -> web.StreamResponse:
    """One user: account, enterprises, timeline."""
    return await _page(request)


@requires("admin")
async def reveal(request: web.Request) -> web.StreamResponse:
    """Show one field unmasked, once, to an admin who gave a reason; audited."""
    form = await request.post()
    rt = runtime(request)
    openid = request.match_info["openid"]
    if await actions.known(rt.sessions, openid[:OPENID_MAX]) is None:
        return error_page(request, 404, "没有这个微信用户。")
    field = str(form.get("field", ""))[:60]
    try:
        value = await actions.reveal(rt.ports.platform, rt.sessions, rt.cipher, openid,
                                     field, str(form.get("reason", ""))[:200],
                                     actor=actor(request), address=address(request),
                                     now=now(request))
    except Refused as exc:
        return await _page(request, error=exc.message, status=400)
    return await _page(request, revealed={field: value})


def add_routes(app: web.Application) -> None:
    """/users, /users/<openid>, /users/<openid>/reveal."""
    app.router.add_get("/users", listing)
    app.router.add_get("/users/{openid}", detail)
    app.router.add_post("/users/{openid}/reveal", reveal)
