"""Faults: the database away, SIGKILL mid-journey, WeChat's retries across processes."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.handler import BUSY
from config.settings import DEV_TOKEN
from devtools.sim import WeChatSim, text_xml
from tests.conftest import PG_URL
from tests.demo_dialog import demo_registry
from tests.processes import ServerProcess
from tests.proxy import Proxy
from tests.support import Harness, free_port

MakeHarness = Callable[..., Awaitable[Harness]]
FORM = ("演示", "{name}", "13812345678", "红色", "深", "备注{n}", "确认")


@asynccontextmanager
async def behind_proxy(make_harness: MakeHarness) -> AsyncIterator[tuple[Harness, Proxy]]:
    """A harness whose PostgreSQL is reached through a proxy the test can cut, with one
    user already halfway through the demo form (the phone is the open question)."""
    proxy = Proxy("127.0.0.1", 5432)
    await proxy.start()
    url = PG_URL.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    h = await make_harness(database_url=url, registry=demo_registry())
    try:
        await h.walk("演示", "甲乙")
        yield h, proxy
    finally:
        await proxy.cut()


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
async def test_postgres_outage_fails_fast_and_recovers(make_harness: MakeHarness) -> None:
    async with behind_proxy(make_harness) as (h, proxy):
        await proxy.cut()
        started = time.monotonic()
        assert await h.say("13812345678") == BUSY
        assert time.monotonic() - started < 4.5
        await proxy.restore()
        # Nothing of the failed step was written: the phone is still the open question.
        assert "请选择颜色" in await h.say("13812345678")


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
async def test_postgres_restart_while_idle_costs_no_message(make_harness: MakeHarness) -> None:
    """Every pooled connection dies while nobody writes (a restart at night): the next
    message still gets its answer, on a fresh connection, instead of 系统繁忙."""
    async with behind_proxy(make_harness) as (h, proxy):
        await proxy.cut()
        await proxy.restore()
        assert "请选择颜色" in await h.say("13812345678")
        assert "红色要深还是浅" in await h.say("红色")


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
async def test_sqlite_locked_fails_fast_and_recovers(make_harness: MakeHarness,
                                                     db: tuple[str, Any]) -> None:
    h = await make_harness(registry=demo_registry())
    await h.walk("演示", "丙丁")
    blocker = sqlite3.connect(db[0].split("///", 1)[1], timeout=1)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        assert await h.say("13812345678") == BUSY
        assert time.monotonic() - started < 4.5
    finally:
        blocker.rollback()
        blocker.close()
    assert "请选择颜色" in await h.say("13812345678")


def _env(db: tuple[str, str | None], tmp: Path, **extra: str) -> dict[str, str]:
    env = {"RXF_PORT": str(free_port()), "RXF_VAR_DIR": str(tmp), "RXF_DATABASE_URL": db[0],
           "RXF_EXTRA_DIALOGS": "tests.demo_dialog", "RXF_DATA_KEY": "k" * 43,
           "RXF_RATE_LIMIT_PER_MINUTE": "10000", **extra}
    if db[1]:
        env["RXF_DATABASE_SCHEMA"] = db[1]
    return env


async def _walk(sim: WeChatSim, openid: str, n: int, script: list[tuple[int, str]],
                replies: dict[int, str], kill_at: asyncio.Event) -> None:
    """Send the script in order; a message without an answer is retried (same MsgId), as
    WeChat does, until it gets one."""
    for msg_id, text in script:
        while True:
            try:
                reply = await sim.post(text_xml(openid, text, msg_id=msg_id))
                if reply.status == 200:
                    replies[msg_id] = reply.content or ""
                    break
            except (TimeoutError, aiohttp.ClientError):
                pass
            await asyncio.sleep(0.2)
        if len(replies) > 40:
            kill_at.set()


async def test_kill9_mid_journey_every_user_continues(db: tuple[str, str | None],
                                                      tmp_path: Path) -> None:
    server = ServerProcess(_env(db, tmp_path))
    await server.start()
    users = 12
    scripts = {u: [(900_000 + u * 10 + i, line.format(name=f"用户{chr(0x4e00 + u)}", n=u))
                   for i, line in enumerate(FORM)] for u in range(users)}
    replies: dict[int, str] = {}
    kill_at = asyncio.Event()
    timeout = aiohttp.ClientTimeout(total=3)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        sim = WeChatSim(f"{server.base}/wechat", DEV_TOKEN, session=session)
        walkers = asyncio.gather(*(_walk(sim, f"o_k{u}", u, scripts[u], replies, kill_at)
                                   for u in range(users)))
        await kill_at.wait()
        server.kill9()
        await asyncio.sleep(0.5)
        await server.start()
        await asyncio.wait_for(walkers, 60)
    server.stop()
    for u in range(users):
        last = scripts[u][-1][0]
        assert replies[last] == f"提交成功：用户{chr(0x4e00 + u)}", (u, replies[last])
        summary = replies[scripts[u][-2][0]]
        assert f"备注：备注{u}" in summary and "深浅：深" in summary


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
async def test_retry_burst_across_two_processes(db: tuple[str, str | None],
                                                tmp_path: Path) -> None:
    server = ServerProcess(_env(db, tmp_path), workers=2)
    await server.start()
    try:
        connector = aiohttp.TCPConnector(force_close=True)  # spread over both processes
        async with aiohttp.ClientSession(connector=connector) as session:
            sim = WeChatSim(f"{server.base}/wechat", DEV_TOKEN, session=session)
            await sim.post(text_xml("o_burst", "演示"))
            xml = text_xml("o_burst", "庚辛", msg_id=991_001)
            burst = await asyncio.gather(*(sim.post(xml) for _ in range(12)))
            assert {r.status for r in burst} == {200}
            assert len({r.content for r in burst}) == 1 and "请输入手机号" in burst[0].content
            # Exactly one step: the next answer is taken as the phone, not as a name.
            assert "请选择颜色" in ((await sim.post(text_xml("o_burst", "13812345678")))
                                 .content or "")
    finally:
        server.stop()
