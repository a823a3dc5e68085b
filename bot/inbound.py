"""One inbound WeChat delivery as the router sees it, independent of wechatpy."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from wechatpy.messages import BaseMessage

# A text field beyond this is not a real answer to anything we ask; cut it before work.
MAX_TEXT = 2000


@dataclass(frozen=True)
class Inbound:
    openid: str
    kind: str  # text | voice | image | event | other
    text: str = ""
    event: str = ""
    event_key: str = ""
    media_id: str = ""
    msg_id: int = 0
    create_time: int = 0
    raw_type: str = ""

    @property
    def dedupe_key(self) -> str:
        # WeChat's advice: MsgId for messages, FromUserName + CreateTime for events.
        if self.msg_id:
            return f"m:{self.msg_id}"
        return f"e:{self.openid}:{self.create_time}:{self.event}:{self.event_key[:64]}"


def normalize_text(text: str) -> str:
    """NFKC (full-width -> half-width), trimmed, inner whitespace runs collapsed."""
    text = unicodedata.normalize("NFKC", text or "")[:MAX_TEXT]
    return " ".join(text.split())


def from_message(msg: BaseMessage) -> Inbound:
    base = {
        "openid": msg.source,
        "msg_id": int(getattr(msg, "id", 0) or 0),
        "create_time": int(getattr(msg, "time", 0) or 0),
        "raw_type": msg.type,
    }
    if msg.type == "text":
        return Inbound(kind="text", text=normalize_text(msg.content or ""), **base)
    if msg.type == "voice":
        recognition = normalize_text(getattr(msg, "recognition", "") or "")
        return Inbound(kind="voice", text=recognition, media_id=msg.media_id or "", **base)
    if msg.type == "image":
        return Inbound(kind="image", media_id=msg.media_id or "", **base)
    if msg.type == "event":
        event = (getattr(msg, "event", "") or "").lower()
        key = getattr(msg, "key", None) or getattr(msg, "scene_id", None) or ""
        if event == "view":
            key = getattr(msg, "url", "") or ""
        if event == "templatesendjobfinish":
            key = str(getattr(msg, "id", "") or "")
            status = getattr(msg, "status", "") or ""
            base["msg_id"] = 0
            return Inbound(kind="event", event=event, event_key=key, text=status, **base)
        return Inbound(kind="event", event=event, event_key=str(key), **base)
    return Inbound(kind="other", **base)
