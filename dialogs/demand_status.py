"""Status questions answered with facts: "银行放款了没有", "曲靖恒达那笔批了吗",
"查一下RZ2026…", "五十万那笔到哪了".

The user's submitted demands are gathered across every enterprise bound to the account;
what the message names narrows them (a 单据号, one of the user's enterprises by full or
short name, an amount, an institution). One left: its detail, led by one sentence that
answers the question. Several: each with 单据号, amount, status, node and elapsed time,
grouped by enterprise (the active one first, unfinished ones first within it); a number
opens one (through 我的需求's list). Asked in the middle of a form, the answer is text
only and the form carries on.
"""

from __future__ import annotations

from adapters.platform_port import Demand, Enterprise, NotFound, PlatformError, Profile
from dialogs.account_common import not_registered
from dialogs.base import ConvState, Dialog, Step, StepContext
from dialogs.demand_list import NAME as LIST
from dialogs.demand_list import show_detail
from dialogs.demand_view import (
    FINISHED,
    detail_text,
    gather,
    grouped,
    status_lead,
    summary_line,
    took,
)
from dialogs.registry import INLINE, Intent
from knowledge.slots import Slots, match_enterprise

SHOWN = 8  # a phone screen of summary lines; 我的需求 pages through the rest


async def status(ctx: StepContext, conv: ConvState, arg: str) -> Step:
    inline = arg == INLINE
    try:
        return await _answer(ctx, conv, inline)
    except PlatformError as exc:
        return Step.text(exc.message)


async def _answer(ctx: StepContext, conv: ConvState, inline: bool) -> Step:
    profile = await ctx.ports.platform.profile(ctx.openid)
    if profile.account is None:
        if inline:
            return Step.text("您还没有注册企业账号，暂时没有需求可查。")
        return not_registered(conv, "查进度要先有企业账号。")
    if not profile.enterprises:
        return Step.text("您的账号还没有认证企业，认证后发布的融资需求都能在这里查进度。")
    understood = ctx.understood
    slots = understood.slots if understood is not None else Slots()
    text = understood.text if understood is not None else ""
    if slots.demand_no:
        if inline:
            return await _one_inline(ctx, slots.demand_no)
        return Step(start=LIST, start_arg=slots.demand_no)
    rows = await _submitted(ctx, profile)
    if not rows:
        if inline:
            return Step.text("您还没有提交过融资需求，提交后就能在这里查进度。")
        return Step.text("您还没有提交过融资需求。回复「发布需求」马上发布；"
                         "草稿可以在「我的需求」里找到。")
    named = match_enterprise(text, [e.name for e in profile.enterprises])
    rows = _narrow(rows, named, slots)
    if not rows:
        who = f"「{named}」" if named else ""
        return Step.text(f"{who}没有符合的需求。回复「我的需求」查看全部。")
    if len(rows) == 1:
        full = await ctx.ports.platform.demand(ctx.openid, rows[0][1].no)
        lead = status_lead(full, took(ctx, full))
        if inline:
            return Step.text(lead, await detail_text(ctx, full))
        conv.clear_dialog()  # into 我的需求's detail (撤回, 返回 work from there)
        return Step.text(lead, await show_detail(ctx, conv, full))
    return _summary(ctx, conv, profile, rows, inline)


async def _submitted(ctx: StepContext,
                     profile: Profile) -> list[tuple[Enterprise, Demand]]:
    """Submitted demands (drafts are not asked about), unfinished ones first within
    each enterprise, the active enterprise first."""
    rows = []
    for holding in await gather(ctx, profile):
        mine = [d for d in holding.demands if d.status != "草稿"]
        mine.sort(key=lambda d: d.status in FINISHED)  # stable: newest first within
        rows += [(holding.enterprise, d) for d in mine]
    return rows


def _narrow(rows: list[tuple[Enterprise, Demand]], named: str | None,
            slots: Slots) -> list[tuple[Enterprise, Demand]]:
    """Keep what the message names; a detail that matches nothing is ignored, so a
    misheard amount does not hide every demand."""
    if named:
        rows = [r for r in rows if r[0].name == named]
    if slots.amount is not None:
        rows = [r for r in rows if r[1].amount == slots.amount] or rows
    if slots.institution:
        rows = [r for r in rows if slots.institution in r[1].current_handler] or rows
    return rows


async def _one_inline(ctx: StepContext, no: str) -> Step:
    try:
        demand = await ctx.ports.platform.demand(ctx.openid, no)
    except NotFound:
        return Step.text(f"没有找到单据号为{no}的需求。")
    return Step.text(status_lead(demand, took(ctx, demand)), await detail_text(ctx, demand))


def _summary(ctx: StepContext, conv: ConvState, profile: Profile,
             rows: list[tuple[Enterprise, Demand]], inline: bool) -> Step:
    live = sum(d.status not in FINISHED for _, d in rows)
    lines = []
    latest = max(rows, key=lambda r: r[1].updated_at)[1]
    if latest.submitted_at is not None and latest.updated_at > latest.submitted_at:
        # What moved last is what "放款了没有" is most likely about (a push said so).
        lines.append(f"最新进展：{latest.no}（{latest.enterprise_name}）"
                     f"{status_lead(latest, took(ctx, latest))}")
    lines.append(f"您共有{len(rows)}笔已提交的融资需求，{live}笔在办理中："
                 if live else f"您共有{len(rows)}笔已提交的融资需求，都已办结：")
    shown = rows[:SHOWN]
    lines += grouped(shown, profile, lambda i, d: summary_line(i, d, took(ctx, d)))
    more = f"（只列出前{SHOWN}笔）" if len(rows) > SHOWN else ""
    if inline:
        lines.append(f"{more}要看详情，填完后回复「我的需求」。".lstrip())
        return Step.text("\n".join(lines))
    conv.clear_dialog()
    conv.dialog, conv.state = LIST, "list"
    conv.scratch.update(tab="全部", page=1, nos=[d.no for _, d in shown], has_next=False)
    lines.append(f"{more}回复序号看详情（审批记录、处理人电话）；「我的需求」看全部。")
    return Step.text("\n".join(lines))


INTENTS = [Intent("STATUS", (), respond=status, inline=True)]
DIALOGS: list[Dialog] = []
