"""Template messages in the fake WeChat API: the account's templates and WeChat's rules.

The fake holds templates as the back office does (id, title, `content` with
`{{thing2.DATA}}` keywords), lists them on `template/get_all_private_template`, and on
`message/template/send` applies what WeChat applies: an unknown template id is 40037; a
value breaking its keyword type's limit is 47003 (docs/wechat.md, "Template keywords");
data keys the template does not have are ignored by WeChat (an empty field in the notice),
so they are accepted but listed in the record's `result["ignored"]`, and keywords left
unfilled in `result["empty"]`, for tests and the chat simulator to show; the same
`client_msg_id` for the same user within 10 minutes sends nothing new and answers the
first message's msgid.

These rules are written apart from the bot's renderer (bot/template_values.py) on purpose:
a test then shows the renderer keeps WeChat's limits, not that it agrees with itself.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.templates import CONTENT_KEYWORD, content_keywords, keyword_type
from devtools.fake_wechat_checks import ApiError, check_openid

DEDUPE_SECONDS = 600.0
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff"
_DATE = (r"(?:\d{4}年\d{1,2}月\d{1,2}日|\d{4}([-/.])\d{1,2}\1\d{1,2}"
         r"|\d{4}年\d{1,2}月|\d{1,2}月\d{1,2}日|\d{4}-\d{1,2}|\d{1,2}-\d{1,2})")
_CLOCK = r"(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?"
_TIME_ONE = re.compile(rf"^(?:{_DATE}\s*)?{_CLOCK}$")
_DATE_ONE = re.compile(rf"^{_DATE}(?:\s*{_CLOCK})?$")
_AMOUNT = re.compile(r"^[¥￥$€£]?(\d+)(?:\.(\d+))?元?$")


@dataclass(frozen=True)
class FakeTemplate:
    """A template in the fake account's library, as the back office shows it; its
    keywords ({{name.DATA}}) are read from `content`."""

    template_id: str
    title: str
    content: str
    primary_industry: str = "金融业"
    deputy_industry: str = "银行"
    example: str = ""

    @property
    def keywords(self) -> list[str]:
        """The keyword names of the content, in order (first, character_string1, …)."""
        return content_keywords(self.content)

    def labels(self) -> dict[str, str]:
        """keyword -> the words before it on its line (单据号 for character_string1)."""
        found: dict[str, str] = {}
        for line in self.content.splitlines():
            for match in CONTENT_KEYWORD.finditer(line):
                found[match.group(1)] = line[:match.start()].strip(" ：:")
        return found

    def listing(self) -> dict[str, str]:
        """This template as template/get_all_private_template lists it."""
        return {"template_id": self.template_id, "title": self.title,
                "primary_industry": self.primary_industry,
                "deputy_industry": self.deputy_industry, "content": self.content,
                "example": self.example}


def seeded_templates(configured: Iterable[Any] = ()) -> list[FakeTemplate]:
    """The example templates (bot/templates.example.yaml) and the bot's configured ones,
    as an operator would have added them in the back office. An example id keeps the
    example's keywords whatever the bot is configured with: that is the template the
    (fake) account holds, and a configuration that disagrees should show it."""
    from bot.push_render import TITLES
    from bot.templates import EXAMPLE, load_templates, template_lines

    found: dict[str, FakeTemplate] = {}
    for template in [*configured, *load_templates(EXAMPLE).values()]:
        found[template.template_id] = FakeTemplate(
            template.template_id, TITLES.get(template.kind, "融资需求状态更新"),
            template_lines(template))
    return list(found.values())


class TemplateBook:
    """The account's templates (None: accept any id, as the fake did before it held any)
    and the client_msg_ids seen in the last 10 minutes."""

    def __init__(self, templates: Iterable[FakeTemplate] | None,
                 clock: Callable[[], float]) -> None:
        self.known: dict[str, FakeTemplate] | None = (
            None if templates is None else {t.template_id: t for t in templates})
        self._clock = clock
        self._sent: dict[tuple[str, str], tuple[float, int]] = {}
        # Sends answered with an earlier msgid: a test of exactly-once sending checks this
        # stays 0, since the dedupe would otherwise hide a second send.
        self.repeats = 0

    def add(self, template: FakeTemplate) -> None:
        """Add (or replace) a template in the account."""
        if self.known is None:
            self.known = {}
        self.known[template.template_id] = template

    def remove(self, template_id: str) -> bool:
        """Delete a template; False if the account did not hold it."""
        return self.known is not None and self.known.pop(template_id, None) is not None

    def listing(self) -> list[dict[str, str]]:
        """Every template as template/get_all_private_template lists them."""
        return [t.listing() for t in (self.known or {}).values()]

    def repeat(self, touser: str, client_msg_id: str | None) -> int | None:
        """The msgid of the same template message (user, client_msg_id) sent within the dedupe
        window, which WeChat answers again instead of sending twice; None otherwise."""
        if not client_msg_id:
            return None
        now = self._clock()
        self._sent = {k: v for k, v in self._sent.items() if now - v[0] < DEDUPE_SECONDS}
        seen = self._sent.get((touser, client_msg_id))
        if seen is None:
            return None
        self.repeats += 1
        return seen[1]

    def remember(self, touser: str, client_msg_id: str | None, msgid: int) -> None:
        """Remember a sent message's client_msg_id for `repeat`."""
        if client_msg_id:
            self._sent[(touser, client_msg_id)] = (self._clock(), msgid)

    def clear_sent(self) -> None:
        """Forget the client_msg_ids seen and the repeat count."""
        self._sent.clear()
        self.repeats = 0

    def check(self, body: dict[str, Any]) -> dict[str, Any]:
        """Validate a message/template/send body; what the record should show."""
        check_openid(body)
        template_id = body.get("template_id")
        template = None
        if not isinstance(template_id, str) or not template_id.strip():
            raise ApiError(40037)
        if self.known is not None:
            template = self.known.get(template_id)
            if template is None:
                raise ApiError(40037)
        for key in ("url", "client_msg_id"):
            if body.get(key) is not None and not isinstance(body[key], str):
                raise ApiError(47001, f"({key})")
        data = body.get("data")
        if not isinstance(data, dict):
            raise ApiError(47003, "data invalid")
        keywords = template.keywords if template is not None else None
        ignored = []
        for key, item in data.items():
            value = item.get("value") if isinstance(item, dict) else None
            if not isinstance(value, str):
                raise ApiError(47003, f"data.{key}.value invalid")
            if keywords is not None and key not in keywords:
                ignored.append(key)  # WeChat drops it: the notice shows nothing for it
                continue
            problem = value_problem(key, value)
            if problem:
                raise ApiError(47003, f"data.{key}.value invalid ({problem})")
        result: dict[str, Any] = {"ignored": ignored}
        if template is not None:
            result["title"] = template.title
            result["labels"] = template.labels()
            result["empty"] = [k for k in template.keywords
                               if k not in data and keyword_type(k) != "const"]
        return result


