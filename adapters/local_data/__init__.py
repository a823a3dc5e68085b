"""Demo data of the local (embedded) platform: catalogue and verification registry.

The YAML files beside this module are the whole "platform" in local mode: Yunnan's regions,
the eight 专区, loan kinds, institutions, products, policies, and a registry of fictional
people and enterprises for the three- and four-factor checks. Everything is validated on
load, so a slip in the data fails at start, naming the file and entry.
"""

from __future__ import annotations

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
from adapters.local_data.records import (
    _ETHNIC_SUFFIX,
    _REGISTRY_FORMATS,
    GUARANTEE_METHODS,  # noqa: F401  (the data's vocabulary, re-exported)
    INSTITUTION_KINDS,  # noqa: F401
    WHOLE_PROVINCE,
    County,
    Institution,
    LoanKind,
    Place,
    Prefecture,
    Product,
    Registry,
    RegistryEnterprise,
    RegistryPerson,
    _normalise_region,
    _require,
)

T = TypeVar("T")

DATA_DIR = Path(__file__).resolve().parent
DEFAULT_REGISTRY = DATA_DIR / "registry.yaml"


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
