"""Routes one inbound message to what answers it, in this order:

human agent holding the conversation (transfer) -> pending numbered choice -> global
command (取消, 菜单, 转人工 …) -> active dialog (its own answer first; a message it
cannot take may still be an intent, a status question or an FAQ) -> menu word ->
understood intent with its slots (or asked about: two close ones, or one likely) -> FAQ.

The message is read at most once (`StepContext.understood`, when first asked: an exact
command or a form's own answer costs no reading); the router only decides. Global
commands live in bot.global_commands. Events (subscribe, menu clicks, QR scans) go to
bot.events. Returns what to say; the caller persists the conversation.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from adapters.platform_port import PlatformError
from adapters.ports import UnderstanderPort
from bot import choices, clarify, commands, observe
from bot.faq_reply import FaqResponder
from bot.global_commands import GlobalCommands
from dialogs import human
from dialogs.base import ConvState, Dialog, Step, StepContext
from dialogs.help import menu_for
from dialogs.registry import INLINE, Intent, Registry
from dialogs.replies import Reply, Text, merge, prefixed
from knowledge.understanding import Understanding

log = logging.getLogger(__name__)

IDLE = timedelta(minutes=30)
PAUSE_KEEP = timedelta(days=7)
# Intents the router answers itself; the rest are the registry's.
CHAT_KEYS = ("MENU", "HUMAN", "GREETING", "THANKS")
# A form's rejected answer is mostly a mistyped answer ("云南贸易😀有限公司"), so reading
# it as something else the user wants takes a surer reading than an idle message does.
IN_FORM_MIN = 0.6


class Router:
    """Routes one inbound message or image to what answers it (this module's docstring) and
    returns what to say; the caller persists the conversation."""

    def __init__(self, registry: Registry, faq: FaqResponder) -> None:
        self.registry = registry
        self.faq = faq
        self.commands = GlobalCommands(self)

    @property
    def understander(self) -> UnderstanderPort | None:
        """Read through the ports, so a reload takes effect."""
        return self.faq.ports.understander

    def understand(self, text: str) -> Understanding | None:
        """Read a message once."""
        understander = self.understander
        if understander is None:
            return None
        started = time.perf_counter()
        reading: Understanding = understander.understand(text)
        observe.reading(reading.kind, time.perf_counter() - started)
        return reading

    # --- entry points ----------------------------------------------------------------
    async def on_text(self, ctx: StepContext, conv: ConvState, text: str) -> list[Reply]:
        """Route a text (or recognised voice) message; `text` is already normalised."""
        self._expire(ctx, conv)
        if not text:
            return [Text("请发送文字内容。")]
        command = commands.parse(text)
        if human.active(conv, ctx.now):
            if command is None or command.name not in ("end_human", "menu", "cancel"):
                return human.relay(ctx, conv)
            human.end(conv)
            notice = self.pause(ctx, conv) if conv.dialog else ""
            return await self.menu(ctx, conv, lead="\n".join(filter(None, (human.ENDED, notice))))
        pending, conv.choices = conv.choices, None
        if pending:
            answered = await choices.answer(self, ctx, conv, pending, text)
            if answered is not None:
                return answered
        if conv.dialog and self._idle(ctx, conv) and command is None \
                and self.registry.match(text) is None and self.resumable(conv):
            return self._offer_resume(ctx, conv)
        if command is not None:
            return await self.commands.run(ctx, conv, command, text)
        if conv.dialog:
            return await self._in_dialog(ctx, conv, text)
        matched = self.registry.match(text)
        if matched is not None:
            return await self.start(ctx, conv, *matched, text=text)
        return await self._understood(ctx, conv, text)

    async def on_image(self, ctx: StepContext, conv: ConvState, media_id: str) -> list[Reply]:
        """Route an image: to the active dialog if a question wants one; else say what we can do."""
        if human.active(conv, ctx.now):
            return human.relay(ctx, conv)
        conv.choices = None  # a numbered question lives one message: the next "1" is new
        dialog = self.registry.dialog(conv.dialog or "")
        if dialog is not None:
            step = await dialog.on_image(ctx, conv, media_id)
            if step is not None:
                return await self.chain(ctx, conv, step)
            if self.resumable(conv):
                return [Text("这一步需要文字回答。\n\n" + await dialog.prompt(ctx, conv))]
            conv.clear_dialog()  # a list being browsed: the picture is taken as outside one
        picture = self.registry.by_key("IMAGE")  # dialogs/ticket_report.py: 问题反馈
        if picture is not None and picture.respond is not None:
            return await self.chain(ctx, conv, await picture.respond(ctx, conv, media_id))
        return [Text("收到您的图片。如需人工查看，请回复「转人工」；办理业务请回复「菜单」。")]

    async def run_intent(self, ctx: StepContext, conv: ConvState, intent: Intent,
                         arg: str = "") -> list[Reply]:
        """Start what an intent names, putting an unfinished dialog aside first."""
        if intent.dialog and intent.dialog == conv.dialog and self.resumable(conv):
            # A menu click on what is already being filled in must not wipe the answers
            # (a browsing dialog, like a list, simply starts over).
            dialog = self._dialog(conv)
            return [Text(f"您正在办理「{dialog.title}」，我们接着来。\n"
                         + await dialog.prompt(ctx, conv))]
        if intent.dialog and not arg and not conv.dialog and conv.paused \
                and conv.paused.get("dialog") == intent.dialog:
            return self._offer_paused(conv)
        notice = ""
        if conv.dialog and intent.dialog != conv.dialog:
            notice = self.pause(ctx, conv)
        if intent.respond is not None:
            step = await intent.respond(ctx, conv, arg)
        else:
            dialog = self.registry.dialog(intent.dialog or "")
            if dialog is None:
                return [Text("这个功能暂时不可用，请回复「菜单」看看其他功能。")]
            step = await dialog.start(ctx, conv, arg)
        replies = await self.chain(ctx, conv, step)
        return prefixed(notice, replies)

    async def menu(self, ctx: StepContext, conv: ConvState, lead: str = "") -> list[Reply]:
        """The numbered main menu, leading with this user's next step."""
        entries, next_step = await menu_for(ctx)
        items = [(k, label) for k, label in entries if self.registry.by_key(k)]
        conv.choices = {"kind": "menu", "items": [k for k, _ in items]}
        kept = ""
        if conv.paused and conv.paused.get("dialog"):
            kept = f"（「{self.title(conv.paused['dialog'])}」还没填完，回复「继续填写」接着填。）"
        lines = [line for line in (lead, next_step) if line]
        if kept and kept not in lead:
            lines.append(kept)
        lines.append("请回复数字选择：")
        lines += [f"{i} {label}" for i, (_, label) in enumerate(items, 1)]
        lines.append("有问题也可以直接问我，回复「转人工」找客服。")
        return [Text("\n".join(lines))]

    # --- understood messages -----------------------------------------------------------
    async def _understood(self, ctx: StepContext, conv: ConvState, text: str) -> list[Reply]:
        understood = await self._with_enterprises(ctx, _reading(ctx, text))
        if understood is None:
            return await self.faq.answer(ctx, conv, text)
        if understood.slots.ticket_no and self.registry.by_key("TICKET_STATUS") \
                and understood.intent in (None, "STATUS", "TICKET_STATUS"):
            return await self.run_key(ctx, conv, "TICKET_STATUS", text)
        if understood.slots.demand_no and understood.intent in (None, "STATUS"):
            return await self.run_key(ctx, conv, "STATUS", text)
        if understood.kind == "intent" and understood.intent:
            return await self.run_key(ctx, conv, understood.intent, text)
        if understood.kind == "ambiguous":
            # Torn between two intents, a sure FAQ answer settles it; one likely wish
            # ("贷点款嘛") is asked about unless the message reads as a how-to question.
            if len(understood.choices) > 1 or understood.question:
                entry = self.faq.confident(text)
                if entry is not None:
                    return self.faq.answered(conv, entry)
            return clarify.ask(conv, understood, self._label)
        if clarify.stray_yes_no(text):
            return [Text(clarify.NOTHING_ASKED)]
        return await self.faq.answer(ctx, conv, text)

    def _label(self, key: str) -> str:
        """How an intent is named when asking which one the user meant."""
        spec = self.understander.spec(key) if self.understander is not None else None
        return spec.label if spec is not None else key

    async def run_key(self, ctx: StepContext, conv: ConvState, key: str,
                      text: str) -> list[Reply]:
        """Act on an understood intent."""
        if key in CHAT_KEYS:
            return await self.commands.chat(ctx, conv, key, text)
        intent = self.registry.by_key(key)
        if intent is None:
            return await self.faq.answer(ctx, conv, text)
        return await self.start(ctx, conv, intent, text=text)

    async def start(self, ctx: StepContext, conv: ConvState, intent: Intent, arg: str = "",
                    *, text: str) -> list[Reply]:
        """run_intent for a typed message, which the operators see if the intent asks."""
        if intent.record and self.faq.log_store is not None:
            await self.faq.log_store.record(text, ctx.now)
        return await self.run_intent(ctx, conv, intent, arg)

    async def _with_enterprises(self, ctx: StepContext,
                                understood: Understanding | None) -> Understanding | None:
        """Read again with the user's own enterprise names when the message names one
        ("曲靖恒达那笔批了吗"): a name the intents cannot know reads as "an enterprise
        of mine" then, and the reading says which."""
        understander = self.understander
        if understood is None or understander is None or ctx.ports.platform is None:
            return understood
        try:
            profile = await ctx.ports.platform.profile(ctx.openid)
        except PlatformError:
            return understood
        names = [e.name for e in profile.enterprises]
        reread: Understanding = understander.naming(understood, names)
        if reread is understood:  # names none of them: the first reading stands
            return understood
        ctx.understood = replace(reread, slots=understood.slots)
        return ctx.understood

    # --- dialogs -----------------------------------------------------------------------
    async def _in_dialog(self, ctx: StepContext, conv: ConvState, text: str) -> list[Reply]:
        dialog = self.registry.dialog(conv.dialog or "")
        if dialog is None:  # the dialog was removed in a release: start clean
            conv.clear_dialog()
            return await self.on_text(ctx, conv, text)
        step = await dialog.handle(ctx, conv, text)
        if step.rejected:
            matched = self.registry.match(text)
            if matched is not None and matched[0].inline and self.resumable(conv):
                return await self._inline(ctx, conv, dialog, matched[0])
            if matched is not None and matched[0].dialog != conv.dialog:
                return await self.start(ctx, conv, *matched, text=text)
            taken = await self._understood_in_dialog(ctx, conv, dialog, text)
            if taken is not None:
                return taken
            answer = self.faq.inline(text)
            if answer is not None:
                return await _carry_on(ctx, conv, dialog, answer)
        return await self.chain(ctx, conv, step)

    async def _understood_in_dialog(self, ctx: StepContext, conv: ConvState, dialog: Dialog,
                                    text: str) -> list[Reply] | None:
        """A message the dialog could not take, read as something else the user wants:
        values for this same form, a question answered in place (the form carries on),
        or another intent (the form is put aside, as for a menu word)."""
        understood = await self._with_enterprises(ctx, _reading(ctx, text))
        if understood is None:
            return None
        key = understood.intent if understood.kind == "intent" else None
        if key is not None and self.resumable(conv) \
                and (understood.confidence < IN_FORM_MIN or not understood.worded):
            key = None  # a mistyped answer, not a wish
        if understood.slots.demand_no and key in (None, "STATUS"):
            key = "STATUS"
        if key is None and understood.kind == "ambiguous" and not self.resumable(conv):
            # A list or a search cannot take it: asked about as outside any dialog, not
            # searched for ("没有找到符合“我要认怔”的产品").
            return await self._understood(ctx, conv, text)
        if key is None:  # no wish, but maybe values for questions still to come
            return await self._absorb(ctx, conv, dialog, only_empty=True)
        if key in CHAT_KEYS:
            return await self.commands.chat(ctx, conv, key, text)
        intent = self.registry.by_key(key)
        if intent is None:
            return None
        if intent.dialog == conv.dialog:
            return await self._absorb(ctx, conv, dialog, only_empty=False)
        if intent.inline and self.resumable(conv):
            return await self._inline(ctx, conv, dialog, intent)
        return await self.run_key(ctx, conv, key, text)

    async def _absorb(self, ctx: StepContext, conv: ConvState, dialog: Dialog, *,
                      only_empty: bool) -> list[Reply] | None:
        """Values said for this form instead of the answer asked for; said without
        asking for the form ("流动资金" at 期限), they fill only what is still empty."""
        step = await dialog.absorb(ctx, conv, only_empty=only_empty)
        return None if step is None else await self.chain(ctx, conv, step)

    async def _inline(self, ctx: StepContext, conv: ConvState, dialog: Dialog,
                      intent: Intent) -> list[Reply]:
        """A question answered in the middle of a form, which then carries on."""
        if intent.respond is None:
            return await self.run_intent(ctx, conv, intent)
        answer = await intent.respond(ctx, conv, INLINE)
        said = "\n\n".join(r.content for r in answer.say if isinstance(r, Text))
        return await _carry_on(ctx, conv, dialog, said)

    async def chain(self, ctx: StepContext, conv: ConvState, step: Step) -> list[Reply]:
        """The replies of `step`, with the dialogs it chains into started (at most 3 hops),
        consecutive texts merged into one message."""
        replies = list(step.say)
        hops = 0
        while step.start and hops < 3:
            hops += 1
            dialog = self.registry.dialog(step.start)
            if dialog is None:
                log.error("dialog chains into unknown dialog %s", step.start)
                break
            step = await dialog.start(ctx, conv, step.start_arg)
            replies += step.say
        return merge(replies)

    # --- idle and pause ----------------------------------------------------------------
    def _idle(self, ctx: StepContext, conv: ConvState) -> bool:
        return conv.updated_at is not None and ctx.now - conv.updated_at > IDLE

    def _offer_resume(self, ctx: StepContext, conv: ConvState) -> list[Reply]:
        dialog = self.registry.dialog(conv.dialog or "")
        title = dialog.title if dialog else ""
        progress = dialog.progress(conv) if dialog else ""
        conv.paused = conv.snapshot(ctx.now)
        conv.clear_dialog()
        conv.choices = {"kind": "resume"}
        done = f"（{progress}）" if progress else ""
        return [Text(f"欢迎回来！上次的「{title}」还没完成{done}，已为您保存7天。\n"
                     "1 继续填写\n2 重新开始\n也可以直接告诉我您要办的事。")]

    def resumable(self, conv: ConvState) -> bool:
        """False for browsing (lists, searches): nothing typed there to keep, and putting
        it aside would push out a form that was put aside before."""
        dialog = self.registry.dialog(conv.dialog or "")
        return dialog is None or dialog.resumable

    def _offer_paused(self, conv: ConvState) -> list[Reply]:
        """Starting again what was put aside: ask rather than silently begin anew."""
        snap = conv.paused or {}
        dialog = self.registry.dialog(snap.get("dialog") or "")
        probe = ConvState(openid=conv.openid)
        probe.restore(snap)
        progress = dialog.progress(probe) if dialog else ""
        conv.choices = {"kind": "resume"}
        done = f"（{progress}）" if progress else ""
        title = dialog.title if dialog else "填写"
        return [Text(f"您上次的「{title}」还没填完{done}。\n1 继续填写\n2 重新开始")]

    def pause(self, ctx: StepContext, conv: ConvState) -> str:
        """Put the active dialog aside (a form) or close it (browsing); what to say."""
        if not self.resumable(conv):
            conv.clear_dialog()
            return ""
        title = self.title(conv.dialog)
        conv.paused = conv.snapshot(ctx.now)
        conv.clear_dialog()
        return f"（「{title}」已为您保存，回复「继续填写」可回来接着填。）"

    def _expire(self, ctx: StepContext, conv: ConvState) -> None:
        def stale(held: dict[str, Any] | None) -> bool:
            at = (held or {}).get("at")
            return bool(held) and (at is None
                                   or ctx.now - datetime.fromisoformat(at) > PAUSE_KEEP)

        if stale(conv.paused):
            conv.paused = None
        if stale(conv.kept):
            conv.kept = None

    def title(self, name: str | None) -> str:
        """The title of dialog `name` for the user ("填写" when there is no such dialog)."""
        dialog = self.registry.dialog(name or "")
        return dialog.title if dialog else "填写"

    def _dialog(self, conv: ConvState) -> Dialog:
        dialog = self.registry.dialog(conv.dialog or "")
        if dialog is None:
            raise LookupError(f"no dialog {conv.dialog!r}")
        return dialog


def _reading(ctx: StepContext, text: str) -> Understanding | None:
    """This message's reading (a chained step may route another text)."""
    understood = ctx.understood
    return understood if understood is not None and understood.text == text else None


async def _carry_on(ctx: StepContext, conv: ConvState, dialog: Dialog,
                    said: str) -> list[Reply]:
    """An answer given in the middle of a form, and the form's question again."""
    return [Text(said + "\n\n—— 我们接着来 ——\n" + await dialog.prompt(ctx, conv))]
