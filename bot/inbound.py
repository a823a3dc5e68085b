"""One inbound WeChat delivery as the router sees it, independent of wechatpy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from knowledge import normal

# A text field beyond this is not a real answer to anything we ask; cut it before work.
MAX_TEXT = 2000

# Events a person causes by acting in the chat (following, scanning, tapping the menu,
# sharing a location). Every other event is WeChat's own notice (job results,
# subscription pop-up results, customer-service sessions, anything new): it gets an
# empty answer and touches no user state (docs/wechat.md, "Events as WeChat means them").
PERSON_EVENTS = frozenset({
    "subscribe", "unsubscribe", "scan", "click", "view", "view_miniprogram", "location",
    "scancode_push", "scancode_waitmsg", "pic_sysphoto", "pic_photo_or_album", "pic_weixin",
    "location_select",
})
# Message types a person sends; any other MsgType is treated like a system notice.
PERSON_MESSAGES = frozenset({
    "text", "voice", "image", "video", "shortvideo", "location", "link", "file",
    "miniprogrampage",
})


# What a delivery is: a text, a recognised voice, an image, an event a person caused
# (PERSON_EVENTS), WeChat's own notice ("system"), or any other message a person sent.
InboundKind = Literal["text", "voice", "image", "event", "system", "other"]


@dataclass(frozen=True)
class Inbound:
    """One WeChat delivery reduced to what the bot acts on: who sent it, what kind it is
    and its content (`text` already normalised by `message_text`). Equal deliveries
    (WeChat's retries) share one `dedupe_key`."""

    openid: str
    kind: InboundKind
    text: str = ""
    event: str = ""
    event_key: str = ""
    media_id: str = ""
    msg_id: int = 0
    create_time: int = 0
    raw_type: str = ""

    def __post_init__(self) -> None:
        if self.kind not in get_args(InboundKind):
            raise ValueError(f"unknown inbound kind {self.kind!r}")

    @property
    def dedupe_key(self) -> str:
        """The key a delivery is answered once by (WeChat retries carry the same)."""
        # WeChat's advice: MsgId for messages, FromUserName + CreateTime for events. A
        # MsgId is only unique per sender: scoped by openid, one user's stored reply can
        # never be replayed to another (docs/wechat.md). Bounded to the column (160).
        if self.msg_id:
            return f"m:{self.openid}:{self.msg_id}"
        return f"e:{self.openid}:{self.create_time}:{self.event}:{self.event_key[:48]}"


def message_text(text: str | None) -> str:
    """A message's text as the bot reads it (knowledge.normal.message_text), bounded to
    MAX_TEXT characters."""
    return normal.message_text((text or "")[:MAX_TEXT])
