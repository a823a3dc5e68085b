"""The webhook's aiohttp application around a built runtime: /wechat, the platform's
callbacks, /healthz, /metrics, the loopback-only FAQ reload, and in dev the fake WeChat
API and the simulator's routes."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web

from adapters import database
from adapters.sqltypes import utcnow
from bot import observe
from bot.platform_events import PlatformEvents
from bot.push_worker import pending_count
from bot.templates import push_templates
from bot.webhook import HealthCheck, WeChatWebhook, health_route
from bot.wechat_io import MAX_BODY, Codec
from config.settings import Settings
from dialogs.registry import Registry
from wiring.runtime import LOAD, Clock, Runtime, build_runtime

SETTINGS = web.AppKey("settings", Settings)
RUNTIME = web.AppKey("runtime", Runtime)
FAKE_WECHAT = web.AppKey("fake_wechat", Any)
LOOPBACK = ("127.0.0.1", "::1")


async def build_app(settings: Settings, *, registry: Registry | None = None,
                    clock: Clock = utcnow, faq: Any = LOAD, understander: Any = LOAD,
                    background: bool = True, migrate: bool = True) -> web.Application:
    """The runtime, built now, and the application serving it (closed with the app).

    Built before the application so every handler holds what it serves, not a way to
    find it later; `web.run_app` accepts this coroutine as it is.
    """
    runtime = await build_runtime(settings, registry=registry, clock=clock, faq=faq,
                                  understander=understander, migrate=migrate)
    app = web.Application(client_max_size=MAX_BODY + 1)
    app[SETTINGS] = settings
    app[RUNTIME] = runtime
    if settings.uses_fake_wechat:
        from devtools.fake_wechat import FakeWeChat
        from devtools.fake_wechat_routes import build_app as build_fake_app
        from devtools.fake_wechat_templates import seeded_templates

        fake = FakeWeChat(appid=settings.wechat_appid, secret=settings.wechat_secret,
                          window_clock=lambda: clock().timestamp(),
                          templates=seeded_templates(push_templates(settings).values()))
        app[FAKE_WECHAT] = fake
        app.add_subapp("/fake-wechat/", build_fake_app(fake))
    app.cleanup_ctx.append(_lifespan(runtime, background))
    codec = Codec(settings.wechat_token, settings.wechat_appid, settings.wechat_aes_key,
                  settings.signature_max_age, settings.wechat_aes_key_previous)
    webhook = WeChatWebhook(codec, runtime.bot)
    callbacks = PlatformEvents(settings.platform_secret, runtime.sessions, clock,
                               wake=runtime.worker.wake)
    app.add_routes([*webhook.routes(), health_route(_health(runtime)),
                    web.get("/metrics", metrics), web.post("/admin/faq/reload", faq_reload),
                    web.post("/platform/events", callbacks.handle)])
    if settings.dev_routes:
        from devtools import dev_routes

        app.add_routes(dev_routes.routes(runtime.ports.sms, clock))
    return app


def _lifespan(runtime: Runtime,
              background: bool) -> Callable[[web.Application], AsyncIterator[None]]:
    async def lifespan(app: web.Application) -> AsyncIterator[None]:
        if background:
            runtime.start_background()
        # jieba's dictionary and the FAQ index are hundreds of thousands of long-lived
        # objects; a full collection walking them showed up as 100 ms+ pauses at p99.
        gc.collect()
        gc.freeze()
        gc.set_threshold(20_000, 50, 100)
        # Database drivers answer from threads; with the default 5 ms GIL switch interval
        # a finished query could wait that long for the busy event loop to let it in.
        sys.setswitchinterval(0.0005)
        with contextlib.suppress(NotImplementedError, RuntimeError):
            # `kill -HUP` (or `python -m bot faq reload`) reloads the FAQ in place.
            asyncio.get_running_loop().add_signal_handler(
                signal.SIGHUP, lambda: asyncio.ensure_future(runtime.reload_faq()))
        yield
        with contextlib.suppress(NotImplementedError, RuntimeError):
            asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
        await runtime.close()

    return lifespan


def _health(runtime: Runtime) -> HealthCheck:
    async def health() -> dict[str, object]:
        faq = runtime.ports.faq
        return {"database": await database.ping(runtime.engine),
                "faq": len(faq.entries) if faq is not None else False}

    return health


async def faq_reload(request: web.Request) -> web.Response:
    """POST /admin/faq/reload: reload the knowledge in place (loopback only)."""
    if request.remote not in LOOPBACK:
        return web.Response(status=403, text="loopback only")
    outcome = await request.app[RUNTIME].reload_faq()
    return web.Response(status=200 if outcome.ok else 400, text=outcome.message)


async def metrics(request: web.Request) -> web.Response:
    """GET /metrics: Prometheus text, the outbox's counts included."""
    runtime = request.app[RUNTIME]

    async def counts() -> dict[str, int]:
        return await pending_count(runtime.sessions)

    body, content_type = await observe.render(counts)
    return web.Response(body=body, headers={"Content-Type": content_type})
