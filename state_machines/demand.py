"""The financing-demand lifecycle: one `transitions` machine shared by every demand.

```mermaid
stateDiagram-v2
    草稿 --> 待关注: submit (企业)
    待关注 --> 待授信: follow (机构)
    待授信 --> 待放款: grant (机构, 金额) / push credit
    待放款 --> 已放款: disburse (机构, 金额) / push disburse
    待关注 --> 已退回: reject (机构, 原因) / push reject
    待授信 --> 已退回: reject
    待放款 --> 已退回: reject
    待关注 --> 已撤回: withdraw (企业)
```

`RULES` is the whole table: who may make each move, the approval-record node it writes,
the node the demand waits at afterwards and which moves queue a push. Adapters persist
what `LIFECYCLE.move()` decides and never set a status on their own.

As in `state_machines.form`, the machine is built once; a demand's `DemandCase` is
attached for one move and detached again, so thousands of demands cost nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from transitions import EventData, Machine

DRAFT, PENDING, CREDIT, LOAN = "草稿", "待关注", "待授信", "待放款"
DISBURSED, REJECTED, WITHDRAWN = "已放款", "已退回", "已撤回"
STATES = (DRAFT, PENDING, CREDIT, LOAN, DISBURSED, REJECTED, WITHDRAWN)
FINISHED = (DISBURSED, REJECTED, WITHDRAWN)



class MoveRefused(Exception):
    """A move the lifecycle does not allow, with the reason a person reads (Chinese) and
    a stable code (unknown_action, illegal_move, wrong_actor, amount_required, …).

    The machine's own error: the platform adapters turn it into their IllegalMove."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


ENTERPRISE = "enterprise"
INSTITUTION = "institution"


@dataclass(frozen=True)
class MoveRule:
    """One move of the lifecycle: its action, which statuses it leaves from and goes to, who
    may make it, the approval-record node it writes and the push it queues."""

    action: str
    verb: str  # for refusals: "当前状态为待放款，不能关注"
    sources: tuple[str, ...]
    dest: str
    actor: str  # ENTERPRISE | INSTITUTION
    node: str  # the node named in the approval record this move writes
    next_node: str  # where the demand waits afterwards (详情: 当前节点)
    push: str | None = None  # the push event queued for the enterprise's users
    needs_amount: bool = False
    needs_reason: bool = False


RULES: dict[str, MoveRule] = {r.action: r for r in (
    MoveRule("submit", "提交", (DRAFT,), PENDING, ENTERPRISE, "提交需求", "金融机构关注"),
    MoveRule("follow", "关注", (PENDING,), CREDIT, INSTITUTION, "机构关注", "授信审批"),
    MoveRule("grant", "授信", (CREDIT,), LOAN, INSTITUTION, "授信", "放款",
             push="credit", needs_amount=True),
    MoveRule("disburse", "放款", (LOAN,), DISBURSED, INSTITUTION, "放款", "已办结",
             push="disburse"),
    MoveRule("reject", "退回", (PENDING, CREDIT, LOAN), REJECTED, INSTITUTION, "退回",
             "已退回", push="reject", needs_reason=True),
    MoveRule("withdraw", "撤回", (PENDING,), WITHDRAWN, ENTERPRISE, "撤回", "已撤回"),
)}
INSTITUTION_ACTIONS = tuple(a for a, r in RULES.items() if r.actor == INSTITUTION)


@dataclass
class DemandCase:
    """What the rules need to know about one demand; `state` is its status."""

    state: str
    directed: bool = False
    chosen: tuple[str, ...] = ()  # institution ids of a directed demand
    taken_by: str | None = None  # the institution that followed it
    taken_by_name: str = ""
    granted: Decimal | None = None


@dataclass(frozen=True)
class Actor:
    """Who attempts a move: the enterprise, or an institution (and whether it serves the
    enterprise's region, which an undirected demand requires of it)."""

    kind: str  # ENTERPRISE | INSTITUTION
    institution_id: str | None = None
    institution_name: str = ""
    serves_region: bool = False  # the institution serves the enterprise's region


@dataclass(frozen=True)
class MoveOutcome:
    """A move the lifecycle allowed: the rule applied, the status before and after, the amount
    it carries (grant, disburse) and the reason given (reject)."""

    rule: MoveRule
    from_status: str
    to_status: str
    amount: Decimal | None  # granted or disbursed amount, for moves that carry one
    reason: str


