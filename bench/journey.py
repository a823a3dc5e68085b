"""Journey benchmark: M simulated owners each register, certify (three steps), publish a
demand and look it up, through the real webhook; SQLite with one process and PostgreSQL
with one and two processes, each compared in the same run with the bare handler.

    .venv/bin/python bench/journey.py [--users 300] [--concurrency 32] [--memory-users 0]

--memory-users N: afterwards N more users run their journeys on the SQLite server and the
server's RSS growth is reported (target < 20 MB after 10,000).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import aiohttp
import yaml
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.crypto import DataCipher
from adapters.database import make_engine
from bench.webhook import free_port, start, wait_up
from config.settings import DEV_TOKEN
from devtools.sim import WeChatSim, text_xml
from dialogs.validators import gb11643_check_char, uscc_check_char
from tests.processes import ServerProcess

PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
KEY = "b" * 43
NAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
MESSAGES = 25  # per journey: 6 registration lines, the code, 18 more below


def person(i: int) -> dict[str, str]:
    born = date(1970, 1, 1) + timedelta(days=i // 500)  # 500 sequence numbers a day
    body = f"530102{born:%Y%m%d}{i % 500:03d}"
    name = NAMES[i % len(NAMES)] + NAMES[(i // len(NAMES)) % len(NAMES)] + "测"
    return {"name": name, "id_number": body + gb11643_check_char(body),
            "phone": f"139{i:08d}"}


def enterprise(i: int, p: dict[str, str]) -> dict[str, str]:
    body = f"91530102MA{i:07d}"
    return {"name": f"昆明测试{NAMES[i % 30]}{i}商贸有限公司", "uscc": body + uscc_check_char(body),
            "legal_rep": p["name"], "legal_rep_id": p["id_number"], "region": "昆明市五华区"}


def write_registry(path: Path, users: int) -> None:
    people = [person(i) for i in range(users)]
    path.write_text(yaml.safe_dump({
        "people": people,
        "enterprises": [enterprise(i, p) for i, p in enumerate(people)]},
        allow_unicode=True), encoding="utf-8")


class Journey:
    def __init__(self, sim: WeChatSim, codes: CodeReader) -> None:
        self.sim = sim
        self.codes = codes
        self.latencies: list[float] = []

    async def say(self, openid: str, line: str) -> str:
        started = time.perf_counter()
        reply = await self.sim.post(text_xml(openid, line))
        self.latencies.append(time.perf_counter() - started)
        if reply.status != 200:
            raise RuntimeError(f"HTTP {reply.status}")
        return reply.content or ""

    async def run(self, i: int) -> None:
        p = person(i)
        e = enterprise(i, p)
        openid = f"o_journey_{i:06d}"
        reply = ""
        for line in ("注册", "同意", p["phone"], p["name"], p["id_number"], e["name"], e["uscc"]):
            reply = await self.say(openid, line)
        if "验证码已发送" not in reply:
            raise RuntimeError(f"journey {i}: no code sent: {reply[:200]}")
        code = await self.codes.latest(p["phone"])
        steps = [code, "同意", "确认", "确认", "确认", "无", "无", "无", "确认",
                 "发布需求", "1", "二十万", "12", "1", "2", "采购原材料", "提交", "我的需求", "1"]
        last = ""
        for line in steps:
            last = await self.say(openid, line)
        if "单据号" not in last:
            raise RuntimeError(f"journey {i} did not end on the demand detail: {last[:200]}")


class CodeReader:
    """Reads the code the local SMS gateway recorded, as the owner reads the SMS."""

    def __init__(self, url: str, schema: str | None) -> None:
        self.engine = make_engine(url, schema=schema)
        self.cipher = DataCipher(KEY)

    async def latest(self, phone: str) -> str:
        for _ in range(100):
            async with self.engine.connect() as conn:
                body = await conn.scalar(text(
                    "SELECT text FROM sms_messages WHERE phone_hash = :h ORDER BY id DESC LIMIT 1"),
                    {"h": self.cipher.lookup_hash(phone)})
            if body:
                return re.search(r"\d{6}", body).group(0)  # type: ignore[union-attr]
            await asyncio.sleep(0.05)
        raise RuntimeError("no SMS code recorded")


async def drive(port: int, users: range, concurrency: int,
                codes: CodeReader) -> tuple[float, list[float]]:
    gate = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        journey = Journey(WeChatSim(f"http://127.0.0.1:{port}/wechat", DEV_TOKEN,
                                    session=session), codes)

        async def one(i: int) -> None:
            async with gate:
                await journey.run(i)

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in users))
        return time.perf_counter() - started, journey.latencies


async def drive_bare(port: int, messages: int, concurrency: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    gate = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        sim = WeChatSim(f"http://127.0.0.1:{port}/wechat", DEV_TOKEN, session=session)

        async def one(i: int) -> None:
            async with gate:
                started = time.perf_counter()
                await sim.post(text_xml(f"o_bare_{i}", "发布需求"))
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(messages)))
        return time.perf_counter() - started, latencies


def stats(elapsed: float, lat: list[float]) -> tuple[float, float, float]:
    ordered = sorted(lat)
    return (len(lat) / elapsed, statistics.median(ordered) * 1000,
            ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes so far (0 for any already gone)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def postgres_pids() -> list[int]:
    pids = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().startswith("postgres"):
                pids.append(int(comm.parent.name))
        except (FileNotFoundError, ProcessLookupError):
            pass
    return pids


class CpuMeter:
    """Where each message's CPU went: server processes, PostgreSQL, this load generator.
    Where all three share the machine's cores, a second server process can only add
    what the first left idle; the report shows how many cores were busy."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.pg = postgres_pids()
        self.start = self._read()

    def _read(self) -> tuple[float, float, float]:
        me = os.times()
        return (cpu_seconds([self.server_pid, *_children(self.server_pid)]),
                cpu_seconds(self.pg + postgres_pids()), me.user + me.system)

    def per_message(self, messages: int) -> tuple[float, float, float]:
        end = self._read()
        return tuple(  # type: ignore[return-value]
            (b - a) * 1000 / messages for a, b in zip(self.start, end, strict=True))


