"""`python -m bot demand ...`: institutions' moves in local mode, and an operator's view.

    python -m bot demand advance RZ202611270001 --action follow --institution 工商银行
    python -m bot demand advance RZ202611270001 --action grant --institution icbc_yn \\
        --amount 20万 --handler 李经理 --comment 已审批
    python -m bot demand list [--status 待关注]
    python -m bot demand show RZ202611270001

Moves go through the lifecycle machine (state_machines/demand.py); an illegal move is
refused with the reason and exit code 1. A move that pushes queues its messages in the
same transaction; the running server's push worker delivers them.
"""

from __future__ import annotations

import argparse

from adapters.platform_local.demand_rules import MAX_COMMENT
from adapters.platform_port import Demand, PlatformError
from config.settings import Settings
from dialogs.amounts import format_wan
from dialogs.demand_text import china_time
from ops.actions import Refused
from ops.actions import demands as actions
from ops.actions.audit import CLI_ADDRESS, cli_actor
from state_machines.demand import INSTITUTION_ACTIONS, RULES, STATES
from wiring.runtime import Runtime, tool_runtime

HINTS = {"amount_required": "（用 --amount 填写金额，例如 --amount 200000）",
         "reason_required": "（用 --comment 填写原因）"}


def add_parsers(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    demand = subparsers.add_parser("demand", help="financing demands (local platform)")
    sub = demand.add_subparsers(dest="demand_command", required=True)
    advance = sub.add_parser("advance", help="an institution's move on a demand")
    advance.add_argument("no", metavar="单据号")
    advance.add_argument("--action", required=True, choices=INSTITUTION_ACTIONS)
    advance.add_argument("--institution", required=True, help="institution id or name")
    advance.add_argument("--amount", help="元: 200000, 20万 … (grant; disburse defaults "
                                          "to the granted amount)")
    advance.add_argument("--comment", default="",
                         help=f"opinion; the reason for reject (at most {MAX_COMMENT} "
                              "characters; ID numbers and phones are masked)")
    advance.add_argument("--handler", default="", help="who acted (name)")
    listing = sub.add_parser("list", help="every enterprise's demands, newest first")
    listing.add_argument("--status", choices=STATES)
    listing.add_argument("--limit", type=int, default=30)
    show = sub.add_parser("show", help="one demand with its approval records")
    show.add_argument("no", metavar="单据号")


async def dispatch(settings: Settings, args: argparse.Namespace) -> int | None:
    if args.command != "demand":
        return None
    async with tool_runtime(settings) as rt:
        platform = rt.ports.platform
        try:
            if args.demand_command == "advance":
                return await _advance(platform, args, rt)
            if not actions.reads_all(platform):
                print("demand list/show read the local platform (RXF_PLATFORM=local); "
                      "in http mode use the platform's own back office")
                return 1
            if args.demand_command == "list":
                return _print_list(await platform.all_demands(args.status, args.limit))
            print(_detail(await platform.operator_demand(args.no.upper())))
            return 0
        except PlatformError as exc:
            print(f"拒绝：{exc.message}{HINTS.get(exc.code, '')}")
            return 1


async def _advance(platform: object, args: argparse.Namespace, rt: Runtime) -> int:
    try:
        demand = await actions.advance(platform, rt.sessions, no=args.no,
                                       action=args.action, institution=args.institution,
                                       amount=args.amount or "", comment=args.comment,
                                       handler=args.handler, actor=cli_actor(),
                                       address=CLI_ADDRESS, now=rt.bot.clock())
    except Refused as exc:
        print(f"拒绝：{exc.message}")
        return 1
    before = demand.records[-1].from_status if demand.records else "?"
    print(f"{demand.no}：{before} -> {demand.status}"
          f"（{RULES[args.action].node}；当前节点：{demand.current_node}）")
    if RULES[args.action].push:
        print("已排队通知该企业绑定的微信用户（服务运行时由推送进程发送）。")
    return 0


def _print_list(demands: list[Demand]) -> int:
    if not demands:
        print("no demands")
    for d in demands:
        print(f"{d.no}  {d.status:<4}  {format_wan(d.amount):>10}  "
              f"{china_time(d.submitted_at or d.created_at)}  {d.enterprise_name}"
              f"  {'定向' if d.directed else '非定向'} {','.join(d.institutions)}")
    return 0


def _detail(d: Demand) -> str:
    lines = [f"{d.no} {d.enterprise_name} {d.status} 当前节点：{d.current_node} "
             f"当前处理人：{d.current_handler or '—'}",
             f"额度 {format_wan(d.amount)} 专区 {d.zone} 期限 {d.term_months or '不限'} "
             f"种类 {d.loan_kind} {'定向 ' + ','.join(d.institutions) if d.directed else '非定向'}"]
    for r in d.records:
        lines.append(f"  {china_time(r.at)} {r.node} {r.from_status or '—'}->{r.to_status} "
                     f"{r.handler} {r.organisation} {r.role} {r.phone} {r.comment}".rstrip())
    return "\n".join(lines)