class DemandLifecycle:
    """The lifecycle machine (this module's docstring): `move` applies an action to a demand's
    case or raises IllegalMove with a message for the user."""

    def __init__(self) -> None:
        transitions = [
            {"trigger": r.action, "source": list(r.sources), "dest": r.dest,
             "conditions": [self._allowed(r)], "after": [self._effects]}
            for r in RULES.values()
        ]
        self._machine = Machine(model=None, states=list(STATES), transitions=transitions,
                                initial=DRAFT, send_event=True, auto_transitions=False,
                                ignore_invalid_triggers=False)

    def allowed_actions(self, status: str) -> tuple[str, ...]:
        return tuple(a for a, r in RULES.items() if status in r.sources)

    def move(self, case: DemandCase, action: str, actor: Actor, *,
             amount: Decimal | None = None, reason: str = "") -> MoveOutcome:
        """Run one move on `case` (its state changes) or raise MoveRefused saying why."""
        rule = RULES.get(action)
        if rule is None:
            raise MoveRefused(f"没有「{action}」这个操作", "unknown_action")
        if case.state not in STATES:
            raise MoveRefused(f"需求状态「{case.state}」无法识别", "bad_status")
        if case.state not in rule.sources:
            raise MoveRefused(f"当前状态为{case.state}，不能{rule.verb}", "illegal_move")
        before = case.state
        self._machine.add_model(case, initial=case.state)
        try:
            case.trigger(action, actor=actor, amount=amount, reason=reason.strip())
        finally:
            self._machine.remove_model(case)
        moved = amount
        if action == "disburse" and moved is None:
            moved = case.granted
        return MoveOutcome(rule, before, case.state, moved, reason.strip())

    def model_count(self) -> int:
        return len(self._machine.models)

    # --- the conditions: each raises with the reason instead of failing silently -----
    def _allowed(self, rule: MoveRule) -> Any:
        def check(event: EventData) -> bool:
            _check(rule, event.model, event.kwargs["actor"], event.kwargs.get("amount"),
                   event.kwargs.get("reason", ""))
            return True
        return check

    @staticmethod
    def _effects(event: EventData) -> None:
        """What a move leaves on the demand besides its status."""
        case, actor = event.model, event.kwargs["actor"]
        action = event.event.name
        if action == "follow":
            case.taken_by = actor.institution_id
            case.taken_by_name = actor.institution_name
        elif action == "grant":
            case.granted = event.kwargs.get("amount")


def _check(rule: MoveRule, case: DemandCase, actor: Actor, amount: Decimal | None,
           reason: str) -> None:
    if actor.kind != rule.actor:
        who = "企业" if rule.actor == ENTERPRISE else "金融机构"
        raise MoveRefused(f"只有{who}可以{rule.verb}", "wrong_actor")
    if rule.actor == INSTITUTION:
        _check_institution(rule, case, actor)
    if rule.needs_amount and (amount is None or amount <= 0):
        raise MoveRefused(f"{rule.verb}需要填写大于0的金额", "amount_required")
    if amount is not None and amount <= 0:
        raise MoveRefused(f"{rule.verb}金额要大于0", "amount_required")
    if rule.action == "disburse" and amount is not None and case.granted is not None \
            and amount > case.granted:
        raise MoveRefused(f"放款金额{amount_text(amount)}超过授信金额{amount_text(case.granted)}",
                          "amount_too_high")
    if rule.needs_reason and not reason:
        raise MoveRefused(f"{rule.verb}需要填写原因", "reason_required")


def _check_institution(rule: MoveRule, case: DemandCase, actor: Actor) -> None:
    name = actor.institution_name or actor.institution_id or "该机构"
    if case.taken_by is not None:
        if actor.institution_id != case.taken_by:
            holder = case.taken_by_name or case.taken_by
            raise MoveRefused(f"这笔需求已由{holder}受理，{name}不能{rule.verb}",
                              "not_handler")
        return
    if case.directed:
        if actor.institution_id not in case.chosen:
            raise MoveRefused(f"这是定向需求，{name}不在企业选定的机构中，不能{rule.verb}",
                              "not_chosen")
    elif not actor.serves_region:
        raise MoveRefused(f"{name}不服务该企业所在区域，不能{rule.verb}", "outside_region")


def amount_text(value: Decimal) -> str:
    """Short exact form: 200000 -> 20万元, 100000000 -> 1亿元, 1234.5 -> 1234.5元."""
    value = Decimal(value)
    for unit, name in ((Decimal(10**8), "亿"), (Decimal(10**4), "万")):
        if value >= unit and (value / unit) == (value / unit).quantize(Decimal("0.01")):
            return f"{_plain(value / unit)}{name}元"
    return f"{_plain(value)}元"


def _plain(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


LIFECYCLE = DemandLifecycle()
