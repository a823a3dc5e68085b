"""What a status push says: template data and the same facts as a plain text.

The template fields (单据号, 金额, 状态, 机构, 时间, 查看方式, and 企业 when the platform
named the demand's enterprise) are what the operators register in the WeChat back
office; `first`/`remark` are no longer shown by WeChat, so everything that matters sits
in keyword fields. One WeChat user may be bound to several enterprises, so the push says
which one the demand belongs to, whichever is active in the bot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TITLES = {
    "credit": "您的融资需求已获授信",
    "disburse": "您的融资需求已放款",
    "reject": "您的融资需求被退回",
}
HOW_TO_SEE = "回复单据号或「查进度」查看详情"


@dataclass(frozen=True)
class Rendered:
    data: dict[str, dict[str, str]]
    text: str
    url: str | None


def render_push(payload: dict[str, Any], detail_url: str | None = None) -> Rendered:
    event = str(payload.get("event", ""))
    amount = str(payload.get("amount") or "—")
    enterprise = str(payload.get("enterprise") or "")
    fields = {
        "demand_no": str(payload.get("demand_no", "")),
        "amount": amount,
        "status": str(payload.get("status", "")),
        "institution": str(payload.get("institution", "")),
        "time": str(payload.get("time", "")),
        "remark": str(payload.get("reason") or HOW_TO_SEE),
    }
    if enterprise:
        # Absent rather than empty: WeChat refuses an empty thing value, and pushes
        # queued before the platform sent names (or from older platforms) have none.
        fields["enterprise"] = enterprise
    # Template values are capped at 20 characters for thing-type fields by WeChat.
    data = {k: {"value": v[:20] if k in ("institution", "enterprise", "remark") else v}
            for k, v in fields.items()}
    lines = [f"【{TITLES.get(event, '融资需求状态更新')}】"]
    if enterprise:
        lines.append(f"企业：{enterprise}")
    lines += [f"单据号：{fields['demand_no']}",
              f"金额：{amount}",
              f"状态：{fields['status']}",
              f"机构：{fields['institution']}",
              f"时间：{fields['time']}"]
    if payload.get("reason"):
        lines.append(f"原因：{payload['reason']}")
    lines.append(HOW_TO_SEE)
    url = f"{detail_url}?no={fields['demand_no']}" if detail_url else None
    return Rendered(data=data, text="\n".join(lines), url=url)
