"""Per-user conversation records, delivery dedupe and the outbox write of one step.

Reads happen in short transactions; the step runs outside any transaction (a slow
adapter must not hold SQLite's write lock); the results are written in one short
transaction: delivery row, conversation (version-checked), user's last activity and
any outbox rows. Either all of a step lands or none of it does.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.crypto import DataCipher
from adapters.outbox import OutboxItem, enqueue
from bot.models import Conversation, Delivery, WeChatUser
from dialogs.base import ConvState
from dialogs.replies import Reply, from_json, to_json


class ConcurrentUpdate(Exception):
    """The conversation changed under us; the step is dropped, not half-applied."""


@dataclass
class Loaded:
    conv: ConvState
    known_user: bool
    rl_window: int
    rl_count: int


class ConversationStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], cipher: DataCipher) -> None:
        self._sessions = sessions
        self._cipher = cipher

    async def delivery(self, key: str) -> list[Reply] | None:
        async with self._sessions() as session:
            raw = await session.scalar(select(Delivery.replies).where(Delivery.key == key))
        return None if raw is None else [from_json(r) for r in json.loads(raw)]

    async def load(self, openid: str) -> Loaded:
        async with self._sessions() as session:
            row = await session.get(Conversation, openid)
            known = row is not None or await session.get(WeChatUser, openid) is not None
        if row is None:
            return Loaded(ConvState(openid=openid), known, 0, 0)
        data = json.loads(self._cipher.decrypt(row.data)) if row.data else {}
        conv = ConvState(
            openid=openid, dialog=row.dialog, state=row.state,
            values=data.get("values", {}), scratch=data.get("scratch", {}),
            choices=data.get("choices"), paused=data.get("paused"),
            updated_at=row.updated_at, version=row.version,
        )
        return Loaded(conv, True, row.rl_window, row.rl_count)

    async def commit_step(self, key: str, loaded: Loaded, now: datetime, record: list[Reply],
                          outbox: Sequence[OutboxItem], *, touch_user: bool,
                          subscribed: bool | None = None) -> bool:
        """Write one step. False when another delivery of the same key won (a retry
        racing across processes without the lock): nothing of this one is written."""
        conv = loaded.conv
        data = {"values": conv.values, "scratch": conv.scratch, "choices": conv.choices,
                "paused": conv.paused}
        blob = self._cipher.encrypt(json.dumps(data, ensure_ascii=False, default=str))
        row = {"dialog": conv.dialog, "state": conv.state, "data": blob,
               "version": conv.version + 1, "updated_at": now,
               "rl_window": loaded.rl_window, "rl_count": loaded.rl_count}
        try:
            async with self._sessions.begin() as session:
                session.add(Delivery(key=key, openid=conv.openid, created_at=now,
                                     replies=json.dumps([to_json(r) for r in record],
                                                        ensure_ascii=False)))
                await session.flush()
                await self._save_conversation(session, conv, row)
                await self._touch_user(session, conv.openid, now, touch_user, subscribed)
                await enqueue(session, outbox, now)
        except IntegrityError:
            return False
        conv.version += 1
        return True

    async def _save_conversation(self, session: AsyncSession, conv: ConvState,
                                 row: dict[str, Any]) -> None:
        if conv.version == 0:
            session.add(Conversation(openid=conv.openid, **row))
            await session.flush()
            return
        result = await session.execute(
            update(Conversation)
            .where(Conversation.openid == conv.openid, Conversation.version == conv.version)
            .values(**row))
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentUpdate(conv.openid)

    async def _touch_user(self, session: AsyncSession, openid: str, now: datetime,
                          inbound: bool, subscribed: bool | None) -> None:
        user = await session.get(WeChatUser, openid)
        if user is None:
            user = WeChatUser(openid=openid, subscribed=subscribed is not False,
                              created_at=now, subscribed_at=now)
            session.add(user)
        if inbound:
            user.last_inbound_at = now
        if subscribed is True and not user.subscribed:
            user.subscribed, user.subscribed_at = True, now
        elif subscribed is False and user.subscribed:
            user.subscribed, user.unsubscribed_at = False, now
