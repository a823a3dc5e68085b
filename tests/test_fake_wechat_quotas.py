"""The fake WeChat API counts customer-service quotas as WeChat does, from the user
actions its delivering side (devtools/sim.py) reports to `_inbound`."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fake_wechat_support import TEXT, Env
from tests.fake_wechat_support import env_fixture as env_fixture

USER = "o-quota"


async def act(env: Env, msg_type: str, event: str = "") -> dict[str, Any]:
    return await env.post("_inbound", {"openid": USER, "msg_type": msg_type, "event": event})


async def send(env: Env, token: str) -> int:
    # Not env.custom: that one opens a window for a user the fake has not heard of.
    answer = await env.post("cgi-bin/message/custom/send", {"touser": USER, **TEXT},
                            access_token=token)
    return int(answer["errcode"])


async def sends(env: Env, token: str, count: int) -> list[int]:
    return [await send(env, token) for _ in range(count)]


async def test_nothing_heard_of_the_user_means_no_window(env: Env) -> None:
    assert await send(env, await env.token()) == 45015
    assert env.fake.sent("custom") == []


@pytest.mark.parametrize("msg_type", ["text", "voice", "image", "location", "link", "video"])
async def test_a_message_allows_five_within_48_hours(env: Env, msg_type: str) -> None:
    token = await env.token()
    assert (await act(env, msg_type))["quota_left"] == 5
    assert await sends(env, token, 6) == [0, 0, 0, 0, 0, 45047]
    await act(env, "text")
    env.clock.advance(48 * 3600 - 1)  # one clock for tokens and windows: a fresh token
    assert await send(env, await env.token()) == 0
    env.clock.advance(1)
    assert await send(env, await env.token()) == 45015


@pytest.mark.parametrize("event", ["CLICK", "subscribe", "SCAN", "scancode_push"])
async def test_a_click_subscribe_or_scan_allows_three_within_a_minute(env: Env,
                                                                     event: str) -> None:
    token = await env.token()
    await act(env, "event", event)
    assert await sends(env, token, 4) == [0, 0, 0, 45047]
    await act(env, "event", event)
    assert await send(env, token) == 0
    env.clock.advance(60)
    assert await send(env, token) == 45015


async def test_quotas_do_not_add_up(env: Env) -> None:
    token = await env.token()
    await act(env, "text")
    await act(env, "event", "CLICK")  # replaces the message's 5 with 3 for a minute
    assert await sends(env, token, 4) == [0, 0, 0, 45047]
    await act(env, "text")
    await send(env, token)
    await act(env, "text")  # back to a whole 5, not 4 + 5
    assert await sends(env, token, 6) == [0, 0, 0, 0, 0, 45047]


@pytest.mark.parametrize("event", ["TEMPLATESENDJOBFINISH", "VIEW", "LOCATION",
                                   "MASSSENDJOBFINISH", "subscribe_msg_popup_event"])
async def test_events_nobody_typed_open_nothing(env: Env, event: str) -> None:
    token = await env.token()
    await act(env, event="CLICK", msg_type="event")
    env.clock.advance(61)
    await act(env, "event", event)
    assert await send(env, token) == 45015


async def test_unsubscribing_closes_and_following_again_opens(env: Env) -> None:
    token = await env.token()
    await act(env, "text")
    answer = await act(env, "event", "unsubscribe")
    assert answer["subscribed"] is False and await send(env, token) == 45015
    await act(env, "event", "subscribe")
    assert await sends(env, token, 4) == [0, 0, 0, 45047]


async def test_set_user_window_open_is_a_message_just_now(env: Env) -> None:
    token = await env.token()
    assert (await env.post("_users", {"openid": USER, "window_open": True}))["ok"]
    assert await sends(env, token, 6) == [0, 0, 0, 0, 0, 45047]


@pytest.mark.parametrize("body", [{}, {"openid": USER}, {"openid": "", "msg_type": "text"},
                                  {"openid": USER, "msg_type": 1},
                                  {"openid": USER, "msg_type": "event", "event": None}])
async def test_inbound_refuses_bad_reports(env: Env, body: dict[str, Any]) -> None:
    async with env.http.post(f"{env.base}/_inbound", json=body) as resp:
        assert resp.status == 400 and "error" in await resp.json()
    assert env.fake.users == {}
