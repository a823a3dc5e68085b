"""The fake WeChat API: long-poll, faults and housekeeping, over loopback HTTP."""

from __future__ import annotations

import asyncio
import socket
import time

import aiohttp
import pytest
import requests
from aiohttp import web
from aiohttp.test_utils import TestServer
from wechatpy import WeChatClient
from wechatpy.exceptions import APILimitedException, WeChatClientException

from devtools.fake_wechat import FakeWeChat
from devtools.fake_wechat_routes import build_app, run_standalone
from tests.fake_wechat_support import (  # noqa: F401  (the fixtures provide `env`, `clients`)
    TEXT,
    Env,
    clients_fixture,
    env_fixture,
    make_client,
    serve,
)

# --- long-poll ------------------------------------------------------------------------------


async def test_long_poll_returns_promptly_on_new_record(env: Env) -> None:
    token = await env.token()
    await env.custom(token, "o-a")
    first = await env.get("_sent")
    assert [r["touser"] for r in first["records"]] == ["o-a"]
    after = first["next_after"]
    poll = asyncio.create_task(env.get("_sent", after=after, touser="o-b", wait=10))
    other = asyncio.create_task(env.get("_sent", after=after, touser="o-c", wait=0.5))
    await asyncio.sleep(0.2)
    started = time.monotonic()
    await env.custom(token, "o-a")  # wakes the pollers, which keep waiting: wrong user
    await env.custom(token, "o-b")
    answer = await poll
    assert time.monotonic() - started < 2
    assert [(r["touser"], r["kind"]) for r in answer["records"]] == [("o-b", "custom")]
    assert answer["records"][0]["payload"]["text"] == TEXT["text"]
    missed = await other  # timed out empty, but told where to continue
    assert missed["records"] == [] and missed["next_after"] == answer["records"][0]["id"]
    assert (await env.get("_sent", after=after, kind="template"))["records"] == []
    limited = await env.get("_sent", after=0, limit=1)
    assert len(limited["records"]) == 1 and limited["next_after"] == 1


async def test_shutdown_releases_long_poll() -> None:
    fake = FakeWeChat()
    server = TestServer(build_app(fake))
    await server.start_server()
    async with aiohttp.ClientSession() as http:
        poll = asyncio.create_task(http.get(f"http://{server.host}:{server.port}/_sent?wait=25"))
        await asyncio.sleep(0.2)
        started = time.monotonic()
        await server.close()
        assert time.monotonic() - started < 5
        try:  # an empty answer and a dropped connection are both fine: it did not hang
            async with await poll as resp:
                assert (await resp.json())["records"] == []
        except aiohttp.ClientError:
            pass


# --- faults ---------------------------------------------------------------------------------


async def test_http_500_fault_count_then_normal(env: Env, clients: list[WeChatClient]) -> None:
    client = make_client(clients, env.base, await env.token())
    env.fake.add_fault("message/custom/send", http_status=500, count=2)
    env.fake.set_user("o-1")  # has just written: a customer-service window
    for _ in range(2):
        with pytest.raises(WeChatClientException) as caught:
            await asyncio.to_thread(client.message.send_text, "o-1", "hi")
        assert caught.value.errcode is None and caught.value.response.status_code == 500
    assert (await asyncio.to_thread(client.message.send_text, "o-1", "hi"))["errcode"] == 0
    assert len(env.fake.records) == 1 and env.fake.calls["message/custom/send"] == 3


async def test_errcode_faults_fifo(env: Env, clients: list[WeChatClient]) -> None:
    client = make_client(clients, env.base, await env.token())
    data = {"thing1": {"value": "已放款"}}
    answer = await env.post("_faults", {"endpoint": "/cgi-bin/message/template/send",
                                        "errcode": 45009})
    assert answer["pending_faults"][0]["endpoint"] == "message/template/send"
    env.fake.add_fault("*", errcode=-1)
    with pytest.raises(APILimitedException) as limited:
        await asyncio.to_thread(client.message.send_template, "o-1", "t", data)
    assert limited.value.errcode == 45009
    with pytest.raises(WeChatClientException) as busy:
        await asyncio.to_thread(client.message.send_template, "o-1", "t", data)
    assert busy.value.errcode == -1
    assert (await asyncio.to_thread(client.message.send_template, "o-1", "t", data))["msgid"]
    assert len(env.fake.records) == 1 and env.fake.faults == []


async def test_token_endpoint_fault_issues_nothing(env: Env) -> None:
    env.fake.add_fault("stable_token", errcode=-1)
    assert (await env.stable())["errcode"] == -1
    assert env.fake.token_fetches == 0
    assert "access_token" in await env.stable()


