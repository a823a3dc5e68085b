"""The PhaseRunner's promises, which the store and the local platform rely on: a write
phase lands whole or not at all, whichever way it runs (SQLite group commit with raw
savepoints; PostgreSQL on the user lock's autocommit connection), and a step's phases
run on the connection that holds the user's lock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.database import PhaseRunner, is_autocommit, make_engine


class Boom(Exception):
    pass


@pytest.fixture
async def engines(db: tuple[str, str | None]) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    """The main engine and, as the server builds it, the lock pool's (autocommit on
    PostgreSQL), with a scratch table."""
    url, schema = db
    engine = make_engine(url, schema=schema)
    locks = engine if url.startswith("sqlite") else make_engine(url, schema=schema,
                                                                 autocommit=True)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE scratch (v INTEGER PRIMARY KEY)"))
    yield engine, locks
    await engine.dispose()
    if locks is not engine:
        await locks.dispose()


def insert(conn: Connection, *values: int) -> None:
    for v in values:
        conn.execute(text("INSERT INTO scratch (v) VALUES (:v)"), {"v": v})


def insert_then_fail(conn: Connection, v: int) -> None:
    insert(conn, v)
    raise Boom


def values(conn: Connection) -> list[int]:
    return list(conn.execute(text("SELECT v FROM scratch ORDER BY v")).scalars())


async def committed(engine: AsyncEngine) -> list[int]:
    async with engine.connect() as conn:
        return list((await conn.execute(text("SELECT v FROM scratch ORDER BY v"))).scalars())


async def test_concurrent_writes_land_whole_or_not_at_all(engines: Any) -> None:
    engine, _ = engines
    runner = PhaseRunner(engine)
    try:
        await runner.run(insert, 1, write=True)
        # On SQLite these arrive while the thread is busy and share one transaction.
        results = await asyncio.gather(
            runner.run(insert, 2, 3, write=True),
            runner.run(insert_then_fail, 4, write=True),
            runner.run(insert, 5, write=True),
            runner.run(insert, 6, 1, write=True),  # duplicate key after a good insert
            runner.run(values),
            return_exceptions=True)
        assert results[0] is None and results[2] is None
        assert isinstance(results[1], Boom)
        assert isinstance(results[3], IntegrityError)
        assert await committed(engine) == [1, 2, 3, 5]
    finally:
        runner.close()


@pytest.mark.parametrize("db", ["postgres"], indirect=True)  # no lock connection on SQLite
async def test_write_on_autocommit_lock_connection_is_one_transaction(engines: Any) -> None:
    engine, locks = engines
    runner = PhaseRunner(engine)
    async with locks.connect() as conn:
        assert is_autocommit(conn)
        with pytest.raises(Boom):
            await runner.run(insert_then_fail, 7, write=True, conn=conn)
        assert await committed(engine) == []  # the insert before the failure rolled back
        await runner.run(insert, 8, 9, write=True, conn=conn)
        assert await committed(engine) == [8, 9]
        # Back in autocommit: a read leaves no transaction open on the lock connection.
        assert await runner.run(values, conn=conn) == [8, 9]
        assert is_autocommit(conn)


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
async def test_step_phases_run_on_the_lock_connection(engines: Any) -> None:
    engine, locks = engines
    runner = PhaseRunner(engine)

    def backend(conn: Connection) -> int:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())

    async with locks.connect() as conn:
        mine = await runner.run(backend, conn=conn)
        with runner.step_connection(conn):
            assert await runner.run(backend) == mine
            # Another runner (another database, e.g. a test platform's) keeps its pool.
            other = PhaseRunner(engine)
            assert await other.run(backend) != mine
        assert await runner.run(backend) != mine
