"""Zones, loan kinds, institutions, products and policies: the `Catalog` port.

Local mode reads the demo YAML files (`adapters.local_data`); http mode asks the
platform (`adapters.platform_http.HttpCatalog`). Both answer with the port's types.
"""

from __future__ import annotations

import re
import unicodedata

from adapters import local_data
from adapters.catalog_port import Catalog, Institution, Policy, Product, ProductQuery, Zone
from adapters.platform_port import Page
from config.settings import Settings
from knowledge.slots import nicknames

# What people call institutions (工行, 农信 …): the slot reader's lexicon, one list for
# the search words, the 定向 choices and the reading of a message.
BANK_NICKNAMES = nicknames()
_SPLIT = re.compile(r"[\s,，、;；/]+")
_HAN = "\u4e00-\u9fff"
_GAP = re.compile(f"(?<=[{_HAN}，。；：、）])\\s+(?=[{_HAN}（])")
_FULL_WIDTH = str.maketrans({",": "，", ";": "；", ":": "：", "(": "（", ")": "）"})
_HALF_BY_HAN = re.compile(f"(?<=[{_HAN}])[,;:()]|[,;:()](?=[{_HAN}])")


def tidy(text: str) -> str:
    """Chinese punctuation back after the loader's NFKC, and no line-fold spaces
    between Chinese characters (YAML folds long lines with a space)."""
    text = _HALF_BY_HAN.sub(lambda m: m.group(0).translate(_FULL_WIDTH), text)
    return _GAP.sub("", text)


def build_catalog(settings: Settings) -> Catalog:
    """The catalogue the settings name: the platform's over HTTP or the shipped demo one."""
    if settings.platform == "http":
        from adapters.platform_http import HttpCatalog

        return HttpCatalog(settings)
    return LocalCatalog(local_data.load_catalog())


class LocalCatalog:
    """The demo catalogue shipped with the bot (embedded mode)."""

    # Shown under product lists so nobody takes demo rates for an offer.
    notice = "（本地演示数据，实际额度、期限和利率以机构审批为准）"

    def __init__(self, data: local_data.CatalogData) -> None:
        self.data = data

    async def close(self) -> None:
        """Nothing to release: the data is in memory."""

    async def zones(self) -> tuple[Zone, ...]:
        return self.data.zones  # the loader already builds the port's (frozen) Zone

    async def loan_kinds(self) -> tuple[tuple[str, str], ...]:
        return tuple((k.key, k.name) for k in self.data.loan_kinds)

    async def institutions_serving(self, region: str) -> tuple[Institution, ...]:
        return tuple(_institution(i) for i in self.data.institutions_serving(region))

    async def search_products(self, query: ProductQuery, *, page: int,
                              size: int) -> Page[Product]:
        page, size = max(page, 1), min(max(size, 1), 50)
        words = expand_words(query.words)
        serving = None
        if query.region:
            serving = {i.id for i in self.data.institutions_serving(query.region)}
        scored = []
        for product in self.data.products:
            institution = self.data.institution(product.institution_id)
            if serving is not None and institution.id not in serving:
                continue
            if query.guarantee and query.guarantee not in product.guarantees:
                continue
            if query.amount is not None and not (
                    product.min_amount <= query.amount <= product.max_amount):
                continue
            if query.term_months is not None and not (
                    product.term_min <= query.term_months <= product.term_max):
                continue
            score = _score(words, product, institution)
            if score is None:
                continue
            scored.append((-score, product.rate_min, product.name, product, institution))
        scored.sort(key=lambda item: item[:3])
        start = (page - 1) * size
        items = tuple(_product(p, i) for *_, p, i in scored[start:start + size])
        return Page(items=items, total=len(scored), page=page, size=size)

    async def policies(self, zone: str | None = None) -> tuple[Policy, ...]:
        chosen = self.data.policies_for(zone) if zone else self.data.policies
        return tuple(Policy(p.id, p.zone, tidy(p.title), tidy(p.summary), tidy(p.how_to_apply),
                            tidy(p.department), p.phone) for p in chosen)


def expand_words(text: str) -> list[list[str]]:
    """Search words, each with its alternatives (农行 -> 农行 | 农业银行)."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    groups = []
    for word in (w for w in _SPLIT.split(text) if w):
        alternatives = [word]
        for nick, full in BANK_NICKNAMES.items():
            if nick in word:
                alternatives.append(word.replace(nick, full))
        groups.append(alternatives)
    return groups


def _score(words: list[list[str]], product: local_data.Product,
           institution: local_data.Institution) -> int | None:
    """Every word must match somewhere; names weigh more than descriptions."""
    fields = ((product.name.lower(), 5), (institution.name, 4),
              (" ".join(product.keywords).lower(), 3), (product.description.lower(), 1))
    total = 0
    for alternatives in words:
        best = max((weight for text, weight in fields for w in alternatives if w in text),
                   default=0)
        if not best:
            return None
        total += best
    return total


def _institution(i: local_data.Institution) -> Institution:
    return Institution(i.id, tidy(i.name), i.kind, i.contact_department, i.phone)


def _product(p: local_data.Product, institution: local_data.Institution) -> Product:
    return Product(id=p.id, name=tidy(p.name), institution=tidy(institution.name),
                   min_amount=p.min_amount, max_amount=p.max_amount, term_min=p.term_min,
                   term_max=p.term_max, guarantees=p.guarantees, rate_min=p.rate_min,
                   rate_max=p.rate_max, zones=p.zones, description=tidy(p.description))
