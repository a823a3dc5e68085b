"""Pure validators for what users type into the dialogs.

Each validator normalises its own input (NFKC turns full-width digits and letters
into half-width, strips, drops zero-width characters) and either returns the
canonical value or raises :class:`Invalid` whose ``reason`` is one short Simplified
Chinese sentence for a phone screen. Nothing here raises anything but ``Invalid``
for user text. The rules are written down in docs/identifiers.md.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date
from itertools import accumulate

from knowledge.normal import answer_text


class Invalid(Exception):
    """A user's answer that cannot be accepted; ``reason`` is shown to the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SoftInvalid(Invalid):
    """Rejected with a hint, but the same normalised ``value`` sent again is accepted
    (with ``warning`` shown). The dialog engine remembers ``value`` to do so."""

    def __init__(self, reason: str, value: str, warning: str) -> None:
        super().__init__(reason)
        self.value = value
        self.warning = warning


# Dash look-alikes that phones and IMEs produce (regex class body, "-" escaped).
_DASHES = "\\-‐‑‒–—―−﹣"
_SPACES_DASHES = re.compile(f"[\\s{_DASHES}]+")
# Middle-dot variants used in minority and transliterated foreign names.
_DOTS = re.compile("[·・•‧∙⋅.]")


def _text(text: str) -> str:
    """knowledge.normal.answer_text, refusing what is not text at all."""
    if not isinstance(text, str):
        raise Invalid("没有收到文字内容，请重新输入。")
    return answer_text(text)


def _compact(text: str) -> str:
    """_text() and remove every space and dash: for number-like fields."""
    return _SPACES_DASHES.sub("", _text(text))


def _upper(text: str) -> str:
    """Upper-case ASCII only: str.upper() would turn "ß" into "SS" and shift positions."""
    return "".join(ch.upper() if ch.isascii() else ch for ch in text)


def _show(ch: str) -> str:
    """Quote one offending character for a reason, or describe it when invisible."""
    return f"“{ch}”" if ch.isprintable() and not ch.isspace() else "不可见字符"


def _is_han(ch: str) -> bool:
    return ch == "〇" or unicodedata.name(ch, "").startswith(("CJK UNIFIED", "CJK COMPATIBILITY"))


def _is_symbol(ch: str) -> bool:
    """Emoji and pictographs get their own wording."""
    return unicodedata.category(ch) in {"So", "Sk"}


def mobile(text: str) -> str:
    """Mainland mobile: 11 digits matching ^1[3-9][0-9]{9} after dropping +86/0086/86."""
    t = re.sub(r"[\s()" + _DASHES + "]+", "", _text(text))
    if not t:
        raise Invalid("请输入11位手机号。")
    for prefix in ("+86", "0086", "86"):
        if t.startswith(prefix) and (prefix != "86" or len(t) == 13):
            t = t[len(prefix) :]
            break
    if t.startswith("+"):
        raise Invalid("目前只支持中国大陆手机号，请输入11位手机号。")
    if m := re.search("[^0-9]", t):
        raise Invalid(f"手机号只能是数字，第{m.start() + 1}位是{_show(m.group())}。")
    if t.startswith("0"):
        raise Invalid("这像是座机号码，请输入11位手机号。")
    if len(t) != 11:
        raise Invalid(f"手机号应为11位，您输入了{len(t)}位。")
    if t[0] != "1":
        raise Invalid("手机号应以1开头，请核对。")
    if t[1] in "012":
        raise Invalid("手机号第2位应为3到9，请核对。")
    return t


def person_name(text: str) -> str:
    """2–20 Chinese characters, with '·' between the parts of a name."""
    t = _DOTS.sub("·", re.sub(r"\s+", "", _text(text)))
    if not t:
        raise Invalid("请输入姓名。")
    if any(ch.isdigit() for ch in t):
        raise Invalid("姓名里不能有数字，请只填写姓名。")
    for ch in t:
        if _is_han(ch) or ch == "·":
            continue
        if ch.isalpha():
            raise Invalid("姓名请用汉字填写，不能有字母。")
        if _is_symbol(ch):
            raise Invalid("姓名里不能有表情或图形符号。")
        raise Invalid(f"姓名里不能有符号{_show(ch)}，少数民族姓名的间隔请用“·”。")
    if t[0] == "·" or t[-1] == "·" or "··" in t:
        raise Invalid("间隔号“·”只能写在名字的两部分之间。")
    if len(t) < 2:
        raise Invalid("姓名至少2个字，请填写全名。")
    if len(t) > 20:
        raise Invalid(f"姓名最多20个字，您输入了{len(t)}个。")
    return t


