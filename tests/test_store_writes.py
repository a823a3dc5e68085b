"""A step's write lands whole or not at all, on both databases and on PostgreSQL's
one-statement path: the version check refuses a stale step and leaves no delivery behind,
and a delivery key already written refuses the second writer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from asyncpg.exceptions import UniqueViolationError
from sqlalchemy import text

from adapters import raw_sql
from adapters.crypto import DataCipher
from adapters.database import PhaseRunner, make_engine, migrate
from adapters.sqltypes import utcnow
from bot.locks import UserLocks
from bot.store import ConcurrentUpdate, ConversationStore
from dialogs.replies import Text

OPENID = "o_store_writes"


@pytest.fixture
async def parts(db: tuple[str, str | None]) -> AsyncIterator[tuple[Any, ...]]:
    url, schema = db
    engine = make_engine(url, schema=schema)
    await migrate(engine)
    pg = url.startswith("postgresql")
    lock_engine = make_engine(url, schema=schema, autocommit=True, pre_ping=False) \
        if pg else engine
    runner = PhaseRunner(engine)
    yield engine, ConversationStore(runner, DataCipher("s" * 43)), UserLocks(lock_engine)
    runner.close()
    await engine.dispose()
    if lock_engine is not engine:
        await lock_engine.dispose()


async def step(store: ConversationStore, locks: UserLocks, key: str, state: str,
               *, stale: Any = None) -> bool:
    """Load, move the conversation to `state`, write, all under the user's lock."""
    async with locks.hold(OPENID) as conn:
        _, loaded = await store.begin(key, OPENID, conn)
        if stale is not None:
            loaded = stale
        loaded.conv.dialog, loaded.conv.state = "demo", state
        loaded.conv.values["seen"] = state
        now = utcnow() + timedelta(minutes=1)
        return await store.commit_step(key, loaded, now, [Text(f"到了{state}")], [],
                                       conn=conn)


async def saved(engine: Any) -> tuple[Any, list[str]]:
    async with engine.connect() as conn:
        row = (await conn.execute(text(
            "SELECT state, version FROM conversations WHERE openid = :o"),
            {"o": OPENID})).one_or_none()
        keys = list((await conn.execute(text(
            "SELECT key FROM deliveries WHERE openid = :o ORDER BY key"),
            {"o": OPENID})).scalars())
    return row, keys


async def test_steps_advance_the_version_and_record_each_delivery(parts: Any) -> None:
    engine, store, locks = parts
    for n, state in enumerate(("a", "b", "c"), start=1):
        assert await step(store, locks, f"k{n}", state)
    row, keys = await saved(engine)
    assert tuple(row) == ("c", 3) and keys == ["k1", "k2", "k3"]
    replies, loaded = await store.begin("k2", OPENID)
    assert replies == [Text("到了b")]  # a retry of k2 gets its first answer
    assert loaded.conv.values == {"seen": "c"}


async def test_a_stale_step_writes_nothing(parts: Any) -> None:
    engine, store, locks = parts
    assert await step(store, locks, "k1", "a")
    _, stale = await store.begin("unused", OPENID)  # version 1, read before the next step
    assert await step(store, locks, "k2", "b")
    with pytest.raises(ConcurrentUpdate):
        await step(store, locks, "k3", "x", stale=stale)
    row, keys = await saved(engine)
    assert tuple(row) == ("b", 2) and keys == ["k1", "k2"]  # no delivery left for k3


async def test_a_delivery_key_already_written_refuses_the_second_writer(parts: Any) -> None:
    engine, store, locks = parts
    assert await step(store, locks, "k1", "a")
    _, before = await store.begin("unused", OPENID)
    assert await step(store, locks, "k2", "b")
    # The same key arriving again through another process that loaded the state before.
    _, again = await store.begin("unused-2", OPENID)
    assert not await step(store, locks, "k2", "c", stale=again)
    row, keys = await saved(engine)
    assert tuple(row) == ("b", 2) and keys == ["k1", "k2"]
    assert before.conv.version == 1


async def test_raw_statements_never_carry_the_values_in_their_errors(
        parts: tuple[Any, ...], db: tuple[str, str | None]) -> None:
    """The hot statements sent straight to asyncpg (adapters/raw_sql.py) fail without
    PostgreSQL's DETAIL, which repeats the row's values, as SQLAlchemy's path does."""
    if not db[0].startswith("postgresql"):
        pytest.skip("the driver path is PostgreSQL's")
    _engine, _store, locks = parts
    insert = ("INSERT INTO conversations (openid, data, version, updated_at, rl_window,"
              " rl_count) VALUES ($1, '', 0, now(), 0, 0)")
    async with locks.hold(OPENID) as conn:
        raw = await raw_sql.driver(conn)
        assert raw is not None
        await raw.execute(insert, OPENID)
        with pytest.raises(UniqueViolationError) as failed:
            await raw.execute(insert, OPENID)
    assert failed.value.detail is None
    assert OPENID not in str(failed.value)
