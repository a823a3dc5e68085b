"""WeChat's customer-service message quotas (since June 2023), as docs/wechat.md states them.

A message the person sends (text, voice, image, location, link, video: any MsgType but
`event`) allows 5 customer-service messages within 48 hours; a menu click, a subscribe or
a QR scan allows 3 within one minute. Quotas do not add up: each such action replaces
whatever was left. Events nobody typed or tapped for us (unsubscribe, template and mass
send results, VIEW, LOCATION, pop-up results, session notices) open nothing.

The user's row keeps the current window (`last_inbound_at` = opened, `cs_kind`,
`cs_expires_at`, `cs_remaining`); the push worker takes one with a conditional UPDATE
per send, so several workers never spend more than WeChat allows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.inbound import Inbound
from dialogs.replies import Reply, prefixed


@dataclass(frozen=True)
class Quota:
    """How many customer-service messages one kind of user action opens, and for how long
    (docs/wechat.md); `kind` is what the wechat_users row stores."""

    kind: str  # "message" | "event": stored in wechat_users.cs_kind
    count: int
    lasts: timedelta


MESSAGE = Quota("message", 5, timedelta(hours=48))
EVENT = Quota("event", 3, timedelta(minutes=1))

# Menu clicks (plain and the scan-code buttons), following (with or without a QR scene)
# and scanning a parametric QR code while following. wechatpy names a subscribe through a
# QR code `subscribe_scan`.
OPENING_EVENTS = frozenset({"click", "scancode_push", "scancode_waitmsg", "subscribe",
                            "subscribe_scan", "scan"})


def opened_by(inbound: Inbound) -> Quota | None:
    """The quota this inbound gives on WeChat's side, or None when it opens nothing."""
    if inbound.kind != "event":
        return MESSAGE
    return EVENT if inbound.event in OPENING_EVENTS else None


def tell_waiting(replies: list[Reply], waiting: int, quota: Quota) -> list[Reply]:
    """The step's replies with a word about the notices that waited for this action."""
    if waiting <= 0:
        return replies
    if waiting <= quota.count:
        notice = f"您有{waiting}条需求进展通知，马上发给您。"
    else:
        notice = (f"您有{waiting}条需求进展通知，先发给您{quota.count}条，"
                  "其余的在您下次发消息后发出。")
    return prefixed(notice, replies)
