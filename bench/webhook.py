"""Webhook benchmark: N users walk a form through the full path (verify, parse, dedupe,
lock, load, step, save, reply), compared in the same run with the bare protocol handler.

    .venv/bin/python bench/webhook.py [--users 400] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.settings import DEV_TOKEN
from devtools.sim import WeChatSim, text_xml

ROOT = Path(__file__).resolve().parent.parent
FORM = ("演示", "张三", "13812345678", "红色", "深", "无", "确认")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_up(port: int, path: str = "/wechat") -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(300):
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as r:
                    if r.status in (200, 404, 405):
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"server on {port} did not come up")


def start(mode: str, port: int, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, str(ROOT / "bench" / "serve.py"), mode,
                             "--port", str(port), *extra], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


async def drive(port: int, users: int, concurrency: int, script: tuple[str, ...],
                prefix: str) -> tuple[float, list[float]]:
    latencies: list[float] = []
    gate = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        sim = WeChatSim(f"http://127.0.0.1:{port}/wechat", DEV_TOKEN, session=session)

        async def user(n: int) -> None:
            async with gate:
                for line in script:
                    started = time.perf_counter()
                    reply = await sim.post(text_xml(f"{prefix}{n:06d}", line))
                    latencies.append(time.perf_counter() - started)
                    if reply.status != 200:
                        raise RuntimeError(f"HTTP {reply.status}: {reply.body[:200]}")

        started = time.perf_counter()
        await asyncio.gather(*(user(n) for n in range(users)))
        return time.perf_counter() - started, latencies


def report(name: str, elapsed: float, lat: list[float]) -> tuple[float, float, float]:
    rate = len(lat) / elapsed
    ordered = sorted(lat)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000
    print(f"{name:<28} {len(lat):>7} msgs {rate:>9.0f} msg/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms")
    return rate, p50, p99


async def run(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="rxf-bench-"))
    bare_port, bot_port = free_port(), free_port()
    db = args.db or f"sqlite+aiosqlite:///{tmp}/bench.db"
    procs = [start("bare", bare_port),
             start("bot", bot_port, "--db", db, "--var", str(tmp),
                   *(["--schema", args.schema] if args.schema else []))]
    try:
        await wait_up(bare_port)
        await wait_up(bot_port)
        warm = tuple(FORM)
        await drive(bot_port, 20, 8, warm, "warm")
        await drive(bare_port, 20, 8, warm, "warm")
        print(f"{args.users} users x {len(FORM)} messages, {args.concurrency} connections, "
              f"database {db.split(':')[0]}")
        bare = report("bare aiohttp handler", *await drive(
            bare_port, args.users, args.concurrency, FORM, "bare"))
        full = report("full path (form steps)", *await drive(
            bot_port, args.users, args.concurrency, FORM, "user"))
        print(f"ratio full/bare throughput: {full[0] / bare[0]:.2f} (target >= 0.5); "
              f"p99 {full[2]:.1f} ms (target <= 50)")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--db", default=os.environ.get("RXF_BENCH_DB", ""))
    parser.add_argument("--schema", default=None)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
