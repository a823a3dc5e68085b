"""转人工: handing a user to the Official Account's human agents, and keeping out of
their way while they talk.

WeChat hands a user over when we answer a *typed* message with
`transfer_customer_service`; the user sees nothing from that reply, so what we say goes
as a customer-service message. While an agent plausibly holds the conversation (30
minutes since the user's last message, WeChat's own idle limit for an agent session),
every message is transferred instead of answered; 结束人工, 菜单 or any menu click
gives the user back to the bot. A menu click cannot be transferred at all (events are
not), so clicking 转人工 makes the next typed message go to the agents. The WeChat rules
behind this are in docs/wechat.md.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from dialogs.base import ConvState, Step, StepContext
from dialogs.help import PHONE
from dialogs.registry import Intent
from dialogs.replies import Reply, Text, Transfer

WINDOW = timedelta(minutes=30)
BEIJING = timezone(timedelta(hours=8))
# The manual gives the service hours as 法定工作日工作时间. Weekdays 8:30–17:30 Beijing
# time choose the wording only; public holidays are not known here, so every text names
# the hours and the phone.
OFFICE_DAYS = range(0, 5)
OFFICE_HOURS = (time(8, 30), time(17, 30))
END_HINT = "回复「结束人工」可回到小助手。"
ENDED = "已结束人工服务，小助手回来了。"


def office_open(now: datetime) -> bool:
    local = now.astimezone(BEIJING)
    return local.weekday() in OFFICE_DAYS and OFFICE_HOURS[0] <= local.time() < OFFICE_HOURS[1]


def handoff_text(now: datetime) -> str:
    """What a user sees when handed over (the transfer itself shows nothing)."""
    if office_open(now):
        return ("正在为您转接人工客服，请直接发送您的问题，客服会在这里回复您。\n"
                f"服务时间：法定工作日工作时间；急事也可致电 {PHONE}。\n{END_HINT}")
    return ("现在是非工作时间，您的留言会转给人工客服，上班后在这里回复您。\n"
            f"急事请致电 {PHONE}（法定工作日工作时间）。\n{END_HINT}")


def _open(conv: ConvState, now: datetime) -> None:
    conv.human_until = (now + WINDOW).isoformat()


def active(conv: ConvState, now: datetime) -> bool:
    if not conv.human_until:
        return False
    if now >= datetime.fromisoformat(conv.human_until):
        conv.human_until = None
        return False
    return True


def start(ctx: StepContext, conv: ConvState) -> list[Reply]:
    """转人工 typed: say so (a customer-service message) and transfer this message."""
    _open(conv, ctx.now)
    return [Text(handoff_text(ctx.now)), Transfer()]


def relay(ctx: StepContext, conv: ConvState) -> list[Reply]:
    """A message while an agent holds the conversation: theirs to answer."""
    _open(conv, ctx.now)
    return [Transfer()]


def end(conv: ConvState) -> None:
    conv.human_until = None


async def clicked(ctx: StepContext, conv: ConvState, arg: str) -> Step:
    """The 转人工 menu entry: the next typed message goes to the agents."""
    _open(conv, ctx.now)
    hours = "" if office_open(ctx.now) else "现在是非工作时间，客服上班后会回复您。"
    return Step.text(f"好的，请直接发送您要咨询的问题，会转给人工客服。{hours}\n"
                     f"急事也可致电 {PHONE}（法定工作日工作时间）。\n{END_HINT}")


INTENTS = [Intent("HUMAN", (), respond=clicked)]
DIALOGS: list = []
