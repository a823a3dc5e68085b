"""Fixtures and helpers for the fake WeChat API tests (tests/test_fake_wechat*.py).

Import the fixtures into a test module (`from tests.fake_wechat_support import env_fixture`):
they are registered under the names `env` and `clients`, so a test parameter never shadows
the imported name (ruff's F811).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from wechatpy import WeChatClient

from devtools.fake_wechat import FakeWeChat
from devtools.fake_wechat_routes import build_app

APPID, SECRET = "wxfake0000000000", "fake-secret"
TEXT = {"msgtype": "text", "text": {"content": "您的融资需求已受理"}}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Env:
    fake: FakeWeChat
    base: str  # e.g. http://127.0.0.1:PORT (no trailing slash)
    http: aiohttp.ClientSession
    clock: FakeClock

    async def get(self, path: str, **params: Any) -> dict[str, Any]:
        async with self.http.get(f"{self.base}/{path}", params=params) as resp:
            assert resp.status == 200, await resp.text()
            return await resp.json()

    async def post(self, path: str, body: Any, **params: Any) -> dict[str, Any]:
        async with self.http.post(f"{self.base}/{path}", json=body, params=params) as resp:
            assert resp.status == 200, await resp.text()
            return await resp.json()

    async def token(self) -> str:
        answer = await self.get(
            "cgi-bin/token", grant_type="client_credential", appid=APPID, secret=SECRET
        )
        return answer["access_token"]

    async def stable(self, force: bool = False) -> dict[str, Any]:
        body = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET,
                "force_refresh": force}
        return await self.post("cgi-bin/stable_token", body)

    async def custom(self, token: str, touser: str = "o-user", **extra: Any) -> dict[str, Any]:
        """A customer-service text; a user the fake knows nothing of has just written
        (a window), so tests of other rules need not open one."""
        if touser not in self.fake.users:
            self.fake.set_user(touser)
        body = {"touser": touser, **TEXT, **extra}
        return await self.post("cgi-bin/message/custom/send", body, access_token=token)


async def serve(max_records: int = 100_000) -> AsyncIterator[Env]:
    """A FakeWeChat (on a fake clock) behind a loopback TestServer, with a client session."""
    clock = FakeClock()
    fake = FakeWeChat(clock=clock, max_records=max_records)
    server = TestServer(build_app(fake))
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as http:
            yield Env(fake, f"http://{server.host}:{server.port}", http, clock)
    finally:
        await server.close()


@pytest.fixture(name="env")
async def env_fixture() -> AsyncIterator[Env]:
    async for value in serve():
        yield value


@pytest.fixture(name="clients")
def clients_fixture() -> Iterator[list[WeChatClient]]:
    """A list to put wechatpy clients in; their requests sessions are closed afterwards."""
    made: list[WeChatClient] = []
    yield made
    for client in made:
        client._http.close()


def make_client(
    clients: list[WeChatClient], base: str, token: str | None = None, timeout: float | None = None
) -> WeChatClient:
    client = WeChatClient(APPID, SECRET, access_token=token, timeout=timeout, auto_retry=False)
    client.API_BASE_URL = f"{base}/cgi-bin/"
    clients.append(client)
    return client
