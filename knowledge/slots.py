"""Slots: the values inside what an owner says. "想借30万用一年" holds an amount and a
term; "工行的信用贷利息多少" an institution and a 担保方式; "查一下rz 20261130 000001" a
单据号.

`read_slots()` finds them and also returns the text with each found span replaced by a
placeholder word (xamt, xterm, xno, xorg, xkind, xsecure), so the intent matcher
sees "我想贷款xamt" whatever the amount was and how it was written. Enterprise names
are per user, so they are matched later against the user's own enterprises
(`match_enterprise`).

Lexicons are data in this module's sibling lexicon.yaml: which words name an
institution, a loan kind or a 担保方式, and what they mean.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from knowledge.normal import answer_text
from knowledge.numbers import UNLIMITED, Unreadable, parse_amount, parse_term_months

LEXICON_NAME = "lexicon.yaml"
LEXICON_FILE = Path(__file__).resolve().parent / LEXICON_NAME

# Placeholders the intent examples are read with too; ASCII, so they never collide
# with a Chinese word or a synonym.
# (knowledge.text.PLACEHOLDERS keeps them whole words.)
AMOUNT, TERM, DEMAND_NO, INSTITUTION, KIND, SECURE, ENTERPRISE = (
    "xamt", "xterm", "xno", "xorg", "xkind", "xsecure", "xent")
TICKET = "xticket"
# How intent examples write "one of the user's enterprises" (曲靖恒达, 滇云商贸 …).
ENTERPRISE_MARK = "{企业}"


@dataclass(frozen=True)
class Slots:
    """What was found; None (or "") for what was not. `term` is months or 不限;
    `institution` is the canonical part of a name (工行 -> 工商银行) that picks the
    institution out of a catalogue's full names."""

    amount: Decimal | None = None
    term: int | str | None = None
    demand_no: str | None = None
    institution: str | None = None
    loan_kind: str | None = None
    guarantee: str | None = None
    ticket_no: str | None = None  # a 工单 number, GD + 14 digits (adapters/tickets.py)

    def present(self) -> dict[str, Any]:
        """The slots found, as plain values (amount as a 2-decimal string)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                out[f.name] = str(value) if isinstance(value, Decimal) else value
        return out

    @classmethod
    def from_present(cls, data: dict[str, Any]) -> Slots:
        """The inverse of present(), for slots kept in a conversation."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if values.get("amount") is not None:
            values["amount"] = Decimal(values["amount"])
        return cls(**values)


@dataclass(frozen=True)
class Words:
    """One lexicon group: every word as one alternation (longest first, so the longest
    word at a place wins) and the canonical value of each."""

    pattern: re.Pattern[str]
    canonical: dict[str, str]

    @classmethod
    def of(cls, data: dict[str, list[str]]) -> Words:
        canonical = {c.lower(): c for c in data}
        canonical |= {a.lower(): c for c, aliases in data.items() for a in aliases}
        ordered = sorted(canonical, key=len, reverse=True)
        return cls(re.compile("|".join(map(re.escape, ordered))), canonical)

    def find(self, text: str) -> tuple[str | None, tuple[int, int] | None]:
        found = self.pattern.search(text)
        if found is None:
            return None, None
        return self.canonical[found.group(0)], found.span()


@dataclass(frozen=True)
class Lexicon:
    """The words slots are read with: institutions, loan kinds and guarantees (each with its
    aliases), and the name parts too common to tell an enterprise by."""

    institutions: Words
    loan_kinds: Words
    guarantees: Words
    # Name parts too common to pick an enterprise by, longest first (removed in turn).
    generic: tuple[str, ...]


