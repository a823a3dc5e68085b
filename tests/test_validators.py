"""Table tests of dialogs.validators (rules in docs/identifiers.md) with public examples."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs import validators as v
from dialogs.validators import Invalid, SoftInvalid
from knowledge.normal import answer_text

TODAY = date(2026, 1, 1)

# Independent oracles (not the module's own code) to build test numbers.
_ID_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_USCC_A = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_W = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def with_id_check(body17: str) -> str:
    return body17 + "10X98765432"[sum(int(c) * w for c, w in zip(body17, _ID_W, strict=True)) % 11]


def with_uscc_check(body17: str) -> str:
    s = sum(_USCC_A.index(c) * w for c, w in zip(body17, _USCC_W, strict=True))
    return body17 + _USCC_A[(31 - s % 31) % 31]


def assert_reason(reason: str) -> None:
    """A non-empty, short, Simplified Chinese sentence."""
    assert reason and len(reason) < 120, reason
    assert re.search(r"[\u4e00-\u9fff]", reason), reason
    assert reason.endswith("。"), reason
    # Echoed user input sits in “…”; the rest must be GB 2312 (simplified) text.
    own = re.sub(r"“[^”]*”", "", reason).replace("·", "")
    own.encode("gb2312")


def reason_of(check: Callable[[], object]) -> str:
    with pytest.raises(Invalid) as info:
        check()
    assert_reason(info.value.reason)
    return info.value.reason


N_CODE = with_uscc_check("N2530102MA6P1RDX2")  # agriculture authority, N-prefixed
Y_CODE = with_uscc_check("Y1530100MAC1234L5")  # "other" authority, Y-prefixed
FUTURE_ID = with_id_check("53250120300101002")
LEAP_ID = with_id_check("53250120000229002")
NEW_PR_CARD = with_id_check("95384019850312001")  # 9 + place 53 + nationality 840 + date


@pytest.mark.parametrize(("text", "expected"), [
    ("15911511931", "15911511931"), ("159 1151 1931", "15911511931"),
    ("159-1151-1931", "15911511931"), ("+86 159 1151 1931", "15911511931"),
    ("+8615911511931", "15911511931"), ("008615911511931", "15911511931"),
    ("8615911511931", "15911511931"), ("(+86)159-1151-1931", "15911511931"),
    ("１５９１１５１１９３１", "15911511931"), (" 13800138000\u200b", "13800138000"),
    ("19912345678", "19912345678"),
])
def test_mobile_valid(text: str, expected: str) -> None:
    assert v.mobile(text) == expected


@pytest.mark.parametrize(("text", "needle"), [
    ("1591151193", "应为11位，您输入了10位"), ("159115119311", "您输入了12位"),
    ("25911511931", "以1开头"), ("12911511931", "第2位应为3到9"), ("0871-64980508", "座机"),
    ("159115119a1", "第10位是“a”"), ("张三", "只能是数字"), ("+1 415 555 0100", "中国大陆"),
    ("", "11位"),
])
def test_mobile_invalid(text: str, needle: str) -> None:
    assert needle in reason_of(lambda: v.mobile(text))


@pytest.mark.parametrize(("text", "expected"), [
    ("张三", "张三"), (" 张 三 ", "张三"), ("欧阳娜娜", "欧阳娜娜"),
    ("阿卜杜·艾尼", "阿卜杜·艾尼"), ("阿卜杜・艾尼", "阿卜杜·艾尼"),
    ("阿卜杜•艾尼", "阿卜杜·艾尼"), ("阿卜杜‧艾尼", "阿卜杜·艾尼"),
    ("阿卜杜.艾尼", "阿卜杜·艾尼"), ("爱新觉罗·溥仪", "爱新觉罗·溥仪"), ("𠮷田", "𠮷田"),
    ("王" * 20, "王" * 20),
])
def test_person_name_valid(text: str, expected: str) -> None:
    assert v.person_name(text) == expected


@pytest.mark.parametrize(("text", "needle"), [
    ("张三13800138000", "不能有数字"), ("张３", "不能有数字"), ("John Smith", "不能有字母"),
    ("张三😀", "表情"), ("张三！", "符号"), ("张", "至少2个字"), ("王" * 21, "最多20个字"),
    ("·张三", "间隔号"), ("张三·", "间隔号"), ("阿卜杜··艾尼", "间隔号"),
    ("", "请输入姓名"),
])
def test_person_name_invalid(text: str, needle: str) -> None:
    assert needle in reason_of(lambda: v.person_name(text))


@pytest.mark.parametrize(("text", "expected"), [
    ("John  Smith", "John Smith"), ("O’Brien, Mary-Jane", "O'Brien, Mary-Jane"),
    ("José Müller", "José Müller"), ("约翰·史密斯", "约翰·史密斯"),
])
def test_foreign_name_valid(text: str, expected: str) -> None:
    assert v.foreign_name(text) == expected


@pytest.mark.parametrize("text", ["John3", "Иван Петров", "A😀", "--", "X" * 61, ""])
def test_foreign_name_invalid(text: str) -> None:
    reason_of(lambda: v.foreign_name(text))


@pytest.mark.parametrize(("text", "expected"), [
    ("云南某某科技有限公司", "云南某某科技有限公司"),
    ("腾讯科技(深圳)有限公司", "腾讯科技（深圳）有限公司"),
    ("腾讯科技（深圳）有限公司", "腾讯科技（深圳）有限公司"),
    ("腾讯科技（深圳)有限公司", "腾讯科技（深圳）有限公司"),
    ("云南 某某 科技有限公司", "云南某某科技有限公司"),
    ("ABB Tech (中国)有限公司", "ABB Tech（中国）有限公司"),
    ("58同城信息技术有限公司", "58同城信息技术有限公司"),
    ("昆明市五华区张三·李四餐饮店", "昆明市五华区张三·李四餐饮店"),
    ("Ｈ＆Ｍ（中国）商业有限公司", "H&M（中国）商业有限公司"),
])
def test_company_name_valid(text: str, expected: str) -> None:
    assert v.company_name(text) == expected


@pytest.mark.parametrize(("text", "needle"), [
    ("某某😀公司", "表情"), ("某某公司!", "“!”"), ("ABC Ltd", "中文名称"),
    ("某某(公司", "括号"), ("某某)公司(", "括号"), ("某", "2到60"), ("公" * 61, "2到60"),
    ("", "公司名称"),
])
def test_company_name_invalid(text: str, needle: str) -> None:
    assert needle in reason_of(lambda: v.company_name(text))


@pytest.mark.parametrize(("text", "expected"), [
    ("11010519491231002X", "11010519491231002X"),  # GB 11643's own example
    ("11010519491231002x", "11010519491231002X"),
    ("532501199201270024", "532501199201270024"),  # the manual's example
    ("５３２５０１１９９２０１２７００２４", "532501199201270024"),
    ("532501 19920127 0024", "532501199201270024"),
    ("１１０１０５１９４９１２３１００２ｘ", "11010519491231002X"), (LEAP_ID, LEAP_ID),
    (with_id_check("11010519000101001"), with_id_check("11010519000101001")),
    (with_id_check("81000019800101001"), with_id_check("81000019800101001")),  # HK resident
])
def test_resident_id_valid(text: str, expected: str) -> None:
    assert v.resident_id(text, today=TODAY) == expected


@pytest.mark.parametrize(("text", "needle"), [
    ("532501199201270025", "校验位不对：按前17位算应为4"),
    ("11010519491231002Y", "最后一位只能是数字或X"), ("110105194912310021", "应为X"),
    ("53250119920127002", "应为18位，您输入了17位"),
    ("110105491231002", "15位的旧身份证号"), ("99010519491231002X", "省份代码"),
    ("1101051949123100A2", "第17位“A”"),
    (with_id_check("11010519000231001"), "19000231不是真实日期"),
    (with_id_check("11010519991301001"), "19991301不是真实日期"),
    (with_id_check("11010520010229001"), "20010229不是真实日期"),
    (with_id_check("11010518991231001"), "早于1900年"), (FUTURE_ID, "晚于今天"),
    ("", "18位"),
])
def test_resident_id_invalid(text: str, needle: str) -> None:
    assert needle in reason_of(lambda: v.resident_id(text, today=TODAY))


def test_resident_id_today_is_allowed_and_default_today_rejects_the_future() -> None:
    born_today = with_id_check("53250120260101002")
    assert v.resident_id(born_today, today=TODAY) == born_today
    with pytest.raises(Invalid):
        v.resident_id(with_id_check("53250129991231002"))


@pytest.mark.parametrize(("text", "expected"), [
    ("H12345678", "H12345678"), ("h12345678", "H12345678"), ("M87654321", "M87654321"),
    ("H 1234 5678", "H12345678"),
    ("H1234567801", "H1234567801"),  # older 10-digit form
    ("Ｈ１２３４５６７８", "H12345678"),
])
def test_hk_macau_permit_valid(text: str, expected: str) -> None:
    assert v.hk_macau_permit(text) == expected


@pytest.mark.parametrize(("text", "needle"), [
    ("A123456(7)", "香港身份证"), ("X12345678", "H（香港）或M（澳门）开头"),
    ("H1234567", "您输入了7位数字"), ("H123456789", "您输入了9位数字"),
    ("H1234A678", "第6位“A”"),
])
def test_hk_macau_permit_invalid(text: str, needle: str) -> None:
    assert needle in reason_of(lambda: v.hk_macau_permit(text))


@pytest.mark.parametrize(("text", "expected"), [
    ("12345678", "12345678"), ("1234 5678", "12345678"), ("12345678(B)", "12345678(B)"),
    ("12345678（b）", "12345678(B)"), ("12345678B", "12345678(B)"),
    ("1234567801", "12345678(01)"),
])
def test_taiwan_permit_valid(text: str, expected: str) -> None:
    assert v.taiwan_permit(text) == expected


@pytest.mark.parametrize(
    ("text", "needle"),
    [("A123456789", "台湾身份证"), ("1234567", "8位数字"), ("12345678(ABC)", "8位数字")],
)
def test_taiwan_permit_invalid(text: str, needle: str) -> None:
    assert needle in reason_of(lambda: v.taiwan_permit(text))


@pytest.mark.parametrize(("text", "expected"), [
    ("USA110000000001", "USA110000000001"), ("usa 1100 0000 0001", "USA110000000001"),
    (NEW_PR_CARD, NEW_PR_CARD), (NEW_PR_CARD[:-1] + NEW_PR_CARD[-1].lower(), NEW_PR_CARD),
])
def test_foreign_permanent_id_valid(text: str, expected: str) -> None:
    assert v.foreign_permanent_id(text, today=TODAY) == expected


@pytest.mark.parametrize(("text", "needle"), [
    ("US1110000000001", "3位字母加12位数字"), ("532501199201270024", "以9开头"),
    (NEW_PR_CARD[:-1] + ("1" if NEW_PR_CARD[-1] != "1" else "2"), "校验位不对"),
    (with_id_check("95384020300312001"), "晚于今天"),
    (with_id_check("95384019850230001"), "不是真实日期"), ("1234567890", "您输入了10位"),
])
def test_foreign_permanent_id_invalid(text: str, needle: str) -> None:
    assert needle in reason_of(lambda: v.foreign_permanent_id(text, today=TODAY))


def test_certificate_dispatch() -> None:
    assert [k for k, _ in v.CERTIFICATE_TYPES] == ["resident", "hk_macau", "taiwan", "foreign"]
    assert dict(v.CERTIFICATE_TYPES)["hk_macau"] == "港澳居民来往内地通行证"
    assert v.certificate("resident", "532501199201270024") == "532501199201270024"
    assert v.certificate("hk_macau", "h12345678") == "H12345678"
    assert v.certificate("taiwan", "12345678") == "12345678"
    assert v.certificate("foreign", "usa110000000001") == "USA110000000001"
    reason_of(lambda: v.certificate("resident", "H12345678"))
    with pytest.raises(ValueError):
        v.certificate("passport", "E12345678")


@pytest.mark.parametrize("code", [
    "91530121MA6P1RDX22",  # the manual's
    "914403001922038216", "91440300708461136T", "91110000802100433B", "91100000100003962T",
    N_CODE,
    Y_CODE,
])
def test_uscc_valid(code: str) -> None:
    assert v.uscc(code) == code
    assert v.uscc(" " + code.lower() + " ") == code
    assert v.uscc(code.translate(str.maketrans("0123456789", "０１２３４５６７８９"))) == code


@pytest.mark.parametrize(("text", "needle"), [
    ("9153012IMA6P1RDX22", "第8位可能是数字1而不是字母I"),
    ("9144O3001922038216", "第5位可能是数字0而不是字母O"),
    ("9l530121MA6P1RDX22", "第2位可能是数字1而不是字母l"),
    ("9I53O121MA6P1RDX22", "第2位可能是数字1而不是字母I，第5位可能是数字0而不是字母O"),
    ("9153012SMA6P1RDX22", "第8位可能是数字5"), ("9153012ZMA6P1RDX22", "第8位可能是数字2"),
    ("91530121MA6P1RDV22", "第16位可能是字母U或Y"),
    ("91530121MA6P1ROX22", "代码里没有字母O，第15位可能是数字0"),  # swap alone fails C18
    ("91530121MA6P1RD😀22", "第16位是“😀”"), ("915301", "应为18位，您输入了6位"),
    ("530100000012345", "15位注册号"), ("", "18位"),
])
def test_uscc_invalid(text: str, needle: str) -> None:
    with pytest.raises(Invalid) as info:
        v.uscc(text)
    assert not isinstance(info.value, SoftInvalid)
    assert_reason(info.value.reason)
    assert needle in info.value.reason


@pytest.mark.parametrize(("text", "value", "expected"), [
    ("91530121MA6P1RDX23", "91530121MA6P1RDX23", "2"),
    ("91530121ma6p1rdx23", "91530121MA6P1RDX23", "2"),
    ("91110000802100433C", "91110000802100433C", "B"),
])
def test_uscc_wrong_check_char_is_soft(text: str, value: str, expected: str) -> None:
    with pytest.raises(SoftInvalid) as info:
        v.uscc(text)
    soft = info.value
    assert_reason(soft.reason)
    assert soft.reason.startswith("统一社会信用代码校验位不对")
    assert f"应为{expected}" in soft.reason and "营业执照" in soft.reason
    assert soft.value == value
    assert soft.warning == "校验位未通过，已按您的输入提交，以工商核验结果为准。"


@pytest.mark.parametrize(("text", "expected"), [("123456", "123456"), ("１２３ ４５６", "123456")])
def test_sms_code_valid(text: str, expected: str) -> None:
    assert v.sms_code(text) == expected


@pytest.mark.parametrize(
    ("text", "needle"), [("12345", "您输入了5位"), ("1234567", "7位"), ("12345a", "只能是数字")]
)
def test_sms_code_invalid(text: str, needle: str) -> None:
    assert needle in reason_of(lambda: v.sms_code(text))


@pytest.mark.parametrize(("text", "expected"), [
    *[(t, True) for t in ["是", "好", "好的", "确认", "同意", "可以", "y", "Yes", "1", "是。",
                          "是的呀", "对的", "嗯嗯", "没错"]],
    *[(t, False) for t in ["否", "不", "不同意", "取消", "n", "No", "2", "２", "都不是", "不对啊"]],
])
def test_yes_no(text: str, expected: bool) -> None:
    assert v.yes_no(text) is expected


@pytest.mark.parametrize("text", ["也许", "3", "", "是不是"])
def test_yes_no_invalid(text: str) -> None:
    reason_of(lambda: v.yes_no(text))


@pytest.mark.parametrize(("text", "expected"), [
    ("无", None), ("没有", None), ("跳过", None), ("-", None), ("—", None),
    ("0012345678", "0012345678"), ("5301-0012-34", "5301-0012-34"), ("AB 12 34", "AB1234"),
    ("ｄｆ１２３", "df123"),
])
def test_optional_account(text: str, expected: str | None) -> None:
    assert v.optional_account(text) == expected


@pytest.mark.parametrize(
    ("text", "needle"), [("1", "2到30位"), ("1" * 31, "您输入了31位"), ("户号123", "第1位是“户”")]
)
def test_optional_account_invalid(text: str, needle: str) -> None:
    assert needle in reason_of(lambda: v.optional_account(text))


ALL_VALIDATORS: list[Callable[[str], object]] = [
    v.mobile,
    v.person_name,
    v.foreign_name,
    v.company_name,
    lambda t: v.resident_id(t, today=TODAY),
    v.hk_macau_permit,
    v.taiwan_permit,
    lambda t: v.foreign_permanent_id(t, today=TODAY),
    v.uscc,
    v.sms_code,
    v.yes_no,
    v.optional_account,
]

HOSTILE = [
    "1'; DROP TABLE users;--",
    "😀" * 18,
    "😀",
    "字" * 2000,
    "1" * 2000,
    "<script>alert(1)</script>",
    "\x00\x01\x02",
    "\u200b\u200b",
    "   ",
    "ß" * 17 + "1",
    "\ud800",
]


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("check", ALL_VALIDATORS)
def test_hostile_input_is_only_ever_invalid(check: Callable[[str], object], text: str) -> None:
    reason_of(lambda: check(text))


@pytest.mark.parametrize("check", ALL_VALIDATORS)
def test_non_text_is_invalid(check: Callable[[str], object]) -> None:
    reason_of(lambda: check(None))  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=40))
def test_any_text_returns_or_raises_invalid(text: str) -> None:
    for check in ALL_VALIDATORS:
        try:
            check(text)
        except Invalid as bad:
            assert_reason(bad.reason)


def test_answer_text() -> None:
    assert answer_text("　ＡＢＣ１２３\u200b ") == "ABC123"
