"""Handles one inbound delivery exactly once, within WeChat's 5-second window.

lock user -> already delivered? (retry: same reply) -> load -> route one step -> write
delivery + conversation + outbox in one transaction -> reply. If the step overruns the
budget the user gets the step's hint ("正在核验…") at once and the real answer follows
as customer-service messages through the outbox, written in that same transaction.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from adapters.masking import mask_text
from adapters.outbox import OutboxItem
from adapters.ports import Ports
from adapters.sqltypes import utcnow
from bot import cs_quota, step_ports
from bot.events import ANSWERED, EventHandler
from bot.inbound import Inbound
from bot.locks import UserLocks
from bot.replay import ReplayGuard, Seal, Seen
from bot.router import Router
from bot.store import ConversationStore, Loaded
from dialogs.base import Forget, StepContext
from dialogs.replies import Reply, Text, Transfer

log = logging.getLogger(__name__)

WORKING = "正在处理，请稍候…结果稍后发给您。"
BUSY = "系统繁忙，请稍后再试。"
TOO_FAST = "您发得太快了，请稍等一分钟再发。"
UNSUPPORTED = "暂时只能看懂文字和语音哦。请发文字，或回复「菜单」看看能办什么。"
MAX_TEXT_BYTES = 2000  # WeChat cuts text replies at about 2,048 bytes
# A voice message arrives without Recognition when the account has recognition off;
# asking to say it again cannot help. Said once, then not again for an hour of chat.
VOICE_UNHEARD = "暂时听不了语音，请发文字给我。"
VOICE_TOLD = "_voice_told_at"  # in the conversation's scratch: when we last said it
VOICE_TOLD_EVERY = timedelta(hours=1)


@dataclass
class Handoff:
    """Shared by the webhook and the step: who answers the user, passive or outbox."""

    hint: str = ""
    detached: bool = False
    committing: bool = False

    def set_hint(self, hint: str) -> None:
        """The step's hint for a slow answer ("正在核验…"), said at once if the budget runs out."""
        self.hint = hint


@dataclass
class Outcome:
    """What handling one delivery produced: the passive replies, and how it went —
    `duplicate` (WeChat's retry, answered from the stored reply), `detached` (over budget:
    the answer follows through the outbox), `replayed` (a forged replay, refused) — and
    where the conversation now stands (for logs and tests)."""

    replies: list[Reply]
    duplicate: bool = False
    detached: bool = False
    dialog: str | None = None
    state: str | None = None
    replayed: bool = False  # the request's signature came before with another body


