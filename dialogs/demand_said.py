"""What an owner said about a demand before the form asked for it ("我想贷款五十万",
"想借30万用一年", "找工行贷", 申请这个 after a product): turned into the form's values.

The values are kept raw (amount, term, loan kind name, institution name part, zone)
until the form starts, because turning them into the form's own values needs the
enterprise's region and the catalogue: an owner who must first certify has them kept
(`ConvState.kept`) and the form starts with them afterwards. Each value that cannot be
used says why in one note, and the form then simply asks for it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from dialogs.amounts import check_amount_range, format_wan
from dialogs.base import ConvState, StepContext
from dialogs.demand_text import UNLIMITED, amount_full, term_text
from dialogs.validators import Invalid

NAME = "demand_publish"
DIRECTED = "directed"
# The form's start argument for a demand on a product: product:<institution>|<zone>.
PRODUCT_ARG = "product:"
# Raw keys: amount (元, 2 decimals), term (months or 不限), loan_kind (its name),
# institution (a part of its name), zone (its key).
Said = dict[str, Any]


def said_now(ctx: StepContext, arg: str = "") -> Said:
    """The values of this message (its slots) and of the start argument (a product)."""
    said: Said = {}
    understood = ctx.understood
    if understood is not None:
        present = understood.slots.present()
        said.update({k: present[k] for k in ("amount", "term", "loan_kind", "institution")
                     if k in present})
    if arg.startswith(PRODUCT_ARG):
        institution, _, zone = arg[len(PRODUCT_ARG):].partition("|")
        said["institution"] = institution
        if zone:
            said["zone"] = zone
    return said


def keep(ctx: StepContext, conv: ConvState, said: Said) -> str:
    """Keep values for after certification; the line that says so ("" if none)."""
    if not said:
        return ""
    conv.kept = {"dialog": NAME, "values": said, "at": ctx.now.isoformat()}
    return f"已记下：{_describe(said)}。认证授权完成后接着发布。"


def take_kept(conv: ConvState) -> Said:
    kept, conv.kept = conv.kept, None
    if kept and kept.get("dialog") == NAME:
        return dict(kept.get("values") or {})
    return {}


def _describe(said: Said) -> str:
    parts = []
    if "amount" in said:
        parts.append(f"申请额度{format_wan(Decimal(said['amount']))}")
    if "term" in said:
        parts.append(f"期限{term_text(said['term'])}")
    if "loan_kind" in said:
        parts.append(said["loan_kind"])
    if "institution" in said:
        parts.append(f"定向给{said['institution']}")
    return "、".join(parts) or "您的融资需求"


async def apply(ctx: StepContext, values: dict[str, Any], said: Said,
                region: str) -> list[str]:
    """Put what was said into the form's values; the notes to show (what was filled,
    and what could not be used and why)."""
    filled: list[str] = []
    notes: list[str] = []
    zones = {z.key: z for z in await ctx.ports.catalog.zones()}
    if said.get("zone") in zones:
        values["zone"] = said["zone"]
        filled.append(f"专区 {zones[said['zone']].name}")
    if "amount" in said:
        amount = Decimal(said["amount"])
        zone = zones.get(values.get("zone", ""))
        try:
            check_amount_range(amount, **({"maximum": zone.max_amount} if zone else {}))
            values["amount"] = str(amount)
            filled.append(f"申请额度 {amount_full(amount)}")
        except Invalid as bad:
            notes.append(f"申请额度没有填入：{bad.reason}")
    if "term" in said:
        values["term"] = UNLIMITED if said["term"] == UNLIMITED else int(said["term"])
        filled.append(f"贷款期限 {term_text(values['term'])}")
    if "loan_kind" in said:
        kinds = {name: key for key, name in await ctx.ports.catalog.loan_kinds()}
        if said["loan_kind"] in kinds:
            values["loan_kind"] = kinds[said["loan_kind"]]
            filled.append(f"贷款种类 {said['loan_kind']}")
    if "institution" in said:
        notes += await _institution(ctx, values, said["institution"], region, filled)
    lead = ["已按您说的填好：" + "、".join(filled) + "。"] if filled else []
    return lead + notes


async def _institution(ctx: StepContext, values: dict[str, Any], part: str, region: str,
                       filled: list[str]) -> list[str]:
    """A named institution makes the demand directed to it, if it serves the region."""
    serving = await ctx.ports.catalog.institutions_serving(region)
    found = [i for i in serving if part in i.name]
    if len(found) != 1:
        where = f"服务{region}的" if region else ""
        return [f"{where}金融机构里没有找到唯一的「{part}」，下面请选择需求类型。"]
    values["demand_type"] = DIRECTED
    values["institutions"] = [found[0].id]
    filled.append(f"定向给 {found[0].name}")
    return []
