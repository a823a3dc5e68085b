"""What a platform callback must say before anything is pushed (issue 12: callbacks
were trusted blindly — negative amounts, disburse before grant, a 5,000-character
reason, an ID number in a reason were pushed as sent).

`read_event` checks the shape and bounds of the signed body (400); `check_move` checks
the status it names and runs the move through the demand lifecycle
(`state_machines.demand.LIFECYCLE`) against what this bot has been told about the same
demand before (422). The bot is told only the moves that push (授信, 放款, 退回), so a
demand it has heard nothing of may be 待关注 or 待授信: grant and reject are possible,
disburse is not. Every text that will be shown is cleaned of invisible characters and
masked (adapters.masking). docs/platform-api.md lists every refusal.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from adapters.masking import mask_text, strip_invisible
from adapters.platform_local.models import PlatformEventRow
from dialogs.amounts import parse_amount
from dialogs.validators import Invalid
from state_machines.demand import (
    CREDIT,
    INSTITUTION,
    LIFECYCLE,
    RULES,
    Actor,
    DemandCase,
    MoveRefused,
)
from state_machines.demand import amount_text as amount_words

PUSH_EVENTS = ("credit", "disburse", "reject")
ACTION = {"credit": "grant", "disburse": "disburse", "reject": "reject"}
MAX_RECIPIENTS = 200
MAX_ENTERPRISE = 100
MAX_INSTITUTION = 80
MAX_REASON = 200
MAX_AMOUNT_TEXT = 32
MAX_AMOUNT = Decimal(10) ** 12  # 1万亿元: far above any zone, and it fits the column
DEMAND_NO = re.compile(r"RZ\d{14}")  # RZ + yyyymmdd + 6-digit sequence
TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")


class Refused(Exception):
    """A callback we will not act on: HTTP status, a code for the platform's logic and a
    message for its logs."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class PlatformEvent:
    """A platform callback (POST /platform/events) read and checked: which demand moved how,
    and whom to tell. Every text in it is already masked."""

    event_id: str
    event: str  # credit | disburse | reject
    recipients: tuple[str, ...]
    no: str
    status: str
    amount: Decimal | None
    institution: str  # masked, like every text below
    enterprise: str
    time: str
    reason: str

    @property
    def action(self) -> str:
        """The event in words for the push (授信, 放款, 退回)."""
        return ACTION[self.event]

    def payload(self) -> dict[str, Any]:
        """What the push shows (the outbox row's payload)."""
        return {"event": self.event, "demand_no": self.no,
                "amount": amount_words(self.amount) if self.amount is not None else None,
                "status": self.status, "institution": self.institution,
                "enterprise": self.enterprise, "time": self.time,
                "reason": self.reason or None}

    def stored(self) -> dict[str, Any]:
        """The event as we keep it: the texts masked, never the body as received."""
        return {"event_id": self.event_id, **self.payload(),
                "amount": str(self.amount) if self.amount is not None else None,
                "recipients": list(self.recipients)}


def _bad(code: str, message: str) -> Refused:
    return Refused(400, code, message)


def _text(demand: dict[str, Any], key: str, limit: int, *, required: bool = False) -> str:
    value = demand.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise _bad(f"invalid_{key}", f"demand.{key} must be a string")
    value = strip_invisible(value).strip()
    if required and not value:
        raise _bad(f"invalid_{key}", f"demand.{key} must not be empty")
    if len(value) > limit:
        raise _bad(f"invalid_{key}", f"demand.{key} must be at most {limit} characters")
    return mask_text(value)


def _amount(demand: dict[str, Any]) -> Decimal | None:
    value = demand.get("amount")
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_AMOUNT_TEXT:
        raise _bad("invalid_amount", "demand.amount must be a string such as \"20万元\" or "
                                     "\"200000.00\"")
    try:
        amount = parse_amount(strip_invisible(value))
    except Invalid:
        raise _bad("invalid_amount", f"demand.amount {value!r} is not a positive amount in "
                                     "元 (at most 2 decimal places)") from None
    if amount > MAX_AMOUNT:
        raise _bad("invalid_amount", f"demand.amount {value!r} is too large")
    return amount


def read_event(data: Any) -> PlatformEvent:
    """The parsed JSON body as an event, or Refused(400) naming the field."""
    if not isinstance(data, dict):
        raise _bad("invalid_body", "body must be an object")
    for key, kind in (("event_id", str), ("timestamp", int), ("event", str),
                      ("recipients", list), ("demand", dict)):
        if not isinstance(data.get(key), kind) or isinstance(data.get(key), bool):
            raise _bad(f"invalid_{key}", f"{key} missing or not {kind.__name__}")
    if not 1 <= len(data["event_id"]) <= 80:
        raise _bad("invalid_event_id", "event_id must be 1-80 characters")
    if data["event"] not in PUSH_EVENTS:
        raise _bad("invalid_event", f"event must be one of {', '.join(PUSH_EVENTS)}")
    recipients = data["recipients"]
    if len(recipients) > MAX_RECIPIENTS or not all(
            isinstance(r, str) and 0 < len(r) <= 64 for r in recipients):
        raise _bad("invalid_recipients", "recipients must be openids")
    demand = data["demand"]
    no = demand.get("no")
    if not isinstance(no, str) or not DEMAND_NO.fullmatch(no):
        raise _bad("invalid_no", "demand.no must be a 单据号: RZ and 14 digits")
    when = _text(demand, "time", 16)
    if when and not TIME.fullmatch(when):
        raise _bad("invalid_time", "demand.time must be yyyy-mm-dd HH:MM (China time)")
    return PlatformEvent(
        event_id=data["event_id"], event=data["event"],
        recipients=tuple(dict.fromkeys(recipients)), no=no,
        status=_text(demand, "status", 8) or RULES[ACTION[data["event"]]].dest,
        amount=_amount(demand),
        institution=_text(demand, "institution", MAX_INSTITUTION, required=True),
        enterprise=_text(demand, "enterprise", MAX_ENTERPRISE), time=when,
        reason=_text(demand, "reason", MAX_REASON))


def check_move(event: PlatformEvent, before: Sequence[PlatformEventRow]) -> None:
    """Refused(422) unless the lifecycle allows this move after the events `before` (this
    demand's, oldest first)."""
    dest = RULES[event.action].dest
    if event.status != dest:
        raise Refused(422, "status_mismatch",
                      f"event {event.event} leaves a demand {dest}, not {event.status}")
    case = DemandCase(state=CREDIT)
    for row in before:
        case.state = RULES[ACTION[row.kind]].dest
        if row.kind == "credit":
            case.taken_by = case.taken_by_name = row.institution or None
            case.granted = row.amount
    if not before and event.event == "disburse":
        raise Refused(422, "illegal_move", f"{event.no}：没有收到授信通知，不能放款")
    actor = Actor(INSTITUTION, event.institution, event.institution, serves_region=True)
    # A reject's amount is what was asked for, not a move's amount.
    amount = None if event.event == "reject" else event.amount
    try:
        LIFECYCLE.move(case, event.action, actor, amount=amount, reason=event.reason)
    except MoveRefused as exc:
        raise Refused(422, exc.code, f"{event.no}：{exc.message}") from None
