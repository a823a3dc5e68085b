"""What the ticket dialogs (问题反馈, 人工核验, 我的工单) share: the words for yes, no and
"that's all", how a ticket is told to its user, and the refusal when the desk is away."""

from __future__ import annotations

import re
from datetime import timedelta, timezone
from typing import TYPE_CHECKING

from dialogs.base import Step, StepContext
from state_machines.ticket import KIND_NAMES

if TYPE_CHECKING:
    from adapters.ticket_port import Ticket, TicketDesk

BEIJING = timezone(timedelta(hours=8))
YES = frozenset(("1", "是", "是的", "要", "好", "好的", "反馈", "需要", "对", "嗯", "可以", "行"))
NO = frozenset(("2", "不", "不用", "不用了", "不要", "否", "算了", "没事", "没事了", "不需要"))
DONE_WORDS = frozenset(("好了", "没有了", "没有", "无", "跳过", "完成", "发完了", "就这些",
                        "提交", "确认", "没了"))
TICKET_NO = re.compile(r"GD\d{14}", re.IGNORECASE)
WHEN = "一般1–2个工作日有结果，会在这里通知您。"
FOLLOW = "回复「我的工单」随时查看进度。"
STATUS_NOTES = {
    "待补充": "还没提交",
    "待处理": "已收到，等待处理",
    "处理中": "工作人员正在处理",
    "已解决": "已处理完",
    "已驳回": "未通过",
    "已撤销": "已撤销",
}
UNAVAILABLE = "工单服务暂时不可用，请稍后再试，或回复「转人工」。"


def word(text: str) -> str:
    """The answer as compared with the word lists: no spaces or end punctuation."""
    return re.sub(r"[\s。.!！~]+", "", text)


def desk(ctx: StepContext) -> TicketDesk | None:
    """The ticket desk, or None (a test registry without it)."""
    return ctx.ports.tickets


def no_desk() -> Step:
    """What a user hears when there is no ticket desk."""
    return Step.text(UNAVAILABLE)


def when(ticket: Ticket) -> str:
    """The ticket's submission time, Beijing time."""
    return f"{ticket.created_at.astimezone(BEIJING):%Y-%m-%d %H:%M}"


def status_text(ticket: Ticket) -> str:
    """A ticket as its user sees it: number, kind, status, the last reply."""
    lines = [f"工单{ticket.no}（{KIND_NAMES.get(ticket.kind, '工单')}）",
             f"状态：{ticket.status}（{STATUS_NOTES.get(ticket.status, '')}）",
             f"提交时间：{when(ticket)}"]
    pictures = ticket.count("stored", "pending")
    if pictures:
        lines.append(f"图片：{pictures}张")
    if ticket.last_reply:
        lines.append(f"最近回复：{ticket.last_reply}")
    elif ticket.status in ("待处理", "处理中"):
        lines.append(WHEN)
    if ticket.kind == "q3" and ticket.status == "已解决":
        lines.append("回复「重新认证」用原来填写的信息再核验一次。")
    return "\n".join(lines)
