"""The words that work at any step of any dialog, browsing included: 取消, 上一步, 帮助,
菜单, 转人工, 结束人工, 继续填写, 重新开始, 修改 <字段>, and the greetings and thanks
(typed or understood).

A form is put aside (kept 7 days) when 菜单 takes the user elsewhere; a list or a search
(browsing) is simply closed, since nothing typed there is worth keeping.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from bot import commands
from dialogs import human
from dialogs.base import ConvState, Step, StepContext
from dialogs.help import COMMANDS_HELP
from dialogs.registry import Intent, Registry
from dialogs.replies import Reply, Text, prefixed


class Routing(Protocol):
    """What the commands use of bot.router.Router (which holds them)."""

    registry: Registry

    async def menu(self, ctx: StepContext, conv: ConvState, lead: str = "") -> list[Reply]:
        """The numbered main menu, led by `lead`."""
        ...

    def pause(self, ctx: StepContext, conv: ConvState) -> str:
        """Put the active dialog aside or close it; what to tell the user."""
        ...

    def resumable(self, conv: ConvState) -> bool:
        """Whether the active dialog is worth keeping for 继续填写."""
        ...

    def title(self, name: str | None) -> str:
        """The title of dialog `name` for the user."""
        ...

    async def chain(self, ctx: StepContext, conv: ConvState, step: Step) -> list[Reply]:
        """The replies of a step, with the dialogs it chains into started."""
        ...

    async def run_intent(self, ctx: StepContext, conv: ConvState, intent: Intent,
                         arg: str = "") -> list[Reply]:
        """Start what an intent names, putting an unfinished dialog aside first."""
        ...


NOTHING_ACTIVE = "当前没有正在填写的内容。"
MENU_HINT = "回复「菜单」看看能办什么。"


class GlobalCommands:
    """The global commands (this module's docstring), run for the router that holds them."""

    def __init__(self, router: Routing) -> None:
        self.router = router

    async def run(self, ctx: StepContext, conv: ConvState, cmd: commands.Command,
                  text: str) -> list[Reply]:
        """Run a parsed command; `text` is the whole message (修改 falls back to it)."""
        handler: dict[str, Callable[[], Awaitable[list[Reply]]]] = {
            "cancel": lambda: self.cancel(ctx, conv),
            "back": lambda: self.back(ctx, conv),
            "help": lambda: self.help(ctx, conv),
            "menu": lambda: self.menu(ctx, conv),
            "human": lambda: self.human(ctx, conv),
            "end_human": lambda: self.router.menu(ctx, conv, lead="您现在就在和小助手对话。"),
            "resume": lambda: self.resume(ctx, conv),
            "restart": lambda: self.restart(ctx, conv),
            "edit": lambda: self.edit(ctx, conv, cmd.arg, text),
            "greeting": lambda: self.greet(ctx, conv),
            "thanks": lambda: self.thanks(ctx, conv),
        }
        return await handler[cmd.name]()

    async def chat(self, ctx: StepContext, conv: ConvState, key: str,
                   text: str) -> list[Reply]:
        """The intents that are really these commands, said in other words."""
        if key == "MENU":
            return await self.menu(ctx, conv)
        if key == "HUMAN":
            return await self.human(ctx, conv)
        if key == "GREETING":
            return await self.greet(ctx, conv)
        return await self.thanks(ctx, conv)

    async def cancel(self, ctx: StepContext, conv: ConvState) -> list[Reply]:
        """取消: close the active dialog (a form's answers are dropped), or drop the one put aside;
        a dialog whose 取消 means something says so (Dialog.on_cancel)."""
        router = self.router
        if not conv.dialog:
            if conv.paused:
                conv.paused = None
                return [Text("已放弃上次没填完的内容。" + MENU_HINT)]
            return [Text(NOTHING_ACTIVE + MENU_HINT)]
        title = router.title(conv.dialog)
        dialog = router.registry.dialog(conv.dialog)
        # A dialog whose 取消 means something (the web-login question: refuse) says so.
        said = await dialog.on_cancel(ctx, conv) if dialog is not None else None
        if said is not None:
            conv.clear_dialog()
            return [Text(said)]
        browsing = not router.resumable(conv)
        conv.clear_dialog()
        if browsing:
            return [Text(f"已退出「{title}」。" + MENU_HINT)]
        return [Text(f"已取消「{title}」，填过的内容已清除。" + MENU_HINT)]

    async def back(self, ctx: StepContext, conv: ConvState) -> list[Reply]:
        """上一步 in the active dialog."""
        dialog = self.router.registry.dialog(conv.dialog or "")
        if dialog is None:
            return [Text(NOTHING_ACTIVE + MENU_HINT)]
        return await self.router.chain(ctx, conv, await dialog.back(ctx, conv))

    async def help(self, ctx: StepContext, conv: ConvState) -> list[Reply]:
        """帮助: how to answer the current question (or use the current list); the menu outside
        a dialog."""
        router = self.router
        dialog = router.registry.dialog(conv.dialog or "")
        if dialog is None:
            return await router.menu(ctx, conv)
        if not router.resumable(conv):  # a list or a search: how to use it, not a form's
            return [Text(f"您在「{dialog.title}」。" + await dialog.prompt(ctx, conv)
                         + "\n回复「菜单」回到主菜单，「取消」退出，「转人工」找客服。")]
        return [Text(f"您正在办理「{dialog.title}」。\n{COMMANDS_HELP}\n\n"
                     + await dialog.prompt(ctx, conv))]

    async def menu(self, ctx: StepContext, conv: ConvState) -> list[Reply]:
        """菜单 anywhere: the menu, the form being filled kept for later."""
        notice = self.router.pause(ctx, conv) if conv.dialog else ""
        return await self.router.menu(ctx, conv, lead=notice)

    async def human(self, ctx: StepContext, conv: ConvState) -> list[Reply]:
        """转人工: hand the conversation to the human agents."""
        return human.start(ctx, conv)

    async def resume(self, ctx: StepContext, conv: ConvState) -> list[Reply]:
        """继续填写: bring back the dialog put aside (the active one, if a form, takes its place);
        the active dialog's question when nothing was put aside."""
        router = self.router
        if conv.paused:
            snap, conv.paused = conv.paused, None
            if conv.dialog and router.resumable(conv):
                conv.paused = conv.snapshot(ctx.now)
            conv.restore(snap)
        dialog = router.registry.dialog(conv.dialog or "")
        if dialog is None:
            conv.clear_dialog()
            return [Text("没有需要继续填写的内容。" + MENU_HINT)]
        return [Text(f"好的，继续「{dialog.title}」。\n" + await dialog.prompt(ctx, conv))]

    async def restart(self, ctx: StepContext, conv: ConvState) -> list[Reply]:
        """重新开始: start the active (or put aside) dialog again from its first question."""
        name = conv.dialog or (conv.paused or {}).get("dialog")
        dialog = self.router.registry.dialog(name or "")
        if dialog is None:
            return [Text(NOTHING_ACTIVE + MENU_HINT)]
        if conv.paused and conv.paused.get("dialog") == name:
            conv.paused = None
        step = await dialog.start(ctx, conv)
        return prefixed("好的，重新开始。", await self.router.chain(ctx, conv, step))

    async def edit(self, ctx: StepContext, conv: ConvState, what: str,
                   text: str) -> list[Reply]:
        """修改 <what>: the active dialog's field of that name; else an intent the whole message
        names (修改企业认证); else say there is no such field."""
        router = self.router
        dialog = router.registry.dialog(conv.dialog or "")
        if dialog is not None:
            step = await dialog.edit(ctx, conv, what)
            if step is not None:
                return await router.chain(ctx, conv, step)
        matched = router.registry.match(text)
        if matched is not None:
            return await router.run_intent(ctx, conv, *matched)
        if dialog is None:
            return [Text(NOTHING_ACTIVE
                         + "要修改认证信息，请回复「修改个人认证」或「修改企业认证」。")]
        return [Text(f"「{dialog.title}」里没有「{what[:20]}」这一项。\n\n"
                     + await dialog.prompt(ctx, conv))]

    async def greet(self, ctx: StepContext, conv: ConvState) -> list[Reply]:
        """A greeting: carry on with the active dialog, or the menu."""
        dialog = self.router.registry.dialog(conv.dialog or "")
        if dialog is not None:
            return [Text("您好！我们接着来。\n" + await dialog.prompt(ctx, conv))]
        return await self.router.menu(ctx, conv, lead="您好！我是融信服小助手。")

    async def thanks(self, ctx: StepContext, conv: ConvState) -> list[Reply]:
        """Thanks: 不客气, and the active dialog's question again."""
        dialog = self.router.registry.dialog(conv.dialog or "")
        tail = ("\n\n" + await dialog.prompt(ctx, conv)) if dialog else ""
        return [Text("不客气，有需要随时找我。" + tail)]
