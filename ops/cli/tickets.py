"""`python -m bot ticket ...`: operators work the tickets (工单) from the command line.

    python -m bot ticket list [--status 待处理]
    python -m bot ticket show GD20261201000001 [--reveal]
    python -m bot ticket take GD20261201000001 --by 张三
    python -m bot ticket resolve GD20261201000001 --reply "已完成数据同步" --by 张三
    python -m bot ticket reject GD20261201000001 --reply "执照照片看不清，请重新申请"
    python -m bot ticket image GD20261201000001 1 --out licence.jpg

All of it calls ops/actions/tickets.py (the console calls the same); a refused move
says why and exits 1. The reply reaches the user through the running server's push
worker.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

from adapters.ticket_port import Ticket
from config.settings import Settings
from ops.actions import tickets as actions
from ops.actions.tickets import CHECKS, FACTORS, IMAGE_STATUS, ROLE
from state_machines.ticket import KIND_NAMES, STATES
from wiring.runtime import tool_runtime

BEIJING = timezone(timedelta(hours=8))


def add_parsers(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `ticket` and its subcommands."""
    ticket = subparsers.add_parser("ticket", help="tickets (工单): Q3 manual checks, Q6 reports")
    sub = ticket.add_subparsers(dest="ticket_command", required=True)
    listing = sub.add_parser("list", help="tickets waiting (or --status …), oldest first")
    listing.add_argument("--status", choices=STATES)
    listing.add_argument("--limit", type=int, default=50)
    show = sub.add_parser("show", help="one ticket: details, images, moves")
    show.add_argument("no", metavar="工单号")
    show.add_argument("--reveal", action="store_true",
                      help="show the ID number and phone whole (for the data-sync request; "
                           "leaves an audit line)")
    show.add_argument("--by", default=os.environ.get("USER", ""), help="your name")
    for name, text in (("take", "start working on it (处理中)"),
                       ("resolve", "resolve it and send --reply to the user"),
                       ("reject", "reject it and send --reply to the user")):
        move = sub.add_parser(name, help=text)
        move.add_argument("no", metavar="工单号")
        move.add_argument("--by", default=os.environ.get("USER", ""), help="your name")
        if name != "take":
            move.add_argument("--reply", required=True, help="what the user is told")
    image = sub.add_parser("image", help="save one of the ticket's images to a file")
    image.add_argument("no", metavar="工单号")
    image.add_argument("index", type=int, help="1 = the first image")
    image.add_argument("--out", required=True, help="file to write (created 0600)")
    image.add_argument("--by", default=os.environ.get("USER", ""),
                       help="your name (viewing an image leaves an audit line)")


async def dispatch(settings: Settings, args: argparse.Namespace) -> int | None:
    """Run a `ticket` command; None for other commands."""
    if args.command != "ticket":
        return None
    async with tool_runtime(settings) as rt:
        desk = rt.ports.tickets
        if desk is None:  # the composition root always wires the desk
            raise RuntimeError("the runtime has no ticket desk")
        command = args.ticket_command
        try:
            if command == "list":
                found = await actions.list_tickets(desk, args.status, args.limit)
                print("\n".join(_line(t) for t in found) or "（没有工单）")
            elif command == "show":
                print(_full(await actions.show_ticket(desk, args.no, reveal=args.reveal,
                                                      by=args.by)))
            elif command == "take":
                print(_line(await actions.take_ticket(desk, args.no, by=args.by)))
            elif command in ("resolve", "reject"):
                move = actions.resolve_ticket if command == "resolve" else actions.reject_ticket
                done = await move(desk, args.no, reply=args.reply, by=args.by)
                print(f"{_line(done)}\n已排队发给用户：{done.last_reply}")
            elif command == "image":
                file = await actions.ticket_image(desk, args.no, args.index, by=args.by)
                await asyncio.to_thread(_save, Path(args.out), file.data)
                print(f"已保存 {args.out}（{file.mime}，{len(file.data)} 字节）")
        except actions.ActionError as exc:
            print(exc.message)
            return 1
    return 0


def _save(path: Path, data: bytes) -> None:
    # Personal data leaves the database only into a file nobody else can read.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def _time(ticket: Ticket) -> str:
    return f"{ticket.updated_at.astimezone(BEIJING):%Y-%m-%d %H:%M}"


def _line(ticket: Ticket) -> str:
    pictures = ticket.count("stored")
    return (f"{ticket.no}  {KIND_NAMES.get(ticket.kind, ticket.kind)}  {ticket.status}"
            f"  {_time(ticket)}  图片{pictures}张  {ticket.title or ticket.description[:20]}")


def _full(ticket: Ticket) -> str:
    lines = [_line(ticket)]
    if ticket.description:
        lines.append(f"描述：{ticket.description}")
    facts = ticket.details
    if facts:
        lines += [f"企业：{facts.get('company', '')}（{facts.get('uscc', '')}）",
                  f"法定代表人：{facts.get('legal_rep', '')} {facts.get('legal_rep_id', '')}",
                  f"联系手机：{facts.get('phone') or '无'}"]
        check = facts.get("check") or {}
        if check:
            at = datetime.fromisoformat(check["at"]).astimezone(BEIJING) if check.get("at") \
                else None
            lines.append(f"失败的核验：{CHECKS.get(check.get('check'), check.get('check'))}，"
                         f"不一致：{FACTORS.get(check.get('failed'), check.get('failed'))}，"
                         f"共{check.get('times')}次" + (f"，最近 {at:%m-%d %H:%M}" if at else ""))
    for i, image in enumerate(ticket.images, 1):
        extra = f"（{image.error}）" if image.status in ("refused", "failed") else ""
        lines.append(f"图片{i}：{ROLE.get(image.role, image.role)} "
                     f"{IMAGE_STATUS.get(image.status, image.status)} {image.mime} "
                     f"{image.size}字节{extra}")
    for event in ticket.events:
        moved = f"{event.from_status or '新建'}→{event.to_status}"
        said = f"：{event.message}" if event.message else ""
        lines.append(f"  {event.at.astimezone(BEIJING):%m-%d %H:%M} {event.actor} {moved}{said}")
    return "\n".join(lines)
