"""Running the console beside the webhook: its own listener on RXF_CONSOLE_HOST /
RXF_CONSOLE_PORT (never the webhook's port), in the same process and Runtime.

With several server processes (--workers N) each serves the console on the shared port
(SO_REUSEPORT, as the webhook); sessions live in the database, so any process answers
any logged-in browser.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from bot.startup import check_bind
from config.settings import Settings
from ops.console import build_console_app
from wiring.app import RUNTIME, build_app
from wiring.runtime import Runtime

CONSOLE_RUNNER = web.AppKey("console_runner", web.AppRunner)


def address(settings: Settings) -> str:
    """The console's address, as the start banner prints it."""
    return f"http://{settings.console_host}:{settings.console_port}/"


def check_listen(settings: Settings) -> None:
    """Bind the console's address once and let go, so a taken port is told at start."""
    if settings.console_port:
        check_bind(settings.console_host, settings.console_port, "RXF_CONSOLE_HOST",
                   "RXF_CONSOLE_PORT")


async def serving(settings: Settings, *, reuse_port: bool = False) -> web.Application:
    """The webhook's application (wiring/app.py) with the console started beside it: what
    one server process runs (`web.run_app` takes this coroutine as it is)."""
    app = await build_app(settings, migrate=False)
    serve_beside(app, settings, app[RUNTIME], reuse_port=reuse_port)
    return app


def serve_beside(app: web.Application, settings: Settings, runtime: Runtime, *,
                 reuse_port: bool = False) -> None:
    """Start the console when `app` starts, stop it first."""
    if not settings.console_port:
        return

    async def console(app: web.Application) -> AsyncIterator[None]:
        runner = web.AppRunner(build_console_app(runtime), access_log=None,
                               shutdown_timeout=2.0)
        await runner.setup()
        await web.TCPSite(runner, settings.console_host, settings.console_port,
                          reuse_port=reuse_port or None).start()
        app[CONSOLE_RUNNER] = runner
        yield
        await runner.cleanup()

    app.cleanup_ctx.append(console)
