"""Peers benchmark: our full path against WeRoBot's echo, one load generator, one run.

    .venv/bin/python bench/peers.py [--rounds 2] [--seconds 8] [--connections 32]

Servers, all started once and measured in interleaved rounds so a busy machine hurts
each of them alike: WeRoBot's echo under gunicorn with one sync worker (the peer, no
state), ours on SQLite with one process, ours on PostgreSQL with one and two processes
(the full path: verify, parse, dedupe, lock, load, step, write, reply). The load is
signed plaintext text messages from 1,000 users, each request with its own nonce and
MsgId, driven by wrk (1 thread) when installed, else by an aiohttp client.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.database import make_engine
from bench.journey import KEY, PG, CpuMeter
from bench.webhook import free_port
from bot.wechat_io import signature
from config.settings import DEV_TOKEN
from tests.processes import ServerProcess

ROOT = Path(__file__).resolve().parent.parent
USERS = 1000
# A user's lines in turn: a greeting, the menu, a form started, a step of it, cancelled.
LINES = ("你好", "菜单", "注册", "同意", "取消")
_UNIT = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def requests(count: int, start: int) -> list[tuple[str, str]]:
    """`count` signed deliveries: (path with query, body), each nonce and MsgId new."""
    now = int(time.time())
    out = []
    for i in range(start, start + count):
        nonce = str(1_000_000_000 + i)
        query = f"signature={signature(DEV_TOKEN, str(now), nonce)}&timestamp={now}&nonce={nonce}"
        user, turn = i % USERS, i // USERS
        body = (f"<xml><ToUserName><![CDATA[gh_rxf]]></ToUserName><FromUserName><![CDATA["
                f"o_peer_{user:04d}]]></FromUserName><CreateTime>{now}</CreateTime><MsgType>"
                f"<![CDATA[text]]></MsgType><Content><![CDATA[{LINES[turn % len(LINES)]}]]>"
                f"</Content><MsgId>{7_000_000_000_000 + i}</MsgId></xml>")
        out.append((f"/wechat?{query}", body))
    return out


LUA = """
local reqs = {}
for line in io.lines(os.getenv("RXF_PEERS_REQUESTS")) do
  local tab = line:find("\\t", 1, true)
  reqs[#reqs + 1] = wrk.format("POST", line:sub(1, tab - 1),
                               {["Host"] = "127.0.0.1", ["Content-Type"] = "text/xml"},
                               line:sub(tab + 1))
end
local i = 0
request = function()
  i = i + 1
  return reqs[(i - 1) % #reqs + 1]
end
"""


@dataclass
class Result:
    """One server's figures in one round."""
    rate: float
    p50: float
    p99: float
    errors: int
    cpu_ms: float  # server CPU per message
    pg_ms: float  # PostgreSQL CPU per message


async def sanity(port: int, reqs: list[tuple[str, str]]) -> None:
    """Every server must answer a real reply before it is timed (not a 403 or 系统繁忙)."""
    async with aiohttp.ClientSession() as session:
        for path, body in reqs:
            async with session.post(f"http://127.0.0.1:{port}{path}", data=body.encode(),
                                    headers={"Content-Type": "text/xml"}) as r:
                reply = await r.text()
                if r.status != 200 or "<Content>" not in reply or "繁忙" in reply:
                    raise RuntimeError(f"port {port}: HTTP {r.status} {reply[:300]}")


def wrk(port: int, reqs_file: Path, lua: Path, seconds: int, connections: int
        ) -> tuple[int, float, float, int]:
    """Run wrk against `port`: (requests done, p50 ms, p99 ms, non-2xx answers)."""
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(lua),
         f"http://127.0.0.1:{port}/wechat"], capture_output=True, text=True, check=True,
        env={**os.environ, "RXF_PEERS_REQUESTS": str(reqs_file)}).stdout
    done = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    pct = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    if socket_errors and re.search(r"[1-9]", socket_errors.group(1)):
        print(f"    wrk: socket errors {socket_errors.group(1)}")
    return done, _ms(pct["50"]), _ms(pct["99"]), int(errors.group(1)) if errors else 0


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(\w+)", value).groups()  # type: ignore[union-attr]
    return float(number) * _UNIT[unit]


