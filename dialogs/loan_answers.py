"""Rate and amount questions answered from the catalogue: "你们的贷款利息是多少",
"我们这种小公司能贷多少", "工行的信用贷利息多少".

The products open to the user's region (the active enterprise's; all of Yunnan when
there is none) give the range of rates or amounts and the three best matches (lowest
rate; highest amount, or those that cover the amount asked). What the message names
narrows them when it can (an institution, a 担保方式, an amount, a term) and is dropped
when nothing would be left. The three are left numbered in 金融产品, so a digit opens
one and 申请这个 after it starts a demand with that institution.
"""

from __future__ import annotations

from dataclasses import replace

from adapters.catalog_port import Product, ProductQuery
from adapters.platform_port import PlatformError
from dialogs.base import ConvState, Dialog, Step, StepContext
from dialogs.catalog import (
    PRODUCTS,
    amount_range,
    describe,
    product_json,
    product_line,
    query_json,
    rate_text,
)
from dialogs.registry import INLINE, Intent
from knowledge.slots import Slots

BEST = 3
ALL = 50  # the catalogue is a few dozen products; one page holds them
RATE, LIMIT = "rate", "limit"


async def rate(ctx: StepContext, conv: ConvState, arg: str) -> Step:
    return await _answer(ctx, conv, RATE, inline=arg == INLINE)


async def limit(ctx: StepContext, conv: ConvState, arg: str) -> Step:
    return await _answer(ctx, conv, LIMIT, inline=arg == INLINE)


async def _answer(ctx: StepContext, conv: ConvState, asked: str, *, inline: bool) -> Step:
    understood = ctx.understood
    slots = understood.slots if understood is not None else Slots()
    try:
        region = await _region(ctx)
        products, query = await _products(ctx, region, slots)
    except PlatformError as exc:
        return Step.text(exc.message)
    where = region or "云南全省"
    if not products:
        return Step.text(f"暂时没有面向{where}的产品。回复「金融产品」看全部产品，"
                         "或回复「转人工」问问客服。")
    best = _best(products, asked)
    narrowed = "" if query == ProductQuery(region=region) else f"（按{describe(query)}）"
    # Both ranges, whichever was asked: "能贷多少？利息高不高？" is one message.
    rates = rate_text(min(p.rate_min for p in products), max(p.rate_max for p in products))
    amounts = amount_range(min(p.min_amount for p in products),
                           max(p.max_amount for p in products))
    head = f"面向{where}企业的{len(products)}款产品{narrowed}：年利率{rates}，单笔额度{amounts}。"
    if asked == RATE:
        head += f"利率最低的{len(best)}款："
        tail = "实际利率由金融机构按企业经营、纳税和征信情况审批。"
    else:
        head += "能覆盖这个金额的：" if slots.amount is not None else f"额度最高的{len(best)}款："
        tail = "能批多少由金融机构按企业经营、纳税和征信情况审批，发布需求后机构会联系您。"
    lines = [head] + [product_line(i, p) for i, p in enumerate(best, 1)]
    notice = ctx.ports.catalog.notice if ctx.ports.catalog is not None else ""
    if inline:
        return Step.text("\n".join(lines), tail + notice)
    conv.clear_dialog()
    conv.dialog, conv.state = PRODUCTS, "results"
    conv.scratch.update(query=query_json(query), page=1, offset=0, has_next=False,
                        ids=[p.id for p in best], items=[product_json(p) for p in best])
    lines.append("回复序号看详情，看中了回复「申请这个」；「金融产品」看全部。")
    return Step.text("\n".join(lines), tail + notice)


async def _region(ctx: StepContext) -> str | None:
    try:
        profile = await ctx.ports.platform.profile(ctx.openid)
    except PlatformError:
        return None  # the catalogue still answers, for all of Yunnan
    active = profile.active
    return active.region if active is not None and active.region else None


async def _products(ctx: StepContext, region: str | None,
                    slots: Slots) -> tuple[list[Product], ProductQuery]:
    """The region's products narrowed by what was said; each condition that would
    leave nothing is dropped, the least telling first."""
    query = ProductQuery(words=slots.institution or "", guarantee=slots.guarantee,
                         amount=slots.amount,
                         term_months=slots.term if isinstance(slots.term, int) else None,
                         region=region)
    loosen = ({"term_months": None}, {"amount": None}, {"guarantee": None}, {"words": ""})
    for step in (None, *loosen):
        if step is not None:
            query = replace(query, **step)
        page = await ctx.ports.catalog.search_products(query, page=1, size=ALL)
        if page.items:
            return list(page.items), query
    return [], query


def _best(products: list[Product], asked: str) -> list[Product]:
    if asked == RATE:
        ordered = sorted(products, key=lambda p: (p.rate_min, p.rate_max, p.name))
    else:
        ordered = sorted(products, key=lambda p: (-p.max_amount, p.rate_min, p.name))
    return ordered[:BEST]


INTENTS = [
    Intent("RATE", ("贷款利率", "利率", "利息", "贷款利息", "利率多少", "利息多少"),
           respond=rate, inline=True),
    Intent("LIMIT", ("能贷多少", "贷款额度", "能贷多少钱", "最多能贷多少"),
           respond=limit, inline=True),
]
DIALOGS: list[Dialog] = []
