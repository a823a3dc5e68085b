"""The fake WeChat API: tokens and sends, over loopback HTTP with aiohttp and wechatpy."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from tests.fake_wechat_support import (  # noqa: F401  (the fixtures provide `env`, `clients`)
    APPID,
    SECRET,
    TEXT,
    Env,
    clients_fixture,
    env_fixture,
    make_client,
)

# --- tokens ---------------------------------------------------------------------------------


async def test_token_issue_and_credential_errors(env: Env) -> None:
    answer = await env.get(
        "cgi-bin/token", grant_type="client_credential", appid=APPID, secret=SECRET
    )
    assert answer["expires_in"] == 7200 and "errcode" not in answer
    assert env.fake.token_fetches == 1
    bad = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET}
    for override, errcode in [({"appid": "wxother"}, 40013), ({"secret": "nope"}, 40125),
                              ({"grant_type": "password"}, 40002), ({"appid": ""}, 41002)]:
        assert (await env.get("cgi-bin/token", **{**bad, **override}))["errcode"] == errcode
    assert env.fake.token_fetches == 1
    assert env.fake.calls["token"] == 5


async def test_token_fetch_through_wechatpy(env: Env, clients: list[WeChatClient]) -> None:
    client = make_client(clients, env.base)
    # fetch_access_token hard-codes the official URL, so call the worker it wraps.
    params = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET}
    await asyncio.to_thread(client._fetch_access_token, f"{env.base}/cgi-bin/token", params)
    env.fake.set_user("o-1")  # has just written: a customer-service window
    assert (await asyncio.to_thread(client.message.send_text, "o-1", "hi"))["errcode"] == 0
    assert env.fake.sent("custom")[0].payload["text"]["content"] == "hi"


async def test_new_token_supersedes_old_after_grace(env: Env) -> None:
    old = await env.token()
    new = await env.token()
    assert old != new and env.fake.token_fetches == 2
    assert (await env.custom(old))["errcode"] == 0  # old one still inside its grace period
    env.clock.advance(301)
    assert (await env.custom(old))["errcode"] == 40001
    assert (await env.custom(new))["errcode"] == 0


async def test_stable_token_same_until_force_refresh(env: Env) -> None:
    first = await env.stable()
    env.clock.advance(100)
    again = await env.stable()
    assert again["access_token"] == first["access_token"]
    assert first["expires_in"] == 7200 and again["expires_in"] == 7100
    forced = await env.stable(force=True)
    assert forced["access_token"] != first["access_token"] and forced["expires_in"] == 7200
    assert (await env.stable())["access_token"] == forced["access_token"]
    # A force refresh invalidates the previous token at once, with no grace period.
    assert (await env.custom(first["access_token"]))["errcode"] == 40001
    # A second force refresh within 30 s is refused and changes nothing.
    assert (await env.stable(force=True))["errcode"] == 45011
    assert (await env.custom(forced["access_token"]))["errcode"] == 0
    env.clock.advance(30)
    again = await env.stable(force=True)
    assert again["access_token"] != forced["access_token"]
    assert (await env.custom(forced["access_token"]))["errcode"] == 40001
    assert env.fake.token_fetches == 5 and env.fake.tokens.forced_today == 2


async def test_stable_token_renews_in_last_five_minutes(env: Env) -> None:
    first = await env.stable()
    env.clock.advance(7200 - 200)
    renewed = await env.stable()
    assert renewed["access_token"] != first["access_token"] and renewed["expires_in"] == 7200
    assert (await env.custom(first["access_token"]))["errcode"] == 0
    env.clock.advance(200)
    assert (await env.custom(first["access_token"]))["errcode"] == 42001


async def test_token_check_missing_unknown_expired(env: Env) -> None:
    async with env.http.post(f"{env.base}/cgi-bin/message/custom/send", json={}) as resp:
        assert (await resp.json())["errcode"] == 41001
    assert (await env.custom("fake.nonsense"))["errcode"] == 40001
    token = await env.token()
    env.clock.advance(7200)
    assert (await env.custom(token))["errcode"] == 42001
    assert env.fake.records == []


async def test_expire_tokens_then_refresh(env: Env, clients: list[WeChatClient]) -> None:
    token = (await env.stable())["access_token"]
    client = make_client(clients, env.base, token)
    env.fake.expire_tokens()
    with pytest.raises(WeChatClientException) as caught:
        await asyncio.to_thread(client.message.send_text, "o-1", "hi")
    assert caught.value.errcode == 40001
    # WeChat still holds the invalidated token: normal mode hands it out again, and only a
    # force refresh replaces it.
    assert (await env.stable())["access_token"] == token
    fresh = (await env.stable(force=True))["access_token"]
    assert fresh != token and (await env.custom(fresh))["errcode"] == 0
    assert (await env.post("_expire_tokens", {"errcode": 42001}))["ok"] is True
    assert (await env.custom(fresh))["errcode"] == 42001
    renewed = (await env.stable())["access_token"]  # an expired token: normal mode renews
    assert renewed != fresh and (await env.custom(renewed))["errcode"] == 0
    assert len(env.fake.records) == 2


NOON_BEIJING = 1_800_000_000.0 - 1_800_000_000.0 % 86400 + 4 * 3600


async def test_force_refresh_allowance_twenty_a_day(env: Env) -> None:
    env.fake.tokens.wall = lambda: NOON_BEIJING  # no midnight inside the test
    tokens = []
    for _ in range(20):
        tokens.append((await env.stable(force=True))["access_token"])
        env.clock.advance(30)
    assert len(set(tokens)) == 20
    refused = await env.stable(force=True)
    assert refused["errcode"] == 45009 and "access_token" not in refused
    assert (await env.custom(tokens[-1]))["errcode"] == 0  # the refusal changed nothing
    assert (await env.stable())["access_token"] == tokens[-1]
    state = await env.post("_tokens", {})
    assert state["forced_today"] == 20 and state["refused_forces"] == 1
    # The control route resets the allowance instead of waiting for Beijing midnight.
    state = await env.post("_tokens", {"reset_force_allowance": True})
    assert state["forced_today"] == 0
    assert (await env.stable(force=True))["access_token"] not in tokens


async def test_force_refresh_allowance_resets_at_beijing_midnight(env: Env) -> None:
    env.fake.tokens.wall = lambda: NOON_BEIJING
    env.fake.tokens.force_per_day = 1
    first = await env.stable(force=True)
    env.clock.advance(60)
    assert (await env.stable(force=True))["errcode"] == 45009
    # The `_tokens` route ages the fake's clock: a day later the allowance is back.
    await env.post("_tokens", {"advance": 86400})
    assert (await env.stable(force=True))["access_token"] != first["access_token"]


async def test_tokens_control_route_rejects_bad_input(env: Env) -> None:
    for body in ({"advance": -1}, {"advance": "soon"}, {"advance": True},
                 {"reset_force_allowance": "yes"}, [1]):
        async with env.http.post(f"{env.base}/_tokens", json=body) as resp:
            assert resp.status == 400 and "error" in await resp.json()
    assert env.fake.tokens.offset == 0


# --- sends ----------------------------------------------------------------------------------


async def test_every_send_is_recorded(env: Env, clients: list[WeChatClient]) -> None:
    token = await env.token()
    client = make_client(clients, env.base, token)
    env.fake.set_user("o-1")  # has just written: a customer-service window
    await asyncio.to_thread(
        client.post, "message/custom/send", params={"access_token": token},
        data={"touser": "o-1", **TEXT},
    )
    await asyncio.to_thread(
        client.post, "message/custom/send",
        data={"touser": "o-1", "msgtype": "image", "image": {"media_id": "m1"}},
    )
    data = {"character_string1": {"value": "RZ20240001"}, "amount2": {"value": "200000元"}}
    answer = await asyncio.to_thread(
        client.message.send_template, "o-2", "tpl-credit", data, url="https://example.com/d"
    )
    menu = {"button": [{"type": "click", "name": "我的需求", "key": "MY_DEMANDS"}]}
    await asyncio.to_thread(client.menu.create, menu)
    qr = await asyncio.to_thread(
        client.qrcode.create,
        {"expire_seconds": 300, "action_name": "QR_STR_SCENE",
         "action_info": {"scene": {"scene_str": "login-abc"}}},
    )
    records = env.fake.records
    assert [r.kind for r in records] == ["custom", "custom", "template", "menu", "qrcode"]
    assert [r.touser for r in records] == ["o-1", "o-1", "o-2", None, None]
    assert records[0].payload["text"]["content"] == TEXT["text"]["content"]
    assert records[1].payload["image"] == {"media_id": "m1"}
    assert answer["msgid"] == records[2].id == records[2].result["msgid"]
    assert records[2].payload["data"] == data
    assert records[4].result["ticket"] == qr["ticket"] and qr["expire_seconds"] == 300
    assert all(abs(r.at - time.time()) < 60 for r in records)
    assert (await asyncio.to_thread(client.menu.get))["menu"] == menu
    await asyncio.to_thread(client.menu.delete)
    assert await asyncio.to_thread(client.menu.get) is None  # wechatpy maps 46003 to None
    assert env.fake.calls["message/custom/send"] == 2 and env.fake.calls["menu/get"] == 2


async def test_template_validation(env: Env) -> None:
    token = await env.token()
    good = {"touser": "o-1", "template_id": "tpl", "data": {"thing1": {"value": "授信"}}}

    async def send(**changes: Any) -> int:
        body = {**good, **changes}
        answer = await env.post("cgi-bin/message/template/send", body, access_token=token)
        return answer["errcode"]

    assert await send(touser="") == 40003
    assert await send(template_id="") == 40037
    assert await send(data={"thing1": {"value": 200000}}) == 47003
    assert await send(data={"thing1": "授信"}) == 47003
    assert await send(data={"thing1": {"value": "某" * 21}}) == 47003  # thing: 20 chars
    assert await send(data={"keyword1": {"value": "某" * 40}}) == 0  # legacy: no limit
    assert len(env.fake.records) == 1
    # Once the fake holds the account's templates, an id it does not hold is refused.
    env.fake.add_template("tpl-credit", "授信通知", "单据号：{{character_string1.DATA}}")
    assert await send() == 40037


async def test_unsubscribed_and_closed_window(env: Env) -> None:
    token = await env.token()
    env.fake.set_user("o-gone", subscribed=False)
    body = {"touser": "o-gone", "template_id": "t", "data": {"thing1": {"value": "x"}}}
    tpl = await env.post("cgi-bin/message/template/send", body, access_token=token)
    assert tpl["errcode"] == 43004
    assert (await env.custom(token, "o-gone"))["errcode"] == 45015
    assert (await env.post("_users", {"openid": "o-quiet", "window_open": False}))["ok"]
    assert (await env.custom(token, "o-quiet"))["errcode"] == 45015
    body["touser"] = "o-quiet"  # a closed window does not stop template messages
    tpl = await env.post("cgi-bin/message/template/send", body, access_token=token)
    assert tpl["errcode"] == 0
    assert [r.touser for r in env.fake.records] == ["o-quiet"]


def _buttons(n: int, **button: Any) -> list[dict[str, Any]]:
    return [{"type": "click", "name": f"b{i}", "key": f"K{i}", **button} for i in range(n)]


@pytest.mark.parametrize(
    ("menu", "errcode"),
    [
        ({"button": _buttons(4)}, 40016),
        ({"button": []}, 40016),
        ({}, 40016),
        ({"button": [{"name": "更多", "sub_button": _buttons(6)}]}, 40023),
        ({"button": _buttons(1, name="")}, 40018),
        ({"button": _buttons(1, name="六个汉字名字")}, 40018),  # 18 bytes > 16
        ({"button": [{"name": "更多", "sub_button": _buttons(1, name="")}]}, 40025),
        ({"button": _buttons(1, type="teleport")}, 40017),
        ({"button": _buttons(1, key="")}, 40019),
        ({"button": [{"type": "view", "name": "官网"}]}, 40020),
        ({"button": [{"name": "更多", "sub_button": [
            {"name": "深", "sub_button": _buttons(1)}]}]}, 40022),
    ],
)
async def test_menu_validation(env: Env, menu: dict[str, Any], errcode: int) -> None:
    token = await env.token()
    answer = await env.post("cgi-bin/menu/create", menu, access_token=token)
    assert answer["errcode"] == errcode
    assert env.fake.menu is None and env.fake.records == []


async def test_full_menu_accepted(env: Env) -> None:
    token = await env.token()
    menu = {"button": [{"name": f"菜单{i}", "sub_button": _buttons(5)} for i in range(3)]}
    assert (await env.post("cgi-bin/menu/create", menu, access_token=token))["errcode"] == 0
    assert (await env.get("cgi-bin/menu/get", access_token=token))["menu"] == menu


async def test_qrcode_create(env: Env) -> None:
    token = await env.token()

    async def create(body: dict[str, Any]) -> dict[str, Any]:
        return await env.post("cgi-bin/qrcode/create", body, access_token=token)

    scene = {"scene": {"scene_str": "login-1"}}
    temp = await create({"action_name": "QR_STR_SCENE", "action_info": scene})
    assert temp["expire_seconds"] == 60 and temp["ticket"] and temp["url"].startswith("http")
    perm = await create({"action_name": "QR_LIMIT_SCENE",
                         "action_info": {"scene": {"scene_id": 7}}})
    assert "expire_seconds" not in perm and perm["ticket"] != temp["ticket"]
    capped = await create({"expire_seconds": 10**8, "action_name": "QR_SCENE",
                           "action_info": {"scene": {"scene_id": 123456}}})
    assert capped["expire_seconds"] == 2_592_000
    assert (await create({"action_name": "QR_BAD", "action_info": scene}))["errcode"] == 40097
    long_scene = {"scene": {"scene_str": "x" * 65}}
    assert (await create({"action_name": "QR_LIMIT_STR_SCENE",
                          "action_info": long_scene}))["errcode"] == 40097
    records = env.fake.sent("qrcode")
    assert [r.result["ticket"] for r in records] == [temp["ticket"], perm["ticket"],
                                                      capped["ticket"]]
    assert records[0].payload["action_info"] == scene
