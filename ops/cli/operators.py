"""`python -m bot operator ...`: console operators from the command line.

    echo 'a long password' | python -m bot operator add alice --role admin --password-stdin
    python -m bot operator list
    python -m bot operator disable alice
    python -m bot operator password alice --password-stdin

Each command calls ops/actions/operators.py, as the console does, and is audited.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from config.settings import Settings
from ops.actions import Refused
from ops.actions.audit import cli_actor
from ops.actions.operators import ROLE_NAMES, ROLES
from wiring.runtime import tool_runtime


def add_parsers(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `operator add|list|disable|password`."""
    operator = subparsers.add_parser("operator", help="web console operators")
    sub = operator.add_subparsers(dest="operator_command", required=True)
    add = sub.add_parser("add", help="a new operator")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from standard input (else asked twice)")
    sub.add_parser("list", help="operators, their roles and state")
    disable = sub.add_parser("disable", help="disable an operator and end their sessions")
    disable.add_argument("name")
    password = sub.add_parser("password", help="set a new password (also lifts a lock)")
    password.add_argument("name")
    password.add_argument("--password-stdin", action="store_true")


def read_password(from_stdin: bool) -> str:
    """The password from standard input (one line) or asked twice on the terminal."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("密码：")
    if getpass.getpass("再输入一次：") != first:
        raise Refused("两次输入的密码不一致。")
    return first


async def dispatch(settings: Settings, args: argparse.Namespace) -> int | None:
    """Run an `operator` command; None for any other command."""
    if args.command != "operator":
        return None
    from ops.actions import operators

    async with tool_runtime(settings) as rt:
        now, actor = rt.bot.clock(), cli_actor()
        try:
            if args.operator_command == "list":
                found = await operators.list_all(rt.sessions)
                for op in found:
                    state = "已停用" if op.disabled else (
                        "已锁定" if op.locked_until and op.locked_until > now else "正常")
                    print(f"{op.name:<20} {op.role:<9} {ROLE_NAMES[op.role]:<4} {state}")
                if not found:
                    print("还没有操作员；用 operator add NAME --role admin --password-stdin 创建")
                return 0
            if args.operator_command == "disable":
                await operators.disable(rt.sessions, args.name, actor=actor, address="cli",
                                        now=now)
                print(f"操作员 {args.name} 已停用")
                return 0
            password = read_password(args.password_stdin)
            if args.operator_command == "add":
                await operators.add(rt.sessions, args.name, args.role, password, actor=actor,
                                    address="cli", now=now)
                print(f"操作员 {args.name}（{ROLE_NAMES[args.role]}）已创建；"
                      f"控制台 http://{settings.console_host}:{settings.console_port}/login")
                return 0
            await operators.set_password(rt.sessions, args.name, password, actor=actor,
                                         address="cli", now=now)
            print(f"操作员 {args.name} 的密码已更新")
            return 0
        except Refused as exc:
            print(f"拒绝：{exc.message}")
            return 1
