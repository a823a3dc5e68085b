"""`python server.py --workers N`: N server processes sharing one port (SO_REUSEPORT).

The supervisor applies migrations once, starts the workers, restarts one that dies,
forwards SIGHUP (FAQ reload) to all of them and stops them on SIGTERM/SIGINT. Each
worker is a complete server: webhook, push worker and housekeeping; PostgreSQL's
advisory locks and SKIP LOCKED keep them from stepping on each other.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import shutil
import signal
import time
from multiprocessing.process import BaseProcess

from aiohttp import web

from bot import logs
from bot.settings import Settings, load_settings

log = logging.getLogger("rxf.supervisor")
RESTART_PAUSE = 1.0


def _child(index: int) -> None:
    from server import build_app

    logs.setup()
    settings = load_settings()
    log.info("worker %d serving", index, extra={"pid": os.getpid()})
    web.run_app(build_app(settings), host=settings.host, port=settings.port, print=None,
                reuse_port=True, access_log=None)


async def _migrate(settings: Settings) -> None:
    from adapters import database

    engine = database.make_engine(settings.database_url, schema=settings.database_schema)
    try:
        await database.migrate(engine)
    finally:
        await engine.dispose()


def supervise(settings: Settings) -> int:
    metrics_dir = settings.var_dir / "metrics"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    # Set before any worker imports prometheus_client, so all of them share one view.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    asyncio.run(_migrate(settings))
    ctx = multiprocessing.get_context("spawn")
    workers: dict[int, BaseProcess] = {}
    stopping = False

    def start(index: int) -> None:
        proc = ctx.Process(target=_child, args=(index,), name=f"rxf-worker-{index}")
        proc.start()
        workers[index] = proc

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for proc in workers.values():
            if proc.pid and proc.is_alive():
                os.kill(proc.pid, signal.SIGTERM)

    def hup(_signum: int, _frame: object) -> None:
        for proc in workers.values():
            if proc.pid and proc.is_alive():
                os.kill(proc.pid, signal.SIGHUP)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGHUP, hup)
    for index in range(settings.workers):
        start(index)
    log.info("supervising %d workers on %s:%d", settings.workers, settings.host, settings.port)
    while not stopping:
        time.sleep(0.5)
        for index, proc in list(workers.items()):
            if not proc.is_alive() and not stopping:
                log.error("worker %d exited with %s; restarting", index, proc.exitcode)
                time.sleep(RESTART_PAUSE)
                start(index)
    for proc in workers.values():
        proc.join(15)
        if proc.is_alive():
            proc.kill()
    return 0
