"""The JSON log: transitions' per-step chatter kept out, our INFO lines kept in, and a
push WeChat refused logged at WARNING (retried) or ERROR (dead) with its errcode."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from bot import logs
from tests.accounts_support import ZHOU, to_code
from tests.push_support import FAST, TEMPLATES, event_body, post_event, rows, subscribe
from tests.support import Harness, eventually

MakeHarness = Callable[..., Awaitable[Harness]]
_TOUCHED = ("aiohttp.access", "alembic", "transitions")


@contextmanager
def json_log() -> Iterator[io.StringIO]:
    """logs.setup() as the server runs it, writing into a buffer; pytest's own handlers
    and every level it changed are put back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in _TOUCHED}
    buffer = io.StringIO()
    try:
        logs.setup()
        handler = root.handlers[0]
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(buffer)
        yield buffer
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, old in levels.items():
            logging.getLogger(name).setLevel(old)


def lines(buffer: io.StringIO, start: int = 0) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue()[start:].splitlines() if line]


async def test_form_steps_log_no_transitions_info(harness: Harness) -> None:
    h = harness
    with json_log() as buffer:
        await to_code(h)  # six form steps, each firing the form machine
        ours = lines(buffer)
        assert not [line for line in ours if line["logger"].startswith("transitions")]
        sent = [line for line in ours if line["logger"] == "adapters.sms"]
        assert sent and sent[0]["level"] == "info" and "159****1931" in sent[0]["msg"]
        assert ZHOU["phone"] not in buffer.getvalue() and ZHOU["id"] not in buffer.getvalue()
        # The control: without the setting the same kind of step does log them.
        logging.getLogger("transitions").setLevel(logging.NOTSET)
        mark = len(buffer.getvalue())
        await h.say("上一步")
        chatter = [line for line in lines(buffer, mark)
                   if line["logger"].startswith("transitions")]
        assert chatter and all(line["level"] == "info" for line in chatter)
        assert any("Finished processing state" in line["msg"] for line in chatter)


def _records(caplog: pytest.LogCaptureFixture, level: int) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "bot.push_worker" and r.levelno == level]


async def test_retried_and_dead_pushes_log_errcode(make_harness: MakeHarness,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot.push_worker")
    h = await make_harness(**{**FAST, **TEMPLATES, "push_max_attempts": 2})
    await subscribe(h, "o_log")
    h.fake.add_fault("message/template/send", errcode=-1, count=2)
    await post_event(h, event_body(["o_log"]))
    await eventually(lambda: _records(caplog, logging.ERROR), within=10)
    row_id = (await rows(h))[0].id
    retried = _records(caplog, logging.WARNING)
    assert len(retried) == 1
    first = vars(retried[0])  # the extra fields, as the JSON line carries them
    assert (first["row_id"], first["errcode"], first["attempt"]) == (row_id, -1, 1)
    assert 0 < first["retry_in"] <= 0.2  # FAST's longest delay
    message = retried[0].getMessage()
    assert f"push {row_id} to o_log failed: errcode -1" in message
    assert "attempt 1 of 2" in message and "next try in" in message
    line = json.loads(logs.JsonFormatter().format(retried[0]))
    assert line["level"] == "warning" and line["errcode"] == -1 and line["attempt"] == 1
    dead = _records(caplog, logging.ERROR)[0]
    assert (vars(dead)["errcode"], vars(dead)["attempt"]) == (-1, 2)
    assert f"push {row_id} to o_log is dead: errcode -1" in dead.getMessage()
