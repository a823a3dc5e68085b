"""Money and loan-term answers: parsing what users type, 大写 and short display forms.

Amounts are Decimal 元 with two places. cn2an is used only for Chinese numerals
(二十万, 两万五, 贰拾万); plain digits with a unit (20万, 0.5亿, 1.5万) are parsed here
with Decimal so no float ever touches money.
"""

from __future__ import annotations

import re
import warnings
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import cn2an

from dialogs.validators import Invalid, normalize

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


def _cn2an(text: str) -> Decimal:
    """cn2an smart mode as Decimal; ValueError when it cannot read the text."""
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
    t = re.sub(r"\s+", "", normalize(text).lower())
    for word in _NOISE:
        t = t.replace(word, "")
    t = t.replace("w", "万").replace("k", "千")
    if not t:
        raise Invalid("请输入申请额度，例如200000或20万。")
    if len(t) > 30:
        raise Invalid("金额写得太长了，请只输入数字，例如20万。")
    if t.startswith(("-", "负")):
        raise Invalid(_NOT_POSITIVE)
    if "," in t:
        if not _GROUPED.fullmatch(t):
            raise Invalid("金额里的逗号位置不对，请直接输入数字，例如200000。")
        t = t.replace(",", "")
    if not _AMOUNT_CHARS.fullmatch(t):
        raise Invalid(_GARBAGE)
    m = _DIGITS_UNIT.fullmatch(t)
    try:
        if m:
            if len(m.group(1).partition(".")[0]) > 16:
                raise Invalid("金额太大了，请核对。")
            value = Decimal(m.group(1)) * _UNITS[m.group(2) or ""]
        else:
            value = _cn2an_amount(t)
    except (ValueError, InvalidOperation):
        raise Invalid(_GARBAGE) from None
    if value <= 0:
        raise Invalid(_NOT_POSITIVE)
    if value > _MAX_PARSED:
        raise Invalid("金额太大了，请核对。")
    if value != value.quantize(CENT):
        raise Invalid("金额最多精确到分（小数点后2位），请重新输入。")
    return value.quantize(CENT)


def check_amount_range(value: Decimal, *, maximum: Decimal = Decimal("100000000")) -> Decimal:
    """Reject amounts <= 0 or above ``maximum`` (default 1亿元)."""
    if value <= 0:
        raise Invalid(_NOT_POSITIVE)
    if value > maximum:
        raise Invalid(f"最高可申请{format_wan(maximum)}，您填的是{format_wan(value)}。")
    return value


# --- 大写 (支付结算办法 附件一) ---------------------------------------------------

_DAXIE = "零壹贰叁肆伍陆柒捌玖"
_IN_GROUP = ("仟", "佰", "拾", "")
_GROUP_UNITS = ("", "万", "亿", "万亿")


def _daxie_group(n: int) -> str:
    """1..9999 without leading 零; one 零 for a run of inner zeros; 壹拾 kept."""
    out: list[str] = []
    zero = False
    for d, unit in zip(f"{n:04d}", _IN_GROUP, strict=True):
        if d == "0":
            zero = bool(out)
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(_DAXIE[int(d)] + unit)
    return "".join(out)


def _daxie_integer(n: int) -> str:
    groups: list[int] = []
    while n:
        n, g = divmod(n, 10000)
        groups.append(g)
    out: list[str] = []
    pending_zero = False
    for idx in reversed(range(len(groups))):
        g = groups[idx]
        if g == 0:
            pending_zero = bool(out)
            continue
        # A zero group, or a group with leading zeros, after higher digits: one 零.
        if out and (pending_zero or g < 1000):
            out.append("零")
        out.append(_daxie_group(g) + _GROUP_UNITS[idx])
        pending_zero = False
    return "".join(out)


def to_daxie(value: Decimal) -> str:
    """RMB 大写, e.g. 200000 -> 贰拾万元整, 107000.53 -> 壹拾万柒仟元零伍角叁分.

    Choices within 附件一: 整 only after 元 (never after 角 or 分); when the 元
    digit is 0 and 角 is not, 零 is written after 元 (元零伍角); 10 is 壹拾.
    Values are rounded half-up to the cent; negatives and >= 1万万亿 are ValueError.
    """
    q = Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    if q < 0 or q >= Decimal(10) ** 16:
        raise ValueError(f"amount out of range for 大写: {value}")
    yuan, cents = divmod(int(q * 100), 100)
    jiao, fen = divmod(cents, 10)
    out = _daxie_integer(yuan) + "元" if yuan else ""
    if not jiao and not fen:
        return (out or "零元") + "整"
    if jiao:
        if yuan and yuan % 10 == 0:
            out += "零"
        out += _DAXIE[jiao] + "角"
    elif yuan:
        out += "零"
    if fen:
        out += _DAXIE[fen] + "分"
    return out


# --- display ------------------------------------------------------------------


def _plain(value: Decimal) -> str:
    """Decimal without exponent and without trailing fractional zeros."""
    s = format(value, "f")
    return s.rstrip("0").rstrip(".") if "." in s else s


def format_yuan(value: Decimal) -> str:
    """200000 -> "200,000.00元"."""
    return f"{Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP):,.2f}元"


def format_wan(value: Decimal) -> str:
    """Short form: 200000 -> 20万元, 100000000 -> 1亿元, 1234.5 -> 1234.5元.

    The largest unit is used whose quotient has at most two decimals, so the
    short form is always exact (123456789 stays 123456789元).
    """
    value = Decimal(value)
    for unit, name in ((Decimal(10**8), "亿"), (Decimal(10**4), "万")):
        if value >= unit:
            q = value / unit
            if q == q.quantize(CENT):
                return f"{_plain(q)}{name}元"
    return f"{_plain(value)}元"


# --- loan term ----------------------------------------------------------------

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
    t = re.sub(r"\s+", "", normalize(text)).rstrip("。.")
    t = t.removeprefix("期限").removeprefix("贷款")
    if t in _UNLIMITED:
        return None
    if not t:
        raise Invalid(_TERM_HELP)
    if len(t) > 20:
        raise Invalid("期限写得太长了，" + _TERM_HELP)
    if t.startswith(("-", "负")):
        raise Invalid("贷款期限要大于0个月，" + _TERM_HELP)
    if t == "半年":
        return 6
    m = _TERM.fullmatch(t)
    if not m or not (m.group("y") or m.group("m")):
        raise Invalid("没看懂这个期限，" + _TERM_HELP)
    try:
        years = _term_number(m.group("y")) if m.group("y") else Decimal(0)
        months = _term_number(m.group("m")) if m.group("m") else Decimal(0)
    except (ValueError, InvalidOperation):
        raise Invalid("没看懂这个期限，" + _TERM_HELP) from None
    # "2年3" reads as 2 years 3 months; a bare number is months.
    total = years * 12 + (6 if m.group("half") else 0) + months
    if total != total.to_integral_value():
        raise Invalid("贷款期限请按整月填写，例如18个月。")
    if not 1 <= total <= 360:
        raise Invalid(f"贷款期限应为1到360个月，您填的是{_plain(total)}个月。")
    return int(total)
