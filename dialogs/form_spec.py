"""What a form module declares (dialogs/form.py runs it): its fields, their choices,
and what confirming does. Data only; the engine that runs it is dialogs/form.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dialogs.base import Step, StepContext

Values = dict[str, Any]
Parse = Callable[[str, StepContext, Values], Any]
ChoiceSource = Sequence["Choice"] | Callable[[StepContext, Values], Awaitable[Sequence["Choice"]]]


@dataclass(frozen=True)
class Choice:
    """One option of a choice field, listed with a number; the user may answer with the
    number, the label, the value or an alias (or a unique part of the label)."""

    # What the user reads in the numbered list.
    label: str
    # What is stored when picked; "" stores the label.
    value: str = ""
    # Other words that pick it ("工行" for 中国工商银行).
    aliases: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """What picking this option stores."""
        return self.value or self.label


@dataclass(frozen=True)
class Field:
    """One question of a form: how it is asked, how the answer is read and checked, and
    when it applies. Fields are asked in the order the spec lists them."""

    # The answer's key in `conv.values` (and the state of the form machine while asked).
    key: str
    # The field's name in the summary and for 修改 <label>.
    label: str
    # The question; a function of the values so far when it depends on them.
    prompt: str | Callable[[Values], str]
    # Reads the answer: (text, ctx, values) -> the value to store, sync or async; raises
    # validators.Invalid (re-asked with the reason, nothing kept) or SoftInvalid (kept
    # when the same answer is sent twice). None stores the text (or the picked choice).
    parse: Parse | None = None
    # The options, listed with numbers: fixed, or loaded by an async function of (ctx,
    # values) each time the question is reached (kept in scratch until answered). With
    # `parse` too, parse gets the picked option's key.
    choices: ChoiceSource | None = None
    # With choices: pick between min and max options ("1 3", "1、3", "13"); stores a list.
    multi: tuple[int, int] | None = None
    # Asked only when this returns True for the values so far; a value it stops applying
    # to is dropped.
    when: Callable[[Mapping[str, Any]], bool] | None = None
    # How the stored value is shown (summary, "当前：…"); default: the choice's label or
    # the value itself.
    display: Callable[[Any], str] | None = None
    # Keys of earlier fields this one depends on: when one of them changes, this answer is
    # dropped and asked again (a county after its prefecture changed).
    requires: tuple[str, ...] = ()
    # Runs once each time the question is reached; what it returns is said before it.
    on_enter: Callable[[StepContext, Values], Awaitable[str | None]] | None = None
    # Said at once if `parse` is slow (a remote check): "正在核验…".
    hint: str | None = None
    # Listed in the summary before confirming.
    in_summary: bool = True
    # Other names 修改 <name> finds this field by.
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Done:
    """Confirming succeeded: what to say, and optionally a dialog to chain into (with its
    argument). The form is closed."""

    say: str
    start: str | None = None
    start_arg: str = ""


@dataclass(frozen=True)
class Reopen:
    """Confirming failed: say why and go back to a field (or the summary), keeping values."""

    error: str
    field: str | None = None
    clear: tuple[str, ...] = ()


Confirm = Callable[[StepContext, Values], Awaitable[Done | Reopen]]
Guard = Callable[[StepContext], Awaitable[Step | None]]
Prefill = Callable[[StepContext, str], Awaitable[Values]]
Extra = Callable[[StepContext, Values], Awaitable[list[str]]]


@dataclass(frozen=True)
class FormSpec:
    """A whole form, declared: its fields, its summary and what confirming does."""

    # The dialog's name (unique in the registry) and its title for the user.
    name: str
    title: str
    fields: tuple[Field, ...]
    # Run on a confirm word at the summary: Done closes the form, Reopen goes back.
    on_confirm: Confirm
    # Said before the first question.
    intro: str = ""
    # Words that confirm at the summary.
    confirm_words: tuple[str, ...] = ("确认", "提交", "确定", "是")
    # Other words accepted at the summary, each with its own action ("保存草稿").
    actions: Mapping[str, Confirm] = field(default_factory=dict)
    # How the summary says to confirm (names the actions too).
    action_hint: str = "回复「确认」提交"
    # Said at once if confirming is slow.
    confirm_hint: str | None = None
    # Runs before the form starts; a Step refuses to start it (not registered …).
    guard: Guard | None = None
    # Values known before the first question (from the text that started the form).
    prefill: Prefill | None = None
    # Lines added under the summary's fields.
    summary_extra: Extra | None = None
    summary_title: str = "请核对："
