"""Composition root: Settings -> database, adapters, Bot, aiohttp app, push worker.

    python server.py              # the embedded default: no configuration needed
    RXF_ENV=prod ... python server.py --workers 4
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters import database
from adapters.crypto import DataCipher, DataKeyError, load_or_create_dev_key
from adapters.factory import build_ports
from adapters.media import MediaWorker
from adapters.ports import Ports
from adapters.sqltypes import utcnow
from adapters.ticket_wiring import wire_tickets
from adapters.wechat_api import WeChatApiClient
from bot import housekeeping, logs, observe, startup
from bot.events import EventHandler
from bot.faq_log import FaqLog
from bot.faq_reply import FaqResponder
from bot.handler import Bot
from bot.locks import UserLocks
from bot.platform_events import PlatformEvents
from bot.push_results import TemplateResults
from bot.push_worker import PushWorker, pending_count
from bot.replay import ReplayGuard
from bot.router import Router
from bot.settings import Settings, SettingsError, load_settings
from bot.sources import FollowerSources
from bot.store import ConversationStore
from bot.templates import dev_default as dev_default_templates
from bot.webhook import WeChatWebhook, health_route
from bot.wechat_io import MAX_BODY, Codec
from dialogs.registry import Registry

log = logging.getLogger("rxf")
Clock = Callable[[], datetime]


def load_faq(directory: Path | None = None) -> Any:
    from knowledge.matcher import FaqMatcher

    return FaqMatcher.load(directory)


def load_understander(directory: Path | None = None) -> Any:
    from knowledge.understanding import Understander

    return Understander.load(directory)


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    cipher: DataCipher
    ports: Ports
    registry: Registry
    api: WeChatApiClient
    worker: PushWorker
    bot: Bot
    faq_log: FaqLog
    runner: database.PhaseRunner
    lock_engine: AsyncEngine
    media: MediaWorker | None = None  # downloads tickets' images (adapters/media.py)
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def reload_faq(self) -> str:
        """Swap in freshly loaded knowledge; a broken file keeps the old one serving."""
        from knowledge.matcher import FaqError

        try:
            matcher = await asyncio.to_thread(load_faq, self.settings.knowledge_dir)
            understander = await asyncio.to_thread(load_understander,
                                                   self.settings.knowledge_dir)
        except FaqError as exc:
            log.error("faq reload refused: %s", exc)
            return f"refused: {exc}"
        self.ports.faq = matcher
        self.ports.understander = understander
        log.info("faq reloaded: %d entries", len(matcher.entries))
        return f"reloaded {len(matcher.entries)} entries"

    def start_background(self) -> None:
        self.tasks.append(asyncio.create_task(self.worker.run(self.stop), name="push-worker"))
        if self.media is not None:
            self.tasks.append(asyncio.create_task(self.media.run(self.stop), name="media"))
        self.tasks.append(asyncio.create_task(housekeeping.run(
            self.sessions, self.stop,
            retention=housekeeping.Retention.from_settings(self.settings),
            clock=self.bot.clock), name="housekeeping"))

    async def close(self) -> None:
        self.stop.set()
        await self.bot.drain()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, 5)
        self.runner.close()
        for port in (self.ports.platform, self.ports.catalog):  # http clients hold sessions
            close = getattr(port, "close", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    await close()
        await self.engine.dispose()
        if self.lock_engine is not self.engine:
            await self.lock_engine.dispose()


def data_cipher(settings: Settings) -> DataCipher:
    key = settings.data_key
    if not key:
        if settings.env == "prod":
            raise SettingsError("configuration error: RXF_DATA_KEY is required in prod")
        path = settings.var_dir / "data.key"
        try:
            key = load_or_create_dev_key(settings.var_dir)
        except OSError as exc:
            raise SettingsError(f"configuration error: RXF_DATA_KEY is unset and {path} "
                                f"cannot be read or made: {exc.strerror or exc}") from None
        try:
            return DataCipher(key)
        except DataKeyError as exc:
            raise SettingsError(f"configuration error: RXF_DATA_KEY is unset and {path} is "
                                f"damaged ({str(exc).removeprefix('RXF_DATA_KEY: ')}); "
                                f"restore it or set RXF_DATA_KEY") from None
    try:
        return DataCipher(key)
    except DataKeyError as exc:
        raise SettingsError(f"configuration error: {exc}") from None


async def build_runtime(settings: Settings, *, registry: Registry | None = None,
                        clock: Clock = utcnow, faq: Any = "load", understander: Any = "load",
                        migrate: bool = True) -> Runtime:
    cipher = data_cipher(settings)
    engine = database.make_engine(settings.database_url, pool_size=settings.db_pool_size,
                                  schema=settings.database_schema)
    if migrate:
        await database.migrate(engine)
    sessions = database.session_factory(engine)
    matcher = await asyncio.to_thread(load_faq, settings.knowledge_dir) if faq == "load" else faq
    runner = database.PhaseRunner(engine)
    ports = build_ports(settings, sessions, cipher, clock, matcher, runner)
    if understander == "load":
        understander = await asyncio.to_thread(load_understander, settings.knowledge_dir)
    ports.understander = understander
    registry = registry or Registry.default(settings.extra_dialog_modules())
    faq_log = FaqLog(sessions)
    router = Router(registry, FaqResponder(ports, faq_log))
    api = WeChatApiClient(appid=settings.wechat_appid, secret=settings.wechat_secret,
                          api_base=settings.api_base, sessions=sessions,
                          on_error=observe.wechat_error)
    worker = PushWorker(engine, sessions, api, templates=settings.push_templates(),
                        detail_url=settings.detail_url, max_attempts=settings.push_max_attempts,
                        interval=settings.push_interval, base_delay=settings.push_base_delay,
                        max_delay=settings.push_max_delay, clock=clock,
                        give_up_after=timedelta(days=settings.push_give_up_days))
    media = wire_tickets(ports, sessions, cipher, clock, runner, api.get_media, worker.wake)
    lock_engine = engine
    if not settings.is_sqlite:
        lock_engine = database.make_engine(settings.database_url, schema=settings.database_schema,
                                           pool_size=settings.db_lock_pool_size, max_overflow=0,
                                           autocommit=True, pre_ping=False)
    results = TemplateResults(sessions, clock)
    bot = Bot(store=ConversationStore(runner, cipher), locks=UserLocks(lock_engine),
              router=router, ports=ports,
              events=EventHandler(router, results.record, FollowerSources(runner).record),
              budget=settings.reply_budget, rate_limit=settings.rate_limit_per_minute,
              clock=clock, replay=ReplayGuard(runner, settings.signature_max_age, clock))
    return Runtime(settings=settings, engine=engine, sessions=sessions, cipher=cipher,
                   ports=ports, registry=registry, api=api, worker=worker, bot=bot,
                   faq_log=faq_log, runner=runner, lock_engine=lock_engine, media=media)


SETTINGS = web.AppKey("settings", Settings)
RUNTIME = web.AppKey("runtime", Runtime)
FAKE_WECHAT = web.AppKey("fake_wechat", Any)


def build_app(settings: Settings, *, registry: Registry | None = None, clock: Clock = utcnow,
              faq: Any = "load", understander: Any = "load",
              background: bool = True, migrate: bool = True) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY + 1)
    app[SETTINGS] = settings
    if settings.uses_fake_wechat:
        from bot.fake_wechat import FakeWeChat
        from bot.fake_wechat_templates import seeded_templates

        fake = FakeWeChat(appid=settings.wechat_appid, secret=settings.wechat_secret,
                          window_clock=lambda: clock().timestamp(),
                          templates=seeded_templates(settings.push_templates().values()))
        app[FAKE_WECHAT] = fake
        app.add_subapp("/fake-wechat/", fake.app())

    async def lifespan(app: web.Application) -> AsyncIterator[None]:
        runtime = await build_runtime(settings, registry=registry, clock=clock, faq=faq,
                                      understander=understander, migrate=migrate)
        app[RUNTIME] = runtime
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

    app.cleanup_ctx.append(lifespan)
    codec = Codec(settings.wechat_token, settings.wechat_appid, settings.wechat_aes_key,
                  settings.signature_max_age, settings.wechat_aes_key_previous)
    webhook = WeChatWebhook(codec, lambda: app[RUNTIME].bot if RUNTIME in app else None)

    async def health() -> dict[str, object]:
        runtime = app.get(RUNTIME)
        if runtime is None:
            return {"database": False, "faq": False}
        entries = getattr(runtime.ports.faq, "entries", ())
        return {"database": await database.ping(runtime.engine), "faq": len(entries)}

    async def faq_reload(request: web.Request) -> web.Response:
        # Operators only: the endpoint answers on the loopback interface alone.
        if request.remote not in ("127.0.0.1", "::1") or RUNTIME not in app:
            return web.Response(status=403, text="loopback only")
        outcome = await app[RUNTIME].reload_faq()
        return web.Response(status=200 if outcome.startswith("reloaded") else 400,
                            text=outcome)

    callbacks = PlatformEvents(settings.platform_secret, lambda: app[RUNTIME].sessions,
                               clock, wake=lambda: app[RUNTIME].worker.wake())
    async def metrics(request: web.Request) -> web.Response:
        runtime = app.get(RUNTIME)

        async def counts() -> dict[str, int]:
            return await pending_count(runtime.sessions) if runtime else {}

        body, content_type = await observe.render(counts)
        return web.Response(body=body, headers={"Content-Type": content_type})

    app.add_routes([*webhook.routes(), health_route(health), web.get("/metrics", metrics),
                    web.post("/admin/faq/reload", faq_reload),
                    web.post("/platform/events", callbacks.handle)])
    if settings.dev_routes:
        from bot import dev_routes

        app.add_routes(dev_routes.routes(lambda: app.get(RUNTIME)))
    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="融信服 WeChat front door")
    parser.add_argument("--workers", type=int, default=None, help="server processes")
    args = parser.parse_args(argv)
    logs.setup()
    try:
        # Set in the environment, so worker processes (RXF_WORKERS>1) read the same.
        os.environ.update(dev_default_templates(os.environ))
        overrides = {"workers": args.workers} if args.workers else {}
        settings = load_settings(**overrides)
        # Every check before the banner, so a start that fails says why in one line.
        startup.prepare_var_dir(settings)
        data_cipher(settings)
        startup.check_listen(settings)
        asyncio.run(startup.check_database(settings))
    except (SettingsError, startup.StartupError) as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"融信服 bot: http://{settings.host}:{settings.port}/wechat "
          f"(chat with it: .venv/bin/python -m bot chat)", flush=True)
    if settings.workers > 1:
        from bot.supervisor import supervise

        return supervise(settings)
    try:
        web.run_app(build_app(settings, migrate=False), host=settings.host, port=settings.port,
                    print=None, access_log=None)
    except Exception as exc:  # what the checks could not foresee: still one line
        print(startup.explain(exc, settings), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
