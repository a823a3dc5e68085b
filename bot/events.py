"""WeChat events: follow/unfollow, menu clicks and views, QR scans, and WeChat's own
notices (template results and the rest), which no person sent."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.inbound import Inbound
from bot.router import Router
from dialogs import human
from dialogs.base import ConvState, StepContext
from dialogs.help import WELCOME
from dialogs.login import SCENE_PREFIX
from dialogs.replies import Reply, Text, merge

log = logging.getLogger(__name__)

TemplateResult = Callable[[str, str], Awaitable[None]]
# (openid, scene, "subscribe" | "scan", when): a follower came through a channel QR code.
SourceRecord = Callable[[str, str, str, datetime], Awaitable[None]]
# Events a person caused that the bot answers; the rest (VIEW, LOCATION, the scancode
# and picture menus) are acknowledged with an empty reply.
WELCOME_BACK = "您好，欢迎回来！"
ANSWERED = frozenset({"subscribe", "scan", "click"})


@dataclass
class EventResult:
    """What an event step answers, and whether it changed the user's following
    (True: followed, False: unfollowed, None: neither)."""

    replies: list[Reply] = field(default_factory=list)
    subscribed: bool | None = None


class EventHandler:
    """Answers the events a person causes (follow, unfollow, QR scans, menu clicks) and
    acknowledges WeChat's own notices; the router answers the menu keys."""

    def __init__(self, router: Router, on_template_result: TemplateResult | None = None,
                 on_source: SourceRecord | None = None) -> None:
        self.router = router
        self.on_template_result = on_template_result
        self.on_source = on_source

    async def system(self, notice: Inbound) -> None:
        """WeChat's own notice (job results, subscription pop-ups, customer-service
        sessions, anything new): nobody to answer and no user state to touch."""
        log.info("WeChat notice %s: acknowledged", notice.event or notice.raw_type)
        if notice.event == "templatesendjobfinish" and self.on_template_result is not None:
            await self.on_template_result(notice.event_key, notice.text)

    async def handle(self, ctx: StepContext, conv: ConvState, event: Inbound) -> EventResult:
        """One event of a person, answered like a message step (the caller persists the
        conversation and the `subscribed` change)."""
        kind = event.event
        if kind == "subscribe":
            if is_login_scene(event.event_key):
                # A new follower who scanned a login QR: greet, then ask to confirm.
                scene = await self._login(ctx, conv, event.event_key)
                return EventResult(merge([Text(WELCOME), *scene]), subscribed=True)
            await self._source(ctx, event, "subscribe")
            return EventResult(await self.router.menu(ctx, conv, lead=WELCOME), subscribed=True)
        if kind == "unsubscribe":
            return EventResult([], subscribed=False)
        if kind == "scan":
            if is_login_scene(event.event_key):
                return EventResult(await self._login(ctx, conv, event.event_key))
            await self._source(ctx, event, "scan")
            # Already a follower: "欢迎关注" would be wrong; they get the menu.
            return EventResult(await self.router.menu(ctx, conv, lead=WELCOME_BACK))
        if kind == "click":
            human.end(conv)  # a click means the bot is wanted again
            intent = self.router.registry.by_key(event.event_key)
            if intent is None:
                log.warning("menu click with unknown key %r", event.event_key[:64])
                return EventResult(await self.router.menu(ctx, conv,
                                                          lead="这个菜单已更新，请从下面选择："))
            return EventResult(await self.router.run_intent(ctx, conv, intent))
        # VIEW, LOCATION and the rest need no answer; WeChat accepts an empty reply.
        return EventResult()

    async def _source(self, ctx: StepContext, event: Inbound, how: str) -> None:
        if event.event_key and self.on_source is not None:
            await self.on_source(ctx.openid, event.event_key, how, ctx.now)

    async def _login(self, ctx: StepContext, conv: ConvState, scene: str) -> list[Reply]:
        # The login dialog registers the LOGIN_SCENE intent; the scene is its argument.
        intent = self.router.registry.by_key("LOGIN_SCENE")
        if intent is None:
            return [Text("已收到扫码。网页端扫码登录暂未开通，请稍后再试。")]
        return await self.router.run_intent(ctx, conv, intent, scene)


def is_login_scene(scene: str) -> bool:
    """Only the web platform's login codes carry the login prefix; every other scene is
    a channel code (a poster per county or bank branch) and means "where from"."""
    return scene.startswith(SCENE_PREFIX) and len(scene) > len(SCENE_PREFIX)
