"""What the bot leaves on disk and in logs: one data key however many start at once,
private files, and no SQL parameter (a phone, a name) in any error."""

from __future__ import annotations

import json
import logging
import stat
import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from adapters.crypto import DataCipher, load_or_create_dev_key
from adapters.database import PhaseRunner, make_engine
from bot.logs import JsonFormatter

ROUNDS = 60
STARTERS = 6


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_servers_starting_together_share_one_complete_key(tmp_path: Path) -> None:
    """Before, the winner created data.key empty and wrote it a moment later; a second
    starter reading in between got "" and refused to start."""
    for round_ in range(ROUNDS):
        var = tmp_path / f"r{round_}" / "var"
        barrier = threading.Barrier(STARTERS)
        keys: list[str] = []
        errors: list[BaseException] = []

        def starter(var: Path = var, barrier: threading.Barrier = barrier,
                    keys: list[str] = keys, errors: list[BaseException] = errors) -> None:
            barrier.wait()
            try:
                keys.append(load_or_create_dev_key(var))
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=starter) for _ in range(STARTERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors and len(keys) == STARTERS
        assert len(set(keys)) == 1 and keys[0], (round_, keys)
        DataCipher(keys[0])  # a whole key, not a piece of one
        assert [p.name for p in var.iterdir()] == ["data.key"]  # no temporary file left
        assert (var / "data.key").read_text().strip() == keys[0]
        assert mode(var / "data.key") == 0o600 and mode(var) == 0o700


async def test_sqlite_files_are_private(tmp_path: Path) -> None:
    db = tmp_path / "var" / "rxf.db"
    engine = make_engine(f"sqlite+aiosqlite:///{db}")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (phone TEXT)"))
            await conn.execute(text("INSERT INTO t VALUES ('13912345678')"))
        async with engine.connect() as conn:  # WAL and its index exist while connected
            await conn.execute(text("SELECT * FROM t"))
            files = {p.name: mode(p) for p in db.parent.iterdir()}
    finally:
        await engine.dispose()
    assert mode(db.parent) == 0o700
    assert files == {"rxf.db": 0o600, "rxf.db-wal": 0o600, "rxf.db-shm": 0o600}


def _leave_readable(*paths: Path) -> None:
    for path in paths:
        path.touch()
        path.chmod(0o644)


async def test_a_database_left_readable_is_tightened(tmp_path: Path) -> None:
    """`var/rxf.db` was 0644 on the landed code; the next start makes it 0600."""
    db = tmp_path / "rxf.db"
    _leave_readable(db, Path(f"{db}-wal"))
    engine = make_engine(f"sqlite+aiosqlite:///{db}")
    await engine.dispose()
    assert mode(db) == 0o600 and mode(Path(f"{db}-wal")) == 0o600


PHONE = "13912345678"
NAME = "周露露"


def _insert_twice(conn: Connection) -> None:
    for _ in range(2):
        conn.execute(text("INSERT INTO people (phone, name) VALUES (:p, :n)"),
                     {"p": PHONE, "n": NAME})


async def test_sql_parameters_never_reach_a_log(db: tuple[str, str | None],
                                                caplog: pytest.LogCaptureFixture) -> None:
    url, schema = db
    engine = make_engine(url, schema=schema)
    runner = PhaseRunner(engine)  # on SQLite a second, synchronous engine of its own
    log = logging.getLogger("rxf.test")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE people (phone VARCHAR(20) UNIQUE, "
                                    "name VARCHAR(20))"))
        failures: list[IntegrityError] = []
        with caplog.at_level(logging.ERROR, logger="rxf.test"):
            with pytest.raises(IntegrityError) as through_engine:
                async with engine.begin() as conn:
                    await conn.run_sync(_insert_twice)
            failures.append(through_engine.value)
            log.error("step failed", exc_info=through_engine.value)
            with pytest.raises(IntegrityError) as through_runner:
                await runner.run(_insert_twice, write=True)
            failures.append(through_runner.value)
            log.error("phase failed", exc_info=through_runner.value)
    finally:
        runner.close()
        await engine.dispose()
    for failure in failures:
        assert "parameters hidden" in str(failure)
    assert len(caplog.records) == 2
    lines = caplog.text + "".join(JsonFormatter().format(r) for r in caplog.records)
    assert "INSERT INTO people" in lines  # the statement is there to debug with...
    for value in (PHONE, NAME, json.dumps(NAME)):
        assert value not in lines  # ...its values are not
