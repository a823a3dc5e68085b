"""The ticket (工单) lifecycle: one `transitions` machine shared by every ticket.

```mermaid
stateDiagram-v2
    待补充 --> 待处理: submit (用户)
    待补充 --> 已撤销: drop (用户)
    待处理 --> 处理中: take (运营)
    待处理 --> 已解决: resolve (运营, 回复)
    处理中 --> 已解决: resolve (运营, 回复)
    待处理 --> 已驳回: reject (运营, 回复)
    处理中 --> 已驳回: reject (运营, 回复)
```

A ticket is drafted (待补充) while the user is still sending what it needs (photos, a
description) and filed (待处理) when they confirm; an operator takes it and resolves or
rejects it with a reply the user is sent. `RULES` is the whole table; adapters persist
what `LIFECYCLE.move()` decides, with who moved it, when and the message to the user, and
never set a status on their own. As in `state_machines.demand`, a ticket's `TicketCase`
is attached to the machine for one move only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from transitions import EventData, Machine

DRAFT, OPEN, WORKING, RESOLVED, REJECTED, DROPPED = (
    "待补充", "待处理", "处理中", "已解决", "已驳回", "已撤销")
STATES = (DRAFT, OPEN, WORKING, RESOLVED, REJECTED, DROPPED)
FINISHED = (RESOLVED, REJECTED, DROPPED)
USER, OPERATOR = "user", "operator"
# The two cases the manual sends to people, as users and operators see them: Q3 (工商数据
# 未同步, a manual data sync) and Q6 (异常或其他报错: a screenshot to the service staff).
KIND_NAMES = {"q3": "人工核验", "q6": "问题反馈"}


class IllegalTicketMove(Exception):
    """A move the rules refuse; `message` says why in words an operator or user reads."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class TicketRule:
    """One move: its verb (for refusals), where it may start, where it ends, who makes it
    and whether it must carry a reply to the user."""

    action: str
    verb: str
    sources: tuple[str, ...]
    dest: str
    actor: str
    needs_reply: bool = False


RULES: dict[str, TicketRule] = {r.action: r for r in (
    TicketRule("submit", "提交", (DRAFT,), OPEN, USER),
    TicketRule("drop", "撤销", (DRAFT,), DROPPED, USER),
    TicketRule("take", "受理", (OPEN,), WORKING, OPERATOR),
    TicketRule("resolve", "办结", (OPEN, WORKING), RESOLVED, OPERATOR, needs_reply=True),
    TicketRule("reject", "驳回", (OPEN, WORKING), REJECTED, OPERATOR, needs_reply=True),
)}


@dataclass
class TicketCase:
    """What the rules need to know about one ticket; `state` is its status."""

    state: str
    attachments: int = 0
    needs_attachment: bool = False  # Q3: the business licence photo is required


@dataclass(frozen=True)
class TicketOutcome:
    """What a move decided, for the adapter to write down."""

    rule: TicketRule
    from_status: str
    to_status: str
    reply: str


class TicketLifecycle:
    """Decides every status change of a ticket, or refuses it with the reason."""

    def __init__(self) -> None:
        transitions = [
            {"trigger": r.action, "source": list(r.sources), "dest": r.dest,
             "conditions": [self._allowed(r)]}
            for r in RULES.values()
        ]
        self._machine = Machine(model=None, states=list(STATES), transitions=transitions,
                                initial=DRAFT, send_event=True, auto_transitions=False,
                                ignore_invalid_triggers=False)

    def allowed_actions(self, status: str, actor: str | None = None) -> tuple[str, ...]:
        """The moves a ticket in `status` can make (by `actor`, when given)."""
        return tuple(a for a, r in RULES.items()
                     if status in r.sources and actor in (None, r.actor))

    def move(self, case: TicketCase, action: str, actor: str,
             reply: str = "") -> TicketOutcome:
        """Run one move on `case` (its state changes) or raise IllegalTicketMove."""
        rule = RULES.get(action)
        if rule is None:
            raise IllegalTicketMove(f"没有「{action}」这个操作", "unknown_action")
        if case.state not in STATES:
            raise IllegalTicketMove(f"工单状态「{case.state}」无法识别", "bad_status")
        if case.state not in rule.sources:
            raise IllegalTicketMove(f"工单当前状态为{case.state}，不能{rule.verb}",
                                    "illegal_move")
        before = case.state
        self._machine.add_model(case, initial=case.state)
        try:
            case.trigger(action, actor=actor, reply=reply.strip())
        finally:
            self._machine.remove_model(case)
        return TicketOutcome(rule, before, case.state, reply.strip())

    def model_count(self) -> int:
        """Models attached right now (0 between moves): tickets cost no memory."""
        return len(self._machine.models)

    @staticmethod
    def _allowed(rule: TicketRule) -> Any:
        def check(event: EventData) -> bool:
            _check(rule, event.model, event.kwargs["actor"], event.kwargs.get("reply", ""))
            return True
        return check


def _check(rule: TicketRule, case: TicketCase, actor: str, reply: str) -> None:
    if actor != rule.actor:
        who = "用户本人" if rule.actor == USER else "运营人员"
        raise IllegalTicketMove(f"只有{who}可以{rule.verb}工单", "wrong_actor")
    if rule.needs_reply and not reply:
        raise IllegalTicketMove(f"{rule.verb}工单需要填写给用户的回复", "reply_required")
    if rule.action == "submit" and case.needs_attachment and case.attachments < 1:
        raise IllegalTicketMove("还缺营业执照照片，请先发送照片", "attachment_required")


LIFECYCLE = TicketLifecycle()
