"""The WeChat API port over wechatpy's synchronous WeChatClient.

wechatpy pitfalls handled here (docs/wechat.md, "wechatpy in this code"): calls run in a
thread; one client per thread (requests.Session is not shared across threads);
`auto_retry=False`, so a
40001/40014/42001 replaces the token once and retries once, never in a loop; the token
comes from `stable_token` with a timeout at *our* API base, and lives in the database
where every process finds it (adapters/wechat_tokens.py; the rules in docs/wechat.md,
"Access tokens").
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import requests
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from adapters.ports import WeChatApiError
from adapters.sqltypes import utcnow
from adapters.wechat_tokens import TOKEN_ERRORS, TokenKeeper

__all__ = ["TOKEN_ERRORS", "WeChatApiClient"]


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
    """The WeChatApi port over wechatpy, with the access token shared by every process
    (TokenKeeper). Raises WeChatApiError; `on_error` is told the errcode of every failed
    call (for metrics)."""

    def __init__(self, *, appid: str, secret: str, api_base: str,
                 sessions: async_sessionmaker[AsyncSession], timeout: float = 5.0,
                 on_error: Callable[[int | None], None] | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.appid = appid
        self._secret = secret
        self._base = api_base
        self._timeout = timeout
        self._local = threading.local()
        self._on_error = on_error
        self.tokens = TokenKeeper(appid, sessions, self._fetch_token, clock=clock,
                                  peer_wait=timeout + 1.0)

    @property
    def token_fetches(self) -> int:
        return self.tokens.fetches

    # --- port ----------------------------------------------------------------------------
    async def send_text(self, openid: str, content: str) -> None:
        await self.call("message/custom/send", {
            "touser": openid, "msgtype": "text", "text": {"content": content}})

    async def send_template(self, openid: str, template_id: str, data: dict[str, Any],
                            url: str | None = None, *, client_msg_id: str | None = None) -> str:
        body: dict[str, Any] = {"touser": openid, "template_id": template_id, "data": data}
        if url:
            body["url"] = url
        if client_msg_id:
            # WeChat sends one message per openid + client_msg_id within 10 minutes, so a
            # retry after a lost answer does not notify the user twice.
            body["client_msg_id"] = client_msg_id
        result = await self.call("message/template/send", body)
        return str(result.get("msgid", ""))

    async def private_templates(self) -> list[dict[str, Any]]:
        """The account's templates (GET template/get_all_private_template)."""
        result = await self.call("template/get_all_private_template", None)
        return list(result.get("template_list") or [])

    async def create_menu(self, menu: dict[str, Any]) -> None:
        await self.call("menu/create", menu)

    async def create_qrcode(self, scene: str, expire_seconds: int = 300) -> dict[str, Any]:
        return await self.call("qrcode/create", {
            "expire_seconds": expire_seconds, "action_name": "QR_STR_SCENE",
            "action_info": {"scene": {"scene_str": scene}}})

    async def get_media(self, media_id: str, limit: int) -> bytes:
        """A temporary media file (GET media/get): its bytes, read up to `limit` + 1 so an
        oversized file is seen as such without holding more. WeChat answers an error as
        JSON (40007 for an unknown or expired media_id; docs/wechat.md, "Temporary media")."""
        token = await self.tokens.token()
        try:
            return await self._download(media_id, limit, token)
        except WeChatApiError as exc:
            if exc.errcode not in TOKEN_ERRORS:
                raise
            refused = exc.errcode
        token = await self.tokens.token(stale=token, refused=refused)
        return await self._download(media_id, limit, token)

    async def _download(self, media_id: str, limit: int, token: str) -> bytes:
        # On wechatpy's own session, but streamed: its media.download() reads the whole
        # body, and a file over the limit should cost no more than the limit.
        def fetch(client: _Client) -> bytes:
            with client._http.get(f"{self._base}media/get", stream=True, timeout=self._timeout,
                                  params={"access_token": token, "media_id": media_id}) as res:
                kind = res.headers.get("Content-Type", "")
                if res.status_code != 200:
                    raise WeChatApiError(None, f"HTTP {res.status_code}")
                body = bytearray()
                for chunk in res.iter_content(64 * 1024):
                    body += chunk
                    if len(body) > limit:
                        break
            if kind.startswith(("application/json", "text/plain")):
                try:
                    data = json.loads(bytes(body))
                except ValueError:
                    data = {}
                if isinstance(data, dict) and data.get("errcode"):
                    raise WeChatApiError(int(data["errcode"]), str(data.get("errmsg", "")))
            return bytes(body)

        return await self._in_thread(fetch)

    # --- mechanics -----------------------------------------------------------------------
    async def call(self, endpoint: str, data: dict[str, Any] | None) -> dict[str, Any]:
        """POST `data` to `endpoint`, or GET it when there is no data (WeChat's readers)."""
        token = await self.tokens.token()
        try:
            return await self._post(endpoint, data, token)
        except WeChatApiError as exc:
            if exc.errcode not in TOKEN_ERRORS:
                raise
            refused = exc.errcode
        token = await self.tokens.token(stale=token, refused=refused)
        return await self._post(endpoint, data, token)

    async def _fetch_token(self, force: bool) -> dict[str, Any]:
        return await self._in_thread(lambda c: c.fetch_stable_token(force))

    async def _post(self, endpoint: str, data: dict[str, Any] | None,
                    token: str) -> dict[str, Any]:
        if data is None:
            return await self._in_thread(
                lambda c: c.get(endpoint, params={"access_token": token}))
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