async def aiohttp_load(port: int, reqs: list[tuple[str, str]], seconds: int,
                       connections: int) -> tuple[int, float, float, int]:
    """The fallback generator: `connections` keep-alive clients, each one request at a time."""
    latencies: list[float] = []
    errors = 0
    feed = iter(reqs)
    deadline = time.perf_counter() + seconds
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connections)) as s:
        async def client() -> None:
            nonlocal errors
            for path, body in feed:
                if time.perf_counter() > deadline:
                    return
                started = time.perf_counter()
                async with s.post(f"http://127.0.0.1:{port}{path}", data=body.encode()) as r:
                    await r.read()
                    errors += r.status != 200
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(client() for _ in range(connections)))
    latencies.sort()
    return (len(latencies), latencies[len(latencies) // 2] * 1000,
            latencies[int(len(latencies) * 0.99)] * 1000, errors)


class Peers:
    """The load: fresh signed deliveries for every round, and the generator."""
    def __init__(self, args: argparse.Namespace, tmp: Path) -> None:
        self.args = args
        self.tmp = tmp
        self.issued = 0
        self.use_wrk = shutil.which("wrk") is not None and not args.aiohttp
        self.lua = tmp / "peers.lua"
        self.lua.write_text(LUA)

    def batch(self, count: int) -> list[tuple[str, str]]:
        """The next `count` deliveries, never one sent before."""
        reqs = requests(count, self.issued)
        self.issued += count
        return reqs

    async def measure(self, port: int, pid: int) -> Result:
        """One timed round against one server, with its CPU per message."""
        # Enough fresh deliveries that none repeats, whatever the rate.
        reqs = self.batch(self.args.seconds * 12_000)
        meter = CpuMeter(pid)
        if self.use_wrk:
            path = self.tmp / "requests.tsv"
            path.write_text("".join(f"{p}\t{b}\n" for p, b in reqs), encoding="utf-8")
            done, p50, p99, errors = await asyncio.to_thread(
                wrk, port, path, self.lua, self.args.seconds, self.args.connections)
        else:
            done, p50, p99, errors = await aiohttp_load(port, reqs, self.args.seconds,
                                                        self.args.connections)
        server_ms, pg_ms, _ = meter.per_message(max(done, 1))
        return Result(done / self.args.seconds, p50, p99, errors, server_ms, pg_ms)


async def listening(port: int) -> None:
    """Any HTTP answer will do: WeRoBot refuses an unsigned GET."""
    async with aiohttp.ClientSession() as session:
        for _ in range(300):
            try:
                async with session.get(f"http://127.0.0.1:{port}/wechat"):
                    return
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
    raise RuntimeError(f"server on {port} did not come up")


async def pg_schema(url: str, create: bool, schema: str) -> None:
    """Create or drop the schema a PostgreSQL server of this run lives in."""
    admin = make_engine(url)
    async with admin.begin() as conn:
        await conn.execute(text(f"CREATE SCHEMA {schema}" if create
                                else f"DROP SCHEMA {schema} CASCADE"))
    await admin.dispose()


def ours(tmp: Path, name: str, url: str, workers: int, schema: str | None) -> ServerProcess:
    """Our server as a process (tests/processes.py), not yet started."""
    env = {"RXF_PORT": str(free_port()), "RXF_VAR_DIR": str(tmp / name),
           "RXF_DATABASE_URL": url, "RXF_DATA_KEY": KEY,
           # 1,000 users sending as fast as they can: not a crowd to hold back.
           "RXF_RATE_LIMIT_PER_MINUTE": "100000"}
    if schema:
        env["RXF_DATABASE_SCHEMA"] = schema
    return ServerProcess(env, workers=workers)


class TreeServer(ServerProcess):
    """Our server as it was in another checkout (`--before`), for before/after in one run."""

    def __init__(self, env: dict[str, str], root: Path, workers: int = 1) -> None:
        super().__init__(env, workers=workers)
        self.root = root

    def spawn(self) -> None:
        """Like ServerProcess.spawn, from the other checkout."""
        Path(self.env["RXF_VAR_DIR"]).mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen([sys.executable, str(self.root / "server.py")],
                                         cwd=self.root, env=self.env, stdout=out, stderr=out,
                                         start_new_session=True)


def outcomes(server: ServerProcess) -> str:
    """How the server's own log line classed each message (error or detached = not ok)."""
    log = server.log.read_text(errors="replace") if server.log.exists() else ""
    counts = {k: log.count(f'"outcome": "{k}"') for k in ("ok", "duplicate", "detached",
                                                           "error")}
    return ", ".join(f"{k} {v}" for k, v in counts.items() if v)


async def run(args: argparse.Namespace) -> None:
    """Start every server, check each answers, then the interleaved rounds."""
    tmp = Path(tempfile.mkdtemp(prefix="rxf-peers-"))
    peers = Peers(args, tmp)
    schemas = [f"peers_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    servers: dict[str, ServerProcess] = {
        "ours, SQLite, 1 process": ours(tmp, "sqlite", f"sqlite+aiosqlite:///{tmp}/peers.db",
                                        1, None)}
    if not args.sqlite_only:
        for schema in schemas:
            await pg_schema(args.pg, True, schema)
        servers["ours, PostgreSQL, 1 process"] = ours(tmp, "pg1", args.pg, 1, schemas[0])
        servers["ours, PostgreSQL, 2 processes"] = ours(tmp, "pg2", args.pg, 2, schemas[1])
    if args.before:
        before = Path(args.before)  # made absolute in main()
        servers["before, SQLite, 1 process"] = TreeServer(
            ours(tmp, "b_sqlite", f"sqlite+aiosqlite:///{tmp}/before.db", 1, None).env, before)
        if not args.sqlite_only:
            schemas.append(f"peers_{uuid.uuid4().hex[:8]}")
            await pg_schema(args.pg, True, schemas[-1])
            servers["before, PostgreSQL, 1 process"] = TreeServer(
                ours(tmp, "b_pg1", args.pg, 1, schemas[-1]).env, before)
    echo_port = free_port()
    echo = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{echo_port}",
         "--log-level", "warning", "--no-control-socket", "bench.werobot_echo:app"], cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    results: dict[str, list[Result]] = {}
    try:
        await listening(echo_port)
        for server in servers.values():
            await server.start()
        ports = {"WeRoBot echo, gunicorn 1 worker": (echo_port, echo.pid),
                 **{name: (int(s.env["RXF_PORT"]), s.proc.pid)  # type: ignore[union-attr]
                    for name, s in servers.items()}}
        for port, _pid in ports.values():
            await sanity(port, peers.batch(2 * USERS // 10))  # warm-up, checked
        print(f"{'wrk -t1' if peers.use_wrk else 'aiohttp client'}, {args.connections} "
              f"connections, {args.seconds} s, {USERS} users, text messages; "
              f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f} at start")
        for n in range(1, args.rounds + 1):
            for name, (port, pid) in ports.items():
                r = await peers.measure(port, pid)
                results.setdefault(name, []).append(r)
                print(f"round {n} {name:<31} {r.rate:7.0f} msg/s  p50 {r.p50:6.1f} ms  "
                      f"p99 {r.p99:6.1f} ms  CPU/msg server {r.cpu_ms:.2f} ms"
                      + (f" PostgreSQL {r.pg_ms:.2f} ms" if "Postgre" in name else "")
                      + (f"  NON-200: {r.errors}" if r.errors else ""))
        for name, s in servers.items():
            print(f"{name}: log outcomes {outcomes(s)}")
        summary(results)
        print(f"load average at end {os.getloadavg()[0]:.2f}")
    finally:
        os.killpg(echo.pid, 15)
        echo.wait(10)
        for server in servers.values():
            server.stop()
        if not args.sqlite_only:
            for schema in schemas:
                await pg_schema(args.pg, False, schema)
        shutil.rmtree(tmp, ignore_errors=True)


def summary(results: dict[str, list[Result]]) -> None:
    """The ratios the goals are stated in, round by round."""
    echo = results["WeRoBot echo, gunicorn 1 worker"]
    sqlite = results["ours, SQLite, 1 process"]
    pg1 = results.get("ours, PostgreSQL, 1 process")
    pg2 = results.get("ours, PostgreSQL, 2 processes")
    for n in range(len(echo)):
        line = f"round {n + 1}: SQLite / echo x{sqlite[n].rate / echo[n].rate:.2f} (goal >= 1.0)"
        if pg1 and pg2:
            line += (f"; PG 1 proc / SQLite x{pg1[n].rate / sqlite[n].rate:.2f} (goal >= 0.7), "
                     f"p99 {pg1[n].p99:.1f} ms (goal <= 50); PG CPU/msg 2 proc / 1 proc "
                     f"x{pg2[n].cpu_ms / pg1[n].cpu_ms:.2f} (goal <= 1.10)")
        print(line)
        for db, now in (("SQLite", sqlite), ("PostgreSQL", pg1)):
            before = results.get(f"before, {db}, 1 process")
            if before and now:
                print(f"  {db}: after / before x{now[n].rate / before[n].rate:.2f} msg/s, "
                      f"CPU/msg {before[n].cpu_ms:.2f} -> {now[n].cpu_ms:.2f} ms; before / echo "
                      f"x{before[n].rate / echo[n].rate:.2f}")


def main() -> None:
    """Command line entry."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--pg", default=os.environ.get("RXF_BENCH_PG", PG))
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--before", default="",
                        help="a checkout of an earlier commit: its server runs in the same rounds")
    parser.add_argument("--aiohttp", action="store_true", help="the aiohttp client, not wrk")
    args = parser.parse_args()
    if args.before:
        args.before = str(Path(args.before).resolve())
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
