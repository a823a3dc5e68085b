"""Declarative forms: an ordered list of fields, a summary, and what confirming does.

A form module only declares `FormSpec(...)`; `FormDialog` turns it into a conversation
driven by the shared `state_machines.form.FormMachine`: it asks the first empty field,
re-asks with the precise reason on a bad answer, keeps every earlier answer, supports
上一步 / 修改 <字段> / 不变, shows a numbered summary and runs `on_confirm`.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Sequence
from typing import Any

from dialogs.base import ConvState, Dialog, Step, StepContext
from dialogs.form_spec import (
    Choice,
    Confirm,
    Field,
    FormSpec,
    Reopen,
)
from dialogs.validators import Invalid, SoftInvalid
from state_machines.form import CANCELLED, DONE, SUMMARY, FormMachine, FormModel

# With a current value shown, these keep it ("确认" is what people type when it's right).
KEEP_WORDS = ("不变", "保留", "不改", "跳过", "确认", "对", "对的", "没错")
FAILS_BEFORE_HELP = 3
LONG_LIST = 8
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮"


class FormDialog(Dialog):
    """The conversation a FormSpec declares (this module's docstring): asks each
    applicable field in turn, re-asks a bad answer with its reason, supports 上一步,
    修改 and 不变, and confirms at a numbered summary."""

    def __init__(self, spec: FormSpec) -> None:
        self.spec = spec
        self.name = spec.name
        self.title = spec.title
        self.fields = {f.key: f for f in spec.fields}
        self.machine = FormMachine(spec.name, [(f.key, f.when) for f in spec.fields])

    # --- Dialog interface ------------------------------------------------------------
    async def start(self, ctx: StepContext, conv: ConvState, arg: str = "") -> Step:
        if self.spec.guard is not None:
            refused = await self.spec.guard(ctx)
            if refused is not None:
                return refused
        conv.clear_dialog()
        conv.dialog = self.name
        conv.values = await self.spec.prefill(ctx, arg) if self.spec.prefill else {}
        conv.state = self.machine.next_step(conv.values)
        question = await self._enter(ctx, conv)
        return Step.text(self.spec.intro, question)

    async def handle(self, ctx: StepContext, conv: ConvState, text: str) -> Step:
        if conv.state == SUMMARY:
            return await self._at_summary(ctx, conv, text)
        spec = self.fields.get(conv.state or "")
        if spec is None:  # a form changed shape under a saved conversation: re-route
            conv.state = self.machine.next_step(conv.values)
            return Step.text(await self._enter(ctx, conv))
        if text in KEEP_WORDS and spec.key in conv.values:
            return await self._accept(ctx, conv, spec, conv.values[spec.key], changed=False)
        try:
            value = await self._parse(ctx, conv, spec, text)
        except SoftInvalid as soft:
            remembered = conv.scratch.setdefault("soft", {})
            if remembered.get(spec.key) == soft.value:
                remembered.pop(spec.key)
                return await self._accept(ctx, conv, spec, soft.value, warning=soft.warning)
            remembered[spec.key] = soft.value
            return self._reject(conv, spec, soft.reason + "\n如确认无误，请再发一次同样的内容。")
        except Invalid as bad:
            if text in self.spec.confirm_words:  # 提交 before the form is complete
                keys = self.machine.applicable_keys(conv.values)
                left = sum(k not in conv.values for k in keys)
                return self._reject(conv, spec, f"还有{left}项没填，填完就能提交。")
            return self._reject(conv, spec, bad.reason)
        return await self._accept(ctx, conv, spec, value)

    async def back(self, ctx: StepContext, conv: ConvState) -> Step:
        model = FormModel(conv.state or SUMMARY, conv.values)
        if not self.machine.fire(model, "back"):
            return Step.text("已经是第一项了。", self._question(conv))
        conv.state = model.state
        return Step.text(self._question(conv))

    async def edit(self, ctx: StepContext, conv: ConvState, what: str) -> Step | None:
        spec = self._find_field(conv, what)
        if spec is None:
            return None
        model = FormModel(conv.state or SUMMARY, conv.values)
        if not self.machine.fire(model, f"edit_{spec.key}"):
            return Step.text(f"「{spec.label}」现在不需要填写。", self._question(conv))
        conv.state = model.state
        return Step.text(await self._enter(ctx, conv))

    async def prompt(self, ctx: StepContext, conv: ConvState) -> str:
        if conv.state == SUMMARY:
            return await self._summary(ctx, conv)
        return self._question(conv)

    def progress(self, conv: ConvState) -> str:
        done = [k for k in self.machine.applicable_keys(conv.values) if k in conv.values]
        return f"已填{len(done)}项"

    # --- steps -------------------------------------------------------------------------
    async def _accept(self, ctx: StepContext, conv: ConvState, spec: Field, value: Any,
                      *, changed: bool = True, warning: str = "") -> Step:
        previous = conv.values.get(spec.key, _MISSING)
        conv.values[spec.key] = value
        if changed and previous is not _MISSING and previous != value:
            for other in self.spec.fields:
                if spec.key in other.requires:
                    conv.values.pop(other.key, None)
        self.machine.drop_inapplicable(conv.values)
        conv.scratch.get("fails", {}).pop(spec.key, None)
        model = FormModel(conv.state or spec.key, conv.values)
        self.machine.fire(model, "advance")
        conv.state = model.state
        return Step.text(warning, await self._enter(ctx, conv))

    def _reject(self, conv: ConvState, spec: Field, reason: str) -> Step:
        fails = conv.scratch.setdefault("fails", {})
        fails[spec.key] = fails.get(spec.key, 0) + 1
        tail = ""
        if fails[spec.key] >= FAILS_BEFORE_HELP:
            tail = "多次没通过？回复「帮助」看说明，或回复「转人工」。"
        return Step(say=Step.text(reason, self._question(conv, compact=True), tail).say,
                    rejected=True)

    async def _at_summary(self, ctx: StepContext, conv: ConvState, text: str) -> Step:
        word = text.strip()
        if word in self.spec.confirm_words:
            return await self._finish(ctx, conv, self.spec.on_confirm)
        for name, action in self.spec.actions.items():
            if word == name:
                return await self._finish(ctx, conv, action)
        edit = re.fullmatch(r"(?:修改|改)\s*(\d{1,2})", word)
        if edit:
            step = await self.edit(ctx, conv, edit.group(1))
            if step is not None:
                return step
        hint = "没看懂您的回复。"
        shown = len(conv.scratch.get("summary_keys", ()))
        if word.isdigit() and 0 < int(word) <= shown:  # ambiguous: say what each reply does
            hint = f"要改第{word}项请回复「修改{word}」，信息无误请回复「确认」。"
        return Step(say=Step.text(hint, await self._summary(ctx, conv)).say, rejected=True)

    async def _finish(self, ctx: StepContext, conv: ConvState, action: Confirm) -> Step:
        if self.spec.confirm_hint:
            ctx.set_hint(self.spec.confirm_hint)
        outcome = await action(ctx, conv.values)
        if isinstance(outcome, Reopen):
            for key in outcome.clear:
                conv.values.pop(key, None)
            conv.state = outcome.field if outcome.field in self.fields else SUMMARY
            if conv.state != SUMMARY and conv.state not in outcome.clear:
                return Step.text(outcome.error, self._question(conv))
            return Step.text(outcome.error, await self.prompt(ctx, conv))
        model = FormModel(SUMMARY, conv.values)
        self.machine.fire(model, "confirm")
        conv.clear_dialog()
        return Step.text(outcome.say, start=outcome.start, start_arg=outcome.start_arg)

    async def _enter(self, ctx: StepContext, conv: ConvState) -> str:
        """Arrive at the current state: run its on_enter once, then ask."""
        if conv.state == SUMMARY:
            return await self._summary(ctx, conv)
        if conv.state in (DONE, CANCELLED, None):
            return ""
        spec = self.fields[conv.state]
        notice = ""
        if spec.choices is not None and not isinstance(spec.choices, Sequence):
            options = await spec.choices(ctx, conv.values)
            conv.scratch.setdefault("options", {})[spec.key] = [
                [c.label, c.key, list(c.aliases)] for c in options]
        if spec.on_enter is not None:
            notice = await spec.on_enter(ctx, conv.values) or ""
        return "\n".join(p for p in (notice, self._question(conv)) if p)

    # --- parsing -------------------------------------------------------------------------
    async def _parse(self, ctx: StepContext, conv: ConvState, spec: Field, text: str) -> Any:
        if not text:
            raise Invalid("请发送文字回答。")
        if spec.choices is not None:
            text = self._pick(conv, spec, text)
            if spec.parse is None:
                return text
        if spec.parse is None:
            return text
        if spec.hint:
            ctx.set_hint(spec.hint)
        result = spec.parse(text, ctx, conv.values)
        if inspect.isawaitable(result):
            result = await result
        return result

    def _options(self, conv: ConvState, spec: Field) -> list[Choice]:
        if isinstance(spec.choices, Sequence):
            return list(spec.choices)
        stored = conv.scratch.get("options", {}).get(spec.key, [])
        return [Choice(label, value, tuple(aliases)) for label, value, aliases in stored]

    def _pick(self, conv: ConvState, spec: Field, text: str) -> Any:
        options = self._options(conv, spec)
        if not options:
            raise Invalid("这里暂时没有可选的项目。")
        if spec.multi:
            return _pick_many(options, text, *spec.multi)
        return _pick_one(options, text).key

    # --- rendering -----------------------------------------------------------------------
    def _question(self, conv: ConvState, *, compact: bool = False) -> str:
        """The current question; `compact` (re-asking after a wrong answer) leaves out a
        long option list the user has just seen, so a phone screen is not filled again."""
        spec = self.fields.get(conv.state or "")
        if spec is None:
            return ""
        keys = self.machine.applicable_keys(conv.values)
        position = f"（{keys.index(spec.key) + 1}/{len(keys)}）" if spec.key in keys else ""
        prompt = spec.prompt(conv.values) if callable(spec.prompt) else spec.prompt
        lines = [f"{position}{prompt}"]
        options = self._options(conv, spec) if spec.choices is not None else []
        if compact and len(options) > LONG_LIST:
            lines.append(f"（选项见上一条，共{len(options)}项）")
        else:
            lines += [f"{i} {c.label}" for i, c in enumerate(options, 1)]
        if spec.key in conv.values:
            lines.append(f"当前：{self._display(conv, spec)}，不改请回复「不变」")
        return "\n".join(lines)

    def _display(self, conv: ConvState, spec: Field) -> str:
        value = conv.values.get(spec.key)
        if value is None:
            return "无"
        if spec.display is not None:
            return spec.display(value)
        if spec.choices is not None:
            labels = {c.key: c.label for c in self._options(conv, spec)}
            if isinstance(value, list):
                return "、".join(labels.get(v, str(v)) for v in value)
            return labels.get(value, str(value))
        return str(value)

    async def _summary(self, ctx: StepContext, conv: ConvState) -> str:
        lines = [self.spec.summary_title]
        shown = [f for f in self.spec.fields
                 if f.in_summary and f.key in conv.values
                 and self.machine.applicable(f.key, conv.values)]
        for i, spec in enumerate(shown):
            mark = _CIRCLED[i] if i < len(_CIRCLED) else f"{i + 1}."
            lines.append(f"{mark}{spec.label}：{self._display(conv, spec)}")
        if self.spec.summary_extra is not None:
            lines += await self.spec.summary_extra(ctx, conv.values)
        lines.append(f"{self.spec.action_hint}；改某项回复「修改+序号」（如 修改2）；"
                     "回复「取消」放弃。")
        conv.scratch["summary_keys"] = [f.key for f in shown]
        return "\n".join(lines)

    def _find_field(self, conv: ConvState, what: str) -> Field | None:
        what = what.strip()
        if what.isdigit():
            keys = conv.scratch.get("summary_keys") or self.machine.applicable_keys(conv.values)
            index = int(what) - 1
            return self.fields.get(keys[index]) if 0 <= index < len(keys) else None
        for spec in self.spec.fields:
            if what in (spec.key, spec.label, *spec.aliases):
                return spec
        for spec in self.spec.fields:  # 修改手机 finds 法人手机号
            if len(what) >= 2 and (what in spec.label or any(what in a for a in spec.aliases)):
                return spec
        return None


_MISSING = object()
_SPLIT = re.compile(r"[\s,，、;；/和]+")


def _pick_one(options: list[Choice], text: str) -> Choice:
    text = text.strip()
    if text.isdigit():
        index = int(text) - 1
        if 0 <= index < len(options):
            return options[index]
        raise Invalid(f"请回复序号1到{len(options)}。")
    for option in options:
        if text in (option.label, option.key, *option.aliases):
            return option
    matches = [o for o in options if text and (text in o.label or o.label in text)]
    if len(matches) == 1:
        return matches[0]
    raise Invalid(f"没有「{text[:20]}」这一项，请回复序号1到{len(options)}。")


def _pick_many(options: list[Choice], text: str, low: int, high: int) -> list[str]:
    parts = [p for p in _SPLIT.split(text.strip()) if p]
    if len(parts) == 1 and parts[0].isdigit() and len(parts[0]) > 1 and len(options) < 10:
        parts = list(parts[0])  # "135" on a short list means 1, 3 and 5
    picked = [_pick_one(options, p).key for p in parts]
    if len(set(picked)) != len(picked):
        raise Invalid("选了重复的项，请每项只选一次。")
    if not low <= len(picked) <= high:
        raise Invalid(f"请选择{low}到{high}项，您选了{len(picked)}项。")
    return picked
