"""我的工单 / 工单进度 / a ticket number (GD…): where the user's tickets stand and the
last reply. A number that is not the user's reads as not found, as for a 单据号."""

from __future__ import annotations

from dialogs.base import ConvState, Dialog, Step, StepContext
from dialogs.registry import Intent
from dialogs.ticket_common import KIND_NAMES, TICKET_NO, desk, no_desk, status_text

LISTED = 5


async def show(ctx: StepContext, conv: ConvState, arg: str) -> Step:
    """One ticket when a number was said, else the latest few (the newest in full)."""
    tickets = desk(ctx)
    if tickets is None:
        return no_desk()
    named = TICKET_NO.search(f"{arg} {ctx.text}")
    if named is not None:
        no = named.group(0).upper()
        ticket = await tickets.get(ctx.openid, no)
        if ticket is None:
            return Step.text(f"没有找到工单{no}。回复「我的工单」查看您的工单。")
        return Step.text(status_text(ticket))
    mine = [t for t in await tickets.mine(ctx.openid, limit=LISTED + 1) if t.status != "待补充"]
    if not mine:
        return Step.text("您还没有提交过工单。\n遇到报错可以回复「报错了」反馈；"
                         "企业要素认证因工商变更不通过，可以回复「申请人工核验」。")
    lines = [status_text(mine[0])]
    others = mine[1:LISTED]
    if others:
        lines.append("其他工单：")
        lines += [f"{t.no} {KIND_NAMES.get(t.kind, '工单')} {t.status}" for t in others]
        lines.append("回复工单号查看详情。")
    return Step.text("\n".join(lines))


DIALOGS: list[Dialog] = []
INTENTS: list[Intent] = [
    Intent("TICKET_STATUS", ("我的工单", "工单进度", "工单", "查工单", "工单状态", "查看工单",
                             "我的反馈", "反馈进度", "核验进度", "人工核验进度"),
           respond=show, prefixes=("GD", "工单号", "查工单")),
]
