"""Logging in and out, sessions, CSRF and roles for every console route.

`requires(role)` guards each page: a visitor without a session is sent to /login, an
operator whose role is too low gets 403. Every POST must carry the form field
`csrf_token` (the session's token; before login, the one in the login cookie): the
middleware refuses it with 403 otherwise, before any handler runs.
"""

from __future__ import annotations

import functools
import hmac
import secrets
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from aiohttp import web

from ops.actions import Refused, audit
from ops.actions.operators import ROLE_NAMES, ROLES, LoginPolicy, authenticate
from ops.console import sessions
from ops.console.views import address, error_page, now, redirect, render, runtime

COOKIE = "rxf_console"
LOGIN_CSRF = "rxf_console_login"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def requires(role: str) -> Callable[[Handler], Handler]:
    """Decorate a page handler: only operators whose role reaches `role` (viewer <
    operator < admin) get through."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role}")

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(request: web.Request) -> web.StreamResponse:
            operator = request.get("operator")
            if operator is None:
                if request.method == "GET":
                    raise web.HTTPFound(f"/login?next={quote(request.path_qs)}")
                return error_page(request, 403, "请先登录。")
            if not operator.may(role):
                return error_page(request, 403, f"此操作需要「{ROLE_NAMES[role]}」权限。")
            return await handler(request)

        guarded.required_role = role  # type: ignore[attr-defined]
        return guarded

    return decorate


def _idle(request: web.Request) -> timedelta:
    return timedelta(minutes=runtime(request).settings.console_idle_minutes)


def _secure(request: web.Request) -> bool:
    return runtime(request).settings.env == "prod"


def _set_cookie(request: web.Request, response: web.StreamResponse, name: str,
                value: str) -> None:
    response.set_cookie(name, value, httponly=True, samesite="Strict", path="/",
                        secure=_secure(request))


def put(target: Any, key: str, value: Any) -> None:
    """`target[key] = value` for the plain keys of the pages' contract (request["operator"],
    request["csrf_token"], app["runtime"]), without aiohttp's advice to use typed keys."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", web.NotAppKeyWarning)
        target[key] = value


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Find the session, provide `csrf_token`, refuse a POST without the right one."""
    put(request, "operator", None)
    fresh = None
    token = request.cookies.get(COOKIE)
    if token and len(token) < 100:
        found = await sessions.load(runtime(request).sessions, token, now(request),
                                    _idle(request))
        if found is not None:
            put(request, "operator", found[0])
            put(request, "csrf_token", found[1])
    if request["operator"] is None:
        pre = request.cookies.get(LOGIN_CSRF, "")
        if not 30 < len(pre) < 100:
            pre = fresh = secrets.token_urlsafe(32)
        put(request, "csrf_token", pre)
    if request.method not in ("GET", "HEAD"):
        form = await request.post()
        sent = form.get("csrf_token")
        if (fresh is not None or not isinstance(sent, str)
                or not hmac.compare_digest(sent.encode(), request["csrf_token"].encode())):
            return error_page(request, 403, "页面已过期或请求来源不明（缺少有效的 CSRF 令牌），"
                                            "请刷新页面后重试。")
    response = await handler(request)
    if fresh is not None:
        _set_cookie(request, response, LOGIN_CSRF, fresh)
    if token and request["operator"] is None:
        response.del_cookie(COOKIE, path="/")
    return response


def base_context(request: web.Request) -> dict[str, Any]:
    """What every template sees: the CSRF token, the operator and the navigation."""
    from ops.console.views import NAV

    operator = request.get("operator")
    nav = [(p, label) for p, label, role in NAV if operator is not None and operator.may(role)]
    return {"csrf_token": request.get("csrf_token", ""), "operator": operator, "nav": nav,
            "path": request.path, "role_names": ROLE_NAMES}


def _next(value: object) -> str:
    target = str(value or "/")
    # Only a path of this console: never another site (//host, /\\host, a scheme).
    safe = target.startswith("/") and not target.startswith(("//", "/\\"))
    return target if safe and "\n" not in target and "\r" not in target else "/"


async def login_page(request: web.Request) -> web.StreamResponse:
    """The login form (a logged-in operator goes to the overview)."""
    if request["operator"] is not None:
        raise web.HTTPFound("/")
    return render(request, "login.html", {"next": _next(request.query.get("next")),
                                          "error": "", "name": ""})


async def login(request: web.Request) -> web.StreamResponse:
    """Check the password (lockout and throttle included) and open a session."""
    form = await request.post()
    name, password = str(form.get("name", "")), str(form.get("password", ""))
    rt = runtime(request)
    settings = rt.settings
    policy = LoginPolicy(max_failures=settings.console_max_failures,
                         lock=timedelta(minutes=settings.console_lock_minutes),
                         address_failures=settings.console_address_failures)
    try:
        if not name.strip() or not password:
            raise Refused("请输入用户名和密码。")
        operator = await authenticate(rt.sessions, name[:80], password[:200],
                                      address=address(request), now=now(request),
                                      policy=policy)
    except Refused as exc:
        return render(request, "login.html", {"next": _next(form.get("next")),
                                              "error": exc.message, "name": name[:40]},
                      status=401)
    token = await sessions.open_session(rt.sessions, operator, now(request), _idle(request))
    response = redirect(_next(form.get("next")))
    _set_cookie(request, response, COOKIE, token)
    response.del_cookie(LOGIN_CSRF, path="/")
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    """End the session (a POST with the CSRF token, so no page can log you out)."""
    token = request.cookies.get(COOKIE)
    operator = request["operator"]
    if token and operator is not None:
        rt = runtime(request)
        await sessions.close(rt.sessions, token)
        await audit.record(rt.sessions, actor=audit.operator_actor(operator.name),
                           address=address(request), action="logout", target=operator.name,
                           detail="", at=now(request))
    response = redirect("/login")
    response.del_cookie(COOKIE, path="/")
    return response


def add_routes(app: web.Application) -> None:
    """/login (GET, POST) and /logout (POST)."""
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
