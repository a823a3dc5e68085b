"""Implementations of `python -m bot` commands (the parser is in bot/__main__.py)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import aiohttp
from sqlalchemy import select, update

from bot.models import OutboxRow
from bot.settings import Settings, load_settings

if TYPE_CHECKING:
    from server import Runtime


@contextlib.asynccontextmanager
async def runtime(settings: Settings, *, faq: object = None) -> AsyncIterator[Runtime]:
    from server import build_runtime

    rt = await build_runtime(settings, faq=faq, understander=None)
    try:
        yield rt
    finally:
        await rt.close()


async def dispatch(args: argparse.Namespace) -> int:
    settings = load_settings()
    command = args.command
    if command == "chat":
        from bot.chat import run_chat

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
        from bot.diagrams import write
        from dialogs.registry import Registry

        print(f"wrote {write(Registry.default(settings.extra_dialog_modules()))}")
        return 0
    if command == "fake-wechat":
        from bot.fake_wechat import run_standalone
        from bot.fake_wechat_templates import seeded_templates

        print(f"fake WeChat API on http://{args.host}:{args.port}/cgi-bin/", flush=True)
        await run_standalone(args.host, args.port, templates=seeded_templates())
        return 0
    from bot import cli_accounts, cli_demands, cli_templates, cli_tickets

    for module in (cli_accounts, cli_demands, cli_templates, cli_tickets):
        run = getattr(module, "dispatch", None)
        if run is not None:
            code = await run(settings, args)
            if code is not None:
                return int(code)
    raise SystemExit(f"unknown command {command}")


async def menu_sync(settings: Settings) -> int:
    from adapters.ports import WeChatApiError
    from bot.menu import wechat_menu

    async with runtime(settings) as rt:
        menu = wechat_menu(rt.registry)
        try:
            await rt.api.create_menu(menu)
        except WeChatApiError as exc:
            print(f"menu-sync failed: WeChat errcode {exc.errcode} {exc.errmsg}")
            return 1
    for button in menu["button"]:
        print(f"{button['name']}: " + "、".join(s["name"] for s in button["sub_button"]))
    print(f"menu published to {settings.api_base}")
    return 0


async def faq(settings: Settings, args: argparse.Namespace) -> int:
    from knowledge import cli as kcli

    if args.faq_command == "check":
        return kcli.run_check()
    if args.faq_command == "ask":
        from server import load_faq

        print(kcli.format_ranking(await asyncio.to_thread(load_faq), args.question))
        return 0
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
    async with runtime(settings) as rt:
        rows = await rt.faq_log.top(args.limit)
    if not rows:
        print("no unanswered questions")
    for question, count, last in rows:
        print(f"{count:5d}  {last:%Y-%m-%d %H:%M}  {question}")
    return 0


async def outbox(settings: Settings, args: argparse.Namespace) -> int:
    async with runtime(settings) as rt:
        sessions = rt.sessions
        if args.retry:
            async with sessions.begin() as session:
                done = await session.execute(
                    update(OutboxRow).where(OutboxRow.id == args.retry,
                                            OutboxRow.status.in_(("dead", "ended")))
                    .values(status="pending", attempts=0, next_attempt_at=rt.bot.clock()))
            if not done.rowcount:
                print(f"row {args.retry} is not dead or ended; nothing re-queued")
                return 1
            print(f"row {args.retry} re-queued")
            return 0
        query = select(OutboxRow).order_by(OutboxRow.id.desc()).limit(args.limit)
        if args.status:
            query = query.where(OutboxRow.status == args.status)
        async with sessions() as session:
            rows = (await session.scalars(query)).all()
    for row in rows:
        payload = json.loads(row.payload)
        what = payload.get("demand_no") or payload.get("content", "")[:30].replace("\n", " ")
        why = "" if row.status == "sent" else (row.last_error or "")
        print(f"#{row.id:<6} {row.status:<8} {row.kind:<5} tries={row.attempts} "
              f"to={row.openid[:12]}… {what} {why}".rstrip())
    if not rows:
        print("outbox is empty" + (f" for status {args.status}" if args.status else ""))
    return 0


async def push_worker(settings: Settings) -> int:
    async with runtime(settings) as rt:
        stop = rt.stop
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        print("push worker running; Ctrl-C to stop", flush=True)
        await rt.worker.run(stop)
    return 0
