"""Which WeChat template each push kind uses, and which of our facts fills which keyword.

`RXF_TEMPLATES` names a YAML file, one entry per push kind:

    credit:
      template_id: <id from the WeChat back office>
      fields: {character_string1: demand_no, thing2: enterprise, amount3: amount,
               phrase4: status, time5: time}

Keys are WeChat's keyword names (a type and a number); the type sets the limits a value
must keep (bot/template_values.py). A file naming an unknown fact, an unknown keyword
type, or a fact that cannot be shown in its keyword's type refuses to start, with one
line. `RXF_TEMPLATE_CREDIT/DISBURSE/REJECT` remain the dev shorthand: the template id
only, our fact names as keys, untyped.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot import template_values as tv
from config.settings import Settings, SettingsError

log = logging.getLogger(__name__)

# ticket: an operator's answer to a ticket (工单, ops/actions/tickets.py).
PUSH_KINDS = ("credit", "disburse", "reject", "ticket")
EXAMPLE = Path(__file__).with_name("templates.example.yaml")

# What a push knows, with the Chinese label the fake WeChat API shows beside it.
FACTS: dict[str, str] = {
    "demand_no": "单据号", "enterprise": "企业名称", "amount": "金额", "status": "状态",
    "institution": "机构", "time": "时间", "reason": "原因",
    "remark": "备注",  # the reason, else how to see the details
    "title": "通知",  # 您的融资需求已获授信 ...
    "ticket_no": "工单号",
}
# Keyword types of the 类目模板 library (docs/wechat.md, "Template keywords").
KEYWORD_TYPES = ("thing", "character_string", "number", "letter", "symbol", "amount",
                 "time", "date", "phrase", "name", "phone_number", "car_number", "const")
# Which types each fact can honestly be shown in. Facts that may hold Chinese never go
# to character_string, number or letter: WeChat would refuse them at every push.
FACT_TYPES: dict[str, tuple[str, ...]] = {
    "demand_no": ("character_string", "thing"),
    "enterprise": ("thing",),
    "institution": ("thing",),
    "amount": ("amount", "number", "thing"),
    "status": ("phrase", "thing"),
    "time": ("time", "date", "thing"),
    "reason": ("thing",),
    "remark": ("thing",),
    "title": ("thing",),
    "ticket_no": ("character_string", "thing"),
}
_KEYWORD = re.compile(r"^([a-z]+(?:_[a-z]+)*)(\d+)$")
_RENDER: dict[str, Callable[[str], str | None]] = {
    "thing": tv.thing, "character_string": tv.character_string, "amount": tv.amount,
    "number": tv.number, "time": tv.time, "date": tv.date,
}
LEGACY_THING = ("institution", "enterprise", "remark")  # cut to 20 as before typing


class TemplateConfigError(ValueError):
    """One line saying what in the template file is wrong."""


@dataclass(frozen=True)
class PushTemplate:
    """The template for one push kind: its id and which of our facts fills each keyword
    (`typed`: rendered to the keyword's type, else the dev shorthand, keyword == fact)."""

    kind: str
    template_id: str
    # keyword -> fact; for the dev shorthand keyword == fact and `typed` is False.
    fields: Mapping[str, str] = field(default_factory=dict)
    typed: bool = True


def keyword_type(keyword: str) -> str | None:
    match = _KEYWORD.match(keyword)
    return match.group(1) if match else None


def load_templates(path: Path) -> dict[str, PushTemplate]:
    """The file's templates, or TemplateConfigError naming the first problem."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise TemplateConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        raise TemplateConfigError(f"{path} is not valid YAML{line}") from None
    if not isinstance(raw, dict) or not raw:
        raise TemplateConfigError(f"{path}: expected entries for {', '.join(PUSH_KINDS)}")
    return {str(kind): _entry(str(kind), spec) for kind, spec in raw.items()}


def _entry(kind: str, spec: Any) -> PushTemplate:
    if kind not in PUSH_KINDS:
        raise TemplateConfigError(f"unknown push kind {kind!r} (known: {', '.join(PUSH_KINDS)})")
    if not isinstance(spec, dict):
        raise TemplateConfigError(f"{kind}: expected template_id and fields")
    extra = sorted(set(spec) - {"template_id", "fields"})
    if extra:
        raise TemplateConfigError(f"{kind}: unknown key {extra[0]!r} (use template_id, fields)")
    template_id = spec.get("template_id")
    if not isinstance(template_id, str) or not template_id.strip() \
            or template_id.strip().startswith("<"):
        raise TemplateConfigError(f"{kind}.template_id: the id from the WeChat back office "
                                  "is required")
    fields = spec.get("fields")
    if not isinstance(fields, dict) or not fields:
        raise TemplateConfigError(f"{kind}.fields: map WeChat keywords to our facts, "
                                  "e.g. {thing2: enterprise}")
    for keyword, fact in fields.items():
        _check_field(kind, str(keyword), fact)
    return PushTemplate(kind, template_id.strip(), {str(k): str(v) for k, v in fields.items()})


def _check_field(kind: str, keyword: str, fact: Any) -> None:
    where = f"{kind}.fields.{keyword}"
    kind_of = keyword_type(keyword)
    if kind_of is None:
        raise TemplateConfigError(f"{where}: not a WeChat keyword name (a type and a number, "
                                  "e.g. thing2)")
    if kind_of not in KEYWORD_TYPES:
        raise TemplateConfigError(f"{where}: unknown keyword type {kind_of!r} "
                                  f"(known: {', '.join(KEYWORD_TYPES)})")
    if not isinstance(fact, str) or fact not in FACTS:
        raise TemplateConfigError(f"{where}: unknown fact {fact!r} "
                                  f"(known: {', '.join(FACTS)})")
    if kind_of not in FACT_TYPES[fact]:
        raise TemplateConfigError(f"{where}: {fact} cannot be shown as {kind_of} "
                                  f"(it fits {', '.join(FACT_TYPES[fact])})")


def shorthand(ids: Mapping[str, str | None]) -> dict[str, PushTemplate]:
    """The dev shorthand: template ids only, our fact names as the keys."""
    keys = {f: f for f in ("demand_no", "enterprise", "amount", "status", "institution",
                           "time", "remark")}
    return {kind: PushTemplate(kind, tid, keys, typed=False)
            for kind, tid in ids.items() if tid}


def push_templates(settings: Settings) -> dict[str, PushTemplate]:
    """The template of each push kind that has one (RXF_TEMPLATES or the dev shorthand).

    A bad file raises SettingsError with one line, which every entry point shows instead
    of a traceback.
    """
    if settings.templates is None:
        return shorthand(settings.shorthand_templates())
    try:
        return load_templates(settings.templates)
    except TemplateConfigError as exc:
        raise SettingsError(f"configuration error: RXF_TEMPLATES: {exc}") from None


def render_data(template: PushTemplate, facts: Mapping[str, str],
                event: str) -> dict[str, dict[str, str]]:
    """The `data` of message/template/send; a keyword with no value that fits is left
    out (WeChat shows it empty) rather than sent to be refused."""
    data: dict[str, dict[str, str]] = {}
    for keyword, fact in template.fields.items():
        raw = facts.get(fact, "")
        value = _typed(keyword, fact, raw, event) if template.typed else _legacy(fact, raw)
        if value:
            data[keyword] = {"value": value}
        elif raw:
            log.warning("push %s: %s (%s) has no value that fits; left empty",
                        template.kind, keyword, fact)
    return data


def _typed(keyword: str, fact: str, raw: str, event: str) -> str | None:
    kind_of = keyword_type(keyword) or ""
    if kind_of == "phrase":
        return tv.phrase(raw, event if fact == "status" else "")
    render = _RENDER.get(kind_of)
    return render(raw) if render is not None and raw else None


def _legacy(fact: str, raw: str) -> str | None:
    if fact == "enterprise" and not raw:
        return None  # absent rather than empty: pushes queued before names were sent
    if fact == "amount":
        return raw or "—"
    return raw[:20] if fact in LEGACY_THING else raw


def template_lines(template: PushTemplate) -> str:
    """A WeChat-style `content` for this template (the fake WeChat API holds these)."""
    return "\n".join(f"{FACTS.get(fact, fact)}：{{{{{keyword}.DATA}}}}"
                     for keyword, fact in template.fields.items())


def dev_default(environ: Mapping[str, str]) -> dict[str, str]:
    """`python server.py` with nothing configured sends template pushes through the
    embedded fake (which holds the example templates), so a newcomer sees them."""
    configured = any(environ.get(f"RXF_{name}") for name in (
        "TEMPLATES", "TEMPLATE_CREDIT", "TEMPLATE_DISBURSE", "TEMPLATE_REJECT",
        "WECHAT_API_BASE"))
    if configured or environ.get("RXF_ENV", "dev") != "dev":
        return {}
    return {"RXF_TEMPLATES": str(EXAMPLE)}


CONTENT_KEYWORD = re.compile(r"\{\s*\{\s*([A-Za-z_][A-Za-z0-9_]*)\.DATA\s*\}\s*\}")


def content_keywords(content: str) -> list[str]:
    """The keywords of a template's `content` ("单据号：{{character_string1.DATA}}")."""
    return list(dict.fromkeys(CONTENT_KEYWORD.findall(content)))
