"""The demo data's records (regions, loan kinds, institutions, products, registry
people and enterprises), each checking its own fields when made, so a slip in a YAML file
fails at start naming the entry. adapters/local_data/__init__.py loads them."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

# Zones and policies read from YAML are exactly what the port hands out, so the loader
# builds the port's own dataclasses. Institution and Product stay separate on purpose: the
# local data keeps what only the local platform needs (an institution's regions, a
# product's institution_id and search keywords), while the port's versions carry what a
# dialog shows (the institution's name) and are made from these in adapters/catalog.py.

WHOLE_PROVINCE = "全省"
GUARANTEE_METHODS = ("信用", "保证", "抵押", "质押")
INSTITUTION_KINDS = ("bank", "rural_credit", "guarantee", "microcredit")

# Autonomous counties are usually called by their place name alone (石林, 宁洱县), so the
# ethnic part is cut off to derive those aliases.
_ETHNIC_SUFFIX = re.compile(
    r"^(.{2,}?)(?:彝|苗|回|哈尼|傣|纳西|拉祜|佤|布朗|白|壮|瑶|傈僳|独龙|怒|普米|景颇|藏)族.*自治县$"
)
_REGION_NOISE = re.compile(r"^(?:中国)?(?:云南省?)?|[\s\-—/·,，、]+")
_ID_NUMBER = re.compile(r"\d{17}[\dX]")
# Registry fields are upper-cased and checked for shape only. Check digits are deliberately
# not enforced: the manual reports real codes failing them; the registry lookup decides.
_REGISTRY_FORMATS = {
    "id_number": _ID_NUMBER,
    "legal_rep_id": _ID_NUMBER,
    "uscc": re.compile(r"[0-9A-HJ-NPQRTUWXY]{18}"),
    "phone": re.compile(r"1[3-9]\d{9}"),
}


def _require(ok: object, problem: str) -> None:
    if not ok:
        raise ValueError(problem)


def _check_formats(**values: str) -> None:
    for name, value in values.items():
        _require(_REGISTRY_FORMATS[name].fullmatch(value), f"malformed {name} {value!r}")


@dataclass(frozen=True)
class County:
    """A county-level division (区/县/市) of a Yunnan prefecture; `full_name` is the
    canonical region string stored with an enterprise (玉溪市红塔区)."""

    name: str
    code: str | None
    prefecture: str
    aliases: tuple[str, ...] = ()

    @property
    def full_name(self) -> str:
        return self.prefecture + self.name  # the canonical region string, e.g. 玉溪市红塔区


@dataclass(frozen=True)
class Prefecture:
    """A Yunnan prefecture (州/市) with its counties; refuses on load a county whose
    administrative code lies outside it."""

    name: str
    code: str | None
    counties: tuple[County, ...]
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _require(self.counties, "a prefecture needs its counties")
        for c in self.counties:
            inside = not (c.code and self.code) or c.code[:4] == self.code[:4]
            _require(inside, f"county {c.name} code {c.code} is not inside {self.code}")


@dataclass(frozen=True)
class LoanKind:
    """A loan kind (流动资金贷款 …): its key in demands and its name for users."""

    key: str
    name: str


Place = tuple[Prefecture, County | None]


@dataclass(frozen=True)
class Institution:
    """A demo financial institution and the regions it serves (全省, prefectures, or
    prefecture + county names), checked on load."""

    id: str
    name: str
    kind: str
    regions: tuple[str, ...]  # 全省, prefecture names, or prefecture + county names
    contact_department: str
    phone: str

    def __post_init__(self) -> None:
        _require(self.kind in INSTITUTION_KINDS, f"kind {self.kind!r} not in {INSTITUTION_KINDS}")
        _require(self.regions, "'regions' must name at least one region")

    def serves(self, region: str) -> bool:
        """Whether a demand from canonical `region` (玉溪市红塔区, 玉溪市) is visible here.

        A prefecture alone counts only when the whole prefecture is served; for free text
        use CatalogData.institutions_serving."""
        text = _normalise_region(region)
        return any(r in (WHOLE_PROVINCE, text) or text.startswith(r) for r in self.regions)


@dataclass(frozen=True)
class Product:
    """A demo loan product as the YAML declares it (amounts in 元, rates in percent a year),
    checked on load; `adapters.catalog` turns it into the port's Product."""

    id: str
    name: str
    institution_id: str
    min_amount: Decimal
    max_amount: Decimal
    term_min: int
    term_max: int
    guarantees: tuple[str, ...]
    rate_min: Decimal
    rate_max: Decimal
    zones: tuple[str, ...]
    description: str
    keywords: tuple[str, ...]

    def __post_init__(self) -> None:
        _require(self.min_amount <= self.max_amount, "min_amount is above max_amount")
        _require(self.term_min <= self.term_max, "term_min is above term_max")
        _require(self.rate_min <= self.rate_max, "rate_min is above rate_max")
        known = set(self.guarantees) <= set(GUARANTEE_METHODS)
        _require(self.guarantees and known, f"guarantees must be among {GUARANTEE_METHODS}")
        _require(self.zones, "a product belongs to at least one zone")


@dataclass(frozen=True)
class RegistryPerson:
    """A person of the demo verification registry (three-factor check); formats checked on
    load."""

    name: str
    id_number: str
    phone: str

    def __post_init__(self) -> None:
        _check_formats(id_number=self.id_number, phone=self.phone)


@dataclass(frozen=True)
class RegistryEnterprise:
    """An enterprise of the demo business registry (four-factor check) and its region;
    formats checked on load."""

    name: str
    uscc: str
    legal_rep: str
    legal_rep_id: str
    region: str

    def __post_init__(self) -> None:
        _check_formats(uscc=self.uscc, legal_rep_id=self.legal_rep_id)


Registry = tuple[tuple[RegistryPerson, ...], tuple[RegistryEnterprise, ...]]


def _normalise_region(text: str) -> str:
    return _REGION_NOISE.sub("", unicodedata.normalize("NFKC", text))
