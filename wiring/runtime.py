"""Build the runtime: database, cipher, adapters, dialogs registry, message handler,
push worker, and the background tasks every server process runs."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters import (
    database,
    operator_tables,  # noqa: F401  (in every process's metadata: 注销's sweep finds them)
)
from adapters.crypto import DataCipher, DataKeyError, load_or_create_dev_key
from adapters.factory import build_ports
from adapters.media import Fetch, MediaWorker
from adapters.ports import Ports
from adapters.sqltypes import utcnow
from adapters.tickets import TicketStore
from adapters.verify import LocalVerifier
from adapters.wechat_api import WeChatApiClient
from bot import housekeeping, observe
from bot.events import EventHandler
from bot.faq_log import FaqLog
from bot.faq_overlay import FaqOverlay, Reloaded
from bot.faq_reply import FaqResponder
from bot.handler import MessageHandler
from bot.locks import UserLocks
from bot.push_results import TemplateResults
from bot.push_worker import PushWorker
from bot.replay import ReplayGuard
from bot.router import Router
from bot.sources import FollowerSources
from bot.store import ConversationStore
from bot.templates import push_templates
from config.settings import Settings, SettingsError
from dialogs.registry import Registry
from knowledge.matcher import FaqError, FaqMatcher
from knowledge.understanding import Understander

log = logging.getLogger("rxf")
Clock = Callable[[], datetime]


class _Load(enum.Enum):
    FROM_SETTINGS = "load"


# build_runtime's default for the FAQ and the understander: load them from
# settings.knowledge_dir (None instead means "none": tools that never answer users).
LOAD: Final = _Load.FROM_SETTINGS




def load_faq(directory: Path | None = None) -> FaqMatcher:
    """The FAQ matcher from the knowledge folder (the shipped one by default)."""
    return FaqMatcher.load(directory)


def load_understander(directory: Path | None = None) -> Understander:
    """The intent and slot reader from the knowledge folder (the shipped one by default)."""
    return Understander.load(directory)


@dataclass
class Runtime:
    """One server process's (or one command's) running parts, built by build_runtime:
    the database engines and sessions, the cipher, the ports, the message handler, the
    push worker and the FAQ overlay, plus the background tasks it started."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    cipher: DataCipher
    ports: Ports
    registry: Registry
    api: WeChatApiClient
    worker: PushWorker
    bot: MessageHandler
    faq_log: FaqLog
    runner: database.PhaseRunner
    lock_engine: AsyncEngine
    faq_overlay: FaqOverlay
    media: MediaWorker | None = None  # downloads tickets' images (adapters/media.py)
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def reload_faq(self) -> Reloaded:
        """Swap in freshly loaded knowledge (with the operators' stored edits); a broken
        file keeps the old one serving."""
        try:
            understander = await asyncio.to_thread(load_understander,
                                                   self.settings.knowledge_dir)
        except FaqError as exc:
            log.error("faq reload refused: %s", exc)
            return Reloaded(False, f"refused: {exc}")
        outcome = await self.faq_overlay.refresh(force=True)
        if outcome.ok:
            self.ports.understander = understander
        return outcome

    def start_background(self) -> None:
        """Start the push worker, the FAQ-edit poller and housekeeping (a server process
        does; a one-off command does not)."""
        self.tasks.append(asyncio.create_task(self.worker.run(self.stop), name="push-worker"))
        if self.media is not None:
            self.tasks.append(asyncio.create_task(self.media.run(self.stop), name="media"))
        if self.ports.faq is not None:  # operators' FAQ edits, live without a restart
            self.tasks.append(asyncio.create_task(self.faq_overlay.run(self.stop),
                                                  name="faq-edits"))
        self.tasks.append(asyncio.create_task(housekeeping.run(
            self.sessions, self.stop,
            retention=housekeeping.Retention.from_settings(self.settings),
            clock=self.bot.clock), name="housekeeping"))

    async def close(self) -> None:
        """Stop the background tasks, finish the messages in hand, release every port.

        Shutdown goes on past a part that fails to close (the rest must still be
        released), but says which part and why.
        """
        self.stop.set()
        await self.bot.drain()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                try:
                    await asyncio.wait_for(task, 5)
                except Exception:
                    log.exception("closing: task %s did not stop cleanly", task.get_name())
        self.runner.close()
        for name, port in (("platform", self.ports.platform), ("catalog", self.ports.catalog)):
            if port is None:
                continue
            try:
                await port.close()
            except Exception:
                log.exception("closing: the %s port did not close", name)
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
                        clock: Clock = utcnow, faq: Any = LOAD, understander: Any = LOAD,
                        migrate: bool = True) -> Runtime:
    cipher = data_cipher(settings)
    engine = database.make_engine(settings.database_url, pool_size=settings.db_pool_size,
                                  schema=settings.database_schema)
    if migrate:
        await database.migrate(engine)
    sessions = database.session_factory(engine)
    matcher = await asyncio.to_thread(load_faq, settings.knowledge_dir) if faq is LOAD else faq
    runner = database.PhaseRunner(engine)
    ports = build_ports(settings, sessions, cipher, clock, matcher, runner)
    if understander is LOAD:
        understander = await asyncio.to_thread(load_understander, settings.knowledge_dir)
    ports.understander = understander
    faq_overlay = FaqOverlay(sessions, ports, settings.knowledge_dir,
                             settings.faq_poll_interval)
    if matcher is not None:
        await faq_overlay.refresh()  # the edits stored so far, on top of faq.yaml
    registry = registry or Registry.default(settings.extra_dialog_modules())
    faq_log = FaqLog(sessions)
    router = Router(registry, FaqResponder(ports, faq_log))
    api = WeChatApiClient(appid=settings.wechat_appid, secret=settings.wechat_secret,
                          api_base=settings.api_base, sessions=sessions,
                          on_error=observe.wechat_error)
    worker = PushWorker(engine, sessions, api, templates=push_templates(settings),
                        detail_url=settings.detail_url, max_attempts=settings.push_max_attempts,
                        interval=settings.push_interval, base_delay=settings.push_base_delay,
                        max_delay=settings.push_max_delay, clock=clock,
                        give_up_after=timedelta(days=settings.push_give_up_days))
    media = _ticket_desk(ports, sessions, cipher, clock, runner, api.get_media, worker.wake,
                         settings.push_interval)
    lock_engine = engine
    if not settings.is_sqlite:
        lock_engine = database.make_engine(settings.database_url, schema=settings.database_schema,
                                           pool_size=settings.db_lock_pool_size, max_overflow=0,
                                           autocommit=True, pre_ping=False)
    results = TemplateResults(sessions, clock)
    bot = MessageHandler(store=ConversationStore(runner, cipher), locks=UserLocks(lock_engine),
              router=router, ports=ports,
              events=EventHandler(router, results.record, FollowerSources(runner).record),
              budget=settings.reply_budget, rate_limit=settings.rate_limit_per_minute,
              clock=clock, replay=ReplayGuard(runner, settings.signature_max_age, clock))
    return Runtime(settings=settings, engine=engine, sessions=sessions, cipher=cipher,
                   ports=ports, registry=registry, api=api, worker=worker, bot=bot,
                   faq_log=faq_log, runner=runner, lock_engine=lock_engine,
                   faq_overlay=faq_overlay, media=media)


@contextlib.asynccontextmanager
async def tool_runtime(settings: Settings, *, faq: Any = None) -> AsyncIterator[Runtime]:
    """A runtime for one command of `python -m bot`: no understander, the FAQ only when
    asked for, nothing in the background, closed when the command is done."""
    runtime = await build_runtime(settings, faq=faq, understander=None)
    try:
        yield runtime
    finally:
        await runtime.close()


def _ticket_desk(ports: Ports, sessions: async_sessionmaker[AsyncSession], cipher: DataCipher,
                 clock: Clock, runner: database.PhaseRunner | None, fetch: Fetch,
                 wake_push: Callable[[], None], interval: float) -> MediaWorker:
    """Fill `ports.tickets` (the store dialogs reach) and give the media worker that
    downloads its images; with local verification, a resolved 人工核验 stands for the
    platform's manual data sync in the demo registry."""
    media = MediaWorker(sessions, cipher, fetch, clock=clock, interval=interval,
                        on_told=wake_push)
    ports.tickets = TicketStore(sessions, cipher, clock, runner, on_image=media.wake,
                                on_outbox=wake_push)
    if isinstance(ports.verify, LocalVerifier):
        ports.verify.synced = ports.tickets.synced
    return media
