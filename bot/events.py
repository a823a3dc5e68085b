"""WeChat events: follow/unfollow, menu clicks and views, QR scans, template results."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.inbound import Inbound
from bot.router import Router, merge
from dialogs import human
from dialogs.base import ConvState, StepContext
from dialogs.help import WELCOME
from dialogs.replies import Reply, Text

log = logging.getLogger(__name__)

TemplateResult = Callable[[str, str], Awaitable[None]]


@dataclass
class EventResult:
    replies: list[Reply] = field(default_factory=list)
    subscribed: bool | None = None


class EventHandler:
    def __init__(self, router: Router,
                 on_template_result: TemplateResult | None = None) -> None:
        self.router = router
        self.on_template_result = on_template_result

    async def handle(self, ctx: StepContext, conv: ConvState, event: Inbound) -> EventResult:
        kind = event.event
        if kind in ("subscribe", "subscribe_scan"):
            if kind == "subscribe_scan" and event.event_key:
                # A new follower who scanned a login QR: greet, then ask to confirm.
                scene = await self._scene(ctx, conv, event.event_key)
                return EventResult(merge([Text(WELCOME), *scene]), subscribed=True)
            return EventResult(await self.router.menu(ctx, conv, lead=WELCOME), subscribed=True)
        if kind == "unsubscribe":
            return EventResult([], subscribed=False)
        if kind == "scan":
            return EventResult(await self._scene(ctx, conv, event.event_key))
        if kind == "click":
            human.end(conv)  # a click means the bot is wanted again
            intent = self.router.registry.by_key(event.event_key)
            if intent is None:
                log.warning("menu click with unknown key %r", event.event_key)
                return EventResult(await self.router.menu(ctx, conv,
                                                          lead="这个菜单已更新，请从下面选择："))
            return EventResult(await self.router.run_intent(ctx, conv, intent))
        if kind == "templatesendjobfinish":
            if self.on_template_result is not None:
                await self.on_template_result(event.event_key, event.text)
            return EventResult()
        # VIEW, LOCATION and the rest need no answer; WeChat accepts an empty reply.
        return EventResult()

    async def _scene(self, ctx: StepContext, conv: ConvState, scene: str) -> list[Reply]:
        # The login dialog registers the LOGIN_SCENE intent; the scene is its argument.
        intent = self.router.registry.by_key("LOGIN_SCENE")
        if intent is None:
            return [Text("已收到扫码。网页端扫码登录暂未开通，请稍后再试。")]
        return await self.router.run_intent(ctx, conv, intent, scene)
