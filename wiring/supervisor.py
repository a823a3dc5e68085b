"""`python server.py --workers N`: N server processes sharing one port (SO_REUSEPORT).

The supervisor's start-up checks (bot/startup.py, run by server.main) apply migrations
once; the supervisor starts the workers, restarts one that dies,
forwards SIGHUP (FAQ reload) to all of them and stops them on SIGTERM/SIGINT. Each
worker is a complete server: webhook, push worker and housekeeping; PostgreSQL's
advisory locks and SKIP LOCKED keep them from stepping on each other.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import signal
import sys
import time
from multiprocessing.process import BaseProcess
from multiprocessing.queues import SimpleQueue

from aiohttp import web

from bot import logs, startup
from config.settings import Settings, load_settings
from ops.console.serve import serving

log = logging.getLogger("rxf.supervisor")
RESTART_PAUSE = 1.0
START_FAILED = 3  # a worker's exit code: it could not start, restarting will not help


def _child(index: int, failures: SimpleQueue[str]) -> None:
    logs.setup()
    settings = load_settings()
    log.info("worker %d serving", index, extra={"pid": os.getpid()})
    try:
        # The supervisor's start-up checks have migrated the database already.
        # Every worker serves the console too, sharing its port as they share the webhook's.
        web.run_app(serving(settings, reuse_port=True), host=settings.host,
                    port=settings.port, print=None, reuse_port=True, access_log=None)
    except Exception as exc:
        # Told once, by the supervisor: N workers failing alike must not print N lines.
        failures.put(startup.explain(exc, settings))
        sys.exit(START_FAILED)


def supervise(settings: Settings) -> int:
    metrics_dir = settings.var_dir / "metrics"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    # Set before any worker imports prometheus_client, so all of them share one view.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    ctx = multiprocessing.get_context("spawn")
    failures: SimpleQueue[str] = ctx.SimpleQueue()
    workers: dict[int, BaseProcess] = {}
    stopping = False
    failed: str | None = None

    def start(index: int) -> None:
        proc = ctx.Process(target=_child, args=(index, failures), name=f"rxf-worker-{index}")
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
            if stopping or proc.is_alive():
                continue
            if proc.exitcode == START_FAILED:
                # A worker that cannot start (the port taken meanwhile, the knowledge
                # files broken) would fail again each second: stop, say why, once.
                failed = failures.get() if not failures.empty() else "a worker could not start"
                stop(signal.SIGTERM, None)
                break
            log.error("worker %d exited with %s; restarting", index, proc.exitcode)
            time.sleep(RESTART_PAUSE)
            start(index)
    for proc in workers.values():
        proc.join(15)
        if proc.is_alive():
            proc.kill()
    if failed is not None:
        print(failed, file=sys.stderr)
        return 1
    return 0
