"""The local platform's demo data: consistency of the catalogue and the verification registry."""

from __future__ import annotations

import shutil
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from adapters.local_data import (
    DATA_DIR,
    DEFAULT_REGISTRY,
    GUARANTEE_METHODS,
    INSTITUTION_KINDS,
    CatalogData,
    load_catalog,
    load_registry,
)
from dialogs.validators import resident_id, uscc

MANUAL_USCC = "91530121MA6P1RDX22"  # the manual's example; its region code 530121 is retired


@pytest.fixture(scope="module")
def catalog() -> CatalogData:
    return load_catalog()


@pytest.fixture(scope="module")
def registry():
    return load_registry(DEFAULT_REGISTRY)


# --- regions ------------------------------------------------------------------------------


def test_sixteen_prefectures_and_their_129_counties(catalog: CatalogData) -> None:
    names = [p.name for p in catalog.prefectures]
    assert len(names) == 16
    assert sum(n.endswith("市") for n in names) == 8
    assert sum(n.endswith("自治州") for n in names) == 8
    assert len(catalog.counties) == 129
    assert len({c.name for c in catalog.counties}) == 129


def test_every_county_belongs_to_exactly_one_prefecture(catalog: CatalogData) -> None:
    owners = Counter(c.name for p in catalog.prefectures for c in p.counties)
    assert set(owners.values()) == {1}
    for pref in catalog.prefectures:
        assert pref.code and pref.code.startswith("53") and pref.code.endswith("00")
        for county in pref.counties:
            assert county.prefecture == pref.name
            assert county.code and county.code[:4] == pref.code[:4]
    codes = [c.code for c in catalog.counties]
    assert len(set(codes)) == len(codes)


@pytest.mark.parametrize(
    ("text", "prefecture", "county"),
    [
        ("玉溪市红塔区", "玉溪市", "红塔区"),
        ("云南省玉溪市红塔区", "玉溪市", "红塔区"),
        ("玉溪市 红塔区", "玉溪市", "红塔区"),
        ("红塔区", "玉溪市", "红塔区"),
        ("玉溪市", "玉溪市", None),
        ("西山区", "昆明市", "西山区"),
        ("大理市", "大理白族自治州", "大理市"),
        ("大理州", "大理白族自治州", None),
        ("红河州蒙自市", "红河哈尼族彝族自治州", "蒙自市"),
        ("红河县", "红河哈尼族彝族自治州", "红河县"),
        ("版纳勐海", "西双版纳傣族自治州", "勐海县"),
        ("石林县", "昆明市", "石林彝族自治县"),
        ("宁洱", "普洱市", "宁洱哈尼族彝族自治县"),
        ("芒市", "德宏傣族景颇族自治州", "芒市"),
        ("云县", "临沧市", "云县"),
    ],
)
def test_resolve_region(catalog: CatalogData, text: str, prefecture: str, county: str | None):
    place = catalog.resolve_region(text)
    assert place is not None
    assert place[0].name == prefecture
    assert (place[1].name if place[1] else None) == county


@pytest.mark.parametrize("text", ["", "全省", "昆明市红塔区", "北京市", "abc"])
def test_resolve_region_rejects(catalog: CatalogData, text: str) -> None:
    assert catalog.resolve_region(text) is None


# --- zones, kinds, products, policies --------------------------------------------------------


def test_zones_in_platform_order(catalog: CatalogData) -> None:
    assert [z.name for z in catalog.zones] == [
        "普通",
        '专精特新"小巨人"',
        "创业担保贷",
        "科技金融",
        "民贸民品",
        "农业信贷担保",
        "优质中小企业",
        "脱贫人口小额信贷",
    ]
    assert catalog.zone("general").max_amount == Decimal(100_000_000)
    assert catalog.zone("poverty_microcredit").max_amount == Decimal(50_000)
    with pytest.raises(KeyError):
        catalog.zone("nope")


def test_loan_kinds(catalog: CatalogData) -> None:
    assert [k.name for k in catalog.loan_kinds] == [
        "流动资金贷款",
        "固定资产贷款",
        "项目贷款",
        "贸易融资",
        "票据贴现",
        "科技贷款",
        "创业担保贷款",
        "其他",
    ]


def test_products_reference_existing_institutions_and_zones(catalog: CatalogData) -> None:
    institutions = {i.id for i in catalog.institutions}
    zones = {z.key: z for z in catalog.zones}
    assert len(catalog.products) >= 30
    for p in catalog.products:
        assert p.institution_id in institutions, p.id
        assert p.zones and set(p.zones) <= zones.keys(), p.id
        assert all(p.max_amount <= zones[z].max_amount for z in p.zones), p.id
        assert 0 < p.min_amount <= p.max_amount and 1 <= p.term_min <= p.term_max, p.id
        assert Decimal("3.0") <= p.rate_min <= p.rate_max <= Decimal("8.0"), p.id
        assert p.keywords and p.description, p.id


