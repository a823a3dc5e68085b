"""What `python server.py` does: read the settings, check everything a start can meet
(each failure one line and a non-zero exit), print where to reach the bot, then serve in
one process or under the supervisor."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from aiohttp import web

from bot import logs, startup
from bot.templates import dev_default as dev_default_templates
from bot.templates import push_templates
from config.settings import SettingsError, load_settings
from ops.console import serve as console
from wiring.runtime import data_cipher


def main(argv: list[str] | None = None) -> int:
    """Start the server; the exit code says whether it could (2: configuration)."""
    parser = argparse.ArgumentParser(description="融信服 WeChat front door")
    parser.add_argument("--workers", type=int, default=None, help="server processes")
    args = parser.parse_args(argv)
    logs.setup()
    try:
        # Set in the environment, so worker processes (RXF_WORKERS>1) read the same.
        os.environ.update(dev_default_templates(os.environ))
        overrides = {"workers": args.workers} if args.workers else {}
        settings = load_settings(**overrides)
        # Every check before the banner, so a start that fails says why in one line.
        push_templates(settings)
        startup.prepare_var_dir(settings)
        data_cipher(settings)
        startup.check_listen(settings)
        console.check_listen(settings)
        asyncio.run(startup.check_database(settings))
    except (SettingsError, startup.StartupError) as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"融信服 bot: http://{settings.host}:{settings.port}/wechat "
          f"(chat with it: .venv/bin/python -m bot chat)", flush=True)
    if settings.console_port:
        print(f"operators' console: {console.address(settings)} (first operator: echo "
              f"'<password>' | .venv/bin/python -m bot operator add admin --role admin "
              f"--password-stdin)", flush=True)
    if settings.workers > 1:
        from wiring.supervisor import supervise

        return supervise(settings)
    try:
        web.run_app(console.serving(settings), host=settings.host, port=settings.port,
                    print=None, access_log=None)
    except Exception as exc:  # what the checks could not foresee: still one line
        print(startup.explain(exc, settings), file=sys.stderr)
        return 1
    return 0
