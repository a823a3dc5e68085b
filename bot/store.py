"""Per-user conversation records, delivery dedupe and the writes of one step.

The hot path is two round trips: one statement reads the delivery (a retry?), the user
and the conversation together; one short transaction writes the delivery, the
conversation (version-checked), the user's customer-service window and any outbox rows.
The step itself runs outside any transaction, so a slow adapter never holds SQLite's
write lock. Either all of a step lands or none of it does.

On PostgreSQL the read also remembers the request against replays, and the usual write
(a saved conversation, or a user's first step, without outbox rows) is one statement, so
a message is lock, read, write, unlock: four round trips on the lock's connection. The
hottest statements go straight to the driver (bot/store_raw.py, adapters/raw_sql.py).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from asyncpg.exceptions import UniqueViolationError
from sqlalchemy import bindparam, insert, literal_column, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Executable

from adapters import audit, raw_sql
from adapters.crypto import DataCipher
from adapters.database import PhaseRunner, is_autocommit
from adapters.outbox import OutboxItem, OutboxRow, outbox_values
from bot import store_raw
from bot.cs_quota import Quota
from bot.forget import forget_account, forget_chat
from bot.models import Conversation, Delivery, WeChatUser
from bot.replay import Remembering, Seen
from dialogs.base import ConvState, Forget
from dialogs.replies import Reply, from_json, to_json

# A message's 48-hour window only needs minute precision: while the stored window is a
# message window with its full 5 left and opened less than this ago, the user row is not
# rewritten (its expiry then runs a few minutes early, never late). Anything spent from
# it, or an event's one-minute window, is rewritten on every message.
TOUCH_EVERY = timedelta(minutes=5)

# One statement: the delivery (a retry?), the user and the conversation. Built from the
# tables rather than as text so SQLAlchemy caches its result metadata (text() rebuilt it
# on every message: half the read's cost).
_D, _U, _C = Delivery.__table__, WeChatUser.__table__, Conversation.__table__
_READ = select(
    _D.c.replies, _U.c.openid.label("known"), _U.c.subscribed, _U.c.last_inbound_at,
    _U.c.cs_kind, _U.c.cs_remaining, _U.c.cs_waiting,
    _C.c.dialog, _C.c.state, _C.c.data, _C.c.version, _C.c.updated_at, _C.c.rl_window,
    _C.c.rl_count,
).select_from(
    select(literal_column("1").label("one")).subquery("q")
    .outerjoin(_D, _D.c.key == bindparam("key"))
    .outerjoin(_U, _U.c.openid == bindparam("openid"))
    .outerjoin(_C, _C.c.openid == bindparam("openid")))


# Built once: a statement object memoizes its cache key, so SQLAlchemy finds the compiled
# SQL without rebuilding and re-hashing the statement for every message (a third of the
# store's CPU when the statements were built per call). The SET columns come from the
# parameter keys.
_INSERT_CONVERSATION = insert(_C)
_UPDATE_CONVERSATION = update(_C).where(_C.c.openid == bindparam("w_openid"),
                                        _C.c.version == bindparam("w_version"))
_INSERT_DELIVERY = insert(_D)
_INSERT_OUTBOX = insert(OutboxRow.__table__)
# Rows that waited for a window go now; the worker takes them within the new quota.
_RELEASE = (update(OutboxRow.__table__)
            .where(OutboxRow.__table__.c.openid == bindparam("w_openid"),
                   OutboxRow.__table__.c.status == "waiting")
            .values(status="pending", next_attempt_at=bindparam("now")))
# PostgreSQL, the usual step (a conversation already saved, no user row or outbox to
# write): the delivery is inserted only if the version-checked update matched, in one
# statement, atomic without BEGIN and COMMIT: one round trip instead of four.
# Every column but the key: a column added to the table without a value here fails
# loudly (a missing bind parameter) instead of being skipped by this path.
_STEP_COLUMNS = tuple(c.name for c in _C.columns if c.name != "openid")
_STEPPED = (update(_C)
            .where(_C.c.openid == bindparam("w_openid"), _C.c.version == bindparam("w_version"))
            .values({c: bindparam(f"c_{c}", type_=_C.c[c].type) for c in _STEP_COLUMNS})
            .returning(_C.c.openid)
            .cte("stepped"))
_STEP_IN_ONE = insert(_D).from_select(
    ["key", "openid", "created_at", "replies"],
    select(bindparam("d_key", type_=_D.c.key.type), _STEPPED.c.openid,
           bindparam("d_created_at", type_=_D.c.created_at.type),
           bindparam("d_replies", type_=_D.c.replies.type)))

# The same statements for the driver itself (bot/store_raw.py).
_READ_PG = raw_sql.Prepared(_READ)
_REMEMBER_AND_READ = store_raw.remember_and_read(_READ)
_STEP_PG = raw_sql.Prepared(_STEP_IN_ONE)
_READ_SQLITE = raw_sql.Prepared(_READ, raw_sql.SQLITE)
_INSERT_DELIVERY_SQLITE = raw_sql.Prepared(_INSERT_DELIVERY, raw_sql.SQLITE,
                                             [c.name for c in _D.columns])
_INSERT_CONVERSATION_SQLITE = raw_sql.Prepared(_INSERT_CONVERSATION, raw_sql.SQLITE,
                                                 ["openid", *_STEP_COLUMNS])
_UPDATE_CONVERSATION_SQLITE = raw_sql.Prepared(_UPDATE_CONVERSATION, raw_sql.SQLITE,
                                                 _STEP_COLUMNS)

T = TypeVar("T")


class ConcurrentUpdate(Exception):
    """The conversation changed under us; the step is dropped, not half-applied."""


@dataclass
class Loaded:
    """What a step starts from: the conversation, whether the user is known, the rate-limit
    window, following status and the customer-service window."""

    conv: ConvState
    known_user: bool
    rl_window: int
    rl_count: int
    subscribed: bool | None = None
    last_inbound_at: datetime | None = None
    cs_kind: str | None = None
    cs_remaining: int = 0
    cs_waiting: int = 0  # outbox rows waiting for this user's next action


class ConversationStore:
    """Conversations and deliveries in our database: reads a user's state with the reply
    already given to a delivery, and writes a step's delivery, conversation and outbox rows
    in one transaction (conversation data encrypted)."""

    def __init__(self, runner: PhaseRunner, cipher: DataCipher) -> None:
        self._runner = runner
        self._cipher = cipher
        self._pg = runner.engine.dialect.name == "postgresql"

    def step_connection(self, conn: AsyncConnection | None) -> AbstractContextManager[None]:
        """Run the step's database phases on `conn` (the user lock's connection) while in this
        context."""
        return self._runner.step_connection(conn)

    async def begin(self, key: str, openid: str, conn: AsyncConnection | None = None
                    ) -> tuple[list[Reply] | None, Loaded]:
        """The reply already given to this delivery (a retry), and the user's state."""
        raw = await raw_sql.driver(conn) if self._pg else None
        if raw is not None:
            row = await raw.fetchrow(_READ_PG.sql, *_READ_PG.args({"key": key,
                                                                    "openid": openid}))
        else:
            row = await self._runner.run(_read, key, openid, conn=conn)
        replies = None
        if row["replies"] is not None:
            replies = [from_json(r) for r in json.loads(row["replies"])]
        return replies, self._loaded(openid, row)

    async def begin_after(self, first: Callable[[Connection], T], key: str, openid: str,
                          conn: AsyncConnection | None = None
                          ) -> tuple[T, list[Reply] | None, Loaded]:
        """`begin`, with the caller's `first` (the replay memory's insert) run just before
        the read in the same phase: one thread hop or greenlet fewer a message. `first`
        writes, so on SQLite the phase is a write (its own savepoint). On PostgreSQL the
        replay memory's usual case and the read are one statement (bot/store_raw.py)."""
        row: Any = None
        raw = await raw_sql.driver(conn) if self._pg else None
        if raw is not None and isinstance(first, Remembering):
            row = await raw.fetchrow(_REMEMBER_AND_READ.sql, *_REMEMBER_AND_READ.args({
                "s_key": first.seal.key, "s_hash": first.seal.body_hash, "s_at": first.at,
                "key": key, "openid": openid}))
            done = cast(T, Seen.FIRST)
        if row is None or not row["first"]:  # not folded, or a retry or replay to tell
            done, row = await self._runner.run(_first_then_read, first, key, openid,
                                               write=conn is None, conn=conn)
        replies = None
        if row["replies"] is not None:
            replies = [from_json(r) for r in json.loads(row["replies"])]
        return done, replies, self._loaded(openid, row)

    async def delivery(self, key: str) -> list[Reply] | None:
        """The replies stored for delivery `key`, or None when it was never answered."""
        return (await self.begin(key, ""))[0]

    def _loaded(self, openid: str, row: Any) -> Loaded:
        known = row["known"] is not None
        window = {"last_inbound_at": row["last_inbound_at"], "cs_kind": row["cs_kind"],
                  "cs_remaining": row["cs_remaining"] or 0,
                  "cs_waiting": row["cs_waiting"] or 0}
        if row["version"] is None:
            return Loaded(ConvState(openid=openid), known, 0, 0, row["subscribed"], **window)
        data = json.loads(self._cipher.decrypt(row["data"])) if row["data"] else {}
        conv = ConvState(
            openid=openid, dialog=row["dialog"], state=row["state"],
            values=data.get("values", {}), scratch=data.get("scratch", {}),
            choices=data.get("choices"), paused=data.get("paused"), kept=data.get("kept"),
            human_until=data.get("human"),
            updated_at=row["updated_at"], version=row["version"],
        )
        return Loaded(conv, True, row["rl_window"], row["rl_count"], row["subscribed"],
                      **window)

    async def commit_step(self, key: str, loaded: Loaded, now: datetime, record: list[Reply],
                          outbox: Sequence[OutboxItem], *, opens: Quota | None = None,
                          subscribed: bool | None = None, forget: Forget | None = None,
                          conn: AsyncConnection | None = None) -> bool:
        """Write one step. False when another delivery of the same key won (a retry
        racing across processes without the lock): nothing of this one is written.

        `opens`: the customer-service quota the inbound gives (bot/cs_quota.py); it
        replaces the user's window and releases the rows that waited for one.
        `forget`: erase the user instead of saving the step (`_erase`)."""
        if forget is not None:
            await self._erase(loaded, now, outbox, forget, subscribed, conn)
            return True
        conv = loaded.conv
        data = {"values": conv.values, "scratch": conv.scratch, "choices": conv.choices,
                "paused": conv.paused, "kept": conv.kept, "human": conv.human_until}
        row = {"dialog": conv.dialog, "state": conv.state,
               "data": self._cipher.encrypt(json.dumps(data, ensure_ascii=False, default=str)),
               "version": conv.version + 1, "updated_at": now,
               "rl_window": loaded.rl_window, "rl_count": loaded.rl_count}
        delivery = {"key": key, "openid": conv.openid, "created_at": now,
                    "replies": json.dumps([to_json(r) for r in record], ensure_ascii=False)}
        release = opens is not None and loaded.cs_waiting > 0
        user = self._user_statement(loaded, now, opens, subscribed, release)
        rows = [outbox_values(i, now) for i in outbox]

        def write(conn: Connection) -> None:
            if conn.dialect.name == "sqlite":
                _INSERT_DELIVERY_SQLITE.run(conn, delivery)
            else:
                conn.execute(_INSERT_DELIVERY, delivery)
            _save_conversation(conn, conv, row)
            if user is not None:
                _run_user(conn, user)
            if release:  # after the user row: a worker marking a row waiting holds it
                conn.execute(_RELEASE, {"w_openid": conv.openid, "now": now})
            if rows:
                conn.execute(_INSERT_OUTBOX, rows)

        def write_in_one(conn: Connection) -> None:
            done = conn.execute(_STEP_IN_ONE, {
                "w_openid": conv.openid, "w_version": conv.version,
                **{f"c_{c}": v for c, v in row.items()},
                "d_key": key, "d_created_at": now, "d_replies": delivery["replies"]})
            if done.rowcount != 1:
                raise ConcurrentUpdate(conv.openid)

        one = (self._pg and conn is not None and is_autocommit(conn)
               and conv.version > 0 and user is None and not rows)
        # A user's first step (PostgreSQL): conversation, user and delivery in one statement.
        first = (self._pg and conv.version == 0 and not release and not rows)
        raw = await raw_sql.driver(conn) if one or first else None
        try:
            if raw is not None:
                params = {"w_openid": conv.openid, "w_version": conv.version,
                          **{f"c_{c}": v for c, v in row.items()},
                          "d_key": key, "d_created_at": now, "d_replies": delivery["replies"]}
                fold = _STEP_PG
                if first:
                    fold = store_raw.first_step(None if user is None else user[0])
                    params.update({} if user is None else user[1])
                status = await raw.execute(fold.sql, *fold.args(params))
                if status != "INSERT 0 1":
                    raise ConcurrentUpdate(conv.openid)
            elif one:
                await self._runner.run(write_in_one, conn=conn)
            else:
                await self._runner.run(write, write=True, conn=conn)
        except (IntegrityError, UniqueViolationError, sqlite3.IntegrityError):
            return False
        conv.version += 1
        return True

    async def _erase(self, loaded: Loaded, now: datetime, outbox: Sequence[OutboxItem],
                     forget: Forget, subscribed: bool | None,
                     conn: AsyncConnection | None) -> None:
        """Nothing of this step is written back: no delivery, no conversation. So a
        retried delivery runs the step again, which finds nothing left to erase and
        changes nothing (unsubscribe marks the follower once; a retried 确认注销 finds
        no account). Unsubscribe keeps the follower row, marked unsubscribed; 注销
        deletes it with everything else of the openid and writes one audit line."""
        openid = loaded.conv.openid
        user = None if forget.account else self._user_statement(loaded, now, None,
                                                                subscribed, False)
        hashes = tuple(self._cipher.lookup_hash(p) for p in forget.phones)
        # A detached 注销 (the platform was slow) still owes the user its answer: those
        # rows go out through the outbox and its retention removes them once sent.
        rows = [outbox_values(i, now) for i in outbox]
        subject = audit.subject(self._cipher, "openid", openid)

        def erase(c: Connection) -> None:
            if not forget.account:
                forget_chat(c, openid)
                if user is not None:
                    _run_user(c, user)
                return
            forget_account(c, openid, hashes)
            audit.append(c, at=now, actor="user", action="account_delete", subject=subject,
                         detail=forget.detail)
            if rows:
                c.execute(_INSERT_OUTBOX, rows)

        await self._runner.run(erase, write=True, conn=conn)

    def _user_statement(self, loaded: Loaded, now: datetime, opens: Quota | None,
                        subscribed: bool | None, release: bool
                        ) -> tuple[Executable, dict[str, Any]] | None:
        window: dict[str, Any] = {}
        if opens is not None:
            window = {"last_inbound_at": now, "cs_kind": opens.kind,
                      "cs_expires_at": now + opens.lasts, "cs_remaining": opens.count}
            if release:
                window["cs_waiting"] = 0
        if loaded.known_user and subscribed is None:
            if opens is None or (not release and _still_whole(loaded, opens, now)):
                return None
            return store_raw.user_touch(loaded.conv.openid, window)
        values: dict[str, Any] = {"openid": loaded.conv.openid, "created_at": now,
                                  "subscribed": subscribed is not False,
                                  "subscribed_at": now, **window}
        changes: dict[str, Any] = dict(window)
        if subscribed is True and loaded.subscribed is not True:
            changes.update(subscribed=True, subscribed_at=now)
        elif subscribed is False and loaded.subscribed is not False:
            # Once: a retried unsubscribe (nothing of it is stored) changes nothing.
            changes.update(subscribed=False, unsubscribed_at=now)
            values["unsubscribed_at"] = now
        return store_raw.user_upsert(self._pg, values, changes)


