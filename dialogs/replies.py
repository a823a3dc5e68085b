"""What a step says back. Plain data, so dialogs never touch the WeChat wire format."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Text:
    """A text reply (a passive reply or a customer-service message); consecutive texts of one
    step are merged into one message."""

    content: str


@dataclass(frozen=True)
class Transfer:
    """Hand the user to human agents (WeChat's transfer_customer_service)."""


Reply = Text | Transfer


def prefixed(notice: str, replies: list[Reply]) -> list[Reply]:
    """The replies with a notice in front, in the same message as the first text."""
    if not notice:
        return replies
    if replies and isinstance(replies[0], Text):
        return [Text(notice + "\n" + replies[0].content), *replies[1:]]
    return [Text(notice), *replies]


def to_json(reply: Reply) -> dict[str, str]:
    if isinstance(reply, Transfer):
        return {"type": "transfer"}
    return {"type": "text", "content": reply.content}


def from_json(data: dict[str, str]) -> Reply:
    if data.get("type") == "transfer":
        return Transfer()
    return Text(data.get("content", ""))


def merge(replies: list[Reply]) -> list[Reply]:
    """One user message gets one reply: consecutive texts become one message."""
    merged: list[Reply] = []
    for reply in replies:
        if isinstance(reply, Text) and merged and isinstance(merged[-1], Text):
            merged[-1] = Text(merged[-1].content + "\n\n" + reply.content)
        elif not (isinstance(reply, Text) and not reply.content):
            merged.append(reply)
    return merged
