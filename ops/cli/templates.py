"""`python -m bot templates check`: does RXF_TEMPLATES match the account's templates?

Reads the account's templates (template/get_all_private_template) and reports, per push
kind, whether its template id exists there, whether each configured keyword is in the
template's content, and which of the template's keywords we leave empty. Exits 1 on any
mismatch, so a deploy script can stop before the first push arrives half empty.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from bot.templates import PUSH_KINDS, PushTemplate, content_keywords, keyword_type, push_templates
from config.settings import Settings
from wiring.runtime import tool_runtime


def add_parsers(sub: Any) -> None:
    templates = sub.add_parser("templates", help="template messages (RXF_TEMPLATES)")
    templates_sub = templates.add_subparsers(dest="templates_command", required=True)
    templates_sub.add_parser("check", help="compare RXF_TEMPLATES with the account's templates")


async def dispatch(settings: Settings, args: argparse.Namespace) -> int | None:
    if args.command != "templates":
        return None
    return await check(settings)


async def check(settings: Settings) -> int:
    from adapters.ports import WeChatApiError
    async with tool_runtime(settings) as rt:
        try:
            account = await rt.api.private_templates()
        except WeChatApiError as exc:
            print(f"cannot read the account's templates: WeChat errcode {exc.errcode} "
                  f"{exc.errmsg}".rstrip())
            return 1
    lines, problems = compare(push_templates(settings), account)
    source = settings.templates or "the dev shorthand RXF_TEMPLATE_*"
    print(f"templates of {source} against {settings.api_base}")
    for line in lines:
        print(line)
    print("all templates match" if not problems else f"{problems} mismatch(es)")
    return 1 if problems else 0


def compare(configured: Mapping[str, PushTemplate],
            account: list[dict[str, Any]]) -> tuple[list[str], int]:
    """Report lines and the number of mismatches."""
    by_id = {str(t.get("template_id")): t for t in account}
    lines: list[str] = []
    problems = 0
    for kind in PUSH_KINDS:
        template = configured.get(kind)
        if template is None:
            lines.append(f"{kind}: no template configured (a customer-service message while "
                         "the user's window is open)")
            continue
        found = by_id.get(template.template_id)
        if found is None:
            lines.append(f"{kind}: MISMATCH template {template.template_id} is not among the "
                         f"account's {len(account)} templates")
            problems += 1
            continue
        keywords = content_keywords(str(found.get("content", "")))
        lines.append(f"{kind}: template {template.template_id} 「{found.get('title', '')}」")
        if not template.typed:
            lines.append("  (dev shorthand: our field names as keys; prod needs RXF_TEMPLATES)")
        for keyword, fact in template.fields.items():
            if keyword in keywords:
                lines.append(f"  ok        {keyword} <- {fact}")
            else:
                lines.append(f"  MISMATCH  {keyword} <- {fact}: the template has no such "
                             "keyword (WeChat drops the value)")
                problems += 1
        for keyword in keywords:
            if keyword not in template.fields and keyword_type(keyword) != "const":
                lines.append(f"  MISMATCH  {keyword}: in the template but not filled "
                             "(the notice shows it empty)")
                problems += 1
    return lines, problems
