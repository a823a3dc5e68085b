"""What a status push says: template data and the same facts as a plain text.

The template keywords are the ones of the account's 类目模板 (bot/templates.py maps each
to one of our facts and renders it to its type); `first`/`remark` are no longer shown by
WeChat, so everything that matters sits in keyword fields. One WeChat user may be bound
to several enterprises, so the push says which one the demand belongs to, whichever is
active in the bot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from bot.templates import PushTemplate, render_data

TITLES = {
    "credit": "您的融资需求已获授信",
    "disburse": "您的融资需求已放款",
    "reject": "您的融资需求被退回",
    "ticket": "您的工单有处理结果",
}
HOW_TO_SEE = "回复单据号或「查进度」查看详情"


@dataclass(frozen=True)
class Rendered:
    """A push ready to send: template data keyword by keyword, the same facts as a plain text
    (the customer-service fallback), and the detail link if any."""

    data: dict[str, dict[str, str]]
    text: str
    url: str | None


def facts(payload: dict[str, Any]) -> dict[str, str]:
    """Our facts of a push (the values RXF_TEMPLATES can map to keywords)."""
    event = str(payload.get("event", ""))
    reason = str(payload.get("reason") or "")
    return {
        "demand_no": str(payload.get("demand_no", "")),
        "enterprise": str(payload.get("enterprise") or ""),
        "amount": str(payload.get("amount") or ""),
        "status": str(payload.get("status", "")),
        "institution": str(payload.get("institution", "")),
        "time": str(payload.get("time", "")),
        "reason": reason,
        "remark": reason or HOW_TO_SEE,
        "title": TITLES.get(event, "融资需求状态更新"),
        "ticket_no": str(payload.get("ticket_no", "")),
    }


def render_push(payload: dict[str, Any], detail_url: str | None = None,
                template: PushTemplate | None = None) -> Rendered:
    event = str(payload.get("event", ""))
    known = facts(payload)
    amount = known["amount"] or "—"
    enterprise = known["enterprise"]
    data = render_data(template, known, event) if template is not None else {}
    if event == "ticket":  # the whole answer, as the operator's action worded it
        return Rendered(data=data, text=str(payload.get("text", "")), url=None)
    lines = [f"【{known['title']}】"]
    if enterprise:
        lines.append(f"企业：{enterprise}")
    lines += [f"单据号：{known['demand_no']}",
              f"金额：{amount}",
              f"状态：{known['status']}",
              f"机构：{known['institution']}",
              f"时间：{known['time']}"]
    if known["reason"]:
        lines.append(f"原因：{known['reason']}")
    lines.append(HOW_TO_SEE)
    url = None
    if detail_url:
        joiner = "&" if "?" in detail_url else "?"
        url = f"{detail_url}{joiner}no={quote(known['demand_no'], safe='')}"
    return Rendered(data=data, text="\n".join(lines), url=url)