def foreign_name(text: str) -> str:
    """Name as on a 外国人永久居留身份证: Latin letters, spaces, - ' . , and/or Chinese."""
    t = " ".join(_text(text).replace("’", "'").split())
    if not t:
        raise Invalid("请输入证件上的姓名。")
    if any(ch.isdigit() for ch in t):
        raise Invalid("姓名里不能有数字，请按证件填写。")
    for ch in t:
        latin = ch.isalpha() and unicodedata.name(ch, "").startswith("LATIN")
        if not (latin or _is_han(ch) or ch in " -'.,·"):
            if _is_symbol(ch):
                raise Invalid("姓名里不能有表情或图形符号。")
            raise Invalid(f"姓名里不能有{_show(ch)}，请按证件填写。")
    if not any(ch.isalpha() for ch in t):
        raise Invalid("请按证件填写姓名。")
    if len(t) < 2 or len(t) > 60:
        raise Invalid(f"姓名应为2到60个字符，您输入了{len(t)}个。")
    return t


def company_name(text: str) -> str:
    """2–60 chars of Chinese, letters, digits, （）·-& ; parens become full-width."""
    t = re.sub(f"[{_DASHES}]", "-", _DOTS.sub("·", _text(text)))
    # Registry names use full-width parens; store one form so lookups match.
    t = t.replace("(", "（").replace(")", "）")
    # A space only survives between two Latin letters/digits ("ABB Tech").
    t = re.sub(r"(?<![A-Za-z0-9]) | (?![A-Za-z0-9])", "", re.sub(r"\s+", " ", t))
    if not t:
        raise Invalid("请输入营业执照上的公司名称。")
    for ch in t:
        if _is_han(ch) or (ch.isascii() and ch.isalnum()) or ch in "（）·-& ":
            continue
        if _is_symbol(ch):
            raise Invalid("公司名称里不能有表情或图形符号。")
        raise Invalid(f"公司名称里不能有{_show(ch)}，请按营业执照填写。")
    if not any(_is_han(ch) for ch in t):
        raise Invalid("请按营业执照填写公司的中文名称。")
    depths = list(accumulate({"（": 1, "）": -1}.get(ch, 0) for ch in t))
    if min(depths) < 0 or depths[-1] != 0:
        raise Invalid("公司名称里的括号没有配对，请核对。")
    if len(t) < 2 or len(t) > 60:
        raise Invalid(f"公司名称应为2到60个字，您输入了{len(t)}个。")
    return t


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_PROVINCES = {*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47), *range(50, 55)}
_PROVINCES |= {*range(61, 66), 71, 81, 82, 83}


def gb11643_check_char(body17: str) -> str:
    """The 18th character for 17 digits (resident IDs and the 2023 永居证)."""
    return _ID_CHECK[sum(int(c) * w for c, w in zip(body17, _ID_WEIGHTS, strict=True)) % 11]


def _check_18(code: str, label: str, today: date | None, *, province: bool) -> str:
    """Shared checks of an 18-char GB 11643-style number: chars, date, check char."""
    if m := re.search("[^0-9]", code[:17]):
        raise Invalid(f"{label}第{m.start() + 1}位{_show(m.group())}不对，前17位只能是数字。")
    if not (("0" <= code[17] <= "9") or code[17] == "X"):
        raise Invalid(f"{label}最后一位只能是数字或X，您输入的是{_show(code[17])}。")
    if province and int(code[:2]) not in _PROVINCES:
        raise Invalid(f"{label}前两位{code[:2]}不是有效的省份代码，请核对。")
    ds = code[6:14]
    try:
        born = date(int(ds[:4]), int(ds[4:6]), int(ds[6:]))
    except ValueError:
        raise Invalid(f"{label}第7到14位的出生日期{ds}不是真实日期，请核对。") from None
    if born.year < 1900:
        raise Invalid(f"{label}里的出生日期{ds}早于1900年，请核对。")
    if born > (today or date.today()):
        raise Invalid(f"{label}里的出生日期{ds}晚于今天，请核对。")
    expected = gb11643_check_char(code[:17])
    if code[17] != expected:
        raise Invalid(f"{label}校验位不对：按前17位算应为{expected}，请核对后重新输入。")
    return code


def resident_id(text: str, *, today: date | None = None) -> str:
    """大陆居民身份证 (GB 11643-1999), 18 chars; lower-case x becomes X."""
    t = _upper(_compact(text))
    if not t:
        raise Invalid("请输入18位身份证号。")
    if len(t) == 15 and t.isdigit():
        raise Invalid("这是15位的旧身份证号，请输入18位的新号码。")
    if len(t) != 18:
        raise Invalid(f"身份证号应为18位，您输入了{len(t)}位。")
    return _check_18(t, "身份证号", today, province=True)


