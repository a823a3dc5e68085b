"""Test harness: the real app on a loopback port, a WeChat simulator and a movable clock."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from adapters.sqltypes import utcnow
from config.settings import Settings, load_settings
from devtools.sim import WeChatSim
from wiring.app import FAKE_WECHAT, RUNTIME, build_app
from wiring.runtime import Runtime


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def serve_posts(handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
                      *paths: str) -> tuple[web.AppRunner, str]:
    """A stand-in for an outside HTTP service (SMS gateway, verification API): `handler`
    answers POSTs to `paths` on a loopback port. Returns the runner, for the test to clean
    up, and the base URL (http://127.0.0.1:PORT)."""
    app = web.Application()
    for path in paths:
        app.router.add_post(path, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


@dataclass
class Clock:
    """Real time plus an offset tests can move forward (idle expiry, code expiry)."""

    offset: timedelta = field(default_factory=timedelta)

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def advance(self, **kw: float) -> None:
        self.offset += timedelta(**kw)


@dataclass
class Harness:
    settings: Settings
    clock: Clock
    app: web.Application
    runner: web.AppRunner
    sim: WeChatSim
    openid: str = "o_test_user_0001"
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://{self.settings.host}:{self.settings.port}"

    @property
    def runtime(self) -> Runtime:
        return self.app[RUNTIME]

    @property
    def fake(self) -> Any:
        return self.app[FAKE_WECHAT]

    async def say(self, text: str, openid: str | None = None) -> str:
        """Send a text as the user; the passive reply's content ('' when none)."""
        reply = await self.sim.text(openid or self.openid, text)
        assert reply.status == 200, (reply.status, reply.body)
        return reply.content or ""

    async def click(self, key: str, openid: str | None = None) -> str:
        reply = await self.sim.event(openid or self.openid, "CLICK", key)
        assert reply.status == 200, (reply.status, reply.body)
        return reply.content or ""

    async def walk(self, *texts: str, openid: str | None = None) -> list[str]:
        return [await self.say(t, openid) for t in texts]

    async def stop(self) -> None:
        await self.runner.cleanup()

    async def restart(self) -> None:
        """Stop the server and start a new one on the same database (a redeploy)."""
        await self.stop()
        fresh = await start_harness(self.settings, clock=self.clock, sim=self.sim,
                                    **self.options)
        self.app, self.runner = fresh.app, fresh.runner


async def start_harness(settings: Settings, *, clock: Clock | None = None,
                        sim: WeChatSim | None = None, **options: Any) -> Harness:
    clock = clock or Clock()
    app = await build_app(settings, clock=clock, **options)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    base = f"http://{settings.host}:{settings.port}"
    sim = sim or WeChatSim(f"{base}/wechat", settings.wechat_token, appid=settings.wechat_appid,
                           aes_key=settings.wechat_aes_key, fake_url=f"{base}/fake-wechat/")
    return Harness(settings, clock, app, runner, sim, options=options)


def test_settings(db_url: str, schema: str | None, tmp: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "port": free_port(), "database_url": db_url, "database_schema": schema,
        "var_dir": tmp, "push_interval": 0.05, "data_key": "x" * 43, "console_port": 0,
    }
    values.update(overrides)
    return load_settings(**values)


async def eventually(predicate: Any, within: float = 5.0, every: float = 0.05) -> Any:
    """Wait for an async (or plain) predicate to become truthy; return its value."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(every)
