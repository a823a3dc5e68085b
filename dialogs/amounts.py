"""Money and loan-term answers in the forms: parsing what users type (knowledge.numbers,
refusals as `Invalid`), the amount range check, 大写 and short display forms."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from dialogs.validators import Invalid
from knowledge import numbers
from knowledge.numbers import CENT, plain

_NOT_POSITIVE = "申请额度要大于0。"


def parse_amount(text: str) -> Decimal:
    """A loan amount in 元: 200000, 200,000, 20万, 20w, 二十万元, 0.5亿, ¥200000 ..."""
    try:
        return numbers.parse_amount(text)
    except numbers.Unreadable as bad:
        raise Invalid(bad.reason) from None


def parse_term_months(text: str) -> int | None:
    """Loan term in months: 12, 12个月, 十二个月, 1年 -> 12, 一年半 -> 18; 不限 -> None."""
    try:
        return numbers.parse_term_months(text)
    except numbers.Unreadable as bad:
        raise Invalid(bad.reason) from None


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
                return f"{plain(q)}{name}元"
    return f"{plain(value)}元"
