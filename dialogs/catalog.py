"""金融产品 and 政策专区 (manual sections 四 and 五).

金融产品: one message says what to look for — words (product or institution name), an
amount, a term and a 担保方式 in any order, e.g. "50万 信用 12个月 农行" — and gets the
best five, 下一页 for more, a number for the detail. 政策专区: the zones, then each
policy's summary and how to apply (the competent department and its phone), as the
manual says: 具体申办流程请咨询政策主管部门.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from adapters.catalog_port import Policy, Product, ProductQuery
from adapters.platform_port import PlatformError
from dialogs.amounts import format_wan, parse_amount, parse_term_months
from dialogs.base import BrowsingDialog, ConvState, Dialog, Step, StepContext
from dialogs.demand_said import NAME as PUBLISH
from dialogs.demand_said import PRODUCT_ARG
from dialogs.registry import Intent
from dialogs.validators import Invalid
from knowledge.normal import answer_text

PRODUCTS, POLICIES = "products", "policies"
PAGE_SIZE = 5
MAX_BYTES = 1800
GUARANTEES = ("信用", "保证", "抵押", "质押")
GUARANTEE_WORDS = {"纯信用": "信用", "免担保": "信用", "担保": "保证", "房产抵押": "抵押",
                   "知识产权": "质押"}
ALL_WORDS = ("全部", "所有", "不限", "都看看", "全部产品", "随便")
APPLY_WORDS = ("申请这个", "就这个", "申请", "我要申请", "申请这款", "就这款", "要这个", "选这个",
               "申请这个产品", "我要这个", "就要这个", "办这个")

NEXT = ("下一页", "下页", "更多")
PREVIOUS = ("上一页", "上页")
ASK_PRODUCTS = ("想找什么样的贷款产品？一句话告诉我：金额、期限、担保方式、产品或银行名都行，"
                "例如「50万 信用 12个月」或「农行」；回复「全部」看全部产品。")
PRODUCT_WORDS = ("金融产品", "产品", "贷款产品", "找产品", "查产品", "产品列表", "有什么产品",
                 "有哪些产品", "银行产品")
PRODUCT_PREFIXES = ("金融产品", "找产品", "搜产品", "搜索产品", "查产品")
_AMOUNT = re.compile(r"^[0-9.一二两三四五六七八九十百千万亿]+(万|亿|元|w|千|k)$|^[0-9]{4,}$")
_TERM = re.compile(r"(个月|月|年|期)$")


def parse_product_query(text: str) -> ProductQuery:
    """Amount, term and 担保方式 picked out of free text; the rest are search words."""
    words, amount, term, guarantee = [], None, None, None
    for part in re.split(r"[\s,，、;；/]+", answer_text(text)):
        if not part:
            continue
        lowered = part.lower()
        if part in GUARANTEE_WORDS:
            guarantee = GUARANTEE_WORDS[part]
        elif part[:2] in GUARANTEES and part[2:] in ("", "贷", "贷款", "类", "方式", "担保"):
            guarantee = part[:2]  # 信用贷款, 抵押贷 …
        elif _AMOUNT.search(lowered):
            amount = parse_amount(part)
        elif _TERM.search(part) or (part.isdigit() and int(part) <= 360):
            term = parse_term_months(part)
        else:
            words.append(part)
    return ProductQuery(words=" ".join(words), amount=amount, term_months=term,
                        guarantee=guarantee)


def describe(query: ProductQuery) -> str:
    parts = [f"“{query.words}”"] if query.words else []
    if query.amount is not None:
        parts.append(f"额度{format_wan(query.amount)}")
    if query.term_months is not None:
        parts.append(f"期限{query.term_months}个月")
    if query.guarantee:
        parts.append(f"{query.guarantee}担保" if query.guarantee != "信用" else "信用贷款")
    return "、".join(parts) or "全部产品"


def amount_range(low: Decimal, high: Decimal) -> str:
    """10万–300万元; 5000元–5万元 when the units differ."""
    low_text, high_text = format_wan(low), format_wan(high)
    if low_text[-2:] == high_text[-2:]:
        low_text = low_text.removesuffix("元")
    return f"{low_text}–{high_text}"


def rate_text(low: Decimal, high: Decimal) -> str:
    return f"{low}%" if low == high else f"{low}%–{high}%"


def _rate(p: Product) -> str:
    return rate_text(p.rate_min, p.rate_max)


def product_line(i: int, p: Product) -> str:
    return (f"{i} {p.name}·{p.institution}\n"
            f"   {amount_range(p.min_amount, p.max_amount)}｜{p.term_min}–{p.term_max}个月｜"
            f"{'/'.join(p.guarantees)}｜年利率{_rate(p)}")


def product_detail(p: Product, zone_names: dict[str, str]) -> str:
    zones = "、".join(zone_names.get(z, z) for z in p.zones)
    return (f"{p.name}（{p.institution}）\n{p.description}\n"
            f"额度：{amount_range(p.min_amount, p.max_amount)}\n"
            f"期限：{p.term_min}–{p.term_max}个月\n"
            f"担保方式：{'、'.join(p.guarantees)}\n年利率：{_rate(p)}\n"
            f"所属专区：{zones}\n"
            f"想申请？回复「申请这个」，直接发布定向给{p.institution}的融资需求。")


class Products(BrowsingDialog):
    """金融产品: search the catalogue's products by words, amount, term and guarantee, page
    through the results, see one product and apply for it (a demand directed to it)."""

    name = PRODUCTS
    title = "金融产品"

    async def start(self, ctx: StepContext, conv: ConvState, arg: str = "") -> Step:
        self.begin(conv, "ask")
        if arg.strip():
            return await self._search(ctx, conv, arg)
        return Step.text(ASK_PRODUCTS)

    async def handle(self, ctx: StepContext, conv: ConvState, text: str) -> Step:
        word = text.strip()
        if conv.state == "results" and word.rstrip("。!！~") in APPLY_WORDS:
            return self._apply(conv)
        if conv.state == "results":
            if word in NEXT or word in PREVIOUS:
                return await self._turn(ctx, conv, 1 if word in NEXT else -1)
            if word.isdigit() and len(word) <= 2:
                offset, count = conv.scratch.get("offset", 0), len(conv.scratch.get("ids", []))
                index = int(word) - 1 - offset  # numbers run on across pages (6–10 on page 2)
                if 0 <= index < count:
                    return await self._detail(ctx, conv, index)
                reason = f"请回复序号{offset + 1}到{offset + count}，或发新的条件重新找。"
                return Step(say=Step.text(reason).say, rejected=True)
        return await self._search(ctx, conv, word)

    async def back(self, ctx: StepContext, conv: ConvState) -> Step:
        if conv.state == "results" and conv.scratch.get("query") is not None:
            return await self._show(ctx, conv)
        return Step.text(ASK_PRODUCTS)

    async def prompt(self, ctx: StepContext, conv: ConvState) -> str:
        if conv.state == "results":
            more = "，「下一页」看更多" if conv.scratch.get("has_next") else ""
            return f"回复序号看详情{more}，或发新的条件重新找。"
        return ASK_PRODUCTS

    async def _search(self, ctx: StepContext, conv: ConvState, text: str) -> Step:
        for prefix in PRODUCT_PREFIXES:  # 金融产品 农行, typed while the dialog is open
            if text.startswith(prefix):
                text = text[len(prefix):].strip()
                break
        if not text or text in PRODUCT_WORDS:
            conv.state = "ask"
            return Step.text(ASK_PRODUCTS)
        try:
            query = ProductQuery() if text in ALL_WORDS else parse_product_query(text)
        except Invalid as bad:
            return Step(say=Step.text(bad.reason, ASK_PRODUCTS).say, rejected=True)
        conv.scratch["query"] = query_json(query)
        conv.scratch["page"] = 1
        return await self._show(ctx, conv)

    async def _turn(self, ctx: StepContext, conv: ConvState, delta: int) -> Step:
        page = conv.scratch.get("page", 1) + delta
        if page < 1:
            return Step.text("已经是第一页了。", await self.prompt(ctx, conv))
        if delta > 0 and not conv.scratch.get("has_next"):
            return Step.text("已经是最后一页了。", await self.prompt(ctx, conv))
        conv.scratch["page"] = page
        return await self._show(ctx, conv)

    async def _show(self, ctx: StepContext, conv: ConvState) -> Step:
        query = _query_from(conv.scratch["query"])
        page_no = conv.scratch.get("page", 1)
        try:
            page = await ctx.ports.catalog.search_products(query, page=page_no, size=PAGE_SIZE)
        except PlatformError as exc:
            return Step.text(exc.message)
        conv.state = "results"
        conv.scratch.update(ids=[p.id for p in page.items], has_next=page.has_next,
                            items=[product_json(p) for p in page.items], shown=None)
        if not page.items:
            conv.state = "ask"
            # rejected: the router may see another intent or an FAQ question in the text
            return Step(say=Step.text(f"没有找到符合{describe(query)}的产品。换个条件试试，"
                                      "比如去掉期限，或回复「全部」看全部产品。").say,
                        rejected=True)
        lines = [f"按{describe(query)}找到{page.total}款产品"
                 + (f"（第{page_no}页）：" if page.total > PAGE_SIZE else "：")]
        start = (page_no - 1) * PAGE_SIZE
        lines += [product_line(start + i, p) for i, p in enumerate(page.items, 1)]
        more = "，「下一页」看更多" if page.has_next else ""
        lines.append(f"回复序号看详情{more}，或发新的条件重新找。")
        notice = ctx.ports.catalog.notice
        if notice:
            lines.append(notice)
        conv.scratch["offset"] = start
        return Step.text("\n".join(lines))

    def _apply(self, conv: ConvState) -> Step:
        """申请这个: a demand directed to the product's institution (in its zone, when
        it has one), from the product last opened, or the only one listed."""
        items = conv.scratch.get("items") or []
        index = conv.scratch.get("shown")
        if index is None and len(items) == 1:
            index = 0
        if index is None or not 0 <= index < len(items):
            offset = conv.scratch.get("offset", 0)
            return Step(say=Step.text(f"请先回复序号（{offset + 1}到{offset + len(items)}）"
                                      "看看是哪款产品，再回复「申请这个」。").say, rejected=True)
        product = _product_from(items[index])
        zone = product.zones[0] if len(product.zones) == 1 else ""
        return Step(start=PUBLISH, start_arg=f"{PRODUCT_ARG}{product.institution}|{zone}")

    async def _detail(self, ctx: StepContext, conv: ConvState, index: int) -> Step:
        conv.scratch["shown"] = index
        product = _product_from(conv.scratch["items"][index])
        try:
            zones = {z.key: z.name for z in await ctx.ports.catalog.zones()}
        except PlatformError:
            zones = {}
        return Step.text(product_detail(product, zones),
                         "回复其他序号看别的产品，或发新的条件重新找。")


def query_json(query: ProductQuery) -> dict[str, Any]:
    """A search kept in the conversation, to page through it later."""
    return {"words": query.words, "guarantee": query.guarantee, "term": query.term_months,
            "region": query.region,
            "amount": None if query.amount is None else str(query.amount)}


def _query_from(q: dict[str, Any]) -> ProductQuery:
    return ProductQuery(words=q["words"], guarantee=q["guarantee"], term_months=q["term"],
                        amount=None if q["amount"] is None else Decimal(q["amount"]),
                        region=q.get("region"))


def product_json(p: Product) -> dict[str, Any]:
    return {"id": p.id, "name": p.name, "institution": p.institution,
            "min": str(p.min_amount), "max": str(p.max_amount), "tmin": p.term_min,
            "tmax": p.term_max, "g": list(p.guarantees), "rmin": str(p.rate_min),
            "rmax": str(p.rate_max), "zones": list(p.zones), "desc": p.description}


def _product_from(d: dict[str, Any]) -> Product:
    return Product(id=d["id"], name=d["name"], institution=d["institution"],
                   min_amount=Decimal(d["min"]), max_amount=Decimal(d["max"]),
                   term_min=d["tmin"], term_max=d["tmax"], guarantees=tuple(d["g"]),
                   rate_min=Decimal(d["rmin"]), rate_max=Decimal(d["rmax"]),
                   zones=tuple(d["zones"]), description=d["desc"])


# --- 政策专区 ------------------------------------------------------------------------------
def policy_text(p: Policy) -> str:
    return (f"【{p.title}】\n{p.summary}\n申办方式：{p.how_to_apply}\n"
            f"主管部门：{p.department}｜电话：{p.phone}")


def pack(texts: list[str], limit: int = MAX_BYTES) -> list[str]:
    """Group texts into pages that each fit one WeChat message."""
    pages: list[str] = []
    for text in texts:
        if pages and len((pages[-1] + "\n\n" + text).encode()) <= limit:
            pages[-1] += "\n\n" + text
        else:
            pages.append(text)
    return pages


class Policies(BrowsingDialog):
    """政策专区: the zones, then a zone's policies, then one policy in full."""

    name = POLICIES
    title = "政策专区"

    async def start(self, ctx: StepContext, conv: ConvState, arg: str = "") -> Step:
        self.begin(conv, "zones")
        try:
            text = await self._zones(ctx, conv)
        except PlatformError as exc:
            conv.clear_dialog()
            return Step.text(exc.message)
        if arg.strip():
            step = await self.handle(ctx, conv, arg.strip())
            if not step.rejected:
                return step
        return Step.text(text)

    async def handle(self, ctx: StepContext, conv: ConvState, text: str) -> Step:
        word = text.strip()
        try:
            if conv.state == "policies" and (word in NEXT or word in PREVIOUS):
                return self._turn(conv, 1 if word in NEXT else -1)
            zones: list[list[str]] = conv.scratch.get("zones") or []
            picked = _pick_zone(zones, word)
            if picked is None:
                reason = f"请回复序号1到{len(zones)}选择专区。"
                return Step(say=Step.text(reason, await self._zones(ctx, conv)).say,
                            rejected=True)
            key, name = picked
            policies = await ctx.ports.catalog.policies(key)
        except PlatformError as exc:
            return Step.text(exc.message)
        if not policies:
            return Step.text(f"「{name}」专区暂时没有政策。", await self._zones(ctx, conv))
        conv.state = "policies"
        pages = pack([policy_text(p) for p in policies])
        conv.scratch.update(pages=[f"{name}专区政策：\n\n" + pg for pg in pages], page=0)
        return self._turn(conv, 0)

    async def back(self, ctx: StepContext, conv: ConvState) -> Step:
        conv.state = "zones"
        try:
            return Step.text(await self._zones(ctx, conv))
        except PlatformError as exc:
            return Step.text(exc.message)

    async def prompt(self, ctx: StepContext, conv: ConvState) -> str:
        if conv.state == "policies":
            return "回复序号看其他专区的政策，「返回」回到专区列表。"
        return "回复序号查看该专区的政策和申办方式。"

    def _turn(self, conv: ConvState, delta: int) -> Step:
        pages: list[str] = conv.scratch.get("pages", [])
        page = conv.scratch.get("page", 0) + delta
        if not 0 <= page < len(pages):
            edge = "最后" if delta > 0 else "第一"
            return Step.text(f"已经是{edge}页了。回复序号看其他专区的政策。")
        conv.scratch["page"] = page
        tail = "回复「下一页」看更多；" if page + 1 < len(pages) else ""
        return Step.text(pages[page], f"{tail}回复序号看其他专区，「返回」回到专区列表。")

    async def _zones(self, ctx: StepContext, conv: ConvState) -> str:
        zones = await ctx.ports.catalog.zones()
        conv.scratch["zones"] = [[z.key, z.name] for z in zones]
        lines = ["政策专区，回复序号查看该专区的政策和申办方式："]
        lines += [f"{i} {z.name}" for i, z in enumerate(zones, 1)]
        return "\n".join(lines)


def _pick_zone(zones: list[list[str]], word: str) -> tuple[str, str] | None:
    if word.isdigit():
        index = int(word) - 1
        return (zones[index][0], zones[index][1]) if 0 <= index < len(zones) else None
    found = [(k, n) for k, n in zones if word and (word in n or n.strip('"') in word)]
    return found[0] if len(found) == 1 else None


INTENTS = [
    Intent("PRODUCTS", PRODUCT_WORDS, dialog=PRODUCTS, prefixes=PRODUCT_PREFIXES),
    Intent("POLICIES", ("政策专区", "政策", "申请政策", "政策资讯", "优惠政策", "扶持政策",
                        "专区"), dialog=POLICIES, prefixes=("政策专区", "政策")),
]
DIALOGS: list[Dialog] = [Products(), Policies()]
