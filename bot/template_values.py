"""One fact rendered for one 类目模板 keyword type, within WeChat's limits.

WeChat refuses a whole template message (47003) when one value breaks its keyword's
rule, so every value is shaped here to fit: cut where a cut still reads right, and left
out (an empty field, the rest of the notice still arrives) where no honest value fits.
The limits are tabled in docs/wechat.md ("Template keywords"); the fake WeChat API checks
them independently (devtools/fake_wechat_templates.py).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_DOWN, Decimal

from knowledge import numbers
from knowledge.normal import display_line

CHINA = timezone(timedelta(hours=8))
THING_MAX = 20
STRING_MAX = 32
PHRASE_MAX = 5
AMOUNT_MAX_CHARS = 11
AMOUNT_MAX_DIGITS = 10
ELLIPSIS = "…"

# The short status WeChat can show in a phrase keyword when the platform's own status
# text does not fit (more than five Chinese characters, or not Chinese at all).
EVENT_PHRASE = {"credit": "已授信", "disburse": "已放款", "reject": "已退回"}

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_DATE_TIME = re.compile(
    r"^(?P<y>\d{4})[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?"
    r"(?:[ T]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?)?"
    r"(?P<tz>Z|[+-]\d{2}:?\d{2})?$")


def thing(value: str) -> str | None:
    text = display_line(value)
    if len(text) > THING_MAX:
        text = text[:THING_MAX - 1] + ELLIPSIS
    return text or None


def character_string(value: str) -> str | None:
    # NFKC turns full-width letters and digits (ＲＺ２０２６) into ASCII; what is left
    # outside printable ASCII (Chinese above all) has no place in the keyword.
    text = unicodedata.normalize("NFKC", display_line(value))
    kept = "".join(ch for ch in text if "!" <= ch <= "~")
    return kept[:STRING_MAX] or None


def phrase(value: str, event: str = "") -> str | None:
    text = display_line(value)
    if 0 < len(text) <= PHRASE_MAX and all(_HAN.match(ch) for ch in text):
        return text
    # Cutting 审核中待补充资料 to 审核中待补 would tell the user something false; the
    # event itself still says plainly what happened.
    return EVENT_PHRASE.get(event)


def parse_amount(value: str) -> Decimal | None:
    """Yuan from what the platform sends (20万元, 1.5亿元, 200000, ¥200,000.00): the same
    reader as the forms' amounts; None when unreadable or not positive."""
    try:
        return numbers.parse_amount(value)
    except numbers.Unreadable:
        return None


def amount(value: str) -> str | None:
    """`200000.00元`; whole yuan when the cents do not fit (1.5亿 -> `150000000元`, the
    cents of a sum that large are below what a notice needs; the text and the detail page
    keep them); nothing at all from 100亿 on, which no amount keyword can hold."""
    yuan = parse_amount(value)
    if yuan is None:
        return None
    cents = f"{yuan.quantize(Decimal('0.01'), rounding=ROUND_DOWN)}元"
    if _fits_amount(cents):
        return cents
    whole = f"{yuan.quantize(Decimal('1'), rounding=ROUND_DOWN)}元"
    return whole if _fits_amount(whole) else None


def _fits_amount(text: str) -> bool:
    return len(text) <= AMOUNT_MAX_CHARS and sum(ch.isdigit() for ch in text) <= AMOUNT_MAX_DIGITS


def number(value: str) -> str | None:
    yuan = parse_amount(value)
    if yuan is None:
        return None
    text = f"{yuan.quantize(Decimal('0.01'), rounding=ROUND_DOWN)}"
    return text if len(text) <= STRING_MAX else None


def parse_time(value: str) -> tuple[datetime, bool] | None:
    """The moment and whether it had a clock; an offset is turned into China time."""
    text = unicodedata.normalize("NFKC", display_line(value))
    match = _DATE_TIME.match(text)
    if match is None:
        return None
    try:
        moment = datetime(int(match["y"]), int(match["m"]), int(match["d"]),
                          int(match["H"] or 0), int(match["M"] or 0), int(match["S"] or 0))
    except ValueError:
        return None
    if match["tz"]:
        offset = match["tz"].replace(":", "")
        if offset == "Z":
            zone = UTC
        else:
            sign = -1 if offset[0] == "-" else 1
            zone = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])))
        moment = moment.replace(tzinfo=zone).astimezone(CHINA).replace(tzinfo=None)
    return moment, match["H"] is not None


def time(value: str) -> str | None:
    parsed = parse_time(value)
    # A date without a clock would need an invented 00:00; an empty field is honest.
    if parsed is None or not parsed[1]:
        return None
    return _day(parsed[0]) + parsed[0].strftime(" %H:%M")


def date(value: str) -> str | None:
    parsed = parse_time(value)
    return _day(parsed[0]) if parsed else None


def _day(moment: datetime) -> str:
    # Not strftime: it drops the zero padding of years before 1000 on glibc.
    return f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