def value_problem(key: str, value: str) -> str | None:
    """Why WeChat would refuse `value` for keyword `key` (None: it would take it).
    Keys without a type prefix (keyword1, first, legacy names) have no known rule."""
    kind = keyword_type(key)
    check = _RULES.get(kind or "")
    if check is None:
        return None
    if not value:
        return "empty"
    if any(unicodedata.category(ch).startswith("C") for ch in value):
        return "control or invisible character"
    return check(value)


def _thing(v: str) -> str | None:
    return "over 20 characters" if len(v) > 20 else None


def _character_string(v: str) -> str | None:
    if len(v) > 32:
        return "over 32 characters"
    return None if all("!" <= ch <= "~" for ch in v) else "only letters, digits and symbols"


def _number(v: str) -> str | None:
    ok = len(v) <= 32 and re.fullmatch(r"[+-]?\d+(?:\.\d+)?", v)
    return None if ok else "digits only (a decimal point allowed), at most 32"


def _letter(v: str) -> str | None:
    return None if re.fullmatch(r"[A-Za-z]{1,32}", v) else "letters only, at most 32"


def _symbol(v: str) -> str | None:
    ok = len(v) <= 5 and not any(ch.isalnum() or ch.isspace() for ch in v)
    return None if ok else "at most 5 symbols"


def _amount(v: str) -> str | None:
    match = _AMOUNT.fullmatch(v)
    if match is None:
        return "a currency sign, digits (decimals allowed) and 元 only"
    digits = len(match.group(1)) + len(match.group(2) or "")
    return None if len(v) <= 11 and digits <= 10 else "at most 11 characters, 10 digits"


def _valid_calendar(v: str) -> bool:
    found = re.match(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})", v)
    if found is None:
        return True
    try:
        datetime(*(int(g) for g in found.groups()))
    except ValueError:
        return False
    return True


def _moments(v: str, pattern: re.Pattern[str]) -> str | None:
    parts = v.split("~")
    if len(parts) > 2 or not all(pattern.fullmatch(p.strip()) and _valid_calendar(p.strip())
                                 for p in parts):
        return "a time like 2026-12-01 09:30 or 2026年12月1日 09:30"
    return None


def _time(v: str) -> str | None:
    return _moments(v, _TIME_ONE)


def _date(v: str) -> str | None:
    return _moments(v, _DATE_ONE)


def _phrase(v: str) -> str | None:
    return None if re.fullmatch(f"[{_HAN}]{{1,5}}", v) else "1-5 Chinese characters only"


def _name(v: str) -> str | None:
    if v.isascii():
        ok = len(v) <= 20 and not any(ch.isdigit() for ch in v)
    else:
        ok = len(v) <= 10
    return None if ok else "10 Chinese or 20 Latin characters at most"


def _phone_number(v: str) -> str | None:
    return None if re.fullmatch(r"[0-9+\-() ]{1,17}", v) else "digits and symbols, at most 17"


def _car_number(v: str) -> str | None:
    ok = re.fullmatch(f"[{_HAN}A-Za-z0-9][A-Za-z0-9]{{0,6}}[{_HAN}A-Za-z0-9]?", v)
    return None if ok and len(v) <= 8 else "a plate like 粤A8Z888挂"


_RULES: dict[str, Callable[[str], str | None]] = {
    "thing": _thing, "character_string": _character_string, "number": _number,
    "letter": _letter, "symbol": _symbol, "amount": _amount, "time": _time, "date": _date,
    "phrase": _phrase, "name": _name, "phone_number": _phone_number,
    "car_number": _car_number,
}
