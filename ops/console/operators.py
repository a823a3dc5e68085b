"""/operators (admin): operators, adding one, disabling one, setting a password; the
same actions as `python -m bot operator ...` (ops.actions.operators)."""

from __future__ import annotations

from aiohttp import web

from ops.actions import Refused
from ops.actions import operators as actions
from ops.console.auth import requires
from ops.console.views import actor, address, now, redirect, render, runtime

DONE = {"added": "已创建操作员。", "disabled": "已停用该操作员。", "password": "密码已更新。"}


async def _page(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    return render(request, "operators.html", {
        "rows": await actions.list_all(runtime(request).sessions), "roles": actions.ROLES,
        "now": now(request), "error": error,
        "done": DONE.get(request.query.get("done", ""), "")}, status=status)


@requires("admin")
async def listing(request: web.Request) -> web.StreamResponse:
    """Every operator with role and state."""
    return await _page(request)


@requires("admin")
async def change(request: web.Request) -> web.StreamResponse:
    """Add an operator, disable one or set a password (the form's `do`)."""
    form = await request.post()
    do, name = str(form.get("do", "")), str(form.get("name", "")).strip()[:40]
    password = str(form.get("password", ""))[:200]
    rt = runtime(request)
    who = {"actor": actor(request), "address": address(request), "now": now(request)}
    try:
        if do == "add":
            await actions.add(rt.sessions, name, str(form.get("role", "")), password, **who)
            return redirect("/operators?done=added")
        if do == "disable":
            if name == request["operator"].name:
                raise Refused("不能停用自己。")
            await actions.disable(rt.sessions, name, **who)
            return redirect("/operators?done=disabled")
        if do == "password":
            await actions.set_password(rt.sessions, name, password, **who)
            return redirect("/operators?done=password")
        raise Refused("未知的操作。")
    except Refused as exc:
        return await _page(request, exc.message, status=400)


def add_routes(app: web.Application) -> None:
    """/operators (GET, POST)."""
    app.router.add_get("/operators", listing)
    app.router.add_post("/operators", change)
