"""Demo data of the local (embedded) platform: catalogue and verification registry.

The YAML files beside this module are the whole "platform" in local mode: Yunnan's regions,
the eight 专区, loan kinds, institutions, products, policies, and a registry of fictional
people and enterprises for the three- and four-factor checks. Everything is validated on
load, so a slip in the data fails at start, naming the file and entry.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, fields, replace
from decimal import Decimal, InvalidOperation
from functools import cache, cached_property, lru_cache
from pathlib import Path
from typing import Any, TypeVar

import yaml

# Zones and policies read from YAML are exactly what the port hands out, so the loader
# builds the port's own dataclasses. Institution and Product stay separate on purpose: the
# local data keeps what only the local platform needs (an institution's regions, a
# product's institution_id and search keywords), while the port's versions carry what a
# dialog shows (the institution's name) and are made from these in adapters/catalog.py.
from adapters.catalog_port import Policy, Zone

T = TypeVar("T")

DATA_DIR = Path(__file__).resolve().parent
DEFAULT_REGISTRY = DATA_DIR / "registry.yaml"
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


@dataclass(frozen=True)
class CatalogData:
    """The whole demo catalogue (regions, zones, loan kinds, institutions, products,
    policies), checked across files on load: every reference resolves."""

    prefectures: tuple[Prefecture, ...]
    zones: tuple[Zone, ...]
    loan_kinds: tuple[LoanKind, ...]
    institutions: tuple[Institution, ...]
    products: tuple[Product, ...]
    policies: tuple[Policy, ...]

    def __post_init__(self) -> None:
        """Cross-file consistency; each message names the file and the entry."""
        _ = self._region_index  # rejects a name or alias given to two places
        zones, institutions = {z.key for z in self.zones}, {i.id for i in self.institutions}
        for i in self.institutions:
            for r in i.regions:
                place = self.resolve_region(r)
                ok = r == WHOLE_PROVINCE or (place is not None and _canonical(place) == r)
                _require(ok, f"institutions.yaml {i.id}: region {r!r} is not in regions.yaml")
        for p in self.products:
            where = f"products.yaml {p.id}"
            _require(p.institution_id in institutions, f"{where}: unknown institution")
            _require(set(p.zones) <= zones, f"{where}: unknown zones in {list(p.zones)}")
        for pol in self.policies:
            _require(pol.zone in zones, f"policies.yaml {pol.id}: unknown zone {pol.zone!r}")

    @cached_property
    def _region_index(self) -> tuple[list[tuple[str, Prefecture]], dict[str, County]]:
        prefixes: dict[str, Prefecture] = {}
        counties: dict[str, County] = {}
        for pref in self.prefectures:
            labels = [(prefixes, pref, x) for x in (pref.name, *pref.aliases)]
            labels += [(counties, c, x) for c in pref.counties for x in (c.name, *c.aliases)]
            for index, place, x in labels:
                _require(index.setdefault(x, place) is place, f"regions.yaml: {x!r} used twice")
        # Longest first, so 西双版纳傣族自治州 wins over 西双版纳 and 红河州 over 红河.
        return sorted(prefixes.items(), key=lambda item: -len(item[0])), counties

    @property
    def counties(self) -> tuple[County, ...]:
        return tuple(c for p in self.prefectures for c in p.counties)

    def resolve_region(self, text: str) -> Place | None:
        """(prefecture, county or None) for 玉溪市红塔区, 红河州蒙自, 西山区, 大理州 …"""
        s = _normalise_region(text)
        prefixes, counties = self._region_index
        for prefix, pref in prefixes if s else ():
            if s.startswith(prefix):
                county = counties.get(rest := s[len(prefix) :])
                if not rest:
                    return pref, None
                if county is not None and county.prefecture == pref.name:
                    return pref, county
        # A bare county: 西山区, or 大理市 whose 大理 is also a prefecture alias.
        county = counties.get(s)
        if county is None:
            return None
        return next(p for p in self.prefectures if p.name == county.prefecture), county

    def institutions_serving(self, region: str) -> tuple[Institution, ...]:
        """Institutions a demand from `region` reaches (the 定向 choices, 非定向 audience)."""
        place = self.resolve_region(region)
        if place is None:
            return ()
        return tuple(i for i in self.institutions if i.serves(_canonical(place)))

    def zone(self, key: str) -> Zone:
        return _pick((z for z in self.zones if z.key == key), key)

    def loan_kind(self, key: str) -> LoanKind:
        return _pick((k for k in self.loan_kinds if k.key == key), key)

    def institution(self, id: str) -> Institution:
        return _pick((i for i in self.institutions if i.id == id), id)

    def product(self, id: str) -> Product:
        return _pick((p for p in self.products if p.id == id), id)

    def policies_for(self, zone: str) -> tuple[Policy, ...]:
        return tuple(p for p in self.policies if p.zone == zone)

    def products_for(self, zone: str) -> tuple[Product, ...]:
        return tuple(p for p in self.products if zone in p.zones)


def load_catalog(directory: Path | None = None) -> CatalogData:
    """Load and validate the catalogue YAML files; cached per directory."""
    return _load_catalog(Path(directory or DATA_DIR).resolve())


def load_registry(path: Path) -> Registry:
    """People and enterprises of a registry file; cached per file and modification time."""
    path = Path(path).resolve()
    try:
        stamp = path.stat().st_mtime_ns
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the verification registry ({exc})") from exc
    return _load_registry(path, stamp)


_YAML_KEY = {"institution_id": "institution"}  # the YAML reads better without the suffix


def _normalise_region(text: str) -> str:
    return _REGION_NOISE.sub("", unicodedata.normalize("NFKC", text))


def _canonical(place: Place) -> str:
    return place[1].full_name if place[1] is not None else place[0].name


def _pick(found: Iterator[T], wanted: str) -> T:
    """The first item found; KeyError naming what was wanted when there is none."""
    for item in found:
        return item
    raise KeyError(wanted)


def _county_aliases(name: str, extra: Iterable[str]) -> tuple[str, ...]:
    aliases = list(extra)
    if m := _ETHNIC_SUFFIX.match(name):
        aliases += [m.group(1) + "县", m.group(1)]
    elif len(name) >= 3 and name[-1] in "区县市":
        aliases.append(name[:-1])  # not for 云县, 芒市: one character is no name
    return tuple(dict.fromkeys(a for a in aliases if a != name))


def _value(item: Mapping[str, Any], name: str, kind: str) -> Any:
    """One field of a YAML mapping, coerced to the dataclass annotation `kind`."""
    value = item.get(_YAML_KEY.get(name, name))
    if kind == "str | None" and value in (None, ""):
        return None
    if kind.startswith("str") and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # an unquoted ID or phone number reads as an int
    if kind.startswith("str") and isinstance(value, str) and value.strip():
        text = unicodedata.normalize("NFKC", value).strip()
        return text.upper() if name in _REGISTRY_FORMATS else text  # 53…x means 53…X
    if kind == "tuple[str, ...]" and isinstance(value, list | None):
        if all(isinstance(v, str) and v.strip() for v in value or ()):
            return tuple(unicodedata.normalize("NFKC", v).strip() for v in value or ())
    if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == "Decimal" and isinstance(value, int | float | str) and not isinstance(value, bool):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            pass
    raise ValueError(f"field {name!r} should be {kind}, got {value!r}")


def _entries(context: str, top: str, doc: Any) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(where, mapping) for each entry of a list; `where` names the file and the entry."""
    items = doc.get(top) if isinstance(doc, Mapping) else None
    _require(isinstance(items, list), f"{context}expected a {top!r} list")
    for n, item in enumerate(items):
        where = f"{context}{top}[{n}]"
        _require(isinstance(item, Mapping), f"{where}: expected a mapping, got {item!r}")
        label = item.get("id") or item.get("key") or item.get("name")
        yield (f"{where} {label}" if label else where), item


