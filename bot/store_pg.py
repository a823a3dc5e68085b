"""PostgreSQL's hot statements, sent straight to asyncpg on the user lock's connection.

The lock's connection is autocommit (bot/locks.py), so each of these is one round trip and
atomic on its own. They are SQLAlchemy statements compiled once for asyncpg and run as
prepared statements from asyncpg's per-connection cache, as the lock itself is: through
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

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects.postgresql import asyncpg as pg_asyncpg
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ClauseElement

from adapters.database import is_autocommit
from bot.models import SeenRequest

_DIALECT = pg_asyncpg.dialect()


class Prepared:
    """A statement compiled once for asyncpg: its SQL and how to order its parameters
    (with the column types' own conversions, e.g. UTCDateTime's naive-datetime refusal)."""

    def __init__(self, statement: ClauseElement) -> None:
        compiled = statement.compile(dialect=_DIALECT)
        self.sql = compiled.string
        processors: Mapping[str, Callable[[Any], Any]] = compiled._bind_processors
        self._order = [(name, processors.get(name)) for name in compiled.positiontup or ()]

    def args(self, params: Mapping[str, Any]) -> list[Any]:
        """The positional arguments for `params` (by bind parameter name)."""
        return [params[name] if fn is None else fn(params[name]) for name, fn in self._order]


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
