"""HTTP side of the bot: GET/POST /wechat and /healthz."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot import observe
from bot.handler import BUSY, MessageHandler
from bot.replay import Seal
from bot.wechat_io import Codec, Decoded, Refused
from dialogs.replies import Reply, Text, Transfer

log = logging.getLogger(__name__)

HealthCheck = Callable[[], Awaitable[dict[str, object]]]


class WeChatWebhook:
    """GET/POST /wechat: WeChat's URL check and message deliveries, checked (signature,
    freshness, replay, decryption) before the message handler sees them; refusals are 4xx."""

    def __init__(self, codec: Codec, bot: MessageHandler) -> None:
        self.codec = codec
        self.bot = bot

    def routes(self) -> list[web.RouteDef]:
        """The aiohttp routes of /wechat."""
        return [web.get("/wechat", self.get), web.post("/wechat", self.post)]

    async def get(self, request: web.Request) -> web.Response:
        """WeChat's URL check: echo `echostr` when the signature holds, else 403."""
        try:
            echo = self.codec.verify_echo(dict(request.query))
        except Refused as refused:
            return web.Response(status=refused.status, text=refused.reason)
        return web.Response(text=echo)

    async def post(self, request: web.Request) -> web.Response:
        """A delivery: refused with 4xx when forged or malformed; else handled and answered with
        the passive reply (or "success" when there is nothing to say now)."""
        query = dict(request.query)
        try:
            self.codec.check_request(query)
            try:
                body = await request.read()
            except web.HTTPRequestEntityTooLarge:
                raise Refused(400, "body too large") from None
            decoded = self.codec.decode(query, body)
        except Refused as refused:
            return self._refused(refused)
        bot = self.bot
        inbound = decoded.parsed.inbound
        # Plain mode signs no body: the request is remembered (bot/replay.py); in safe
        # mode msg_signature already tied this body to the signature.
        seal = None if self.codec.safe_mode else Seal.of(query, body)
        started = time.perf_counter()
        try:
            outcome = await bot.handle(inbound, seal)
            if outcome.replayed:
                return self._refused(Refused(403, "signature reused with another body"))
            first = outcome.replies[0] if outcome.replies else None
            label = "duplicate" if outcome.duplicate else \
                "detached" if outcome.detached else "ok"
            observe.message(inbound.kind, inbound.openid, label,
                            time.perf_counter() - started, outcome.dialog, outcome.state)
        except Exception:
            log.exception("step failed for a %s message", inbound.kind)
            observe.message(inbound.kind, inbound.openid, "error",
                            time.perf_counter() - started, None, None)
            first = Text(BUSY)
        return self._answer(decoded, first)

    def _refused(self, refused: Refused) -> web.Response:
        log.info("refused /wechat: %s", refused.reason)
        observe.refused(refused.reason)
        return web.Response(status=refused.status, text=refused.reason)

    def _answer(self, decoded: Decoded, first: Reply | None) -> web.Response:
        if first is None:
            return web.Response(text="success")
        if isinstance(first, Transfer):
            xml = self.codec.render(decoded, None, transfer=True)
        else:
            xml = self.codec.render(decoded, first.content)
        return web.Response(text=xml, content_type="application/xml")


def health_route(check: HealthCheck) -> web.RouteDef:
    async def healthz(request: web.Request) -> web.Response:
        status = await check()
        ok = all(v not in (False, None, 0) for v in status.values())
        return web.json_response(status, status=200 if ok else 503)

    return web.get("/healthz", healthz)
