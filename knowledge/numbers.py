"""Money and loan terms as people type them: 200000, 20万, 50w, 二十万元, 伍拾万, 0.5亿;
12, 十二个月, 1年, 一年半, 不限.

Amounts are Decimal 元 with two places. cn2an is used only for Chinese numerals
(二十万, 两万五, 贰拾万); plain digits with a unit (20万, 0.5亿, 1.5万) are parsed here
with Decimal so no float ever touches money. Shared by the forms (dialogs.amounts) and
the slot reader (knowledge.slots), which finds these inside sentences.
"""

from __future__ import annotations

import re
import warnings
from decimal import Decimal, InvalidOperation

import cn2an

from knowledge.normal import answer_text


class Unreadable(Exception):
    """Text that is not an amount or a term; ``reason`` says why, for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


CENT = Decimal("0.01")
_MAX_PARSED = Decimal(10) ** 15  # far above any loan; keeps Decimal arithmetic exact

_CN_NUMERALS = "零〇一二两兩三四五六七八九十百千万萬亿億壹贰貳叁參肆伍陆陸柒捌玖拾佰仟点"
_AMOUNT_CHARS = re.compile(f"[0-9.{_CN_NUMERALS}]+")
_UNITS = {"": 1, "百": 100, "千": 10**3, "万": 10**4, "十万": 10**5}
_UNITS |= {"百万": 10**6, "千万": 10**7, "亿": 10**8}
_UNITS_ALT = "|".join(u for u in _UNITS if u)
_DIGITS_UNIT = re.compile(rf"([0-9]+(?:\.[0-9]+)?)({_UNITS_ALT})?")
_GROUPED = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?[^0-9]*")
# Currency words around an amount; removed before parsing.
_NOISE = ("人民币", "rmb", "cny", "¥", "块钱", "块", "元", "圆", "整")

_GARBAGE = "没看懂这个金额，请输入数字，例如200000、20万或二十万。"
_NOT_POSITIVE = "申请额度要大于0。"


_CN_DIGITS = {
    **dict.fromkeys("零〇", 0), **dict.fromkeys("一壹", 1), **dict.fromkeys("二两兩贰貳", 2),
    **dict.fromkeys("三叁參", 3), **dict.fromkeys("四肆", 4), **dict.fromkeys("五伍", 5),
    **dict.fromkeys("六陆陸", 6), **dict.fromkeys("七柒", 7), **dict.fromkeys("八捌", 8),
    **dict.fromkeys("九玖", 9)}
_CN_UNITS = {**dict.fromkeys("十拾", 10), **dict.fromkeys("百佰", 100),
             **dict.fromkeys("千仟", 1000)}
_CN_BIG = {**dict.fromkeys("万萬", 10**4), **dict.fromkeys("亿億", 10**8)}


def _plain_cn(text: str) -> int | None:
    """Regular Chinese numerals (五十, 一百五十万, 两千零五) read directly; None for what
    only cn2an reads (两万五, 一点五, mixed digits). The direct read is a microsecond;
    cn2an takes fifteen, and every 一年 or 五十万 in a message went through it."""
    total = section = number = 0
    last = ""
    for ch in text:
        if ch in _CN_DIGITS:
            number = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            if not number and (section or total):
                return None  # 一百十: not a regular numeral
            section += (number or 1) * _CN_UNITS[ch]  # 十二: a leading 十 is one ten
            number = 0
        elif ch in _CN_BIG:
            if last in _CN_BIG:
                return None
            total = (total + section + number) * _CN_BIG[ch] if ch in "亿億" \
                else total + (section + number) * _CN_BIG[ch]
            section = number = 0
        else:
            return None
        last = ch
    if number and len(text) > 1 and text[-2] in "百佰千仟万萬亿億":
        return None  # 两万五 means 25000 in speech: cn2an's smart reading
    return total + section + number


def _cn2an(text: str) -> Decimal:
    """cn2an smart mode as Decimal; ValueError when it cannot read the text."""
    plain = _plain_cn(text)
    if plain is not None and plain > 0:
        return Decimal(plain)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cn2an warns on some inputs it still parses
        try:
            result = cn2an.cn2an(text, "smart")
        except Exception as exc:  # cn2an raises assorted errors on odd input
            raise ValueError(text) from exc
    if isinstance(result, float):
        # Float noise such as 12300.000000000002 is not a real fraction of a cent.
        return Decimal(repr(result)).quantize(Decimal("0.000001")).normalize()
    return Decimal(int(result))


def _cn2an_amount(t: str) -> Decimal:
    """Chinese numerals; 一点五万-style decimals before a unit are split off first."""
    try:
        return _cn2an(t)
    except ValueError:
        m = re.fullmatch(r"(.+?)(千万|百万|万|亿)", t)
        if not m or "点" not in m.group(1):
            raise
        return _cn2an(m.group(1)) * _UNITS[m.group(2)]


def parse_amount(text: str) -> Decimal:
    """A loan amount in 元: 200000, 200,000, 20万, 20w, 二十万元, 0.5亿, ¥200000 ..."""
    t = re.sub(r"\s+", "", answer_text(text).lower())
    for word in _NOISE:
        t = t.replace(word, "")
    t = t.replace("w", "万").replace("k", "千")
    if not t:
        raise Unreadable("请输入申请额度，例如200000或20万。")
    if len(t) > 30:
        raise Unreadable("金额写得太长了，请只输入数字，例如20万。")
    if t.startswith(("-", "负")):
        raise Unreadable(_NOT_POSITIVE)
    if "," in t:
        if not _GROUPED.fullmatch(t):
            raise Unreadable("金额里的逗号位置不对，请直接输入数字，例如200000。")
        t = t.replace(",", "")
    if not _AMOUNT_CHARS.fullmatch(t):
        raise Unreadable(_GARBAGE)
    m = _DIGITS_UNIT.fullmatch(t)
    try:
        if m:
            if len(m.group(1).partition(".")[0]) > 16:
                raise Unreadable("金额太大了，请核对。")
            value = Decimal(m.group(1)) * _UNITS[m.group(2) or ""]
        else:
            value = _cn2an_amount(t)
    except (ValueError, InvalidOperation):
        raise Unreadable(_GARBAGE) from None
    if value <= 0:
        raise Unreadable(_NOT_POSITIVE)
    if value > _MAX_PARSED:
        raise Unreadable("金额太大了，请核对。")
    if value != value.quantize(CENT):
        raise Unreadable("金额最多精确到分（小数点后2位），请重新输入。")
    return value.quantize(CENT)


def plain(value: Decimal) -> str:
    """Decimal without exponent and without trailing fractional zeros."""
    s = format(value, "f")
    return s.rstrip("0").rstrip(".") if "." in s else s


# --- loan term ----------------------------------------------------------------

UNLIMITED = "不限"  # a loan term that does not matter
_UNLIMITED = frozenset(
    "不限 不限制 不限期限 都行 都可以 随便 无所谓 无要求 没要求 没有要求 不确定".split()
)
_NUM = rf"(?:[0-9]+(?:\.[0-9]+)?|[{_CN_NUMERALS}]+)"
_TERM = re.compile(
    rf"(?:(?P<y>{_NUM})年(?P<half>半)?)?(?:零?(?P<m>{_NUM})(?:个月|月|期)?)?"
)
_TERM_HELP = "请输入月数，例如12、12个月或1年，也可回复“不限”。"


def _term_number(s: str) -> Decimal:
    if re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", s):
        return Decimal(s)
    return _cn2an(s)


def parse_term_months(text: str) -> int | None:
    """Loan term in months: 12, 12个月, 十二个月, 1年 -> 12, 一年半 -> 18; 不限 -> None."""
    t = re.sub(r"\s+", "", answer_text(text)).rstrip("。.")
    t = t.removeprefix("期限").removeprefix("贷款")
    if t in _UNLIMITED:
        return None
    if not t:
        raise Unreadable(_TERM_HELP)
    if len(t) > 20:
        raise Unreadable("期限写得太长了，" + _TERM_HELP)
    if t.startswith(("-", "负")):
        raise Unreadable("贷款期限要大于0个月，" + _TERM_HELP)
    if t == "半年":
        return 6
    m = _TERM.fullmatch(t)
    if not m or not (m.group("y") or m.group("m")):
        raise Unreadable("没看懂这个期限，" + _TERM_HELP)
    try:
        years = _term_number(m.group("y")) if m.group("y") else Decimal(0)
        months = _term_number(m.group("m")) if m.group("m") else Decimal(0)
    except (ValueError, InvalidOperation):
        raise Unreadable("没看懂这个期限，" + _TERM_HELP) from None
    # "2年3" reads as 2 years 3 months; a bare number is months.
    total = years * 12 + (6 if m.group("half") else 0) + months
    if total != total.to_integral_value():
        raise Unreadable("贷款期限请按整月填写，例如18个月。")
    if not 1 <= total <= 360:
        raise Unreadable(f"贷款期限应为1到360个月，您填的是{plain(total)}个月。")
    return int(total)
