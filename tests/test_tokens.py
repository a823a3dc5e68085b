"""Access tokens as WeChat rations them (docs/wechat.md, "Access tokens"): normal mode for
ordinary fetches, a force refresh only after WeChat refused a token, at most one per 30 s
and 20 a Beijing day per account across processes, and pushes that wait instead of dying.
Against the fake WeChat API, which refuses force refreshes beyond those limits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from adapters import database
from adapters.sqltypes import utcnow
from adapters.wechat_api import WeChatApiClient
from adapters.wechat_tokens import FORCE_PER_DAY, AccessToken, TokenRefreshDeferred, beijing_day
from devtools.fake_wechat import FakeUser
from tests.push_support import FAST, TEMPLATES, event_body, post_event, rows, sent_to, subscribe
from tests.support import Clock, Harness, eventually

MakeHarness = Callable[..., Awaitable[Harness]]


@pytest.fixture
async def harness(make_harness: MakeHarness) -> Harness:
    h = await make_harness()
    # These tests are about tokens, not customer-service quotas: o_t may receive as many
    # messages as they send.
    h.fake.users["o_t"] = FakeUser(quota_left=10**6, quota_until=float("inf"))
    return h


def _client(h: Harness, sessions: object = None, clock: Clock | None = None) -> WeChatApiClient:
    s = h.settings
    return WeChatApiClient(appid=s.wechat_appid, secret=s.wechat_secret, api_base=s.api_base,
                           sessions=sessions or h.runtime.sessions,  # type: ignore[arg-type]
                           clock=clock or h.clock)


async def _row(h: Harness) -> AccessToken:
    async with h.runtime.sessions() as session:
        row = await session.get(AccessToken, h.settings.wechat_appid)
    assert row is not None
    return row


def _texts(h: Harness) -> list[str]:
    return [r.payload["text"]["content"] for r in h.fake.sent(kind="custom")]


@asynccontextmanager
async def _other_process(h: Harness) -> AsyncIterator[WeChatApiClient]:
    """A client with its own engine and pool, as another process would have."""
    engine = database.make_engine(h.settings.database_url, schema=h.settings.database_schema)
    try:
        yield _client(h, database.session_factory(engine))
    finally:
        await engine.dispose()


async def test_ordinary_fetches_use_normal_mode(harness: Harness) -> None:
    api = _client(harness)
    await api.send_text("o_t", "一")
    async with _other_process(harness) as other:
        await other.send_text("o_t", "二")
    await _client(harness).send_text("o_t", "三")
    assert harness.fake.token_fetches == 1 and harness.fake.tokens.forced_today == 0
    row = await _row(harness)
    assert row.force_count == 0 and row.forced_at is None
    assert _texts(harness) == ["一", "二", "三"]


async def test_40001_on_a_push_forces_once_and_the_push_is_sent(
        make_harness: MakeHarness) -> None:
    h = await make_harness(**FAST, **TEMPLATES)
    await subscribe(h, "o_a", "o_b")
    await post_event(h, event_body(["o_a"]))
    await eventually(lambda: sent_to(h) == ["o_a"])
    h.fake.expire_tokens()
    await post_event(h, event_body(["o_b"], event="disburse"))
    await eventually(lambda: sent_to(h) == ["o_a", "o_b"])
    assert h.fake.tokens.forced_today == 1
    row = await _row(h)
    assert row.force_count == 1 and row.force_day == beijing_day(utcnow())
    assert {(r.status, r.attempts) for r in await rows(h)} == {("sent", 1)}


async def test_two_processes_refused_together_force_once(harness: Harness) -> None:
    api = _client(harness)
    await api.send_text("o_t", "warm")
    async with _other_process(harness) as other:
        await other.send_text("o_t", "warm too")  # both now hold the shared token
        harness.fake.expire_tokens()
        await asyncio.gather(api.send_text("o_t", "甲"), other.send_text("o_t", "乙"))
    assert harness.fake.tokens.forced_today == 1 and harness.fake.tokens.refused_forces == 0
    assert (await _row(harness)).force_count == 1
    assert sorted(_texts(harness)[2:]) == ["乙", "甲"]


async def test_a_second_refusal_within_30_s_does_not_force_again(harness: Harness) -> None:
    clock = Clock()
    api = _client(harness, clock=clock)
    await api.send_text("o_t", "一")
    harness.fake.expire_tokens()
    await api.send_text("o_t", "二")  # refused, force refresh, sent
    harness.fake.expire_tokens()
    calls = harness.fake.calls["stable_token"]
    with pytest.raises(TokenRefreshDeferred) as caught:
        await api.send_text("o_t", "三")
    assert caught.value.errcode == 40001 and 0 < caught.value.retry_after <= 30
    assert harness.fake.calls["stable_token"] == calls  # WeChat was not asked
    async with _other_process(harness) as other:  # nor by another process
        with pytest.raises(TokenRefreshDeferred):
            await other.send_text("o_t", "三")
    assert harness.fake.calls["stable_token"] == calls
    clock.advance(seconds=31)
    harness.fake.tokens.advance(31)
    await api.send_text("o_t", "三")
    assert harness.fake.tokens.forced_today == 2 and harness.fake.tokens.refused_forces == 0
    assert _texts(harness) == ["一", "二", "三"]


async def test_twenty_force_refreshes_a_day_then_none(harness: Harness) -> None:
    noon = _beijing_noon()  # no midnight inside the test, for us or for the fake
    clock = Clock(offset=noon - utcnow())
    harness.fake.tokens.wall = noon.timestamp
    api = _client(harness, clock=clock)
    await api.send_text("o_t", "warm")
    for _ in range(FORCE_PER_DAY):
        harness.fake.expire_tokens()
        await api.send_text("o_t", "x")
        clock.advance(seconds=31)
        harness.fake.tokens.advance(31)
    harness.fake.expire_tokens()
    calls = harness.fake.calls["stable_token"]
    with pytest.raises(TokenRefreshDeferred) as caught:
        await api.send_text("o_t", "y")
    assert caught.value.retry_after > 60 and "20" in caught.value.errmsg
    assert harness.fake.calls["stable_token"] == calls
    assert harness.fake.tokens.forced_today == FORCE_PER_DAY
    assert (await _row(harness)).force_count == FORCE_PER_DAY


async def test_wechat_refusing_a_force_refresh_is_trusted(harness: Harness) -> None:
    api = _client(harness)
    await api.send_text("o_t", "warm")
    harness.fake.tokens.force_per_day = 0  # spent elsewhere, e.g. by another deployment
    harness.fake.expire_tokens()
    with pytest.raises(TokenRefreshDeferred) as caught:
        await api.send_text("o_t", "x")
    assert "45009" in caught.value.errmsg and caught.value.retry_after > 30
    assert harness.fake.tokens.refused_forces == 1
    assert (await _row(harness)).force_count == FORCE_PER_DAY
    calls = harness.fake.calls["stable_token"]
    with pytest.raises(TokenRefreshDeferred):
        await api.send_text("o_t", "x")
    assert harness.fake.calls["stable_token"] == calls


async def test_allowance_spent_push_waits_pending_not_dead(make_harness: MakeHarness) -> None:
    h = await make_harness(**FAST, **TEMPLATES, push_max_attempts=2)
    await subscribe(h, "o_a", "o_b")
    await post_event(h, event_body(["o_a"]))
    await eventually(lambda: sent_to(h) == ["o_a"])
    now = h.clock()
    async with h.runtime.sessions.begin() as session:
        await session.execute(update(AccessToken).values(
            force_day=beijing_day(now), force_count=FORCE_PER_DAY))
    h.fake.expire_tokens()
    calls = h.fake.calls["stable_token"]
    await post_event(h, event_body(["o_b"], event="disburse"))

    async def waiting() -> object:
        found = [r for r in await rows(h) if r.openid == "o_b" and r.last_error]
        return found[0] if found else None

    row = await eventually(waiting)
    assert row.status == "pending" and row.attempts == 0  # type: ignore[attr-defined]
    assert "40001" in row.last_error  # type: ignore[attr-defined]
    assert row.next_attempt_at > now  # type: ignore[attr-defined]
    assert h.fake.calls["stable_token"] == calls and h.fake.tokens.forced_today == 0
    assert sent_to(h) == ["o_a"]


def _beijing_noon() -> datetime:
    """Noon of today's Beijing day (04:00 UTC), far from the midnight the quotas reset at."""
    day = beijing_day(utcnow())
    return datetime(day.year, day.month, day.day, 4, tzinfo=UTC)