def hk_macau_permit(text: str) -> str:
    """港澳居民来往内地通行证 (回乡证): H (Hong Kong) or M (Macau) + 8 digits (card
    since 2013), or + 10 digits (older: 8-digit number + 2-digit issue count).
    Brackets, spaces and lower case are tolerated; there is no public check digit."""
    typed = _upper(_compact(text))
    t = re.sub(r"[()]", "", typed)
    if not t:
        raise Invalid("请输入回乡证号码，H或M开头。")
    # HK identity card: 1–2 letters, 6 digits, check char usually typed in brackets.
    hk_id = re.fullmatch(r"[A-Z]{1,2}[0-9]{6}\(?[0-9A]\)?", typed)
    if hk_id and ("(" in typed or t[0] not in "HM"):
        raise Invalid("这像是香港身份证号码，请填写回乡证号码（H或M开头）。")
    if t[0] not in "HM":
        raise Invalid("回乡证号码应以H（香港）或M（澳门）开头，请核对。")
    if m := re.search("[^0-9]", t[1:]):
        raise Invalid(f"回乡证号码第{m.start() + 2}位{_show(m.group())}不对，H或M后面应全是数字。")
    if len(t) - 1 not in (8, 10):
        raise Invalid(f"回乡证号码应为{t[0]}加8位数字，您输入了{len(t) - 1}位数字。")
    return t


def taiwan_permit(text: str) -> str:
    """台湾居民来往大陆通行证 (台胞证): 8 digits (card since 2015), or the older 8 digits
    + a 1–2 char letter/digit issue counter with or without brackets ("12345678(B)",
    "12345678B", "1234567801"), returned as "12345678(B)". No public check digit."""
    t = _upper(_compact(text))
    if not t:
        raise Invalid("请输入台胞证号码（8位数字）。")
    if re.fullmatch(r"[A-Z][12][0-9]{8}", t):
        raise Invalid("这像是台湾身份证号码，请填写台胞证号码（8位数字）。")
    m = re.fullmatch(r"([0-9]{8})(?:\(([A-Z0-9]{1,2})\)|([A-Z0-9]{1,2}))?", t)
    if not m:
        raise Invalid("台胞证号码应为8位数字（旧证可带括号里的1到2位字母或数字），请核对。")
    suffix = m.group(2) or m.group(3)
    return f"{m.group(1)}({suffix})" if suffix else m.group(1)


def foreign_permanent_id(text: str, *, today: date | None = None) -> str:
    """外国人永久居留身份证. 2023 card: 18 chars, "9" + issuing place (2) + nationality (3)
    + birth date (8) + sequence (3) + MOD 11-2 check char as GB 11643; all but the place and
    nationality codes are checked. 2004/2017 card: 15 chars, 3 letters (nationality) +
    12 digits; only the shape is checked, its check rule is not public."""
    t = _upper(_compact(text))
    if not t:
        raise Invalid("请输入永居证号码。")
    if len(t) == 15:
        if not re.fullmatch(r"[A-Z]{3}[0-9]{12}", t):
            raise Invalid("旧版永居证号码应为3位字母加12位数字，请核对。")
        return t
    if len(t) != 18:
        raise Invalid(f"永居证号码应为18位（新版）或15位（旧版），您输入了{len(t)}位。")
    if t[0] != "9":
        raise Invalid("新版永居证号码以9开头，请核对号码或证件类型。")
    return _check_18(t, "永居证号码", today, province=False)


CERTIFICATE_TYPES: tuple[tuple[str, str], ...] = (
    ("resident", "大陆居民身份证"),
    ("hk_macau", "港澳居民来往内地通行证"),
    ("taiwan", "台湾居民来往大陆通行证"),
    ("foreign", "外国人永久居留身份证"),
)

_CERTS: dict[str, Callable[[str], str]] = {"resident": resident_id, "hk_macau": hk_macau_permit}
_CERTS |= {"taiwan": taiwan_permit, "foreign": foreign_permanent_id}


def certificate(kind: str, text: str) -> str:
    """Validate a certificate number of the given CERTIFICATE_TYPES key."""
    if kind not in _CERTS:
        raise ValueError(f"unknown certificate kind {kind!r}")  # a programming error
    return _CERTS[kind](text)


_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# Letters the code never contains, and what the user most likely meant.
_USCC_LOOKALIKE = {"I": "1", "O": "0", "Z": "2", "S": "5"}
_USCC_HINT = {"I": "数字1", "O": "数字0", "Z": "数字2", "S": "数字5", "V": "字母U或Y"}
USCC_SOFT_WARNING = "校验位未通过，已按您的输入提交，以工商核验结果为准。"


