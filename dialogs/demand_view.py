"""How a user's demands are read and shown, whichever of their enterprises they belong
to: gathered across every enterprise bound to the account (the active one first), a
one-line status answer, and the detail the manual's 查看审批状态 shows. Shared by
我的需求 (dialogs.demand_list) and the status answers (dialogs.demand_status).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from adapters.platform_port import Demand, Enterprise, Profile
from dialogs.base import StepContext
from dialogs.demand_text import (
    amount_full,
    amount_short,
    china_time,
    elapsed,
    institution_names,
    term_text,
)

# Per enterprise, the newest this many are read for a list; owners have a handful.
MAX_PER_ENTERPRISE = 50
FINISHED = ("已放款", "已退回", "已撤回")
RECORD_MARKS = "①②③④⑤⑥⑦⑧⑨⑩"


@dataclass(frozen=True)
class Holding:
    """One of the user's enterprises and its demands (newest first)."""

    enterprise: Enterprise
    demands: tuple[Demand, ...]


def ordered(profile: Profile) -> list[Enterprise]:
    """The active enterprise first, then the others as the platform lists them."""
    active = profile.active
    rest = [e for e in profile.enterprises if active is None or e.id != active.id]
    return ([active] if active is not None else []) + rest


async def gather(ctx: StepContext, profile: Profile, status: str | None = None) -> list[Holding]:
    """Every enterprise's demands (of one status, or all), active enterprise first."""
    holdings = []
    for enterprise in ordered(profile):
        page = await ctx.ports.platform.list_demands(
            ctx.openid, enterprise.id, status=status, page=1, size=MAX_PER_ENTERPRISE)
        holdings.append(Holding(enterprise, page.items))
    return holdings


def grouped(rows: list[tuple[Enterprise, Demand]], profile: Profile,
            line: Callable[[int, Demand], str]) -> list[str]:
    """Numbered lines, under 【enterprise】 where the enterprise changes when the user has
    several ("（当前）" marks the active one)."""
    many = len(profile.enterprises) > 1
    active = profile.active
    lines: list[str] = []
    group = None
    for i, (enterprise, demand) in enumerate(rows, 1):
        if many and enterprise.id != group:
            group = enterprise.id
            mark = "（当前）" if active is not None and enterprise.id == active.id else ""
            lines.append(f"【{enterprise.name}{mark}】")
        lines.append(line(i, demand))
    return lines


def status_lead(d: Demand, now_elapsed: str) -> str:
    """One sentence that answers "放款了没有" for this demand."""
    if d.status == "待关注":
        return f"这笔需求还在等金融机构关注（已提交{now_elapsed}）。"
    if d.status == "待授信":
        who = d.current_handler or "金融机构"
        return f"{who}已受理，正在授信审批（已用时{now_elapsed}）。"
    if d.status == "待放款":
        granted = amount_short(d.granted_amount) if d.granted_amount is not None else ""
        return f"已获授信{granted}，正在等待放款。"
    if d.status == "已放款":
        paid = amount_short(d.disbursed_amount) if d.disbursed_amount is not None else ""
        return f"已经放款了{'：' + paid if paid else ''}。"
    if d.status == "已退回":
        return "这笔需求被退回了，原因见下面的审批记录。"
    if d.status == "已撤回":
        return "这笔需求已经撤回。"
    return "这是一份草稿，还没有提交。"


def summary_line(i: int, d: Demand, took: str) -> str:
    """1 RZ20261130000001 50万元 待授信·授信审批 2天3小时; a granted or disbursed amount
    is said where it differs from the one asked for."""
    if d.status == "待放款" and d.granted_amount is not None:
        state = f"已授信{amount_short(d.granted_amount)}，待放款"
    elif d.status == "已放款" and d.disbursed_amount is not None:
        state = f"已放款{amount_short(d.disbursed_amount)}"
    else:
        node = d.current_node if d.current_node and d.status not in FINISHED else ""
        state = f"{d.status}·{node}" if node and node not in d.status else d.status
    when = f" {took}" if took else ""
    return f"{i} {d.no} {amount_short(d.amount)} {state}{when}"


def options_for(status: str) -> str:
    if status == "草稿":
        return "回复1继续填写并提交；「返回」回到列表。"
    if status == "待关注":
        return "回复「撤回」可撤回这条需求；「返回」回到列表。"
    return "回复「返回」回到列表。"


async def detail_text(ctx: StepContext, d: Demand) -> str:
    """The demand as the manual's 查看审批状态 shows it, with every approval record."""
    zones = {z.key: z.name for z in await ctx.ports.catalog.zones()}
    kinds = dict(await ctx.ports.catalog.loan_kinds())
    lines = [f"单据号：{d.no}"]
    if d.enterprise_name:
        lines.append(f"企业：{d.enterprise_name}")
    lines.append(f"状态：{d.status}")
    if d.status == "草稿":
        lines.append(f"保存时间：{china_time(d.updated_at)}")
    else:
        lines += [f"当前节点：{d.current_node or '—'}",
                  f"当前处理人：{d.current_handler or '—'}"]
        if d.submitted_at is not None:
            label = "共用时" if d.status in FINISHED else "已用时"
            lines.append(f"{label}：{took(ctx, d)}")
    lines += [f"专区：{zones.get(d.zone, d.zone)}", f"申请额度：{amount_full(d.amount)}"]
    if d.granted_amount is not None:
        lines.append(f"授信额度：{amount_short(d.granted_amount)}")
    if d.disbursed_amount is not None:
        lines.append(f"放款金额：{amount_short(d.disbursed_amount)}")
    lines.append(f"贷款期限：{term_text(d.term_months)}｜{kinds.get(d.loan_kind, d.loan_kind)}")
    lines.append(f"需求类型：{await _kind(ctx, d)}")
    purpose = d.purpose if len(d.purpose) <= 60 else d.purpose[:60] + "…"
    lines.append(f"贷款用途：{purpose}")
    if d.records:
        lines.append("审批记录：")
        for i, r in enumerate(d.records):
            mark = RECORD_MARKS[i] if i < len(RECORD_MARKS) else f"{i + 1}."
            lines.append(f"{mark}{china_time(r.at)} {r.node}")
            who = "｜".join(p for p in (r.handler, r.organisation, r.role, r.phone) if p)
            lines.append(f"  {who}")
            if r.comment:
                lines.append(f"  意见：{r.comment[:60]}")
    return "\n".join(lines)


async def _kind(ctx: StepContext, d: Demand) -> str:
    if not d.directed:
        return "非定向（所在区域的金融机构都能看到）"
    profile = await ctx.ports.platform.profile(ctx.openid)
    region = next((e.region for e in profile.enterprises if e.id == d.enterprise_id), "")
    return "定向（" + "、".join(await institution_names(ctx, region, d.institutions)) + "）"


def took(ctx: StepContext, d: Demand) -> str:
    """How long the demand has been on its way (or took, once finished)."""
    if d.submitted_at is None:
        return ""
    end = d.updated_at if d.status in FINISHED else ctx.now
    return elapsed(end - d.submitted_at)
