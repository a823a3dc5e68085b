"""The database as an outside resource: declarative base, engine and migrations.

SQLite is the embedded default (one process, WAL so readers never wait on the writer);
PostgreSQL is the production store. Schema changes only through Alembic.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection, ExceptionContext
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import StaticPool
from sqlalchemy.util import await_only

T = TypeVar("T")
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# Any constant works; it only has to be the same in every process running migrations.
_MIGRATION_LOCK = 0x52_58_46_4D  # "RXFM"


class Base(DeclarativeBase):
    """The declarative base every table of ours (bot, outbox, local platform) is mapped on."""


def is_postgres(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "postgresql"


def make_engine(url: str, *, pool_size: int = 10, schema: str | None = None,
                autocommit: bool = False, pre_ping: bool = True,
                **kwargs: Any) -> AsyncEngine:
    """`autocommit` (PostgreSQL): no implicit transaction around each statement; the user
    lock pool's, whose session-level locks and single reads need none.
    `pre_ping`: test each pooled connection before use (one round trip per checkout)."""
    # Statement parameters are users' phones, names and codes: never in an error's text,
    # which ends up in logs and tracebacks.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        _prepare_sqlite_file(url)
        engine = create_async_engine(url, pool_size=1, max_overflow=0, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        _gate_sqlite(engine)
        return engine
    # A database that is away must fail a message in seconds, not hang it past WeChat's 5 s.
    connect_args: dict[str, Any] = {"timeout": 3, "command_timeout": 10}
    if schema:
        connect_args["server_settings"] = {"search_path": schema}
    kwargs["connect_args"] = connect_args
    kwargs.setdefault("max_overflow", pool_size * 2)
    if autocommit:
        kwargs["isolation_level"] = "AUTOCOMMIT"
    engine = create_async_engine(url, pool_size=pool_size, pool_pre_ping=pre_ping, **kwargs)
    event.listen(engine.sync_engine, "handle_error", _hide_server_detail)
    return engine


def _hide_server_detail(context: ExceptionContext) -> None:
    """PostgreSQL's DETAIL repeats the values hide_parameters keeps out ("Key (phone)=
    (139…) already exists", "Failing row contains (…)"), and asyncpg prints it with the
    error: drop it before the error travels into any log."""
    exc: BaseException | None = context.original_exception
    for _ in range(4):  # SQLAlchemy's adapted error, then asyncpg's own
        if exc is None:
            return
        if getattr(exc, "detail", None) and type(exc).__module__.startswith("asyncpg"):
            exc.detail = None  # type: ignore[attr-defined]
        exc = exc.__cause__


# SQLite has one writer. Two connections writing at once make one sleep in SQLite's busy
# handler (1, 2, 5, 10 … 100 ms steps), which showed as multi-second stalls under load.
# So within a process every use of the database, the async engine's connection and the
# PhaseRunner's thread alike, takes one asyncio lock first: writers queue in asyncio,
# in order, instead of sleeping in SQLite.
_GATES: weakref.WeakKeyDictionary[Engine, asyncio.Lock] = weakref.WeakKeyDictionary()


def sqlite_gate(engine: AsyncEngine) -> asyncio.Lock | None:
    return _GATES.get(engine.sync_engine)


def _gate_sqlite(engine: AsyncEngine) -> None:
    gate = _GATES[engine.sync_engine] = asyncio.Lock()

    def checkout(_dbapi: Any, record: Any, _proxy: Any) -> None:
        await_only(gate.acquire())  # we are inside SQLAlchemy's greenlet: awaiting is fine
        record.info["rxf_gate"] = True

    def checkin(_dbapi: Any, record: Any) -> None:
        if record is not None and record.info.pop("rxf_gate", False):
            gate.release()

    event.listen(engine.sync_engine.pool, "checkout", checkout)
    event.listen(engine.sync_engine.pool, "checkin", checkin)


class PhaseRunner:
    """Runs a function of a *sync* Connection as one unit, in as few hops as possible.

    The message hot path is a handful of statements; through the async SQLite driver
    each costs several thread hops (~0.3 ms). Here a whole phase runs in one hop: on
    SQLite on a dedicated thread owning a plain sqlite3 connection, on PostgreSQL through
    `run_sync` on the async engine. The same function serves both.

    On SQLite, phases that arrive while the thread is busy are run together in one
    transaction (group commit), each write in its own SAVEPOINT so one failing phase
    (a duplicate delivery) leaves the others intact. Nobody learns a write's result
    before the batch has committed.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._step: ContextVar[AsyncConnection | None] = ContextVar("rxf_step_conn",
                                                                    default=None)
        self._sync: Engine | None = None
        self._thread: ThreadPoolExecutor | None = None
        if engine.dialect.name == "sqlite":
            self._sync = create_engine(
                engine.url.set(drivername="sqlite"), poolclass=StaticPool,
                connect_args={"check_same_thread": False}, hide_parameters=True)
            event.listen(self._sync, "connect", _sqlite_pragmas)
            # pysqlite's own implicit transactions break SAVEPOINT; SQLAlchemy's recipe:
            # let it autocommit and emit BEGIN ourselves.
            event.listen(self._sync, "connect", _pysqlite_manual_begin)
            event.listen(self._sync, "begin", _sqlite_begin)
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        self._pending: list[tuple[Callable[..., Any], tuple[Any, ...], bool,
                                  asyncio.Future[Any]]] = []
        self._flushing = False
        self._flusher: asyncio.Future[None] | None = None

    @property
    def batched(self) -> bool:
        """Whether phases run on this runner's own SQLite thread (not the async engine)."""
        return self._sync is not None

    def step_conn(self) -> AsyncConnection | None:
        """The connection `step_connection` set for this task, if any."""
        return self._step.get()

    @contextlib.contextmanager
    def step_connection(self, conn: AsyncConnection | None) -> Iterator[None]:
        """Phases this task runs meanwhile (the step's platform and SMS work) use `conn`,
        the PostgreSQL connection holding the user's lock: no pool checkout and no ping
        per call, two round trips fewer for every platform call of a step."""
        token = self._step.set(conn)
        try:
            yield
        finally:
            self._step.reset(token)

    async def run(self, fn: Callable[..., T], *args: Any, write: bool = False,
                  conn: AsyncConnection | None = None) -> T:
        """`conn`: run on this (PostgreSQL) connection, e.g. the one holding a user lock."""
        conn = conn or self._step.get()
        if conn is not None:
            return await _on_connection(conn, fn, args, write)
        if self._sync is None:
            opener = self.engine.begin() if write else self.engine.connect()
            async with opener as conn:
                return await conn.run_sync(fn, *args)
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._pending.append((fn, args, write, future))
        if not self._flushing:
            self._flushing = True
            self._flusher = asyncio.ensure_future(self._flush())
        return await future

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        gate = sqlite_gate(self.engine)
        if gate is None:
            raise RuntimeError("the batched SQLite runner was given a non-SQLite engine")
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                try:
                    async with gate:
                        outcomes = await loop.run_in_executor(self._thread, self._batch, batch)
                except BaseException as exc:  # the batch never committed
                    outcomes = [(False, exc)] * len(batch)
                for (_fn, _args, _write, future), (ok, value) in zip(batch, outcomes, strict=True):
                    if future.done():
                        continue
                    if ok:
                        future.set_result(value)
                    else:
                        future.set_exception(value)
        finally:
            self._flushing = False
        self._flusher: asyncio.Future[None] | None = None

    def _batch(self, batch: list[tuple[Callable[..., Any], tuple[Any, ...], bool, Any]]
               ) -> list[tuple[bool, Any]]:
        if self._sync is None:
            raise RuntimeError("the batched SQLite runner has no synchronous engine")
        outcomes: list[tuple[bool, Any]] = []
        with self._sync.connect() as conn:
            conn.info["immediate"] = any(write for _, _, write, _ in batch)
            with conn.begin():
                self._run(conn, batch, outcomes)
        return outcomes

    @staticmethod
    def _run(conn: Connection, batch: list[tuple[Callable[..., Any], tuple[Any, ...], bool,
                                                 Any]],
             outcomes: list[tuple[bool, Any]]) -> None:
        # Savepoints straight on the sqlite3 connection: through SQLAlchemy's nested
        # transactions they cost an eighth of the form path's CPU.
        raw = conn.connection.dbapi_connection
        if raw is None:
            raise RuntimeError("the SQLite connection was closed under the batch")
        for fn, args, write, _future in batch:
            if not write:
                try:
                    outcomes.append((True, fn(conn, *args)))
                except Exception as exc:
                    outcomes.append((False, exc))
                continue
            raw.execute("SAVEPOINT phase")
            try:
                outcomes.append((True, fn(conn, *args)))
            except Exception as exc:
                raw.execute("ROLLBACK TO phase")
                outcomes.append((False, exc))
            raw.execute("RELEASE phase")

    def close(self) -> None:
        if self._thread is not None:
            self._thread.shutdown(wait=True)
        if self._sync is not None:
            self._sync.dispose()