def _still_whole(loaded: Loaded, opens: Quota, now: datetime) -> bool:
    """The stored window already is what `opens` would write, give or take minutes."""
    opened = loaded.last_inbound_at
    return (opens.lasts > TOUCH_EVERY and loaded.cs_kind == opens.kind
            and loaded.cs_remaining >= opens.count
            and opened is not None and now - opened < TOUCH_EVERY)


def _read(conn: Connection, key: str, openid: str) -> Any:
    if conn.dialect.name == "sqlite":
        found = _READ_SQLITE.run(conn, {"key": key, "openid": openid}).fetchone()
        return _READ_SQLITE.row(found)
    return conn.execute(_READ, {"key": key, "openid": openid}).mappings().one()


def _first_then_read(conn: Connection, first: Callable[[Connection], T], key: str,
                     openid: str) -> tuple[T, Any]:
    return first(conn), _read(conn, key, openid)


def _run_user(conn: Connection, user: tuple[Executable, dict[str, Any]]) -> None:
    if conn.dialect.name == "sqlite":
        store_raw.prepared(user[0], raw_sql.SQLITE).run(conn, user[1])
    else:
        conn.execute(*user)


def _save_conversation(conn: Connection, conv: ConvState, row: dict[str, Any]) -> None:
    sqlite = conn.dialect.name == "sqlite"
    if conv.version == 0:
        if sqlite:
            _INSERT_CONVERSATION_SQLITE.run(conn, {"openid": conv.openid, **row})
        else:
            conn.execute(_INSERT_CONVERSATION, {"openid": conv.openid, **row})
        return
    params = {"w_openid": conv.openid, "w_version": conv.version, **row}
    if sqlite:
        count = _UPDATE_CONVERSATION_SQLITE.run(conn, params).rowcount
    else:
        count = conn.execute(_UPDATE_CONVERSATION, params).rowcount
    if count != 1:
        raise ConcurrentUpdate(conv.openid)


