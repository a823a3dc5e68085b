"""Table tests of dialogs.amounts: parsing, 大写 (支付结算办法 附件一), display, terms."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs.amounts import (
    check_amount_range,
    format_wan,
    format_yuan,
    parse_amount,
    parse_term_months,
    to_daxie,
)
from dialogs.validators import Invalid
from tests.test_validators import assert_reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("200000", "200000.00"),
        ("200,000", "200000.00"),
        ("200，000", "200000.00"),
        ("1,234,567.89", "1234567.89"),
        ("20万", "200000.00"),
        ("20 万", "200000.00"),
        ("20w", "200000.00"),
        ("20W", "200000.00"),
        ("二十万", "200000.00"),
        ("二十万元", "200000.00"),
        ("两万五", "25000.00"),
        ("0.5亿", "50000000.00"),
        ("5千万", "50000000.00"),
        ("1.5万元", "15000.00"),
        ("¥200000", "200000.00"),
        ("￥200000", "200000.00"),
        ("人民币20万元", "200000.00"),
        ("RMB 200000", "200000.00"),
        ("２０００００", "200000.00"),
        ("２０万", "200000.00"),
        ("200000元整", "200000.00"),
        ("贰拾万元整", "200000.00"),
        ("一千五百万", "15000000.00"),
        ("二十万零五百", "200500.00"),
        ("20万5千", "205000.00"),
        ("十二点五万", "125000.00"),
        ("5k", "5000.00"),
        ("1.23万", "12300.00"),
        ("1409.5", "1409.50"),
        ("0.01", "0.01"),
        ("1亿", "100000000.00"),
        ("3百万", "3000000.00"),
    ],
)
def test_parse_amount(text: str, expected: str) -> None:
    value = parse_amount(text)
    assert value == Decimal(expected)
    assert value.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("0", "要大于0"),
        ("0.00", "要大于0"),
        ("零", "要大于0"),
        ("-5", "要大于0"),
        ("-20万", "要大于0"),
        ("负五万", "要大于0"),
        ("0.001", "精确到分"),
        ("1.234", "精确到分"),
        ("abc", "没看懂"),
        ("二十万左右", "没看懂"),
        ("1e5", "没看懂"),
        ("1.2.3", "没看懂"),
        ("万", "没看懂"),
        ("$200", "没看懂"),
        ("2,00", "逗号"),
        ("1'; DROP TABLE users;--", "没看懂"),
        ("😀", "没看懂"),
        ("1" * 2000, "太长"),
        ("9" * 20, "太大"),
        ("", "申请额度"),
        ("元", "申请额度"),
    ],
)
def test_parse_amount_rejects(text: str, needle: str) -> None:
    with pytest.raises(Invalid) as info:
        parse_amount(text)
    assert_reason(info.value.reason)
    assert needle in info.value.reason


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_parse_amount_only_raises_invalid(text: str) -> None:
    try:
        value = parse_amount(text)
    except Invalid as bad:
        assert_reason(bad.reason)
    else:
        assert value > 0 and value == value.quantize(Decimal("0.01"))


@pytest.mark.parametrize(
    ("value", "daxie"),
    [
        ("200000", "贰拾万元整"),
        ("1409.50", "壹仟肆佰零玖元伍角"),
        ("6007.14", "陆仟零柒元壹角肆分"),
        ("16409.02", "壹万陆仟肆佰零玖元零贰分"),
        ("1005.30", "壹仟零伍元叁角"),
        ("1005.3", "壹仟零伍元叁角"),
        ("107000.53", "壹拾万柒仟元零伍角叁分"),
        ("100000000", "壹亿元整"),
        ("10010", "壹万零壹拾元整"),
        ("0.01", "壹分"),
        ("0.5", "伍角"),
        ("0.05", "伍分"),
        ("10", "壹拾元整"),
        ("1", "壹元整"),
        ("0", "零元整"),
        ("1680.32", "壹仟陆佰捌拾元零叁角贰分"),
        ("100.05", "壹佰元零伍分"),
        ("100700", "壹拾万零柒佰元整"),
        ("100000001", "壹亿零壹元整"),
        ("100010000", "壹亿零壹万元整"),
        ("123456789.12", "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元壹角贰分"),
        ("3000000000", "叁拾亿元整"),
    ],
)
def test_to_daxie(value: str, daxie: str) -> None:
    assert to_daxie(Decimal(value)) == daxie


@pytest.mark.parametrize("value", ["-1", "10000000000000000"])
def test_to_daxie_out_of_range(value: str) -> None:
    with pytest.raises(ValueError):
        to_daxie(Decimal(value))


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("200000", "200,000.00元"),
        ("1409.5", "1,409.50元"),
        ("0.01", "0.01元"),
        ("100000000", "100,000,000.00元"),
    ],
)
def test_format_yuan(value: str, text: str) -> None:
    assert format_yuan(Decimal(value)) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("200000", "20万元"),
        ("200000.00", "20万元"),
        ("50000000", "5000万元"),
        ("100000000", "1亿元"),
        ("150000000", "1.5亿元"),
        ("15000", "1.5万元"),
        ("10000", "1万元"),
        ("1234.5", "1234.5元"),
        ("12345", "12345元"),
        ("123456789", "123456789元"),
        ("0.5", "0.5元"),
    ],
)
def test_format_wan(value: str, text: str) -> None:
    assert format_wan(Decimal(value)) == text


@pytest.mark.parametrize("value", ["0.01", "200000", "100000000"])
def test_check_amount_range_accepts(value: str) -> None:
    assert check_amount_range(Decimal(value)) == Decimal(value)


@pytest.mark.parametrize(
    ("value", "maximum", "needle"),
    [
        ("0", "100000000", "要大于0"),
        ("-1", "100000000", "要大于0"),
        ("100000000.01", "100000000", "最高可申请1亿元"),
        ("600000", "500000", "最高可申请50万元"),
    ],
)
def test_check_amount_range_rejects(value: str, maximum: str, needle: str) -> None:
    with pytest.raises(Invalid) as info:
        check_amount_range(Decimal(value), maximum=Decimal(maximum))
    assert_reason(info.value.reason)
    assert needle in info.value.reason


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("12", 12),
        ("１２", 12),
        ("12个月", 12),
        ("12 个月", 12),
        ("十二个月", 12),
        ("1年", 12),
        ("一年", 12),
        ("两年", 24),
        ("一年半", 18),
        ("1年半", 18),
        ("1.5年", 18),
        ("半年", 6),
        ("2年3个月", 27),
        ("一年零六个月", 18),
        ("36期", 36),
        ("360", 360),
        ("三十年", 360),
        ("不限", None),
        ("不限制", None),
        ("都行", None),
    ],
)
def test_parse_term_months(text: str, months: int | None) -> None:
    assert parse_term_months(text) == months


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("0", "1到360个月"),
        ("361", "您填的是361个月"),
        ("31年", "您填的是372个月"),
        ("-3", "要大于0"),
        ("1.5", "整月"),
        ("abc", "没看懂"),
        ("12天", "没看懂"),
        ("1'; DROP TABLE users;--", "没看懂"),
        ("😀", "没看懂"),
        ("1" * 2000, "太长"),
        ("", "月数"),
    ],
)
def test_parse_term_months_rejects(text: str, needle: str) -> None:
    with pytest.raises(Invalid) as info:
        parse_term_months(text)
    assert_reason(info.value.reason)
    assert needle in info.value.reason


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_parse_term_months_only_raises_invalid(text: str) -> None:
    try:
        months = parse_term_months(text)
    except Invalid as bad:
        assert_reason(bad.reason)
    else:
        assert months is None or 1 <= months <= 360
