"""The catalogue port: demand zones, loan kinds, institutions, financial products and
policies, read-only. `adapters.catalog.LocalCatalog` serves the shipped demo catalogue,
`adapters.platform_http.HttpCatalog` the platform's (docs/platform-api.md). Dialogs see
only this module's types.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from adapters.platform_port import Page


@dataclass(frozen=True)
class Zone:
    """A demand zone (专区): where a demand is published, with its amount ceiling."""

    key: str
    name: str
    description: str
    max_amount: Decimal


@dataclass(frozen=True)
class Institution:
    """A financial institution, with the department and phone enterprises may call."""

    id: str
    name: str
    kind: str
    contact_department: str
    phone: str


@dataclass(frozen=True)
class Product:
    """A loan product: amount and term ranges, accepted guarantees, yearly rate range
    (percent) and the zones it serves."""

    id: str
    name: str
    institution: str
    min_amount: Decimal
    max_amount: Decimal
    term_min: int
    term_max: int
    guarantees: tuple[str, ...]
    rate_min: Decimal
    rate_max: Decimal
    zones: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class Policy:
    """A support policy of one zone: what it offers, how to apply, whom to ask."""

    id: str
    zone: str
    title: str
    summary: str
    how_to_apply: str
    department: str
    phone: str


@dataclass(frozen=True)
class ProductQuery:
    """A product search; every criterion left at its default matches everything."""

    words: str = ""
    amount: Decimal | None = None
    term_months: int | None = None
    guarantee: str | None = None
    # Only products of institutions serving this region (玉溪市红塔区); None: anywhere.
    region: str | None = None


class Catalog(Protocol):
    """The platform's public catalogue: zones, loan kinds, institutions, products and
    policies. Read-only; PlatformUnavailable when it cannot be reached."""

    # Said under every product list (what the figures are worth), e.g. that they are
    # demo data in local mode.
    notice: str

    async def zones(self) -> tuple[Zone, ...]:
        """Every demand zone, in the platform's order."""
        ...

    async def loan_kinds(self) -> tuple[tuple[str, str], ...]:
        """The loan kinds as (key, name) pairs."""
        ...

    async def institutions_serving(self, region: str) -> tuple[Institution, ...]:
        """Institutions that lend to enterprises of `region` (州市+区县)."""
        ...

    async def search_products(self, query: ProductQuery, *, page: int,
                              size: int) -> Page[Product]:
        """Products matching every criterion of `query`, one page of them."""
        ...

    async def policies(self, zone: str | None = None) -> tuple[Policy, ...]:
        """Policies of one zone, or of all zones."""
        ...

    async def close(self) -> None:
        """Release what the implementation holds (HTTP sessions); called once at shutdown."""
        ...
