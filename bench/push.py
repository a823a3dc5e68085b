"""Push benchmark: drain 10,000 queued pushes against the fake WeChat API (its own process)
with one and with two workers (each its own process), then the latency from a status
change to its send while the system is idle.

    .venv/bin/python bench/push.py [--rows 10000] [--db postgresql+asyncpg://...]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters import database
from adapters.outbox import OutboxItem, OutboxRow, enqueue
from adapters.sqltypes import utcnow

ROOT = Path(__file__).resolve().parent.parent
PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
WORKER = """
import asyncio, sys
sys.path.insert(0, {root!r})
from adapters import database
from adapters.wechat_api import WeChatApiClient
from bot.push_worker import PushWorker

async def main():
    engine = database.make_engine({db!r}, schema={schema!r})
    sessions = database.session_factory(engine)
    api = WeChatApiClient(appid="wxfake0000000000", secret="fake-secret",
                          api_base={base!r}, sessions=sessions)
    worker = PushWorker(engine, sessions, api, templates={{"credit": "TPL"}}, interval=0.02,
                        batch=100, concurrency=32)
    await worker.run(asyncio.Event())

asyncio.run(main())
"""


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def queue(sessions: Any, n: int, tag: str) -> None:
    now = utcnow()
    for start in range(0, n, 1000):
        async with sessions.begin() as session:
            await enqueue(session, [
                OutboxItem(f"o_{tag}_{i}", "push",
                           {"event": "credit", "demand_no": f"{tag}{i}", "amount": "20万元",
                            "status": "待放款", "institution": "富滇银行",
                            "time": now.isoformat()}, dedupe_key=f"{tag}:{i}")
                for i in range(start, min(n, start + 1000))], now)


async def count_sent(sessions: Any) -> int:
    async with sessions() as session:
        return int(await session.scalar(
            select(func.count()).select_from(OutboxRow).where(OutboxRow.status == "sent")) or 0)


def start_workers(n: int, db: str, schema: str | None, base: str) -> list[subprocess.Popen[bytes]]:
    code = WORKER.format(root=str(ROOT), db=db, schema=schema, base=base)
    return [subprocess.Popen([sys.executable, "-c", code]) for _ in range(n)]


async def drain(sessions: Any, n: int, workers: int, db: str, schema: str | None,
                base: str) -> float:
    async with sessions.begin() as session:
        await session.execute(text("DELETE FROM outbox"))
    await queue(sessions, n, f"w{workers}")
    procs = start_workers(workers, db, schema, base)
    started = time.perf_counter()
    try:
        while await count_sent(sessions) < n:
            await asyncio.sleep(0.05)
        return n / (time.perf_counter() - started)
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)


async def idle_latency(sessions: Any, db: str, schema: str | None, base: str,
                       samples: int) -> list[float]:
    async with sessions.begin() as session:
        await session.execute(text("DELETE FROM outbox"))
    procs = start_workers(1, db, schema, base)
    latencies = []
    try:
        await asyncio.sleep(1.0)
        for i in range(samples):
            queued = time.perf_counter()
            await queue(sessions, 1, f"idle{i}")
            while await count_sent(sessions) < i + 1:
                await asyncio.sleep(0.005)
            latencies.append(time.perf_counter() - queued)
            await asyncio.sleep(0.05)
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)
    return latencies


async def run(args: argparse.Namespace) -> None:
    port = free_port()
    fake = subprocess.Popen([sys.executable, "-m", "bot", "fake-wechat", "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.DEVNULL)
    schema = None
    if args.db.startswith("postgresql"):
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = database.make_engine(args.db)
        async with admin.begin() as conn:
            await conn.execute(text(f"CREATE SCHEMA {schema}"))
        await admin.dispose()
    engine = database.make_engine(args.db, schema=schema)
    await database.migrate(engine)
    sessions = database.session_factory(engine)
    base = f"http://127.0.0.1:{port}/cgi-bin/"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                try:
                    async with http.get(f"http://127.0.0.1:{port}/_stats"):
                        break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
        print(f"{args.rows} pushes, fake WeChat API in its own process, {args.db.split(':')[0]}")
        one = await drain(sessions, args.rows, 1, args.db, schema, base)
        print(f"1 worker : {one:8.0f} pushes/s (target >= 500)")
        if args.db.startswith("postgresql"):
            two = await drain(sessions, args.rows, 2, args.db, schema, base)
            print(f"2 workers: {two:8.0f} pushes/s  ratio {two / one:.2f}")
        lat = sorted(await idle_latency(sessions, args.db, schema, base, args.samples))
        p50 = statistics.median(lat) * 1000
        p99 = lat[max(0, int(len(lat) * 0.99) - 1)] * 1000
        print(f"status change -> send while idle: p50 {p50:.0f} ms  p99 {p99:.0f} ms "
              f"(target p99 < 1000 ms)")
    finally:
        fake.terminate()
        fake.wait(10)
        await engine.dispose()
        if schema:
            admin = database.make_engine(args.db)
            async with admin.begin() as conn:
                await conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            await admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--db", default=PG)
    args = parser.parse_args()
    if args.db == "sqlite":
        args.db = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/push.db"
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