class MessageHandler:
    """Handles each inbound WeChat delivery exactly once and in order per user (this
    module's docstring): lock, dedupe, route one step, commit everything together, reply
    within `budget` seconds or detach."""

    def __init__(self, *, store: ConversationStore, locks: UserLocks, router: Router,
                 events: EventHandler, ports: Ports, budget: float = 4.0,
                 rate_limit: int = 30, clock: Callable[[], datetime] = utcnow,
                 replay: ReplayGuard | None = None) -> None:
        self.store = store
        self.locks = locks
        self.router = router
        self.events = events
        self.ports = ports
        self.budget = budget
        self.rate_limit = rate_limit
        self.clock = clock
        self.replay = replay
        self._tasks: set[asyncio.Task[Outcome]] = set()

    async def handle(self, inbound: Inbound, seal: Seal | None = None) -> Outcome:
        """`seal`: the signed request to remember against replays (plain mode)."""
        handoff = Handoff()
        task = asyncio.create_task(self._process(inbound, handoff, seal))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        try:
            outcome = await asyncio.wait_for(asyncio.shield(task), self.budget)
        except TimeoutError:
            if handoff.committing:  # the answer is being written: it is worth the wait
                outcome = await task
            else:
                handoff.detached = True
                outcome = Outcome([Text(handoff.hint or WORKING)], detached=True)
        return outcome

    async def drain(self, limit: float = 10.0) -> None:
        """Let detached steps finish before shutdown; their answers are in the outbox."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=limit)

    async def _process(self, inbound: Inbound, handoff: Handoff,
                       seal: Seal | None) -> Outcome:
        if inbound.kind == "system":
            # WeChat's own notice: no person to answer, to count or to follow.
            if seal is not None and self.replay is not None:
                seen = await self.replay.remember(seal)
                if seen is not Seen.FIRST:  # a replay, or WeChat's retry: handled once
                    return Outcome([], replayed=seen is Seen.REPLAY)
            await self.events.system(inbound)
            return Outcome([])
        async with self.locks.hold(inbound.openid) as conn:
            key = inbound.dedupe_key
            if seal is not None and self.replay is not None:
                # Remembered and read in one phase; a replay's read is simply not used.
                seen, prior, loaded = await self.store.begin_after(
                    self.replay.remembering(seal), key, inbound.openid, conn)
                if seen is Seen.REPLAY:
                    return Outcome([], replayed=True)
            else:
                prior, loaded = await self.store.begin(key, inbound.openid, conn)
            if prior is not None:
                return Outcome(prior, duplicate=True)
            now = self.clock()
            ctx = StepContext(openid=inbound.openid, now=now, idem_key=key,
                              ports=step_ports.for_step(self.ports), set_hint=handoff.set_hint)
            if inbound.kind in ("text", "voice"):
                ctx.text, ctx.reader = inbound.text, self.router.understand
            with self.store.step_connection(conn):
                replies, subscribed = await self._route(ctx, loaded, inbound)
            opens = cs_quota.opened_by(inbound)
            if opens is not None:  # the rows that waited for this go out now
                replies = cs_quota.tell_waiting(replies, loaded.cs_waiting, opens)
            replies = split_long(masked(replies))
            handoff.committing = True
            if handoff.detached:
                record: list[Reply] = [Text(handoff.hint or WORKING)]
                later = replies
            elif any(isinstance(r, Transfer) for r in replies):
                # The transfer is the passive reply and shows the user nothing, so what
                # the step says goes as customer-service messages ("正在为您转接…").
                record = [Transfer()]
                later = [r for r in replies if isinstance(r, Text)]
            else:
                record, later = replies[:1], replies[1:]
            outbox = [OutboxItem(inbound.openid, "text", {"content": r.content})
                      for r in later if isinstance(r, Text)]
            written = await self.store.commit_step(key, loaded, now, record, outbox,
                                                   opens=opens, subscribed=subscribed,
                                                   forget=_forget(inbound, loaded),
                                                   conn=conn)
            if not written:  # another process delivered the same key first
                return Outcome(await self.store.delivery(key) or [], duplicate=True)
            return Outcome(record, detached=handoff.detached, dialog=loaded.conv.dialog,
                           state=loaded.conv.state)

    async def _route(self, ctx: StepContext, loaded: Loaded,
                     inbound: Inbound) -> tuple[list[Reply], bool | None]:
        conv = loaded.conv
        too_fast = self._too_fast(ctx, loaded)  # menu clicks and scans count like messages
        if inbound.kind == "event":
            if too_fast:
                return _slowed(inbound)
            result = await self.events.handle(ctx, conv, inbound)
            return result.replies, result.subscribed
        subscribed = None if loaded.known_user else True
        if too_fast:
            return [Text(TOO_FAST)], subscribed
        if inbound.kind == "text":
            return await self.router.on_text(ctx, conv, inbound.text), subscribed
        if inbound.kind == "voice":
            if not inbound.text:
                return _voice_unheard(ctx, loaded), subscribed
            return await self.router.on_text(ctx, conv, inbound.text), subscribed
        if inbound.kind == "image":
            return await self.router.on_image(ctx, conv, inbound.media_id), subscribed
        return [Text(UNSUPPORTED)], subscribed

    def _too_fast(self, ctx: StepContext, loaded: Loaded) -> bool:
        window = int(ctx.now.timestamp() // 60)
        if loaded.rl_window != window:
            loaded.rl_window, loaded.rl_count = window, 0
        loaded.rl_count += 1
        return loaded.rl_count > self.rate_limit


def _forget(inbound: Inbound, loaded: Loaded) -> Forget | None:
    """What this step erases instead of being stored: everything after 注销 (the dialog
    says so), the conversation and deliveries after an unsubscribe (README, "Retention")."""
    if loaded.conv.forget is not None:
        return loaded.conv.forget
    if inbound.kind == "event" and inbound.event == "unsubscribe":
        return Forget(account=False)
    return None


def _slowed(event: Inbound) -> tuple[list[Reply], bool | None]:
    """An event over the per-user limit runs nothing; a follow or unfollow is still
    recorded (it happened), and only events we would answer say why."""
    follow = {"subscribe": True, "unsubscribe": False}.get(event.event)
    return ([Text(TOO_FAST)] if event.event in ANSWERED else []), follow


def _voice_unheard(ctx: StepContext, loaded: Loaded) -> list[Reply]:
    scratch = loaded.conv.scratch
    told = scratch.get(VOICE_TOLD)
    if isinstance(told, str) and ctx.now - datetime.fromisoformat(told) < VOICE_TOLD_EVERY:
        return []
    scratch[VOICE_TOLD] = ctx.now.isoformat()
    return [Text(VOICE_UNHEARD)]


def masked(replies: list[Reply]) -> list[Reply]:
    """What the bot says, with ID numbers and phones masked however they were typed: a
    reply that echoes the user's words ("没有「…」这一项") is sent, stored as the delivery
    and queued in the outbox like any other text (docs/wechat.md has no rule for this;
    our own: personal numbers are never shown whole)."""
    return [Text(mask_text(r.content)) if isinstance(r, Text) else r for r in replies]


def split_long(replies: list[Reply]) -> list[Reply]:
    """Keep every text under WeChat's limit, cutting at paragraph or line ends where
    possible."""
    out: list[Reply] = []
    for reply in replies:
        if isinstance(reply, Transfer) or len(reply.content.encode()) <= MAX_TEXT_BYTES:
            out.append(reply)
            continue
        chunk = ""
        for line in reply.content.splitlines(keepends=True):
            while len(line.encode()) > MAX_TEXT_BYTES:  # one huge line: cut by characters
                head = _cut(line, MAX_TEXT_BYTES)
                if chunk:
                    out.append(Text(chunk.rstrip()))
                    chunk = ""
                out.append(Text(head))
                line = line[len(head):]
            if len((chunk + line).encode()) > MAX_TEXT_BYTES:
                head, chunk = _at_paragraph(chunk, line)
                out.append(Text(head.rstrip()))
            chunk += line
        if chunk.strip():
            out.append(Text(chunk.rstrip()))
    return out


def _at_paragraph(chunk: str, line: str) -> tuple[str, str]:
    """Where a full message ends: at its last blank line when that keeps at least half of
    it, so a section (an enterprise in 导出我的信息) is never split across two messages
    on a phone; else at the line end. (the message, what starts the next one)"""
    cut = chunk.rfind("\n\n")
    if cut > 0 and len(chunk[:cut].encode()) >= MAX_TEXT_BYTES // 2:
        rest = chunk[cut:].lstrip("\n")
        if len((rest + line).encode()) <= MAX_TEXT_BYTES:
            return chunk[:cut], rest
    return chunk, ""


def _cut(text: str, limit: int) -> str:
    size = 0
    for i, ch in enumerate(text):
        size += len(ch.encode())
        if size > limit:
            return text[:i]
    return text