def uscc_check_char(body17: str) -> str:
    """C18 of GB 32100 for the first 17 characters (all from the 31-char alphabet)."""
    s = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(body17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - s % 31) % 31]


def _uscc_ok(code: str) -> bool:
    return all(c in _USCC_ALPHABET for c in code) and uscc_check_char(code[:17]) == code[17]


def uscc(text: str) -> str:
    """统一社会信用代码: 18 chars of the 31-char alphabet and the C18 check. A failure
    that I/O or lower-case l slips explain is an Invalid naming the position; any other
    failed C18 is a SoftInvalid (a few real codes fail it; the registry check decides).
    Positions 9–17 are deliberately not GB 11714-checked (real codes fail it)."""
    raw = _compact(text)
    code = _upper(raw)
    if not code:
        raise Invalid("请输入18位统一社会信用代码。")
    if len(code) == 15 and code.isdigit():
        raise Invalid("这像是旧的15位注册号，请输入营业执照上的18位统一社会信用代码。")
    if len(code) != 18:
        raise Invalid(f"统一社会信用代码应为18位，您输入了{len(code)}位。")
    bad = [(i, ch) for i, ch in enumerate(code, 1) if ch not in _USCC_ALPHABET]
    if bad:
        if all(ch in _USCC_LOOKALIKE for _, ch in bad):
            fixed = "".join(_USCC_LOOKALIKE.get(ch, ch) for ch in code)
            if _uscc_ok(fixed):
                hints = "，".join(
                    f"第{i}位可能是{_USCC_HINT[ch]}而不是字母{ch}" for i, ch in bad[:3]
                )
                raise Invalid(f"{hints}，请核对后重新输入。")
        i, ch = bad[0]
        if ch in _USCC_HINT:
            raise Invalid(f"代码里没有字母{ch}，第{i}位可能是{_USCC_HINT[ch]}，请核对。")
        raise Invalid(f"统一社会信用代码只有数字和大写字母，第{i}位是{_show(raw[i - 1])}。")
    expected = uscc_check_char(code[:17])
    if code[17] == expected:
        return code
    for i, ch in enumerate(raw):
        if ch == "l" and _uscc_ok(code[:i] + "1" + code[i + 1 :]):
            raise Invalid(f"第{i + 1}位可能是数字1而不是字母l，请核对后重新输入。")
    reason = f"统一社会信用代码校验位不对（按前17位算应为{expected}），请对照营业执照核对。"
    raise SoftInvalid(reason, value=code, warning=USCC_SOFT_WARNING)


def sms_code(text: str) -> str:
    """The 6-digit SMS verification code."""
    t = _compact(text)
    if not t:
        raise Invalid("请输入短信里的6位验证码。")
    if not all("0" <= ch <= "9" for ch in t):
        raise Invalid("验证码只能是数字，请输入短信里的6位数字。")
    if len(t) != 6:
        raise Invalid(f"验证码是6位数字，您输入了{len(t)}位。")
    return t


_YES = frozenset("是 是的 好 好的 确认 确定 同意 可以 对 对的 对头 行 嗯 嗯嗯 要 要的 没错 就是 "
                 "y yes ok 1".split())
_NO = frozenset("否 不 不是 都不是 不对 不好 不同意 不确认 取消 不要 不用 不行 没有 n no 2".split())


def yes_no(text: str) -> bool:
    """是/好/确认/同意/可以/y/yes/1 -> True; 否/不/不同意/取消/n/no/2 -> False."""
    # Spoken particles after the word ("是的呀", "对啊") change nothing.
    t = re.sub(r"[\s。.!！~～,，]+", "", _text(text).lower()).rstrip("啊呀嘛哈")
    if t in _YES:
        return True
    if t in _NO:
        return False
    raise Invalid("请回复“是”或“否”（也可回复1或2）。")


_NO_ACCOUNT = frozenset("无 没有 跳过 - / 暂无 不填 没 无账号 没有账号 none skip".split())


def optional_account(text: str) -> str | None:
    """水/电/气 account number, 2–30 of digits/letters/-; "无", "跳过", "-" -> None."""
    t = re.sub(f"[{_DASHES}]", "-", re.sub(r"\s+", "", _text(text))).rstrip("。.")
    if t.lower() in _NO_ACCOUNT or set(t) == {"-"}:
        return None
    if not t:
        raise Invalid("请输入户号，没有请回复“无”。")
    if m := re.search("[^0-9A-Za-z-]", t):
        bad = f"第{m.start() + 1}位是{_show(m.group())}"
        raise Invalid(f"户号只能有数字、字母或“-”，{bad}。没有请回复“无”。")
    if not 2 <= len(t) <= 30:
        raise Invalid(f"户号应为2到30位，您输入了{len(t)}位。没有请回复“无”。")
    return t
