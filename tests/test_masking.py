"""Table tests of dialogs.masking (replies and log lines)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs.masking import mask_account, mask_id, mask_phone, mask_text, strip_invisible


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("532501199201270024", "532***********0024"),
        ("11010519491231002X", "110***********002X"),
        ("USA110000000001", "USA********0001"),  # old 永居证
        ("H1234567801", "H1******801"),
        ("12345678(B)", "12******(B)"),
        ("H12345678", "H******78"),
        ("12345678", "1*****78"),
        ("12345", "1***5"),
        ("12", "**"),
        ("", ""),
    ],
)
def test_mask_id(value: str, masked: str) -> None:
    assert mask_id(value) == masked
    assert len(mask_id(value)) == len(value)


@pytest.mark.parametrize(
    ("value", "masked"),
    [("15911511931", "159****1931"), ("13800138000", "138****8000"), ("1591151", "1****51")],
)
def test_mask_phone(value: str, masked: str) -> None:
    assert mask_phone(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("0012345678", "******5678"),
        ("5301-0012-34", "********2-34"),
        ("12345", "***45"),
        ("12", "**"),
    ],
)
def test_mask_account(value: str, masked: str) -> None:
    assert mask_account(value) == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("身份证532501199201270024已提交", "身份证532***********0024已提交"),
        ("id=11010519491231002x;", "id=110***********002x;"),
        ("证件 532501 19920127 0024", "证件 532*** ******** 0024"),
        ("手机15911511931", "手机159****1931"),
        ("手机 +86 159-1151-1931 收到", "手机 +86 159-****-1931 收到"),
        ("8615911511931", "86159****1931"),
        ("１５９１１５１１９３１", "１５９****１９３１"),
        ("回乡证H12345678", "回乡证H******78"),
        ("永居证USA110000000001", "永居证USA********0001"),
        (
            "法人532501199201270024手机15911511931",
            "法人532***********0024手机159****1931",
        ),
        # Not personal numbers: left alone.
        ("单据号202401010001", "单据号202401010001"),
        ("金额200000元", "金额200000元"),
        ("12345678901234567890", "12345678901234567890"),
        ("USCC 91530121MA6P1RDX22", "USCC 91530121MA6P1RDX22"),
        ("电话0871-64980508", "电话0871-64980508"),
    ],
)
def test_mask_text(text: str, masked: str) -> None:
    assert mask_text(text) == masked


# Ways to slip an ID number or a phone past a plain pattern (issue 12): each was left in
# clear by the masking before.
ZWSP, ZWJ, BOM, SHY, WJ, ZWNJ = "\u200b", "\u200d", "\ufeff", "\u00ad", "\u2060", "\u200c"
DODGES = [
    (f"身份证5325{ZWSP}01199201270024", "身份证532***********0024"),
    (f"手机159{ZWSP}1151{ZWSP}1931", "手机159****1931"),
    (f"{BOM}15911511931", "159****1931"),
    (f"1591{SHY}1511931", "159****1931"),
    (f"159{WJ}115{ZWJ}119{ZWNJ}31", "159****1931"),
    ("手机 159 1151 1931", "手机 159 **** 1931"),
    ("159-1151-1931", "159-****-1931"),
    ("159.1151.1931", "159.****.1931"),
    ("1591 151 1931", "159* *** 1931"),
    ("1 5 9 1 1 5 1 1 9 3 1", "1 5 9 * * * * 1 9 3 1"),
    ("159 - 1151 - 1931", "159 - **** - 1931"),
    ("0086 159 1151 1931", "0086 159 **** 1931"),
    ("5325 0119 9201 2700 24", "532* **** **** **00 24"),
    ("5325-0119-9201-2700-24", "532*-****-****-**00-24"),
    ("11010519491231002 X", "110***********002 X"),
    ("ID532501199201270024", "ID532***********0024"),
    ("１５９　１１５１　１９３１", "１５９　****　１９３１"),
    ("５３２５０１１９９２０１２７００２４", "５３２***********００２４"),
    (f"5325０１1992{ZWSP}01 27-0024", "532********* **-0024"),
    ("号码13812345678 15911511931", "号码138****5678 159****1931"),
    ("2026-12-01 15911511931", "2026-12-01 159****1931"),
]
# Numbers that only look long: 单据号, amounts, dates, landlines, credit codes.
LOOKALIKES = [
    "RZ20261201000002",
    "单据号 RZ 2026-1201-000002",
    "RZ20261201 000002",
    "金额200000.00元，期限12个月",
    "授信 20 万元，放款 1.5亿",
    "2026-12-01 09:30",
    "电话0871-64980508",
    "0871 6498 0508",
    "USCC 91530121MA6P1RDX22",
    "12345678901234567890",
    "1234 5678 9012",
    "额度 150000000.00元",  # 1.5亿 in yuan: the point is a decimal one, not a grouping
    "放款 130000000.5 元",
]


@pytest.mark.parametrize(("text", "masked"), DODGES)
def test_mask_text_cannot_be_dodged(text: str, masked: str) -> None:
    assert mask_text(text) == masked


@pytest.mark.parametrize("text", LOOKALIKES)
def test_mask_text_leaves_lookalikes(text: str) -> None:
    assert mask_text(text) == text


def test_strip_invisible_removes_format_characters_only() -> None:
    assert strip_invisible(f"融{ZWSP}信{ZWJ}服{BOM}{SHY}{WJ}") == "融信服"
    assert strip_invisible("贷款 20万，期限\t12个月\n") == "贷款 20万，期限\t12个月\n"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_mask_text_keeps_length_and_never_fails(text: str) -> None:
    assert len(mask_text(text)) == len(strip_invisible(text))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["", " ", "-", ".", "\u200b", "\u3000", " - "]),
                min_size=10, max_size=10),
       st.sampled_from(["15911511931", "532501199201270024", "１３８１２３４５６７８"]),
       st.sampled_from(["", "手机", "证件号："]))
def test_no_separator_choice_carries_a_number_past(seps: list[str], number: str,
                                                 before: str) -> None:
    """Whatever sits between the digits, at most the kept head and tail show."""
    text = before + "".join(ch + (seps[i] if i < len(seps) else "")
                            for i, ch in enumerate(number))
    digits = [ch for ch in mask_text(text) if ch.isdecimal() or ch in "Xx"]
    assert len(digits) == 7
