"""Fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL is expected at 127.0.0.1:5432 (user postgres, trust, database `test`);
override with RXF_TEST_PG_URL. Without it the PostgreSQL half skips with the reason,
unless RXF_TEST_REQUIRE_PG=1 (CI), which turns the skip into a failure.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import text

from adapters.database import make_engine
from tests.support import Harness, start_harness, test_settings

PG_URL = os.environ.get("RXF_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("RXF_TEST_REQUIRE_PG") == "1"
_pg_state: dict[str, str | None] = {}


async def _pg_problem() -> str | None:
    if "problem" not in _pg_state:
        engine = make_engine(PG_URL)
        try:
            async with asyncio.timeout(3), engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            _pg_state["problem"] = None
        except Exception as exc:
            _pg_state["problem"] = f"PostgreSQL not reachable at {PG_URL}: {exc!r}"[:300]
        finally:
            await engine.dispose()
    return _pg_state["problem"]


@pytest.fixture(params=["sqlite", "postgres"])
async def db(request: pytest.FixtureRequest,
             tmp_path: Any) -> AsyncIterator[tuple[str, str | None]]:
    """(database_url, schema) of a fresh, empty database for one test."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/rxf.db", None
        return
    problem = await _pg_problem()
    if problem:
        if REQUIRE_PG:
            pytest.fail(f"RXF_TEST_REQUIRE_PG=1 but {problem}")
        pytest.skip(problem)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = make_engine(PG_URL)
    async with engine.begin() as conn:
        await conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield PG_URL, schema
    finally:
        async with engine.begin() as conn:
            await conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        await engine.dispose()


@pytest.fixture(scope="session")
def faq_matcher() -> Any:
    """Loaded once per test session: jieba's cold start is a second."""
    from wiring.runtime import load_faq

    return load_faq()


@pytest.fixture(scope="session")
def understander() -> Any:
    """Loaded once per test session, like the FAQ."""
    from wiring.runtime import load_understander

    return load_understander()


@pytest.fixture
async def make_harness(db: tuple[str, str | None], tmp_path: Any, faq_matcher: Any,
                       understander: Any) -> AsyncIterator[Callable[..., Awaitable[Harness]]]:
    started: list[Harness] = []

    async def make(**overrides: Any) -> Harness:
        options = {k: overrides.pop(k) for k in ("registry", "faq", "understander",
                                                  "background") if k in overrides}
        options.setdefault("faq", faq_matcher)
        options.setdefault("understander", understander)
        settings = test_settings(db[0], db[1], str(tmp_path), **overrides)
        harness = await start_harness(settings, **options)
        started.append(harness)
        return harness

    yield make
    for harness in started:
        await harness.stop()
        await harness.sim.__aexit__(None, None, None)


@pytest.fixture
async def harness(make_harness: Callable[..., Awaitable[Harness]]) -> Harness:
    return await make_harness()
