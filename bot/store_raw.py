"""The store's hot statements, compiled once and sent straight to the driver.

SQLite: inside the PhaseRunner's thread, on the batch's own sqlite3 connection (the
batch's transaction and savepoints are already said on it): SQLAlchemy's Core execution
(compiled-cache lookup, cursor and result wrapping) cost more than SQLite's own work.

PostgreSQL: on the user lock's asyncpg connection. That connection is autocommit
(bot/locks.py), so each statement is one round trip and atomic on its own; they run as
prepared statements from asyncpg's per-connection cache, as the lock itself does: through
SQLAlchemy's `run_sync` each cost a greenlet switch, a compiled-cache lookup and result
processing, 100-150 µs of CPU a message more than here.

- `remember_and_read`: the replay memory's INSERT and the step's read (delivery, user,
  conversation) in one statement, a data-modifying CTE: one round trip instead of two.
  When the INSERT lands (the usual case) the replay memory's answer is FIRST; otherwise
  the caller runs the general path, which tells a retry from a replay.
- `step_in_one`: the version-checked conversation update and the delivery insert
  (bot/store.py `_STEP_IN_ONE`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import asyncpg as pg_asyncpg
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ClauseElement

from adapters.database import is_autocommit
from bot.models import Conversation as WeChatConversation
from bot.models import Delivery, SeenRequest, WeChatUser

PG = pg_asyncpg.dialect()
SQLITE = sqlite.dialect()


class Prepared:
    """A statement compiled once for one dialect: its SQL, how to order its parameters
    (with the column types' own conversions, e.g. UTCDateTime's naive-datetime refusal)
    and, for a SELECT, how to turn a driver's row into the values SQLAlchemy would give.
    `columns`: the columns an INSERT or UPDATE sets (the parameters' keys)."""

    def __init__(self, statement: ClauseElement, dialect: Dialect = PG,
                 columns: Sequence[str] | None = None) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=columns)
        self.sql = compiled.string
        processors: Mapping[str, Callable[[Any], Any]] = compiled._bind_processors
        self._order = [(name, processors.get(name)) for name in compiled.positiontup or ()]
        # Columns left out of an INSERT take their scalar defaults, as SQLAlchemy gives them
        # (a callable default must be passed: a missing one is a KeyError, never a NULL).
        self.defaults = {c.key: c.default.arg for c in compiled.insert_prefetch
                          if c.default is not None and c.default.is_scalar}
        self._results = [(c.key, c.type.dialect_impl(dialect).result_processor(dialect, None))
                         for c in getattr(statement, "selected_columns", ())]

    def args(self, params: Mapping[str, Any]) -> list[Any]:
        """The positional arguments for `params` (by bind parameter name)."""
        if self.defaults:
            params = {**self.defaults, **params}
        return [params[name] if fn is None else fn(params[name]) for name, fn in self._order]

    def row(self, values: Sequence[Any]) -> dict[str, Any]:
        """A driver's row of this SELECT as {column: value}, types converted."""
        return {key: value if fn is None or value is None else fn(value)
                for (key, fn), value in zip(self._results, values, strict=True)}

    def run(self, conn: Connection, params: Mapping[str, Any]) -> sqlite3.Cursor:
        """Execute on the sqlite3 connection under `conn` (SQLite only)."""
        return raw_sqlite(conn).execute(self.sql, self.args(params))


def raw_sqlite(conn: Connection) -> sqlite3.Connection:
    """The sqlite3 connection under the PhaseRunner's `conn`."""
    raw = conn.connection.dbapi_connection
    if raw is None:
        raise RuntimeError("the SQLite connection was closed under the phase")
    return raw  # type: ignore[return-value]


def remember_and_read(read: ClauseElement) -> Prepared:
    """`read` (bot/store.py `_READ`) with the replay memory's INSERT in front of it and a
    `first` column: 1 when the INSERT landed."""
    seen = SeenRequest.__table__
    remembered = (pg_insert(seen)
                  .values(key=bindparam("s_key"), body_hash=bindparam("s_hash"),
                          seen_at=bindparam("s_at"))
                  .on_conflict_do_nothing(index_elements=["key"])
                  .returning(seen.c.key)
                  .cte("remembered"))
    return Prepared(read.add_columns(  # type: ignore[attr-defined]
        select(func.count()).select_from(remembered).scalar_subquery().label("first")))