async def test_delay_fault_lets_clients_time_out(
    env: Env, clients: list[WeChatClient]
) -> None:
    token = await env.token()
    env.fake.add_fault("message/custom/send", delay=0.6, count=2)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):
            await env.custom(token, "o-slow")
    client = make_client(clients, env.base, token, timeout=0.2)
    with pytest.raises(requests.Timeout):
        await asyncio.to_thread(client.message.send_text, "o-slow", "hi")
    started = time.monotonic()
    assert (await env.custom(token, "o-fast"))["errcode"] == 0
    assert time.monotonic() - started < 0.5
    await asyncio.sleep(0.8)
    # Like WeChat, a call the client gave up on may still have been delivered.
    assert {r.touser for r in env.fake.records} == {"o-slow", "o-fast"}


async def test_fault_validation(env: Env) -> None:
    with pytest.raises(ValueError, match="unknown endpoint"):
        env.fake.add_fault("message/send", errcode=-1)
    with pytest.raises(ValueError):
        env.fake.add_fault("*")
    with pytest.raises(ValueError):
        env.fake.add_fault("*", errcode=-1, count=0)
    async with env.http.post(f"{env.base}/_faults", json={"endpoint": "x"}) as resp:
        assert resp.status == 400 and "unknown endpoint" in (await resp.json())["error"]


# --- housekeeping ---------------------------------------------------------------------------


async def test_memory_cap_drops_oldest() -> None:
    assert FakeWeChat().max_records == 100_000
    async for small in serve(max_records=5):
        token = await small.token()
        for i in range(8):
            await small.custom(token, f"o-{i}")
        assert [r.id for r in small.fake.records] == [4, 5, 6, 7, 8]
        answer = await small.get("_sent", after=0)
        assert [r["touser"] for r in answer["records"]] == [f"o-{i}" for i in range(3, 8)]
        assert (await small.get("_stats"))["records"] == 5


async def test_stats_and_reset(env: Env) -> None:
    token = await env.token()
    await env.custom(token)
    stats = await env.get("_stats")
    assert stats["token_fetches"] == 1 and stats["records"] == 1 and stats["last_id"] == 1
    assert stats["calls"] == {"token": 1, "message/custom/send": 1}
    assert (await env.post("_reset", {}))["ok"] is True
    assert env.fake.records == [] and env.fake.calls == {} and env.fake.token_fetches == 0
    assert (await env.custom(token))["errcode"] == 40001  # tokens were forgotten too
    await env.custom(await env.token())
    assert env.fake.records[0].id == 2  # ids keep growing so pollers never go back


async def test_mounted_as_subapp(clients: list[WeChatClient]) -> None:
    fake = FakeWeChat()
    main = web.Application()
    main.add_subapp("/fake-wechat/", build_app(fake))
    server = TestServer(main)
    await server.start_server()
    try:
        base = f"http://{server.host}:{server.port}/fake-wechat"
        client = make_client(clients, base, fake.issue_token())
        fake.set_user("o-1")  # has just written: a customer-service window
        await asyncio.to_thread(client.message.send_text, "o-1", "mounted")
        async with aiohttp.ClientSession() as http, http.get(f"{base}/_sent") as resp:
            assert (await resp.json())["records"][0]["payload"]["text"]["content"] == "mounted"
    finally:
        await server.close()


async def test_run_standalone() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    task = asyncio.create_task(run_standalone("127.0.0.1", port, appid="wxdemo"))
    try:
        url = f"http://127.0.0.1:{port}/cgi-bin/token"
        params = {"grant_type": "client_credential", "appid": "wxdemo", "secret": "fake-secret"}
        async with aiohttp.ClientSession() as http:
            for _ in range(50):
                try:
                    async with http.get(url, params=params) as resp:
                        assert "access_token" in await resp.json()
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            else:
                pytest.fail("standalone fake WeChat did not start")
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_user_info_and_control_validation(
    env: Env, clients: list[WeChatClient]
) -> None:
    client = make_client(clients, env.base, await env.token())
    env.fake.set_user("o-gone", subscribed=False)
    assert (await asyncio.to_thread(client.user.get, "o-here"))["subscribe"] == 1
    assert (await asyncio.to_thread(client.user.get, "o-gone"))["subscribe"] == 0
    for method, path, body in [
        ("POST", "_users", {"subscribed": False}),
        ("POST", "_users", {"openid": "o", "window_open": "no"}),
        ("POST", "_expire_tokens", {"errcode": "soon"}),
        ("POST", "_faults", [1, 2]),
        ("GET", "_sent?after=x", None),
        ("GET", "_sent?wait=nan", None),
    ]:
        async with env.http.request(method, f"{env.base}/{path}", json=body) as resp:
            assert resp.status == 400, path
            assert (await resp.json())["error"]
