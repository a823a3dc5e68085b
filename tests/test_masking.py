"""Table tests of dialogs.masking (replies and log lines)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs.masking import mask_account, mask_id, mask_phone, mask_text


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


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_mask_text_keeps_length_and_never_fails(text: str) -> None:
    assert len(mask_text(text)) == len(text)
