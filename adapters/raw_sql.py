"""Statements compiled once by SQLAlchemy and sent straight to the driver.

For the few statements every message runs: through SQLAlchemy's Core execution each costs
a compiled-cache lookup, cursor and result wrapping and, on PostgreSQL, a greenlet switch
around `run_sync`, more CPU than the database's own work on a small row. The statement
is still written with SQLAlchemy (tables, types, dialect), compiled once per dialect.

- SQLite: inside the PhaseRunner's thread, on the phase's own sqlite3 connection (the
  batch's transaction and savepoints are already said on it).
- PostgreSQL: on the user lock's connection (bot/locks.py), autocommit, through asyncpg's
  per-connection cache of prepared statements, as the lock itself is taken.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from asyncpg.exceptions import PostgresError
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import asyncpg as pg_asyncpg
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ClauseElement

from adapters.database import PhaseRunner, is_autocommit

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


async def driver(conn: AsyncConnection | None) -> Driver | None:
    """The asyncpg connection under the user lock's `conn`, or None when `conn` is not
    one (no connection, or one inside a transaction, whose statements must stay in it)."""
    if conn is None or not is_autocommit(conn) or conn.in_transaction():
        return None
    return Driver((await conn.get_raw_connection()).driver_connection)


class Driver:
    """An asyncpg connection whose errors lose PostgreSQL's DETAIL before they travel:
    it repeats the statement's values (phones, names), which SQLAlchemy's hide_parameters
    and adapters/database.py `_hide_server_detail` keep out of logs on its own path."""

    __slots__ = ("_conn",)

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        """asyncpg's fetch."""
        try:
            return await self._conn.fetch(sql, *args)  # type: ignore[no-any-return]
        except PostgresError as exc:
            exc.detail = None  # type: ignore[attr-defined]
            raise

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        """asyncpg's fetchrow."""
        try:
            return await self._conn.fetchrow(sql, *args)
        except PostgresError as exc:
            exc.detail = None  # type: ignore[attr-defined]
            raise

    async def execute(self, sql: str, *args: Any) -> str:
        """asyncpg's execute: the command's status ("INSERT 0 1")."""
        try:
            return await self._conn.execute(sql, *args)  # type: ignore[no-any-return]
        except PostgresError as exc:
            exc.detail = None  # type: ignore[attr-defined]
            raise


class Query:
    """A SELECT compiled once per dialect, run by `fetch_all`."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self.pg = Prepared(statement, PG)
        self.sqlite = Prepared(statement, SQLITE)


async def fetch_all(runner: PhaseRunner, query: Query, params: Mapping[str, Any]
                    ) -> list[dict[str, Any]]:
    """The rows of `query` as {column: value}: on the step's PostgreSQL connection
    straight through asyncpg, on SQLite straight on the phase's sqlite3 connection, else
    (a connection in a transaction, no step) through SQLAlchemy."""
    engine = runner.engine.dialect.name
    if engine == "postgresql":
        raw = await driver(runner.step_conn())
        if raw is not None:
            prepared = query.pg
            return [prepared.row(r) for r in await raw.fetch(prepared.sql,
                                                             *prepared.args(params))]
    if engine == "sqlite" and runner.batched:
        prepared = query.sqlite
        return await runner.run(
            lambda conn: [prepared.row(r) for r in prepared.run(conn, params).fetchall()])
    return await runner.run(
        lambda conn: [dict(r._mapping) for r in conn.execute(query.statement, params)])
