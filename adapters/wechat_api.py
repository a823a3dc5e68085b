"""The WeChat API port over wechatpy's synchronous WeChatClient.

wechatpy pitfalls handled here (see WECHAT_NOTES.md): calls run in a thread; one client
per thread (requests.Session is not shared across threads); `auto_retry=False`, so a
40001/42001 refreshes the token once and retries once, never in a loop; the token comes
from `stable_token` with a timeout at *our* API base, and lives in the database where
every process finds it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import requests
from sqlalchemy import String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from adapters.database import Base, is_postgres
from adapters.ports import WeChatApiError
from adapters.sqltypes import UTCDateTime, utcnow

TOKEN_ERRORS = (40001, 40014, 42001)
REFRESH_MARGIN = timedelta(minutes=5)


class AccessToken(Base):
    """The access token shared by every process instead of each fetching its own."""

    __tablename__ = "wechat_tokens"

    appid: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class _Client(WeChatClient):
    def __init__(self, appid: str, secret: str, base: str, timeout: float) -> None:
        super().__init__(appid, secret, timeout=timeout, auto_retry=False)
        self.API_BASE_URL = base

    def fetch_stable_token(self, force: bool) -> dict[str, Any]:
        res = self._http.post(
            f"{self.API_BASE_URL}stable_token", timeout=self.timeout,
            json={"grant_type": "client_credential", "appid": self.appid,
                  "secret": self.secret, "force_refresh": force})
        res.raise_for_status()
        data = res.json()
        if data.get("errcode"):
            raise WeChatClientException(data["errcode"], data.get("errmsg", ""), client=self)
        return data


class WeChatApiClient:
    def __init__(self, *, appid: str, secret: str, api_base: str,
                 sessions: async_sessionmaker[AsyncSession], timeout: float = 5.0,
                 on_error: Callable[[int | None], None] | None = None) -> None:
        self.appid = appid
        self._secret = secret
        self._base = api_base
        self._timeout = timeout
        self._sessions = sessions
        self._local = threading.local()
        self._refresh_lock = asyncio.Lock()
        self._memo: tuple[str, datetime] | None = None
        self._on_error = on_error
        self.token_fetches = 0

    # --- port ----------------------------------------------------------------------------
    async def send_text(self, openid: str, content: str) -> None:
        await self.call("message/custom/send", {
            "touser": openid, "msgtype": "text", "text": {"content": content}})

    async def send_template(self, openid: str, template_id: str, data: dict[str, Any],
                            url: str | None = None) -> str:
        body: dict[str, Any] = {"touser": openid, "template_id": template_id, "data": data}
        if url:
            body["url"] = url
        result = await self.call("message/template/send", body)
        return str(result.get("msgid", ""))

    async def create_menu(self, menu: dict[str, Any]) -> None:
        await self.call("menu/create", menu)

    async def create_qrcode(self, scene: str, expire_seconds: int = 300) -> dict[str, Any]:
        return await self.call("qrcode/create", {
            "expire_seconds": expire_seconds, "action_name": "QR_STR_SCENE",
            "action_info": {"scene": {"scene_str": scene}}})

    # --- mechanics -----------------------------------------------------------------------
    async def call(self, endpoint: str, data: dict[str, Any]) -> dict[str, Any]:
        token = await self.token()
        try:
            return await self._post(endpoint, data, token)
        except WeChatApiError as exc:
            if exc.errcode not in TOKEN_ERRORS:
                raise
        token = await self.token(stale=token)
        return await self._post(endpoint, data, token)

    async def token(self, stale: str | None = None) -> str:
        """A valid token: this process's copy, else the shared one in the database, else a
        fresh fetch. `stale` is one WeChat just refused (another process may have
        refreshed it, or it expired early)."""
        memo = self._memo
        if stale is None and memo is not None and memo[1] - REFRESH_MARGIN > utcnow():
            return memo[0]
        cached = await self._cached()
        if cached is not None and cached != stale:
            return cached
        async with self._refresh_lock:
            cached = await self._cached()
            if cached is not None and cached != stale:
                return cached
            return await self._refresh(force=stale is not None, stale=stale)

    async def _cached(self) -> str | None:
        async with self._sessions() as session:
            row = await session.get(AccessToken, self.appid)
        if row is None or row.expires_at - REFRESH_MARGIN <= utcnow():
            return None
        self._memo = (row.token, row.expires_at)
        return row.token

    async def _refresh(self, *, force: bool, stale: str | None) -> str:
        async with self._sessions.begin() as session:
            if is_postgres(session.bind):  # type: ignore[arg-type]
                row = await session.scalar(select(AccessToken).where(
                    AccessToken.appid == self.appid).with_for_update())
                # Another process refreshed while we waited for the row: use its token.
                if row is not None and row.token != stale \
                        and row.expires_at - REFRESH_MARGIN > utcnow():
                    return row.token
            data = await self._in_thread(lambda c: c.fetch_stable_token(force))
            self.token_fetches += 1
            expires = utcnow() + timedelta(seconds=int(data.get("expires_in", 7200)))
            await session.merge(AccessToken(appid=self.appid, token=data["access_token"],
                                            expires_at=expires))
        self._memo = (str(data["access_token"]), expires)
        return str(data["access_token"])

    async def _post(self, endpoint: str, data: dict[str, Any], token: str) -> dict[str, Any]:
        return await self._in_thread(
            lambda c: c.post(endpoint, params={"access_token": token}, data=data))

    async def _in_thread(self, fn: Any) -> Any:
        def run() -> Any:
            try:
                return fn(self._client())
            except WeChatClientException as exc:
                detail = str(exc.errmsg or "")
                response = getattr(exc, "response", None)
                if exc.errcode is None and response is not None:
                    detail = f"HTTP {response.status_code}"
                raise WeChatApiError(exc.errcode, detail) from None
            except requests.RequestException as exc:
                raise WeChatApiError(None, f"network: {type(exc).__name__}") from None

        try:
            return await asyncio.to_thread(run)
        except WeChatApiError as exc:
            if self._on_error is not None:
                self._on_error(exc.errcode)
            raise

    def _client(self) -> _Client:
        client = getattr(self._local, "client", None)
        if client is None:
            client = _Client(self.appid, self._secret, self._base, self._timeout)
            self._local.client = client
        return client
