"""Institution actions on financing demands (关注, 授信, 放款, 退回), written once for
`python -m bot demand advance` and the console's /demands page, and audited.

The move itself goes through the platform port (the lifecycle machine in
state_machines/demand.py decides what is legal; a push it causes is queued in the same
transaction); the audit line follows it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from adapters.platform_local import LocalPlatform
from adapters.platform_local.demand_rules import move_texts
from adapters.platform_port import Demand, Move
from dialogs.amounts import parse_amount
from dialogs.validators import Invalid
from ops.actions import Refused, audit
from ops.actions.audit import Sessions
from state_machines.demand import INSTITUTION_ACTIONS, RULES

ACTION_NAMES = {action: RULES[action].node for action in INSTITUTION_ACTIONS}


def amount_of(text: str) -> Decimal | None:
    """An amount as typed (200000, 20万 …); None when empty; Refused when unreadable."""
    if not text.strip():
        return None
    try:
        return parse_amount(text)
    except Invalid as bad:
        raise Refused(f"金额 {text}：{bad.reason}") from None


async def advance(platform: object, sessions: Sessions, *, no: str, action: str,
                  institution: str, amount: str = "", comment: str = "", handler: str = "",
                  actor: str, address: str, now: datetime) -> Demand:
    """One institution's move on a demand. Refused for unreadable input; the platform's
    PlatformError (an illegal move, an unknown 单据号) passes through with its message."""
    if action not in INSTITUTION_ACTIONS:
        raise Refused("未知的操作。")
    if not institution.strip():
        raise Refused("请填写机构（编号、名称或简称）。")
    value = amount_of(amount)
    # Checked and masked here too: in http mode the platform stores what we send.
    comment, handler = move_texts(comment, handler)
    move = Move(demand_no=no.strip().upper(), action=action, institution=institution.strip(),
                amount=value, comment=comment, handler=handler)
    demand: Demand = await platform.advance(move)  # type: ignore[attr-defined]
    before = demand.records[-1].from_status if demand.records else "?"
    await audit.record(sessions, actor=actor, address=address, action="demand_" + action,
                       target=demand.no,
                       detail=f"{before}->{demand.status} institution={institution.strip()}",
                       at=now)
    return demand


def reads_all(platform: object) -> bool:
    """Whether the platform lets operators list every demand (the local platform; over
    HTTP the platform's own back office does)."""
    return isinstance(platform, LocalPlatform)


async def listing(platform: object, status: str | None = None,
                  limit: int = 50) -> list[Demand]:
    """Every enterprise's demands, newest first (local platform)."""
    return await platform.all_demands(status, limit)  # type: ignore[attr-defined]


async def detail(platform: object, no: str) -> Demand:
    """One demand with its approval records (local platform)."""
    return await platform.operator_demand(no.strip().upper())  # type: ignore[attr-defined]