def _build(cls: type[Any], item: Mapping[str, Any], where: str, **given: Callable[..., Any]) -> Any:
    """A dataclass from one YAML mapping, typed by its (string) annotations."""
    try:
        values = {k: make(item) for k, make in given.items()}
        for f in fields(cls):
            if f.name not in values:
                values[f.name] = _value(item, f.name, str(f.type))
        return cls(**values)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def _read(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot load ({exc})") from exc


def _load_list(
    path: Path, top: str, cls: type[Any], key: str, doc: Any = None, **given: Any
) -> tuple[Any, ...]:
    """One `cls` per entry of `top`, unique by `key`; `given` makes fields the YAML lacks."""
    doc = _read(path) if doc is None else doc
    result: dict[str, Any] = {}
    for where, item in _entries(f"{path.name}: ", top, doc):
        obj = _build(cls, item, where, **given)
        _require(getattr(obj, key) not in result, f"{where}: duplicate {key}")
        result[getattr(obj, key)] = obj
    return tuple(result.values())


def _counties(item: Mapping[str, Any]) -> tuple[County, ...]:
    prefecture, counties = _value(item, "name", "str"), []
    for where, c in _entries("", "counties", item):
        county = _build(County, c, where, prefecture=lambda _: prefecture)
        counties.append(replace(county, aliases=_county_aliases(county.name, county.aliases)))
    return tuple(counties)


@cache
def _load_catalog(directory: Path) -> CatalogData:
    d = directory
    return CatalogData(
        _load_list(d / "regions.yaml", "prefectures", Prefecture, "name", counties=_counties),
        _load_list(d / "zones.yaml", "zones", Zone, "key"),
        _load_list(d / "loan_kinds.yaml", "loan_kinds", LoanKind, "key"),
        _load_list(d / "institutions.yaml", "institutions", Institution, "id"),
        _load_list(d / "products.yaml", "products", Product, "id"),
        _load_list(d / "policies.yaml", "policies", Policy, "id"),
    )


@lru_cache(maxsize=8)
def _load_registry(path: Path, _mtime_ns: int) -> Registry:
    doc = _read(path)
    people = _load_list(path, "people", RegistryPerson, "id_number", doc)
    return people, _load_list(path, "enterprises", RegistryEnterprise, "uscc", doc)