async def driver(conn: AsyncConnection | None) -> Any:
    """The asyncpg connection under the user lock's `conn`, or None when `conn` is not
    one (no connection, or one inside a transaction, whose statements must stay in it)."""
    if conn is None or not is_autocommit(conn) or conn.in_transaction():
        return None
    return (await conn.get_raw_connection()).driver_connection


# --- the user row, one statement per shape -------------------------------------------
# A user's row is written in a handful of shapes (which columns, update or insert). Each
# shape is built once with bind parameters, so SQLAlchemy finds its compiled form instead
# of building and hashing a new statement for every new user's message.
_U = WeChatUser.__table__
_SHAPES: dict[tuple[Any, ...], Any] = {}


def user_upsert(pg: bool, values: Mapping[str, Any], changes: Mapping[str, Any]
                ) -> tuple[Any, dict[str, Any]]:
    """INSERT the user's row with `values`, or on conflict set `changes` (nothing when
    empty): the statement for this shape and its parameters."""
    shape = ("upsert", pg, tuple(values), tuple(changes))
    stmt = _SHAPES.get(shape)
    if stmt is None:
        stmt = (pg_insert if pg else sqlite.insert)(_U).values(
            {k: bindparam(f"v_{k}", type_=_U.c[k].type) for k in values})
        if changes:
            stmt = stmt.on_conflict_do_update(index_elements=["openid"], set_={
                k: bindparam(f"s_{k}", type_=_U.c[k].type) for k in changes})
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=["openid"])
        _SHAPES[shape] = stmt
    params = {f"v_{k}": v for k, v in values.items()}
    params.update({f"s_{k}": v for k, v in changes.items()})
    return stmt, params


def user_touch(openid: str, window: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    """UPDATE a known user's customer-service `window`: the statement and its parameters."""
    shape = ("touch", tuple(window))
    stmt = _SHAPES.get(shape)
    if stmt is None:
        stmt = _SHAPES[shape] = update(_U).where(_U.c.openid == bindparam("w_openid")).values(
            {k: bindparam(f"t_{k}", type_=_U.c[k].type) for k in window})
    params = {f"t_{k}": v for k, v in window.items()}
    params["w_openid"] = openid
    return stmt, params


def prepared(stmt: Any, dialect: Dialect) -> Prepared:
    """`stmt` (one of the shapes above) compiled once for `dialect`."""
    key = ("prepared", stmt, dialect.name)
    found = _SHAPES.get(key)
    if found is None:
        found = _SHAPES[key] = Prepared(stmt, dialect)
    return found  # type: ignore[no-any-return]


def first_step(user: Any | None) -> Prepared:
    """PostgreSQL, a user's first saved step: the conversation INSERT, `user` (a shape
    above, or None) and the delivery in one statement, a round trip instead of a
    transaction's five. All or nothing: a conversation or delivery already there fails
    the whole statement with a unique violation."""
    key = ("first", user)
    found = _SHAPES.get(key)
    if found is None:
        conv = WeChatConversation.__table__
        delivery = Delivery.__table__
        saved = (pg_insert(conv)
                 .values({c.name: bindparam("w_openid" if c.name == "openid" else f"c_{c.name}",
                                            type_=c.type) for c in conv.columns})
                 .returning(conv.c.openid)
                 .cte("saved"))
        stmt = delivery.insert().from_select(
            ["key", "openid", "created_at", "replies"],
            select(bindparam("d_key", type_=delivery.c.key.type), saved.c.openid,
                   bindparam("d_created_at", type_=delivery.c.created_at.type),
                   bindparam("d_replies", type_=delivery.c.replies.type)))
        found = Prepared(stmt if user is None else stmt.add_cte(user.cte("usr")))
        if user is not None:  # the CTE's defaults are not the outer statement's
            found.defaults.update(Prepared(user).defaults)
        _SHAPES[key] = found
    return found  # type: ignore[no-any-return]
