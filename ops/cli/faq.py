"""`python -m bot faq ask|unanswered|add-phrasing|new|dismiss|edits`: the FAQ operator
actions of ops/actions/faq.py on the command line (the console calls the same ones).

A running server picks an edit up at its next poll (RXF_FAQ_POLL_INTERVAL), no reload.
"""

from __future__ import annotations

import argparse
from typing import Any

from config.settings import Settings
from ops.actions.faq import FaqActions, FaqEditRefused
from wiring.runtime import tool_runtime

COMMANDS = ("ask", "unanswered", "add-phrasing", "new", "dismiss", "edits")


def add_parsers(faq_sub: Any) -> None:
    """Register the subcommands under `python -m bot faq`."""
    unanswered = faq_sub.add_parser(
        "unanswered", help="questions without a confident answer, similar ones grouped")
    unanswered.add_argument("--limit", type=int, default=50)
    phrasing = faq_sub.add_parser("add-phrasing", help="add a phrasing to an FAQ entry")
    phrasing.add_argument("entry_id")
    phrasing.add_argument("text")
    phrasing.add_argument("--by", required=True, metavar="NAME", help="who makes the edit")
    phrasing.add_argument("--covers", type=int, nargs="*", default=[], metavar="ID",
                          help="unanswered question ids to mark handled as well")
    new = faq_sub.add_parser("new", help="start a new FAQ entry")
    new.add_argument("--question", required=True)
    new.add_argument("--answer", required=True)
    new.add_argument("--phrasing", action="append", default=[], help="repeatable")
    new.add_argument("--id", dest="entry_id", default=None, help="default op_N")
    new.add_argument("--by", required=True, metavar="NAME")
    new.add_argument("--covers", type=int, nargs="*", default=[], metavar="ID")
    dismiss = faq_sub.add_parser("dismiss", help="dismiss a group of unanswered questions")
    dismiss.add_argument("id", type=int, help="a question id of the group (from unanswered)")
    dismiss.add_argument("--by", required=True, metavar="NAME")
    edits = faq_sub.add_parser("edits", help="history of FAQ edits: who, when, what")
    edits.add_argument("--limit", type=int, default=30)


async def dispatch(settings: Settings, args: argparse.Namespace) -> int | None:
    """Run an FAQ operator command; None when the command is not one of these."""
    if args.command != "faq" or args.faq_command not in COMMANDS:
        return None
    async with tool_runtime(settings) as rt:
        actions = FaqActions(rt.sessions, knowledge_dir=settings.knowledge_dir,
                             clock=rt.bot.clock)
        try:
            return await _run(actions, args)
        except FaqEditRefused as exc:
            print(f"未保存：{exc}")
            return 1


async def _run(actions: Any, args: argparse.Namespace) -> int:
    command = args.faq_command
    if command == "ask":  # ranked as the servers rank it: faq.yaml plus the stored edits
        from knowledge.cli import format_ranking

        print(format_ranking(await actions.matcher(), args.question))
        return 0
    if command == "unanswered":
        groups = await actions.unanswered(args.limit)
        if not groups:
            print("没有待处理的未答问题")
        for group in groups:
            guess = group.guess
            said = (f"猜测 {guess.entry_id}（{guess.score:.2f}，{guess.kind}）「{guess.question}」"
                    if guess else "猜测：无")
            print(f"[{group.id}] {group.count} 次，最近 {group.last_at:%Y-%m-%d %H:%M}  "
                  f"{group.question}\n      {said}")
            for asked in group.questions[1:]:
                print(f"      · [{asked.id}] {asked.count} 次  {asked.question}")
        return 0
    if command == "edits":
        history = await actions.history(args.limit)
        if not history:
            print("还没有人改过常见问题")
        for edit in history:
            target = f" {edit.entry_id}" if edit.entry_id else ""
            print(f"#{edit.id} {edit.at:%Y-%m-%d %H:%M} {edit.actor} {edit.action_name}"
                  f"{target}「{edit.text}」 处理了 {edit.covered} 个未答问题")
        return 0
    if command == "add-phrasing":
        edit = await actions.add_phrasing(args.entry_id, args.text, args.by,
                                          covers=args.covers)
    elif command == "new":
        edit = await actions.new_entry(args.question, args.answer, args.phrasing, args.by,
                                       entry_id=args.entry_id, covers=args.covers)
    else:
        edit = await actions.dismiss(args.id, args.by)
    target = f" {edit.entry_id}" if edit.entry_id else ""
    print(f"已保存 #{edit.id}：{edit.action_name}{target}「{edit.text}」，"
          f"处理了 {edit.covered} 个未答问题；运行中的服务几秒内生效，无需重启")
    return 0
