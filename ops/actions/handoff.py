"""Users waiting for a human (转人工) and marking them handled.

A human session is kept in the user's conversation (dialogs/human.py: `human` in the
encrypted conversation data, the moment it ends, 30 minutes after the user's last
message to the agents). The console never writes the conversation (the user's lock
guards it); marking handled stores which session was handled, so the user's next
message to the agents (which moves the end) shows them again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from adapters import audit as audit_lines
from adapters.crypto import DataCipher, DataKeyError
from adapters.operator_tables import HandoffHandled
from bot.models import Conversation
from dialogs.human import WINDOW
from ops.actions import Refused, audit
from ops.actions.audit import Sessions


@dataclass(frozen=True)
class Waiting:
    """One user in a human session nobody marked handled."""

    openid: str
    last_message_at: datetime
    human_until: str

    def waited(self, now: datetime) -> int:
        """Minutes since the user's last message to the agents."""
        return max(0, int((now - self.last_message_at).total_seconds() // 60))


async def waiting(sessions: Sessions, cipher: DataCipher, now: datetime) -> list[Waiting]:
    """Users in an open human session, longest waiting first."""
    async with sessions() as session:
        rows = (await session.execute(
            select(Conversation.openid, Conversation.data)
            .where(Conversation.updated_at >= now - WINDOW))).all()
        handled = dict((await session.execute(
            select(HandoffHandled.openid, HandoffHandled.human_until))).all())
    found = []
    for openid, data in rows:
        until = _human_until(cipher, data)
        if until is None or handled.get(openid) == until:
            continue
        end = datetime.fromisoformat(until)
        if end > now:
            found.append(Waiting(openid, end - WINDOW, until))
    return sorted(found, key=lambda w: w.last_message_at)


def _human_until(cipher: DataCipher, data: str) -> str | None:
    if not data:
        return None
    try:
        value = json.loads(cipher.decrypt(data)).get("human")
    except (DataKeyError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


async def mark_handled(sessions: Sessions, cipher: DataCipher, openid: str, *, actor: str,
                       address: str, now: datetime) -> None:
    """Mark the user's current human session handled, audited; Refused when the user is
    not waiting (any longer)."""
    current = next((w for w in await waiting(sessions, cipher, now) if w.openid == openid),
                   None)
    if current is None:
        raise Refused("该用户当前没有等待处理的人工会话。")
    async with sessions.begin() as session:
        row = await session.get(HandoffHandled, openid)
        if row is None:
            session.add(HandoffHandled(openid=openid, human_until=current.human_until,
                                       handled_by=actor[:40], handled_at=now))
        else:
            row.human_until, row.handled_by, row.handled_at = (current.human_until,
                                                               actor[:40], now)
        await audit.add(session, actor=actor, address=address, action="handoff_handled",
                        target=audit_lines.subject(cipher, "openid", openid),
                        detail=f"waited_minutes={current.waited(now)}", at=now)