def rss_mb(pid: int) -> float:
    total = 0.0
    for child in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except FileNotFoundError:
            pass
    return total


def _children(pid: int) -> list[int]:
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return []
    return [int(k) for k in kids] + [g for k in kids for g in _children(int(k))]


async def scenario(name: str, url: str, workers: int, users: int, concurrency: int,
                   registry: Path, tmp: Path, bare: tuple[float, float, float],
                   memory_users: int = 0) -> tuple[float, ...]:
    schema = None
    if url.startswith("postgresql"):
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(url)
        async with admin.begin() as conn:
            await conn.execute(text(f"CREATE SCHEMA {schema}"))
        await admin.dispose()
    var = tmp / name.replace(" ", "_")
    env = {"RXF_PORT": str(free_port()), "RXF_VAR_DIR": str(var), "RXF_DATABASE_URL": url,
           "RXF_DATA_KEY": KEY, "RXF_LOCAL_REGISTRY": str(registry),
           "RXF_RATE_LIMIT_PER_MINUTE": "100000",
           # Hundreds of owners a second ask for codes here: not a crowd to hold back.
           "RXF_SMS_PER_MINUTE": "100000"}
    if schema:
        env["RXF_DATABASE_SCHEMA"] = schema
    server = ServerProcess(env, workers=workers)
    await server.start()
    codes = CodeReader(url, schema)
    try:
        await drive(int(env["RXF_PORT"]), range(0, 10), 4, codes)  # warm-up
        assert server.proc is not None
        meter = CpuMeter(server.proc.pid)
        result = stats(*await drive(int(env["RXF_PORT"]), range(10, 10 + users),
                                    concurrency, codes))
        server_ms, pg_ms, client_ms = meter.per_message(users * MESSAGES)
        print(f"{name:<24} {result[0]:8.0f} msg/s  p50 {result[1]:6.1f} ms  "
              f"p99 {result[2]:6.1f} ms  vs bare x{result[0] / bare[0]:.2f}")
        print(f"{'':<24} CPU per message: server {server_ms:.2f} ms, PostgreSQL "
              f"{pg_ms:.2f} ms, load generator {client_ms:.2f} ms")
        if memory_users:
            assert server.proc is not None
            before = rss_mb(server.proc.pid)
            await drive(int(env["RXF_PORT"]), range(10 + users, 10 + users + memory_users),
                        concurrency, codes)
            after = rss_mb(server.proc.pid)
            print(f"RSS after {users} users {before:.0f} MB; after {memory_users} more "
                  f"{after:.0f} MB (growth {after - before:+.1f} MB, target < 20)")
        return (*result, server_ms, pg_ms, client_ms)
    finally:
        server.stop()
        await codes.engine.dispose()
        if schema:
            admin = make_engine(url)
            async with admin.begin() as conn:
                await conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            await admin.dispose()


async def run(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="rxf-journey-"))
    registry = tmp / "registry.yaml"
    total = 10 + args.users + args.memory_users
    write_registry(registry, total)
    bare_port = free_port()
    bare_proc = start("bare", bare_port)
    try:
        await wait_up(bare_port)
        await drive_bare(bare_port, 500, 8)
        bare = stats(*await drive_bare(bare_port, args.users * MESSAGES, args.concurrency))
        print(f"{args.users} journeys x {MESSAGES} messages (register, certify, publish, query), "
              f"{args.concurrency} connections")
        print(f"{'bare aiohttp handler':<24} {bare[0]:8.0f} msg/s  p50 {bare[1]:6.1f} ms  "
              f"p99 {bare[2]:6.1f} ms")
        sqlite = f"sqlite+aiosqlite:///{tmp}/journey.db"
        await scenario("SQLite, 1 process", sqlite, 1, args.users, args.concurrency,
                       registry, tmp, bare, args.memory_users)
        if args.sqlite_only:
            return
        pg1 = await scenario("PostgreSQL, 1 process", args.pg, 1, args.users,
                             args.concurrency, registry, tmp, bare)
        pg2 = await scenario("PostgreSQL, 2 processes", args.pg, 2, args.users,
                             args.concurrency, registry, tmp, bare)
        print(f"PostgreSQL 2 processes / 1 process: x{pg2[0] / pg1[0]:.2f} (target >= 1.6)")
        busy = [pg2[0] * ms / 1000 for ms in pg2[3:6]]
        print(f"  cores busy in the 2-process run: server {busy[0]:.2f} + PostgreSQL "
              f"{busy[1]:.2f} + load generator {busy[2]:.2f} = {sum(busy):.2f} "
              f"of {os.cpu_count()}")
    finally:
        bare_proc.terminate()
        bare_proc.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--memory-users", type=int, default=0)
    parser.add_argument("--pg", default=os.environ.get("RXF_BENCH_PG", PG))
    parser.add_argument("--sqlite-only", action="store_true")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