def test_every_zone_has_products_and_policies(catalog: CatalogData) -> None:
    for zone in catalog.zones:
        assert len(catalog.products_for(zone.key)) >= 2, zone.key
        assert 1 <= len(catalog.policies_for(zone.key)) <= 3, zone.key
    for policy in catalog.policies:
        assert policy.how_to_apply and policy.department and policy.phone.startswith("0871-")


def test_all_guarantee_methods_covered(catalog: CatalogData) -> None:
    covered = {g for p in catalog.products for g in p.guarantees}
    assert covered == set(GUARANTEE_METHODS)


def test_institutions(catalog: CatalogData) -> None:
    assert len(catalog.institutions) >= 15
    assert {i.kind for i in catalog.institutions} == set(INSTITUTION_KINDS)
    for inst in catalog.institutions:
        assert inst.phone[:5] in {"0871-", "0872-", "0874-", "0877-"}, inst.id
        assert len(inst.phone) == 13 and inst.phone[5] == "6", inst.id
    assert catalog.institution("fudian").name == "富滇银行"


def test_every_county_is_served_by_at_least_three(catalog: CatalogData) -> None:
    for county in catalog.counties:
        assert len(catalog.institutions_serving(county.full_name)) >= 3, county.full_name


def test_county_level_service_area(catalog: CatalogData) -> None:
    yuxi_rcb = catalog.institution("yuxi_rcb")
    assert yuxi_rcb.serves("玉溪市红塔区")
    assert not yuxi_rcb.serves("玉溪市元江哈尼族彝族傣族自治县")
    assert not yuxi_rcb.serves("玉溪市")  # only part of the prefecture
    assert catalog.institution("qujing_ccb").serves("曲靖市宣威市")
    assert not catalog.institution("qujing_ccb").serves("昆明市西山区")
    ids = {i.id for i in catalog.institutions_serving("红塔区")}
    assert {"yuxi_rcb", "hongta_bank", "icbc_yn"} <= ids and "qujing_ccb" not in ids


def test_catalog_is_cached() -> None:
    assert load_catalog() is load_catalog(DATA_DIR)


# --- catalogue validation --------------------------------------------------------------------


def _broken_catalog(tmp_path: Path, file: str, top: str, index: int, **changes) -> Path:
    for source in DATA_DIR.glob("*.yaml"):
        shutil.copy(source, tmp_path / source.name)
    doc = yaml.safe_load((tmp_path / file).read_text(encoding="utf-8"))
    if changes:
        doc[top][index].update(changes)
    else:
        doc[top].append(doc[top][index])
    (tmp_path / file).write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("file", "top", "changes", "message"),
    [
        ("products.yaml", "products", {"institution": "nobank"}, "unknown institution"),
        ("products.yaml", "products", {"zones": ["general", "moon"]}, "unknown zones"),
        ("products.yaml", "products", {"min_amount": 9, "max_amount": 1}, "min_amount"),
        ("products.yaml", "products", {"guarantees": ["房产"]}, "guarantees"),
        ("products.yaml", "products", {"term_min": "三"}, "term_min"),
        ("institutions.yaml", "institutions", {"regions": ["火星市"]}, "火星市"),
        ("institutions.yaml", "institutions", {"kind": "bakery"}, "bakery"),
        ("policies.yaml", "policies", {"zone": "moon"}, "unknown zone"),
        ("zones.yaml", "zones", {"max_amount": "lots"}, "max_amount"),
        ("products.yaml", "products", {}, "duplicate id"),
        ("institutions.yaml", "institutions", {}, "duplicate id"),
        ("zones.yaml", "zones", {}, "duplicate key"),
        ("regions.yaml", "prefectures", {}, "duplicate name"),
    ],
)
def test_broken_catalog_is_rejected(tmp_path, file, top, changes, message) -> None:
    directory = _broken_catalog(tmp_path, file, top, 0, **changes)
    with pytest.raises(ValueError, match=message) as caught:
        load_catalog(directory)
    assert file in str(caught.value)


def test_duplicate_county_alias_is_rejected(tmp_path: Path) -> None:
    directory = _broken_catalog(tmp_path, "regions.yaml", "prefectures", 1, aliases=["昆明"])
    with pytest.raises(ValueError, match=r"regions\.yaml: '昆明'"):
        load_catalog(directory)


