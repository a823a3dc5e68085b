"""Where one message's CPU goes, phase by phase, on SQLite and PostgreSQL.

    .venv/bin/python bench/breakdown.py [--messages 2000] [--pg URL]

A client process sends the bench/peers.py lines, one message at a time, to the real app
on a loopback port in this process; each phase of the server's path is timed with the
process's CPU clock (the SQLite thread included; PostgreSQL's own CPU is not ours and not
counted). One at a time, so no other message's work lands inside a phase; and without
the group commit and batching a loaded server gets, so more per message than under
load. Not a throughput figure: that is bench/peers.py.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.journey import PG
from bench.peers import pg_schema
from bot import observe
from bot.handler import MessageHandler
from bot.locks import UserLocks
from bot.replay import ReplayGuard
from bot.store import ConversationStore
from bot.webhook import WeChatWebhook
from bot.wechat_io import Codec
from tests.support import start_harness, test_settings

ROOT = str(Path(__file__).resolve().parent.parent)
SPENT: dict[str, float] = defaultdict(float)
PHASES = (  # (label, owner, attribute): the path in order
    ("whole handler (webhook.post)", WeChatWebhook, "post"),
    ("verify + parse", Codec, "decode"),
    ("lock + unlock", UserLocks, "hold"),
    # The handler remembers the request and reads in one phase (begin_after); the two
    # entries before it only count when it is not used (safe mode, system notices).
    ("replay memory (INSERT)", ReplayGuard, "remember"),
    ("dedupe + load (one read)", ConversationStore, "begin"),
    ("replay + dedupe + load (one phase)", ConversationStore, "begin_after"),
    ("step (route, dialog, platform)", MessageHandler, "_route"),
    ("write (one transaction)", ConversationStore, "commit_step"),
    ("log line + metrics", observe, "message"),
    ("reply XML", Codec, "render"),
)


def timed(label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn` adding its CPU time to SPENT[label]: coroutine, context manager or call."""
    if asyncio.iscoroutinefunction(fn):
        async def run(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return await fn(*args, **kwargs)
            finally:
                SPENT[label] += time.process_time() - started
        return run
    if label.startswith("lock"):  # an async context manager: time enter and exit
        def hold(*args: Any, **kwargs: Any) -> Any:
            inner = fn(*args, **kwargs)

            class Timed:
                async def __aenter__(self) -> Any:
                    started = time.process_time()
                    try:
                        return await inner.__aenter__()
                    finally:
                        SPENT[label] += time.process_time() - started

                async def __aexit__(self, *exc: Any) -> Any:
                    started = time.process_time()
                    try:
                        return await inner.__aexit__(*exc)
                    finally:
                        SPENT[label] += time.process_time() - started
            return Timed()
        return hold

    def plain(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            SPENT[label] += time.process_time() - started
    return plain


async def measure(url: str, schema: str | None, messages: int, tmp: str) -> dict[str, float]:
    """CPU µs per message by phase on one database."""
    SPENT.clear()
    settings = test_settings(url, schema, tmp, rate_limit_per_minute=100_000,
                             push_interval=5.0)
    h = await start_harness(settings)
    try:
        url = f"http://{settings.host}:{settings.port}/wechat"
        await client(url, 200, 5000)  # warm-up, not counted
        SPENT.clear()
        started = time.process_time()
        await client(url, messages, 0)
        SPENT["server process total"] = time.process_time() - started
    finally:
        await h.stop()
        await h.sim.__aexit__(None, None, None)
    return {k: v * 1e6 / messages for k, v in SPENT.items()}


CLIENT = """
import asyncio, sys
sys.path.insert(0, {root!r})
from bench.peers import LINES
from config.settings import DEV_TOKEN
from devtools.sim import WeChatSim, text_xml

async def main(url, count, base):
    async with WeChatSim(url, DEV_TOKEN) as sim:
        for n in range(count):
            reply = await sim.post(text_xml(f"o_bd_{{(base + n) % 1000:04d}}",
                                            LINES[(n // 1000) % len(LINES)]))
            assert reply.status == 200, reply.status

asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
"""


async def client(url: str, count: int, base: int) -> None:
    """Send `count` messages one at a time from another process, so that none of the
    client's own work is counted in a phase."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CLIENT.format(root=ROOT), url, str(count), str(base))
    if await proc.wait() != 0:
        raise RuntimeError("the client failed")


async def run(args: argparse.Namespace) -> None:
    """Time every phase on SQLite, then on PostgreSQL."""
    for label, owner, attr in PHASES:
        setattr(owner, attr, timed(label, getattr(owner, attr)))
    with tempfile.TemporaryDirectory() as tmp:
        results = {"SQLite": await measure(f"sqlite+aiosqlite:///{tmp}/bd.db", None,
                                           args.messages, tmp)}
        if args.pg:
            schema = f"bd_{uuid.uuid4().hex[:8]}"
            await pg_schema(args.pg, True, schema)
            try:
                results["PostgreSQL"] = await measure(args.pg, schema, args.messages, tmp)
            finally:
                await pg_schema(args.pg, False, schema)
    names = list(results)
    print(f"CPU µs per message, {args.messages} messages one at a time")
    print(f"{'phase':<34}" + "".join(f"{n:>12}" for n in names))
    for label in [p[0] for p in PHASES] + ["server process total"]:
        print(f"{label:<34}" + "".join(f"{results[n].get(label, 0):12.0f}" for n in names))


def main() -> None:
    """Command line entry."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--pg", default=PG, help="empty: SQLite only")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
