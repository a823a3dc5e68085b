"""The generic form machine: one `transitions` machine per form type, shared by all users.

States are the form's fields in order, then `summary`, `done` and `cancelled`. The next
question is always the first applicable field without a value (Rasa's rule), so editing a
field from the summary comes back to the summary by itself, and a field that a change
makes applicable is asked before the summary.

A machine is built once per form spec and never per message (transitions #434/#146).
It drives one permanently attached cursor model: a step loads the user's state and
values into it, fires one trigger and reads the result back. Triggers are synchronous
and asyncio runs one step at a time between awaits, so one cursor serves every user and
nothing is attached, detached or leaked per message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from transitions import EventData, Machine, MachineError

SUMMARY = "summary"
DONE = "done"
CANCELLED = "cancelled"

Condition = Callable[[Mapping[str, Any]], bool]


@dataclass
class FormModel:
    """The per-user side of a form: where they are and what they gave."""

    state: str
    values: dict[str, Any] = field(default_factory=dict)


class FormMachine:
    """The machine of one form type (this module's docstring): which field comes next, what
    上一步 and 修改 lead to, and which answers stop applying when others change."""

    def __init__(self, name: str, fields: Sequence[tuple[str, Condition | None]]) -> None:
        self.name = name
        self.keys = [key for key, _ in fields]
        self._when = {key: cond for key, cond in fields}
        steps = [*self.keys, SUMMARY]
        transitions: list[dict[str, Any]] = []
        for dest in steps:
            transitions.append({
                "trigger": "advance", "source": steps, "dest": dest,
                "conditions": [self._is_next(dest)],
            })
            transitions.append({
                "trigger": "back", "source": steps, "dest": dest,
                "conditions": [self._is_previous(dest)],
            })
        for key in self.keys:
            transitions.append({
                "trigger": f"edit_{key}", "source": steps, "dest": key,
                "conditions": [self._is_applicable(key)],
            })
        transitions.append({"trigger": "confirm", "source": SUMMARY, "dest": DONE})
        transitions.append({"trigger": "cancel", "source": steps, "dest": CANCELLED})
        initial = self.keys[0] if self.keys else SUMMARY
        self._cursor = FormModel(initial)
        self._machine = Machine(
            model=self._cursor, states=[*steps, DONE, CANCELLED], transitions=transitions,
            initial=initial, send_event=True, auto_transitions=False,
            ignore_invalid_triggers=False,
        )

    # --- queries -----------------------------------------------------------------
    def applicable(self, key: str, values: Mapping[str, Any]) -> bool:
        cond = self._when.get(key)
        return cond is None or bool(cond(values))

    def applicable_keys(self, values: Mapping[str, Any]) -> list[str]:
        return [k for k in self.keys if self.applicable(k, values)]

    def next_step(self, values: Mapping[str, Any]) -> str:
        for key in self.keys:
            if key not in values and self.applicable(key, values):
                return key
        return SUMMARY

    def previous_step(self, current: str, values: Mapping[str, Any]) -> str | None:
        order = self.applicable_keys(values)
        if current == SUMMARY:
            return order[-1] if order else None
        if current not in order:
            return None
        index = order.index(current)
        return order[index - 1] if index > 0 else None

    # --- conditions (closures, so one machine serves every form instance) ----------
    def _is_next(self, dest: str) -> Callable[[EventData], bool]:
        return lambda ev: self.next_step(ev.model.values) == dest

    def _is_previous(self, dest: str) -> Callable[[EventData], bool]:
        return lambda ev: self.previous_step(ev.model.state, ev.model.values) == dest

    def _is_applicable(self, key: str) -> Callable[[EventData], bool]:
        return lambda ev: self.applicable(key, ev.model.values)

    # --- running -------------------------------------------------------------------
    def fire(self, model: FormModel, trigger: str) -> bool:
        """Run one trigger on `model`'s state and values; False when it is not allowed
        from there (nothing changes)."""
        cursor = self._cursor
        self._machine.set_state(model.state, model=cursor)
        cursor.values = model.values
        try:
            moved = bool(cursor.trigger(trigger))  # type: ignore[attr-defined]
        except MachineError:
            return False
        finally:
            cursor.values = {}
        model.state = cursor.state
        return moved

    def drop_inapplicable(self, values: dict[str, Any]) -> None:
        """Forget answers to questions that no longer apply (a changed choice)."""
        for key in list(values):
            if key in self._when and not self.applicable(key, values):
                values.pop(key)

    def model_count(self) -> int:
        """Models attached to the machine: always the one cursor (a leak test reads it)."""
        return len(self._machine.models)
