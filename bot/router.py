"""Routes one inbound message: pending choice -> global command -> active dialog ->
keyword or menu intent -> FAQ. Events (subscribe, menu clicks, QR scans) go to
`bot.events`. Returns what to say; the caller persists the conversation.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot import commands
from bot.faq_reply import FaqResponder
from dialogs.base import ConvState, Step, StepContext
from dialogs.help import COMMANDS_HELP, MENU_ITEMS
from dialogs.registry import Intent, Registry
from dialogs.replies import Reply, Text, Transfer

log = logging.getLogger(__name__)

IDLE = timedelta(minutes=30)
PAUSE_KEEP = timedelta(days=7)
NOTHING_ACTIVE = "当前没有正在填写的内容。"


class Router:
    def __init__(self, registry: Registry, faq: FaqResponder) -> None:
        self.registry = registry
        self.faq = faq

    # --- entry points ----------------------------------------------------------------
    async def on_text(self, ctx: StepContext, conv: ConvState, text: str) -> list[Reply]:
        self._expire_pause(ctx, conv)
        if not text:
            return [Text("请发送文字内容。")]
        pending, conv.choices = conv.choices, None
        if pending:
            answered = await self._answer_choice(ctx, conv, pending, text)
            if answered is not None:
                return answered
        command = commands.parse(text)
        if conv.dialog and self._idle(ctx, conv) and command is None \
                and self.registry.match(text) is None and self._resumable(conv):
            return self._offer_resume(ctx, conv)
        if command is not None:
            return await self._command(ctx, conv, command, text)
        if conv.dialog:
            return await self._in_dialog(ctx, conv, text)
        matched = self.registry.match(text)
        if matched is not None:
            return await self.run_intent(ctx, conv, *matched)
        return await self.faq.answer(ctx, conv, text)

    async def on_image(self, ctx: StepContext, conv: ConvState, media_id: str) -> list[Reply]:
        dialog = self.registry.dialog(conv.dialog or "")
        if dialog is not None:
            step = await dialog.on_image(ctx, conv, media_id)
            if step is not None:
                return await self._chain(ctx, conv, step)
            return [Text("这一步需要文字回答。\n\n" + await dialog.prompt(ctx, conv))]
        return [Text("收到您的图片。如需人工查看，请回复「转人工」；办理业务请回复「菜单」。")]

    async def run_intent(self, ctx: StepContext, conv: ConvState, intent: Intent,
                         arg: str = "") -> list[Reply]:
        """Start what an intent names, putting an unfinished dialog aside first."""
        if intent.dialog and intent.dialog == conv.dialog and self._resumable(conv):
            # A menu click on what is already being filled in must not wipe the answers
            # (a browsing dialog, like a list, simply starts over).
            dialog = self.registry.dialog(conv.dialog)
            assert dialog is not None
            return [Text(f"您正在办理「{dialog.title}」，我们接着来。\n"
                         + await dialog.prompt(ctx, conv))]
        if intent.dialog and not arg and not conv.dialog and conv.paused \
                and conv.paused.get("dialog") == intent.dialog:
            return self._offer_paused(conv)
        notice = ""
        if conv.dialog and intent.dialog != conv.dialog:
            notice = self._pause(ctx, conv)
        if intent.respond is not None:
            step = await intent.respond(ctx, conv, arg)
        else:
            dialog = self.registry.dialog(intent.dialog or "")
            if dialog is None:
                return [Text("这个功能暂时不可用，请回复「菜单」看看其他功能。")]
            step = await dialog.start(ctx, conv, arg)
        replies = await self._chain(ctx, conv, step)
        return _prefix(notice, replies)

    def menu(self, conv: ConvState, lead: str = "") -> list[Reply]:
        items = [(k, label) for k, label in MENU_ITEMS if self.registry.by_key(k)]
        conv.choices = {"kind": "menu", "items": [k for k, _ in items]}
        lines = [lead] if lead else []
        lines.append("请回复数字选择：")
        lines += [f"{i} {label}" for i, (_, label) in enumerate(items, 1)]
        lines.append("有问题也可以直接问我，回复「转人工」找客服。")
        return [Text("\n".join(lines))]

    # --- commands ----------------------------------------------------------------------
    async def _command(self, ctx: StepContext, conv: ConvState, cmd: commands.Command,
                       text: str) -> list[Reply]:
        handler: dict[str, Callable[[], Awaitable[list[Reply]]]] = {
            "cancel": lambda: self._cancel(ctx, conv),
            "back": lambda: self._back(ctx, conv),
            "help": lambda: self._help(ctx, conv),
            "human": lambda: _transfer(),
            "resume": lambda: self._resume(ctx, conv),
            "restart": lambda: self._restart(ctx, conv),
            "edit": lambda: self._edit(ctx, conv, cmd.arg, text),
            "greeting": lambda: self._greet(ctx, conv, text),
            "thanks": lambda: self._thanks(ctx, conv),
        }
        return await handler[cmd.name]()

    async def _cancel(self, ctx: StepContext, conv: ConvState) -> list[Reply]:
        if not conv.dialog:
            if conv.paused:
                conv.paused = None
                return [Text("已放弃上次没填完的内容。回复「菜单」看看能办什么。")]
            return [Text(NOTHING_ACTIVE + "回复「菜单」看看能办什么。")]
        title = self._title(conv.dialog)
        # A dialog whose 取消 means something (the web-login question: refuse) says so.
        on_cancel = getattr(self.registry.dialog(conv.dialog), "on_cancel", None)
        if on_cancel is not None:
            said = await on_cancel(ctx, conv)
            conv.clear_dialog()
            return [Text(said)]
        conv.clear_dialog()
        return [Text(f"已取消「{title}」，填过的内容已清除。回复「菜单」看看能办什么。")]

    async def _back(self, ctx: StepContext, conv: ConvState) -> list[Reply]:
        dialog = self.registry.dialog(conv.dialog or "")
        if dialog is None:
            return [Text(NOTHING_ACTIVE + "回复「菜单」看看能办什么。")]
        return await self._chain(ctx, conv, await dialog.back(ctx, conv))

    async def _help(self, ctx: StepContext, conv: ConvState) -> list[Reply]:
        dialog = self.registry.dialog(conv.dialog or "")
        if dialog is None:
            return self.menu(conv)
        return [Text(f"您正在办理「{dialog.title}」。\n{COMMANDS_HELP}\n\n"
                     + await dialog.prompt(ctx, conv))]

    async def _resume(self, ctx: StepContext, conv: ConvState) -> list[Reply]:
        if conv.paused:
            snap, conv.paused = conv.paused, None
            if conv.dialog and self._resumable(conv):
                conv.paused = conv.snapshot(ctx.now)
            conv.restore(snap)
        dialog = self.registry.dialog(conv.dialog or "")
        if dialog is None:
            conv.clear_dialog()
            return [Text("没有需要继续填写的内容。回复「菜单」看看能办什么。")]
        return [Text(f"好的，继续「{dialog.title}」。\n" + await dialog.prompt(ctx, conv))]

    async def _restart(self, ctx: StepContext, conv: ConvState) -> list[Reply]:
        name = conv.dialog or (conv.paused or {}).get("dialog")
        dialog = self.registry.dialog(name or "")
        if dialog is None:
            return [Text(NOTHING_ACTIVE + "回复「菜单」看看能办什么。")]
        if conv.paused and conv.paused.get("dialog") == name:
            conv.paused = None
        step = await dialog.start(ctx, conv)
        return _prefix("好的，重新开始。", await self._chain(ctx, conv, step))

    async def _edit(self, ctx: StepContext, conv: ConvState, what: str,
                    text: str) -> list[Reply]:
        dialog = self.registry.dialog(conv.dialog or "")
        if dialog is not None:
            step = await dialog.edit(ctx, conv, what)
            if step is not None:
                return await self._chain(ctx, conv, step)
        matched = self.registry.match(text)
        if matched is not None:
            return await self.run_intent(ctx, conv, *matched)
        if dialog is None:
            return [Text(NOTHING_ACTIVE
                         + "要修改认证信息，请回复「修改个人认证」或「修改企业认证」。")]
        return [Text(f"「{dialog.title}」里没有「{what[:20]}」这一项。\n\n"
                     + await dialog.prompt(ctx, conv))]

    async def _greet(self, ctx: StepContext, conv: ConvState, text: str) -> list[Reply]:
        dialog = self.registry.dialog(conv.dialog or "")
        if dialog is not None:
            return [Text("您好！我们接着来。\n" + await dialog.prompt(ctx, conv))]
        return self.menu(conv, lead="您好！我是融信服小助手。")

    async def _thanks(self, ctx: StepContext, conv: ConvState) -> list[Reply]:
        dialog = self.registry.dialog(conv.dialog or "")
        tail = ("\n\n" + await dialog.prompt(ctx, conv)) if dialog else ""
        return [Text("不客气，有需要随时找我。" + tail)]

    # --- dialogs -----------------------------------------------------------------------
    async def _in_dialog(self, ctx: StepContext, conv: ConvState, text: str) -> list[Reply]:
        dialog = self.registry.dialog(conv.dialog or "")
        if dialog is None:  # the dialog was removed in a release: start clean
            conv.clear_dialog()
            return await self.on_text(ctx, conv, text)
        step = await dialog.handle(ctx, conv, text)
        if step.rejected:
            matched = self.registry.match(text)
            if matched is not None and matched[0].dialog != conv.dialog:
                return await self.run_intent(ctx, conv, *matched)
            answer = self.faq.inline(text)
            if answer is not None:
                return [Text(answer + "\n\n—— 我们接着来 ——\n" + await dialog.prompt(ctx, conv))]
        return await self._chain(ctx, conv, step)

    async def _chain(self, ctx: StepContext, conv: ConvState, step: Step) -> list[Reply]:
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

    async def _answer_choice(self, ctx: StepContext, conv: ConvState, pending: dict,
                             text: str) -> list[Reply] | None:
        kind = pending.get("kind")
        if kind == "human":
            return None if commands.parse(text) else [Transfer()]
        if not text.isdigit():
            return None
        index = int(text) - 1
        if kind == "menu":
            items = pending.get("items", [])
            intent = self.registry.by_key(items[index]) if 0 <= index < len(items) else None
            return None if intent is None else await self.run_intent(ctx, conv, intent)
        if kind == "resume":
            if index == 0:
                return await self._resume(ctx, conv)
            if index == 1:
                return await self._restart(ctx, conv)
            return None
        return await self.faq.answer_choice(ctx, conv, pending, index)

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

    def _resumable(self, conv: ConvState) -> bool:
        """False for browsing (lists, searches): nothing typed there to keep, and putting
        it aside would push out a form that was put aside before."""
        return bool(getattr(self.registry.dialog(conv.dialog or ""), "resumable", True))

    def _offer_paused(self, conv: ConvState) -> list[Reply]:
        """Starting again what was put aside: ask rather than silently begin anew."""
        assert conv.paused is not None
        dialog = self.registry.dialog(conv.paused["dialog"])
        probe = ConvState(openid=conv.openid)
        probe.restore(conv.paused)
        progress = dialog.progress(probe) if dialog else ""
        conv.choices = {"kind": "resume"}
        done = f"（{progress}）" if progress else ""
        title = dialog.title if dialog else "填写"
        return [Text(f"您上次的「{title}」还没填完{done}。\n1 继续填写\n2 重新开始")]

    def _pause(self, ctx: StepContext, conv: ConvState) -> str:
        if not self._resumable(conv):
            conv.clear_dialog()
            return ""
        title = self._title(conv.dialog)
        conv.paused = conv.snapshot(ctx.now)
        conv.clear_dialog()
        return f"（「{title}」已为您保存，回复「继续填写」可回来接着填。）"

    def _expire_pause(self, ctx: StepContext, conv: ConvState) -> None:
        if conv.paused:
            at = conv.paused.get("at")
            if at is None or ctx.now - datetime.fromisoformat(at) > PAUSE_KEEP:
                conv.paused = None

    def _title(self, name: str | None) -> str:
        dialog = self.registry.dialog(name or "")
        return dialog.title if dialog else "填写"


async def _transfer() -> list[Reply]:
    return [Transfer()]


def _prefix(notice: str, replies: list[Reply]) -> list[Reply]:
    if not notice:
        return replies
    if replies and isinstance(replies[0], Text):
        return [Text(notice + "\n" + replies[0].content), *replies[1:]]
    return [Text(notice), *replies]


def merge(replies: list[Reply]) -> list[Reply]:
    """One user message gets one reply: consecutive texts become one message."""
    merged: list[Reply] = []
    for reply in replies:
        if isinstance(reply, Text) and merged and isinstance(merged[-1], Text):
            merged[-1] = Text(merged[-1].content + "\n\n" + reply.content)
        elif not (isinstance(reply, Text) and not reply.content):
            merged.append(reply)
    return merged