# --- verification registry -------------------------------------------------------------------


def test_registry_ids_and_codes_pass_their_checks(registry) -> None:
    people, enterprises = registry
    assert len(people) >= 9 and len(enterprises) >= 10
    for person in people:
        assert resident_id(person.id_number) == person.id_number
        assert person.phone.isdigit() and len(person.phone) == 11 and person.phone[0] == "1"
    for ent in enterprises:
        assert uscc(ent.uscc) == ent.uscc
        assert resident_id(ent.legal_rep_id) == ent.legal_rep_id
    assert len({p.id_number for p in people}) == len(people)
    assert len({p.phone for p in people}) == len(people)


def test_registry_region_codes_are_real_counties(catalog: CatalogData, registry) -> None:
    codes = {c.code for c in catalog.counties}
    people, enterprises = registry
    for person in people:
        assert person.id_number[:6] in codes, person.name
    for ent in enterprises:
        if ent.uscc != MANUAL_USCC:
            assert ent.uscc[2:8] in codes, ent.name


def test_enterprise_regions_resolve_to_served_counties(catalog: CatalogData, registry) -> None:
    _, enterprises = registry
    for ent in enterprises:
        place = catalog.resolve_region(ent.region)
        assert place is not None and place[1] is not None, ent.region
        # 定向 needs 1–3 institutions to choose from.
        assert len(catalog.institutions_serving(ent.region)) >= 3, ent.region
    assert len({catalog.resolve_region(e.region)[0].name for e in enterprises}) >= 6


def test_legal_reps_are_registry_people(registry) -> None:
    people, enterprises = registry
    known = {(p.name, p.id_number) for p in people}
    for ent in enterprises:
        assert (ent.legal_rep, ent.legal_rep_id) in known, ent.name


def test_demo_scenarios(registry) -> None:
    people, enterprises = registry
    by_name = {p.name: p for p in people}
    by_ent = {e.name: e for e in enterprises}
    # The manual's example, exactly.
    assert by_name["周露"].id_number == "532501199201270024"
    assert by_name["周露"].phone == "15911511931"
    manual = by_ent["云南贸易有限公司"]
    assert (manual.uscc, manual.legal_rep, manual.region) == (MANUAL_USCC, "周露", "玉溪市红塔区")
    # 添加企业 / 切换企业: one legal representative of two enterprises.
    reps = Counter(e.legal_rep for e in enterprises)
    assert reps["李建华"] == 2
    # Failed three-factor check: 杨晓东 typing 王芳's phone.
    assert by_name["杨晓东"].phone != by_name["王芳"].phone
    # Failed four-factor check: 马文斌 claiming an enterprise whose registered rep is 陈志刚.
    assert by_ent["蒙自石榴红农产品有限公司"].legal_rep == "陈志刚"
    assert "马文斌" in reps
    # Codes of other registration authorities than market regulation.
    assert any(e.uscc[0] in "NY" for e in enterprises)


def test_registry_normalises_lower_case_x(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(
        "people:\n  - {name: 马文斌, id_number: '53060219850108013x', phone: '18608703526'}\n"
        "enterprises: []\n",
        encoding="utf-8",
    )
    people, enterprises = load_registry(path)
    assert people[0].id_number == "53060219850108013X" and enterprises == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("people: []\n", "enterprises"),
        ("- just a list\n", "people"),
        ("people: [1]\nenterprises: []\n", r"people\[0\]"),
        (
            "people:\n  - {name: 甲, id_number: '5325', phone: '15911511931'}\nenterprises: []\n",
            r"people\[0\] 甲: malformed id_number",
        ),
        (
            "people:\n  - {name: 甲, id_number: '532501199201270024'}\nenterprises: []\n",
            r"people\[0\] 甲: field 'phone'",
        ),
        (
            "people: []\nenterprises:\n  - {name: 乙, uscc: 'IO', legal_rep: 甲,"
            " legal_rep_id: '532501199201270024', region: 玉溪市}\n",
            r"enterprises\[0\] 乙: malformed uscc",
        ),
        (
            "people:\n  - {name: 甲, id_number: '532501199201270024', phone: '15911511931'}\n"
            "  - {name: 乙, id_number: '532501199201270024', phone: '15911511932'}\n"
            "enterprises: []\n",
            "duplicate id_number",
        ),
        ("people: [\n", "cannot load"),
    ],
)
def test_malformed_registry_raises(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "broken-registry.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message) as caught:
        load_registry(path)
    assert "broken-registry.yaml" in str(caught.value)


def test_missing_registry_raises(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"nowhere\.yaml"):
        load_registry(tmp_path / "nowhere.yaml")