@cache
def lexicon(path: Path = LEXICON_FILE) -> Lexicon:
    """The lexicon file read (once per path); LexiconError names what is wrong with it."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        groups = {key: data[key] for key in ("institutions", "loan_kinds", "guarantees")}
        for key, group in groups.items():
            if not isinstance(group, dict) or not all(
                    isinstance(v, list) and all(isinstance(a, str) and a for a in v)
                    for v in group.values()):
                raise LexiconError(f"{path.name}: {key} must map a value to a list of words")
        generic = tuple(sorted(set(map(str, data["generic_name_parts"])),
                               key=lambda w: (-len(w), w)))
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise LexiconError(f"{path.name}: {' '.join(str(exc).split())}") from None
    return Lexicon(Words.of(groups["institutions"]), Words.of(groups["loan_kinds"]),
                   Words.of(groups["guarantees"]), generic)


class LexiconError(ValueError):
    """lexicon.yaml cannot be read."""


def nicknames() -> dict[str, str]:
    """What owners call institutions (工行, 农信, 邮储 …) -> the part of the full name
    it stands for (工商银行, 农村信用社, 邮政储蓄 …)."""
    words = lexicon().institutions.canonical
    return {alias: canonical for alias, canonical in words.items() if alias != canonical}


_CN_NUM = "零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟点"
# An amount needs a unit of money or of ten-thousands, or four digits and more:
# "30" alone could be days, months or a count.
_AMOUNT = re.compile(
    # 两万五: a digit after 万 means thousands in speech.
    rf"[{_CN_NUM}]*[万亿][一二两三四五六七八九](?![{_CN_NUM}]|\s*(?:个月|月|年|期|天|周))|"
    rf"(?:[0-9]+(?:\.[0-9]+)?|[0-9]*[{_CN_NUM}]+)\s*"
    r"(?:(?:千万|百万|十万|万|亿|w|k)\s*(?:元|块钱|块|圆)?|元|块钱|块|圆)整?"
    r"|(?<![0-9.\-打拨])[1-9][0-9]{3,9}(?:\.[0-9]{1,2})?(?![0-9.\-]|\s*[年月日号天个期次岁点%])",
    re.IGNORECASE)
# Terms count in ones and tens: 五十万一年 is 50万 and 一年, not 五十万一 years.
_TERM = re.compile(r"(?:[0-9]+|[零〇一二两三四五六七八九十]+)\s*(?:个月|月|年半|年|期)|半年")
# A span that is a date or time that passed, not a loan term.
# 三月份 is a month, 一年流水 a year's takings.
_NOT_TERM_AFTER = re.compile(
    r"\s*(?:日|号|底|初|份|了|前|以来|多了|都|没|还没|才|[0-9一二三四五六七八九十]+\s*[日号]"
    r"|的?(?:流水|营业额|营收|收入|销售|利润|产值)|下来)")
# 信用 inside these is no 担保方式 (统一社会信用代码, 信用卡, 征信报告 …), nor 担保 in a
# zone's or an institution's name.
FIXED_ASSETS = "固定资产贷款"
_NOT_GUARANTEE = re.compile(
    r"信用(?:代码|卡|社|报告|记录|等级|评级|信息|评价)|征信|信贷担保|农业担保|担保公司|融资担保")
# Said of what one lacks ("也没得啥子抵押物"), a 担保方式 is no choice of one; "有没有抵押"
# asks for it.
_LACKING = re.compile(r"(?<!有)(?:没得|莫得|没有|无)[^,，。；\s]{0,3}$")
# A span of time that passed ("营业执照才办了半年") is no loan term.
_NOT_TERM_BEFORE = re.compile(r"(?:了|已经|才|刚)$")
# 几百万 is no figure.
_VAGUE_BEFORE = re.compile(r"(?:几|好几|数|上)$")
# Borrowing to buy equipment ("添一台新的数控机床", "买冷库设备") is a 固定资产贷款; the
# thing alone ("哪点有卖二手挖机") is not.
_EQUIPMENT = re.compile(r"(?:买|购|购置|添|添置|上|换|引进|更新|建|修)[^,，。；\s]{0,8}?"
                        r"(?:设备|机器|机床|生产线|冷库|挖机|挖掘机|货车|厂房|车间)")
_UNLIMITED = re.compile(r"(?:期限|时间)(?:不限|随便|都行|无所谓)|不限(?:期限|时间)"
                        r"|多久都行|多长时间都行")
_DEMAND_NO = re.compile(r"rz[\s\-_:：]*([0-9][0-9\s\-_]{10,24}[0-9])", re.IGNORECASE)
# A number without RZ, grouped any way it was read out ("2024 0511 0000 89").
_BARE_NO = re.compile(r"(?<![0-9])(20[0-9]{2}(?:[\s\-]?[0-9]){8,10})(?![0-9])")


_TICKET_NO = re.compile(r"gd[\s\-_:：]*([0-9]{14})(?![0-9])", re.IGNORECASE)


def _ticket_no(text: str) -> tuple[str | None, tuple[int, int] | None]:
    found = _TICKET_NO.search(text)
    return ("GD" + found.group(1), found.span()) if found else (None, None)


def _demand_no(text: str) -> tuple[str | None, tuple[int, int] | None]:
    for pattern in (_DEMAND_NO, _BARE_NO):
        for found in pattern.finditer(text):
            digits = re.sub(r"\D", "", found.group(1))
            if len(digits) in (12, 14):
                return "RZ" + digits, found.span()
    return None, None


def _amount(text: str) -> tuple[Decimal | None, tuple[int, int] | None]:
    for found in _AMOUNT.finditer(text):
        span = found.group(0)
        if _VAGUE_BEFORE.search(text, 0, found.start()):
            continue
        if not re.search(r"[0-9万亿千百十wk]", span, re.IGNORECASE):
            continue
        try:
            return parse_amount(span), found.span()
        except Unreadable:
            continue
    return None, None


def _term(text: str) -> tuple[int | str | None, tuple[int, int] | None]:
    found = _UNLIMITED.search(text)
    if found:
        return UNLIMITED, found.span()
    for found in _TERM.finditer(text):
        if _NOT_TERM_AFTER.match(text, found.end()) \
                or _NOT_TERM_BEFORE.search(text, 0, found.start()):
            continue
        try:
            months = parse_term_months(found.group(0))
        except Unreadable:
            continue
        if months is not None:
            return months, found.span()
    return None, None


def _blank(found: re.Match[str]) -> str:
    return "\x00" * len(found.group(0))


def _mask(text: str, spans: list[tuple[tuple[int, int], str]]) -> str:
    for (start, end), word in sorted(spans, reverse=True):
        text = f"{text[:start]} {word} {text[end:]}"
    return text


def read_slots(text: str, lex: Lexicon | None = None,
               enterprises: list[str] | None = None) -> tuple[Slots, str]:
    """The slots in `text` and the text with their spans replaced by placeholders.

    Order matters: the 单据号 goes first (its digits are no amount), the term before the
    amount (一年 is no money), loan kinds before 担保方式 (创业担保贷 is a kind) and
    institutions before 担保方式 (信用社 is no 信用)."""
    lex = lex or lexicon()
    lowered = answer_text(text).replace(ENTERPRISE_MARK, f" {ENTERPRISE} ").lower()
    work = lowered
    spans: list[tuple[tuple[int, int], str]] = []
    if enterprises:  # the user's own enterprises, named in full or in short
        found = enterprise_span(lowered, enterprises, lex)
        if found is not None:
            start, end = found[1]
            spans.append(((start, end), ENTERPRISE))
            work = work[:start] + "\x00" * (end - start) + work[end:]

    def take(value: Any, span: tuple[int, int] | None, word: str) -> Any:
        nonlocal work
        if value is not None and span is not None:
            spans.append((span, word))
            # Blank the span (same length) so later patterns do not read it again.
            work = work[:span[0]] + "\x00" * (span[1] - span[0]) + work[span[1]:]
        return value

    ticket_no = take(*_ticket_no(work), TICKET)  # first: its digits are no 单据号
    demand_no = take(*_demand_no(work), DEMAND_NO)
    term = take(*_term(work), TERM)
    amount = take(*_amount(work), AMOUNT)
    institution = take(*lex.institutions.find(work), INSTITUTION)
    kind, where = lex.loan_kinds.find(work)
    if kind is None and (bought := _EQUIPMENT.search(work)) is not None:
        kind, where = FIXED_ASSETS, bought.span()
    loan_kind = take(kind, where, KIND)
    said, where = lex.guarantees.find(_NOT_GUARANTEE.sub(_blank, work))
    if where is not None and _LACKING.search(work, max(0, where[0] - 6), where[0]):
        said = where = None
    guarantee = take(said, where, SECURE)
    slots = Slots(amount=amount, term=term, demand_no=demand_no, institution=institution,
                  loan_kind=loan_kind, guarantee=guarantee, ticket_no=ticket_no)
    return slots, _mask(lowered, spans)


_SUFFIX = re.compile(r"(?:股份有限公司|有限责任公司|有限公司|专业合作社|合作社|公司|经营部|厂)$")


def match_enterprise(text: str, names: list[str], lex: Lexicon | None = None) -> str | None:
    """The one enterprise of `names` the text names, by full name or a distinctive part
    of it (曲靖恒达, 滇云商贸, 高黎贡); None when none or several fit."""
    found = enterprise_span(answer_text(text), names, lex)
    return found[0] if found else None


def enterprise_span(said: str, names: list[str],
                    lex: Lexicon | None = None) -> tuple[str, tuple[int, int]] | None:
    """The enterprise `said` names and where: the longest distinctive part of one
    name found in the text (generic parts like 云南, 商贸 alone do not count)."""
    lex = lex or lexicon()
    best: dict[str, tuple[int, int]] = {}
    for name in names:
        if not name:
            continue
        at = said.find(name)
        if at >= 0:
            return name, (at, at + len(name))
        core = _SUFFIX.sub("", name)
        found = None
        for size in range(len(core), 1, -1):
            for start in range(len(core) - size + 1):
                part = core[start:start + size]
                at = said.find(part)
                if at >= 0 and not _generic(part, lex):
                    found = (at, at + size)
                    break
            if found:
                break
        if found:
            best[name] = found
    if not best:
        return None
    longest = max(end - start for start, end in best.values())
    winners = [n for n, (start, end) in best.items() if end - start == longest]
    return (winners[0], best[winners[0]]) if len(winners) == 1 else None


def _generic(part: str, lex: Lexicon) -> bool:
    """A part made only of generic words (云南, 有限, 商贸 …) does not pick anyone."""
    rest = part
    for word in lex.generic:
        rest = rest.replace(word, "")
    return len(rest) < 2
