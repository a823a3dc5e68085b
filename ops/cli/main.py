"""Implementations of `python -m bot` commands (the parser is in ops/cli/parser.py)."""

from __future__ import annotations

import argparse
import asyncio
import signal

import aiohttp

from config.settings import Settings, load_settings
from ops.actions.audit import cli_actor
from ops.cli.families import FAMILIES
from wiring.runtime import tool_runtime


async def dispatch(args: argparse.Namespace) -> int:
    settings = load_settings()
    command = args.command
    if command == "chat":
        from devtools.chat import run_chat

        url = args.url or f"http://{settings.host}:{settings.port}/wechat"
        return await run_chat(url, args.openid, settings, subscribe=not args.no_subscribe)
    if command == "menu-sync":
        return await menu_sync(settings)
    if command == "faq":
        return await faq(settings, args)
    if command == "outbox":
        return await outbox(settings, args)
    if command == "push-worker":
        return await push_worker(settings)
    if command == "diagrams":
        from devtools.diagrams import write
        from dialogs.registry import Registry

        print(f"wrote {write(Registry.default(settings.extra_dialog_modules()))}")
        return 0
    if command == "fake-wechat":
        from devtools.fake_wechat_routes import run_standalone
        from devtools.fake_wechat_templates import seeded_templates

        print(f"fake WeChat API on http://{args.host}:{args.port}/cgi-bin/", flush=True)
        await run_standalone(args.host, args.port, templates=seeded_templates())
        return 0

    for family in FAMILIES:
        code = await family.dispatch(settings, args)
        if code is not None:
            return int(code)
    raise SystemExit(f"unknown command {command}")


async def menu_sync(settings: Settings) -> int:
    from ops.actions import Refused
    from ops.actions.menu import sync

    async with tool_runtime(settings) as rt:
        try:
            menu = await sync(rt.registry, rt.api, rt.sessions, actor=cli_actor(),
                              address="cli", now=rt.bot.clock())
        except Refused as exc:
            print(f"menu-sync failed: {exc.message}")
            return 1
    for button in menu["button"]:
        print(f"{button['name']}: " + "、".join(s["name"] for s in button["sub_button"]))
    print(f"menu published to {settings.api_base}")
    return 0


async def faq(settings: Settings, args: argparse.Namespace) -> int:
    from knowledge import cli as kcli

    if args.faq_command == "check":
        return kcli.run_check()
    if args.faq_command == "reload":
        if kcli.run_check() != 0:
            print("not reloaded: fix the knowledge files first")
            return 1
        url = args.url or f"http://{settings.host}:{settings.port}"
        try:
            async with aiohttp.ClientSession() as session, \
                    session.post(f"{url}/admin/faq/reload") as resp:
                print(await resp.text())
                return 0 if resp.status == 200 else 1
        except aiohttp.ClientError:
            print(f"no server answering at {url}")
            return 1
    from ops.cli import faq as cli_faq

    code = await cli_faq.dispatch(settings, args)
    if code is None:
        raise SystemExit(f"unknown faq command {args.faq_command}")
    return code


async def outbox(settings: Settings, args: argparse.Namespace) -> int:
    from ops.actions import Refused
    from ops.actions import outbox as actions

    async with tool_runtime(settings) as rt:
        if args.retry:
            try:
                await actions.retry(rt.sessions, args.retry, actor=cli_actor(), address="cli",
                                    now=rt.bot.clock())
            except Refused as exc:
                print(exc.message)
                return 1
            print(f"row {args.retry} re-queued")
            return 0
        rows = await actions.rows(rt.sessions, status=args.status, limit=args.limit)
    for row in rows:
        print(f"#{row.id:<6} {row.status:<8} {row.kind:<5} tries={row.attempts} "
              f"to={row.openid[:12]}… {row.what} {row.reason}".rstrip())
    if not rows:
        print("outbox is empty" + (f" for status {args.status}" if args.status else ""))
    return 0


async def push_worker(settings: Settings) -> int:
    async with tool_runtime(settings) as rt:
        stop = rt.stop
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        print("push worker running; Ctrl-C to stop", flush=True)
        await rt.worker.run(stop)
    return 0