def is_autocommit(conn: AsyncConnection) -> bool:
    """Whether the driver commits each statement itself (the user lock pool's setting):
    read off the connection, so no caller has to keep a flag in step with it."""
    return bool(getattr(conn.sync_connection.connection.dbapi_connection,  # type: ignore[union-attr]
                        "autocommit", False))


async def _on_connection(conn: AsyncConnection, fn: Callable[..., T], args: tuple[Any, ...],
                         write: bool) -> T:
    """On an autocommit connection (the user locks') begin() sends nothing, so a read is
    one round trip; a write switches to a real transaction for its duration."""
    if not (write and is_autocommit(conn)):
        async with conn.begin():
            return await conn.run_sync(fn, *args)
    await conn.execution_options(isolation_level="READ COMMITTED")
    try:
        async with conn.begin():
            return await conn.run_sync(fn, *args)
    finally:
        await conn.execution_options(isolation_level="AUTOCOMMIT")


def session_factory(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)


def _sqlite_begin(conn: Connection) -> None:
    """A batch that writes takes SQLite's write lock as it begins (waiting, with the busy
    timeout, for another writer such as the CLI beside the server). Begun deferred, it
    read first and then failed at once with "database is locked" when another
    connection had committed in between: WAL mode cannot upgrade a stale snapshot."""
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.pop("immediate", False) else "BEGIN")


def _pysqlite_manual_begin(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None


def _prepare_sqlite_file(url: str) -> None:
    """The database holds personal data: its folder is made 0700 and the file 0600 before
    SQLite opens it (SQLite gives the -wal and -shm files the database file's mode); a
    file left 0644 by an older version is tightened."""
    path = url.split("///", 1)[-1].split("?", 1)[0] if "///" in url else ""
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    db = Path(path)
    db.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(db, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for name in (db, Path(f"{db}-wal"), Path(f"{db}-shm"), Path(f"{db}-journal")):
        with contextlib.suppress(OSError):  # absent, or not ours to change
            if name.stat().st_mode & 0o077:
                name.chmod(0o600)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    # Long enough for a burst of writers, short enough to answer "系统繁忙" within WeChat's
    # five seconds when the database is really stuck.
    cur.execute("PRAGMA busy_timeout=3000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def _upgrade(conn: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, revision)


async def migrate(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply migrations; on PostgreSQL several processes starting at once take turns."""
    async with engine.begin() as conn:
        if is_postgres(engine):
            await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        await conn.run_sync(_upgrade, revision)


async def ping(engine: AsyncEngine, limit: float = 2.0) -> bool:
    try:
        async with asyncio.timeout(limit), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
