"""How demands read on a phone: amounts, terms, times, elapsed time, certification gaps.
Shared by 发布融资需求 and 我的需求."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from adapters.platform_port import PlatformError, Profile
from dialogs.amounts import format_wan, format_yuan, to_daxie
from dialogs.base import StepContext
from knowledge.numbers import UNLIMITED

CHINA = timezone(timedelta(hours=8), "CST")
STEP_NAMES = {"register": "注册企业账号", "person": "个人认证",
              "enterprise": "企业要素认证", "authorisation": "签署授权书"}


def amount_short(value: Decimal | str) -> str:
    return format_wan(Decimal(value))


def amount_full(value: Decimal | str) -> str:
    """200,000.00元（大写：贰拾万元整）."""
    return f"{format_yuan(Decimal(value))}（大写：{to_daxie(Decimal(value))}）"


def term_text(term: Any) -> str:
    return UNLIMITED if term in (None, UNLIMITED) else f"{term}个月"


def china_time(at: datetime | None, with_year: bool = True) -> str:
    if at is None:
        return "—"
    return at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M" if with_year else "%m-%d %H:%M")


def elapsed(delta: timedelta) -> str:
    """17天14小时55分钟; leading zero units left out; under a minute says so."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [(days, "天"), (hours, "小时"), (minutes, "分钟")]
    while parts and parts[0][0] == 0:
        parts.pop(0)
    return "".join(f"{n}{unit}" for n, unit in parts) or "不到1分钟"


def missing_text(steps: Iterable[str]) -> str:
    return "、".join(STEP_NAMES.get(s, s) for s in steps)


def certification_gap(profile: Profile, doing: str) -> tuple[str, str] | None:
    """(what to say, dialog to start) while the active enterprise may not publish."""
    missing = profile.missing_steps()
    if not missing:
        return None
    if missing == ["register"]:
        return f"{doing}需要先注册企业账号，再完成认证授权。现在开始注册：", "register"
    return (f"{doing}需要企业先完成认证授权，还差：{missing_text(missing)}。\n"
            "现在开始认证授权：", "certify")


async def institution_names(ctx: StepContext, region: str, ids: Iterable[str]) -> list[str]:
    """Names for institution ids (an id no longer listed for the region shows as is)."""
    ids = list(ids)
    if not ids:
        return []
    try:
        known = {i.id: i.name for i in await ctx.ports.catalog.institutions_serving(region)}
    except PlatformError:  # names are a nicety here; the ids still identify them
        known = {}
    return [known.get(i, i) for i in ids]
