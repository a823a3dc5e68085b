"""金融产品 and 政策专区: the local catalogue's search, and both dialogs through the real
webhook on both adapters."""

from __future__ import annotations

from decimal import Decimal

import pytest

from adapters.catalog import LocalCatalog, expand_words
from adapters.catalog_port import ProductQuery
from adapters.local_data import load_catalog
from dialogs.catalog import pack, parse_product_query
from dialogs.validators import Invalid
from tests.demand_support import DemandEnv, env_fixture  # noqa: F401

CATALOG = LocalCatalog(load_catalog())


async def _names(query: ProductQuery, size: int = 50) -> list[str]:
    page = await CATALOG.search_products(query, page=1, size=size)
    return [p.name for p in page.items]


async def test_search_by_words_amount_term_and_guarantee() -> None:
    everything = await CATALOG.search_products(ProductQuery(), page=1, size=5)
    assert everything.total == len(load_catalog().products) and everything.has_next
    assert "惠农e贷" in await _names(ProductQuery(words="农行"))
    for product in (await CATALOG.search_products(ProductQuery(words="工行"), page=1,
                                                  size=50)).items:
        assert product.institution == "中国工商银行云南省分行"
    pledged = (await CATALOG.search_products(ProductQuery(guarantee="质押"), page=1,
                                             size=50)).items
    assert pledged and all("质押" in p.guarantees for p in pledged)
    small = (await CATALOG.search_products(ProductQuery(amount=Decimal(30000),
                                                        term_months=36), page=1, size=50))
    assert small.items and all(p.min_amount <= 30000 <= p.max_amount
                               and p.term_min <= 36 <= p.term_max for p in small.items)
    assert await _names(ProductQuery(words="不存在的产品名")) == []
    first = await _names(ProductQuery(words="科技"), size=1)
    assert first and "科" in first[0]  # a name match ranks above a description match


async def test_pages_do_not_overlap() -> None:
    one = await CATALOG.search_products(ProductQuery(), page=1, size=5)
    two = await CATALOG.search_products(ProductQuery(), page=2, size=5)
    assert not {p.id for p in one.items} & {p.id for p in two.items}


def test_free_text_query_parsing() -> None:
    q = parse_product_query("50万 信用 12个月 农行")
    assert (q.amount, q.guarantee, q.term_months, q.words) == (Decimal(500000), "信用", 12,
                                                                 "农行")
    assert parse_product_query("3年 抵押").term_months == 36
    assert parse_product_query("抵押贷款 建行").guarantee == "抵押"
    assert parse_product_query("信用贷").guarantee == "信用"
    assert parse_product_query("200000").amount == Decimal(200000)
    with pytest.raises(Invalid):
        parse_product_query("0万")
    assert expand_words("邮储")[0] == ["邮储", "邮政储蓄"]


def test_policy_pages_fit_a_message() -> None:
    pages = pack(["甲" * 400, "乙" * 400, "丙" * 400])
    assert len(pages) == 3 and all(len(p.encode()) <= 1800 for p in pages)
    assert len(pack(["短"] * 5)) == 1


async def test_products_dialog(env: DemandEnv) -> None:
    ask = await env.h.say("金融产品")
    assert "50万 信用 12个月" in ask
    found = await env.h.say("50万 信用 12个月")
    assert "按额度50万元、期限12个月、信用贷款找到" in found and "\n1 " in found
    assert "「下一页」看更多" in found and len(found.encode()) < 2000
    more = await env.h.say("下一页")
    assert "\n6 " in more and "（第2页）" in more
    detail = await env.h.say("6")
    assert "担保方式：" in detail and "年利率：" in detail and "回复「申请这个」" in detail
    assert "请回复序号6到" in await env.h.say("1")
    none = await env.h.say("火星银行")
    assert "没有找到符合“火星银行”的产品" in none
    if env.mode == "local":
        assert "本地演示数据" in found
    direct = await env.h.say("金融产品 农行")
    assert "惠农e贷" in direct


async def test_policies_dialog(env: DemandEnv) -> None:
    zones = await env.h.click("POLICIES")
    assert "1 普通" in zones and "8 脱贫人口小额信贷" in zones
    tech = await env.h.say("4")
    assert "科技金融专区政策" in tech and "申办方式：" in tech
    assert "主管部门：云南省科学技术厅｜电话：0871-60002031" in tech
    assert len(tech.encode()) < 2000
    by_name = await env.h.say("创业担保贷")
    assert "创业担保贷款及贴息" in by_name and "人力资源和社会保障" in by_name
    assert "请回复序号1到8" in await env.h.say("99")
    assert "1 普通" in await env.h.say("返回")
    assert "脱贫" in await env.h.say("政策 脱贫人口小额信贷")
