"""HTTP routes of the fake WeChat API (state lives in devtools/fake_wechat.py).

API routes (below `cgi-bin/`) answer like WeChat: HTTP 200 with JSON, errors as
`{"errcode": N, "errmsg": "..."}`; each call is counted, may be hit by a queued fault,
and (except token endpoints) checks its `access_token` first. Control routes (`_sent`,
`_faults`, ...) are for the chat simulator, demos and tests; they answer 400 with
`{"error": "..."}` on bad input.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import math
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

from aiohttp import web

from devtools.fake_wechat import FakeWeChat, Fault
from devtools.fake_wechat_checks import (
    ApiError,
    check_custom,
    check_menu,
    check_openid,
    check_qrcode,
    parse_json_body,
)
from devtools.fake_wechat_media import media_response
from devtools.fake_wechat_media import upload as media_upload
from devtools.fake_wechat_tokens import control as token_control

log = logging.getLogger("devtools.fake_wechat")

MAX_WAIT = 25.0  # long-poll cap: below common proxy and client idle timeouts
MAX_LIMIT = 10_000

Handler = Callable[[web.Request], Awaitable[dict[str, Any] | web.StreamResponse]]
RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_dumps = functools.partial(json.dumps, ensure_ascii=False)
_OK: dict[str, Any] = {"errcode": 0, "errmsg": "ok"}


@dataclass
class _AppState:
    closing: bool = False  # set on shutdown so pending long-polls return at once


_STATE = web.AppKey("fake_wechat_state", _AppState)


def _json(data: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


def _bad_request(reason: str) -> web.Response:
    return _json({"error": reason}, status=400)


async def _control_body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise ValueError("body must be JSON") from exc
    if not isinstance(body, dict):
        raise ValueError("body must be a JSON object")
    return body


class _Routes:
    def __init__(self, fake: FakeWeChat) -> None:
        self.fake = fake

    def api(self, endpoint: str, handler: Handler, *, auth: bool = True) -> RouteHandler:
        """Wrap an API handler with call counting, fault injection and the token check."""
        fake = self.fake

        async def respond(request: web.Request, fault: Fault | None) -> web.StreamResponse:
            if fault is not None:
                await asyncio.sleep(fault.delay)
                if fault.http_status is not None:
                    if fault.errcode is not None:
                        return _json(ApiError(fault.errcode).body(), status=fault.http_status)
                    return web.Response(
                        status=fault.http_status,
                        text=f"fake WeChat injected fault: HTTP {fault.http_status}",
                    )
                if fault.errcode is not None:
                    return _json(ApiError(fault.errcode, "(injected fault)").body())
            try:
                if auth:
                    fake.tokens.check(request.query.get("access_token"))
                answer = await handler(request)
                return answer if isinstance(answer, web.StreamResponse) else _json(answer)
            except ApiError as exc:
                return _json(exc.body())

        async def handle(request: web.Request) -> web.StreamResponse:
            fake.calls[endpoint] = fake.calls.get(endpoint, 0) + 1
            # Taken before the delay so concurrent calls each consume their own fault.
            fault = fake.take_fault(endpoint)
            if fault is None or not fault.delay:
                return await respond(request, fault)
            # A client that gives up during the delay may still get its message delivered,
            # as with WeChat (add errcode/http_status to the fault to lose it instead). So
            # read the body now and finish shielded: TestServer cancels handlers when the
            # client disconnects, production runners do not; both must behave alike.
            await request.read()
            return await asyncio.shield(respond(request, fault))

        return handle

    # --- API -----------------------------------------------------------------------------

    async def token(self, request: web.Request) -> dict[str, Any]:
        q = request.query
        return self.fake.grant(
            q.get("grant_type"), q.get("appid"), q.get("secret"), stable=False, force=False
        )

    async def stable_token(self, request: web.Request) -> dict[str, Any]:
        body = parse_json_body(await request.read())
        return self.fake.grant(
            body.get("grant_type"), body.get("appid"), body.get("secret"),
            stable=True, force=body.get("force_refresh") in (True, "true"),
        )

    async def custom_send(self, request: web.Request) -> dict[str, Any]:
        body = parse_json_body(await request.read())
        check_custom(body)
        self.fake.take_custom_quota(body["touser"])
        self.fake.record("custom", body["touser"], body)
        return dict(_OK)

    async def template_send(self, request: web.Request) -> dict[str, Any]:
        body = parse_json_body(await request.read())
        book = self.fake.templates
        shown = book.check(body)
        touser, client_msg_id = body["touser"], body.get("client_msg_id")
        if not self.fake.user(touser).subscribed:
            raise ApiError(43004)
        earlier = book.repeat(touser, client_msg_id)
        if earlier is not None:  # WeChat sends one message per openid + client_msg_id
            return {**_OK, "msgid": earlier}
        record = self.fake.record("template", touser, body, shown)
        record.result["msgid"] = record.id  # the msgid is the record id
        book.remember(touser, client_msg_id, record.id)
        return {**_OK, "msgid": record.id}

    async def private_templates(self, request: web.Request) -> dict[str, Any]:
        return {"template_list": self.fake.templates.listing()}

    async def menu_create(self, request: web.Request) -> dict[str, Any]:
        body = parse_json_body(await request.read())
        check_menu(body)
        self.fake.menu = body
        self.fake.record("menu", None, body)
        return dict(_OK)

    async def menu_get(self, request: web.Request) -> dict[str, Any]:
        if self.fake.menu is None:
            raise ApiError(46003)
        return {"menu": {"button": self.fake.menu["button"]}}

    async def menu_delete(self, request: web.Request) -> dict[str, Any]:
        self.fake.menu = None  # not recorded: `menu`, `_stats` and menu/get show the state
        return dict(_OK)

    async def qrcode_create(self, request: web.Request) -> dict[str, Any]:
        body = parse_json_body(await request.read())
        expire = check_qrcode(body)
        result: dict[str, Any] = {
            "ticket": "gQ" + secrets.token_urlsafe(36),
            "url": "http://weixin.qq.com/q/" + secrets.token_urlsafe(16),
        }
        if expire is not None:  # permanent codes have no expire_seconds, as on WeChat
            result["expire_seconds"] = expire
        self.fake.record("qrcode", None, body, dict(result))
        return result

    async def user_info(self, request: web.Request) -> dict[str, Any]:
        openid = check_openid({"touser": request.query.get("openid")})
        if not self.fake.user(openid).subscribed:
            return {"subscribe": 0, "openid": openid}
        return {"subscribe": 1, "openid": openid, "nickname": "", "language": "zh_CN"}

    # --- control ---------------------------------------------------------------------------

    async def sent(self, request: web.Request) -> web.Response:
        q = request.query
        try:
            after = int(q.get("after", "0"))
            wait = float(q.get("wait", "0"))
            limit = min(max(int(q.get("limit", "1000")), 1), MAX_LIMIT)
        except ValueError:
            return _bad_request("after and limit must be integers, wait a number")
        if not math.isfinite(wait):
            return _bad_request("wait must be a finite number")
        state = request.app[_STATE]
        found, next_after = await self.fake.wait_records(
            after=after, touser=q.get("touser") or None, kind=q.get("kind") or None,
            limit=limit, wait=min(max(wait, 0.0), MAX_WAIT), stop=lambda: state.closing,
        )
        return _json({"records": [asdict(r) for r in found], "next_after": next_after})

    async def add_fault(self, request: web.Request) -> web.Response:
        try:
            body = await _control_body(request)
            self.fake.add_fault(
                str(body.get("endpoint", "")),
                errcode=body.get("errcode"),
                http_status=body.get("http_status"),
                delay=body.get("delay", 0.0),
                count=body.get("count", 1),
            )
        except ValueError as exc:
            return _bad_request(str(exc))
        return await self.list_faults(request)

    async def list_faults(self, request: web.Request) -> web.Response:
        return _json({"pending_faults": [asdict(f) for f in self.fake.faults]})

    async def expire_tokens(self, request: web.Request) -> web.Response:
        try:
            errcode = (await _control_body(request)).get("errcode", 40001)
        except ValueError as exc:
            return _bad_request(str(exc))
        if not isinstance(errcode, int) or isinstance(errcode, bool) or errcode == 0:
            return _bad_request("errcode must be a non-zero integer")
        self.fake.expire_tokens(errcode)
        return _json({"ok": True})

    async def tokens(self, request: web.Request) -> web.Response:
        try:
            return _json(token_control(self.fake.tokens, await _control_body(request)))
        except ValueError as exc:
            return _bad_request(str(exc))

    async def set_user(self, request: web.Request) -> web.Response:
        try:
            body = await _control_body(request)
        except ValueError as exc:
            return _bad_request(str(exc))
        openid = body.get("openid")
        subscribed, window_open = body.get("subscribed", True), body.get("window_open", True)
        if not isinstance(openid, str) or not openid:
            return _bad_request("openid is required")
        if not isinstance(subscribed, bool) or not isinstance(window_open, bool):
            return _bad_request("subscribed and window_open must be booleans")
        self.fake.set_user(openid, subscribed=subscribed, window_open=window_open)
        return _json({"ok": True})

    async def user_acted(self, request: web.Request) -> web.Response:
        """What WeChat saw a user do: {"openid", "msg_type", "event"} (devtools/sim.py)."""
        try:
            body = await _control_body(request)
        except ValueError as exc:
            return _bad_request(str(exc))
        openid, msg_type, event = body.get("openid"), body.get("msg_type"), body.get("event", "")
        if not isinstance(openid, str) or not openid:
            return _bad_request("openid is required")
        if not isinstance(msg_type, str) or not msg_type or not isinstance(event, str):
            return _bad_request("msg_type (and event, if given) must be non-empty strings")
        return _json(asdict(self.fake.user_acted(openid, msg_type, event)))

    async def reset(self, request: web.Request) -> web.Response:
        self.fake.reset()
        return _json({"ok": True})

    async def media_get(self, request: web.Request) -> web.StreamResponse:
        return media_response(self.fake.media, request)

    async def media_upload(self, request: web.Request) -> web.Response:
        return await media_upload(self.fake.media, request)

    async def stats(self, request: web.Request) -> web.Response:
        return _json(self.fake.stats())


def build_app(fake: FakeWeChat) -> web.Application:
    routes = _Routes(fake)
    app = web.Application()
    app[_STATE] = _AppState()

    async def on_shutdown(app: web.Application) -> None:
        # Pending long-polls would otherwise hold the shutdown for up to MAX_WAIT.
        app[_STATE].closing = True
        fake.wake()

    app.on_shutdown.append(on_shutdown)
    api, r = routes.api, app.router
    r.add_get("/cgi-bin/token", api("token", routes.token, auth=False))
    r.add_post("/cgi-bin/stable_token", api("stable_token", routes.stable_token, auth=False))
    r.add_post("/cgi-bin/message/custom/send", api("message/custom/send", routes.custom_send))
    r.add_post(
        "/cgi-bin/message/template/send", api("message/template/send", routes.template_send)
    )
    r.add_post("/cgi-bin/menu/create", api("menu/create", routes.menu_create))
    r.add_get("/cgi-bin/menu/get", api("menu/get", routes.menu_get))
    r.add_get("/cgi-bin/menu/delete", api("menu/delete", routes.menu_delete))
    r.add_post("/cgi-bin/qrcode/create", api("qrcode/create", routes.qrcode_create))
    r.add_get("/cgi-bin/user/info", api("user/info", routes.user_info))
    r.add_get("/cgi-bin/template/get_all_private_template",
              api("template/get_all_private_template", routes.private_templates))
    r.add_get("/cgi-bin/media/get", api("media/get", routes.media_get))
    r.add_post("/_media", routes.media_upload)
    r.add_get("/_sent", routes.sent)
    r.add_post("/_faults", routes.add_fault)
    r.add_get("/_faults", routes.list_faults)
    r.add_post("/_expire_tokens", routes.expire_tokens)
    r.add_post("/_tokens", routes.tokens)
    r.add_post("/_users", routes.set_user)
    r.add_post("/_inbound", routes.user_acted)
    r.add_post("/_reset", routes.reset)
    r.add_get("/_stats", routes.stats)
    return app


async def run_standalone(host: str, port: int, **kw: Any) -> None:
    """Serve a FakeWeChat(**kw) on host:port until cancelled."""
    fake = FakeWeChat(**kw)
    # A short shutdown timeout: injected delays must not hold Ctrl-C for a minute.
    runner = web.AppRunner(build_app(fake), shutdown_timeout=2.0)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        for address in runner.addresses:
            log.info("fake WeChat API base: http://%s:%s/cgi-bin/", *address[:2])
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
