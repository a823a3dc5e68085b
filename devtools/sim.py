"""Plays WeChat's server side: builds the XML WeChat would send, signs it (and encrypts it
in safe mode) with wechatpy, posts it and decodes the passive reply. Used by the chat
simulator, the tests and the benchmarks, so all three speak the real protocol."""

from __future__ import annotations

import itertools
import random
import time
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

import aiohttp
import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

_ids = itertools.count(int(time.time() * 1000) % 10**9 * 1000 + random.randrange(1000))


def next_msg_id() -> int:
    return next(_ids)


def _sign(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def text_xml(openid: str, content: str, *, msg_id: int | None = None,
             to: str = "gh_rxf", create_time: int | None = None) -> str:
    return _xml(openid, to, create_time, "text",
                f"<Content><![CDATA[{_cdata(content)}]]></Content>"
                f"<MsgId>{msg_id or next_msg_id()}</MsgId>")


def voice_xml(openid: str, recognition: str, *, msg_id: int | None = None) -> str:
    return _xml(openid, "gh_rxf", None, "voice",
                "<MediaId><![CDATA[media-voice]]></MediaId><Format><![CDATA[amr]]></Format>"
                f"<Recognition><![CDATA[{_cdata(recognition)}]]></Recognition>"
                f"<MsgId>{msg_id or next_msg_id()}</MsgId>")


def image_xml(openid: str, media_id: str = "media-image", *, msg_id: int | None = None,
              pic_url: str | None = None) -> str:
    pic_url = pic_url or f"http://example.invalid/{media_id}.jpg"
    return _xml(openid, "gh_rxf", None, "image",
                f"<PicUrl><![CDATA[{_cdata(pic_url)}]]></PicUrl>"
                f"<MediaId><![CDATA[{media_id}]]></MediaId>"
                f"<MsgId>{msg_id or next_msg_id()}</MsgId>")


def event_xml(openid: str, event: str, key: str = "", *, create_time: int | None = None,
              ticket: str = "", extra: str = "") -> str:
    body = f"<Event><![CDATA[{event}]]></Event>"
    if key or event in ("CLICK", "VIEW", "SCAN", "subscribe"):
        body += f"<EventKey><![CDATA[{_cdata(key)}]]></EventKey>"
    if ticket:
        body += f"<Ticket><![CDATA[{ticket}]]></Ticket>"
    return _xml(openid, "gh_rxf", create_time, "event", body + extra)


def _xml(openid: str, to: str, create_time: int | None, kind: str, body: str) -> str:
    return (f"<xml><ToUserName><![CDATA[{escape(to)}]]></ToUserName>"
            f"<FromUserName><![CDATA[{_cdata(openid)}]]></FromUserName>"
            f"<CreateTime>{create_time or int(time.time())}</CreateTime>"
            f"<MsgType><![CDATA[{kind}]]></MsgType>{body}</xml>")


def _cdata(text: str) -> str:
    return text.replace("]]>", "]]]]><![CDATA[>")


@dataclass
class Reply:
    """What the bot answered a simulated delivery: HTTP status, raw body, and the decoded
    message type and content of a passive reply."""

    status: int
    body: str
    msg_type: str | None = None
    content: str | None = None


class WeChatSim:
    """Posts signed deliveries to a running bot, like WeChat's servers do.

    With `fake_url` (the fake WeChat API's base, e.g. http://host:port/fake-wechat/) each
    action is first reported to the fake, which opens customer-service windows from them
    as WeChat does (a user action reaches WeChat before the bot)."""

    def __init__(self, url: str, token: str, *, appid: str = "", aes_key: str | None = None,
                 session: aiohttp.ClientSession | None = None,
                 fake_url: str | None = None) -> None:
        self.url = url
        self.token = token
        self.fake_url = fake_url.rstrip("/") + "/" if fake_url else None
        self.crypto = WeChatCrypto(token, aes_key, appid) if aes_key else None
        self._session = session
        self._own = session is None

    @property
    def session(self) -> aiohttp.ClientSession:
        """The HTTP session; only inside `async with WeChatSim(...)`."""
        if self._session is None:
            raise RuntimeError("use `async with WeChatSim(...)` first")
        return self._session

    async def __aenter__(self) -> WeChatSim:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._own and self._session is not None:
            await self._session.close()
            self._session = None

    def signed_query(self, *, timestamp: str | None = None, nonce: str | None = None,
                     encrypted_body: str | None = None) -> tuple[dict[str, str], str]:
        """A query string signed as WeChat signs it (plain-mode signature), and its timestamp."""
        ts = timestamp or str(int(time.time()))
        nonce = nonce or str(random.randrange(10**9))
        query = {"signature": _sign(self.token, ts, nonce), "timestamp": ts, "nonce": nonce}
        return query, ts

    def wrap(self, xml: str) -> tuple[dict[str, str], str]:
        """Query string and body for one delivery, encrypted when in safe mode."""
        query, ts = self.signed_query()
        if self.crypto is None:
            return query, xml
        enc = xmltodict.parse(self.crypto.encrypt_message(xml, query["nonce"], ts))["xml"]
        query.update(encrypt_type="aes", openid="sim",
                     msg_signature=_sign(self.token, ts, query["nonce"], enc["Encrypt"]))
        body = f"<xml><ToUserName><![CDATA[gh_rxf]]></ToUserName>" \
               f"<Encrypt><![CDATA[{enc['Encrypt']}]]></Encrypt></xml>"
        return query, body

    async def post(self, xml: str) -> Reply:
        """Deliver one WeChat XML message (signed, encrypted in safe mode) and read the reply; the
        fake WeChat API is told first, as WeChat would know of the action."""
        query, body = self.wrap(xml)
        await self.tell_fake(xml)
        return await self.post_raw(query, body)

    async def tell_fake(self, xml: str) -> None:
        """Report the action in `xml` to the fake WeChat API (when there is one)."""
        if self.fake_url is None:
            return
        try:
            data = xmltodict.parse(xml)["xml"]
            action = {"openid": str(data["FromUserName"]), "msg_type": str(data["MsgType"]),
                      "event": str(data.get("Event") or "")}
        except Exception:  # deliberately malformed XML: WeChat would not deliver it either
            return
        if self._session is None:
            await self.__aenter__()
        try:
            async with self.session.post(f"{self.fake_url}_inbound", json=action) as resp:
                await resp.read()
        except (aiohttp.ClientError, TimeoutError):
            pass  # the fake is gone (a restart): its windows are gone with it

    async def post_raw(self, query: dict[str, str], body: str | bytes) -> Reply:
        """POST a body with the given query as is (for forged or malformed requests); the reply
        decoded when it is XML."""
        if self._session is None:
            await self.__aenter__()
        async with self.session.post(self.url, params=query, data=body) as resp:
            text = await resp.text()
            reply = Reply(resp.status, text)
        if resp.status == 200 and text.startswith("<xml>"):
            self._decode(reply, query)
        return reply

    def _decode(self, reply: Reply, query: dict[str, str]) -> None:
        data: dict[str, Any] = xmltodict.parse(reply.body)["xml"]
        if "Encrypt" in data:
            if self.crypto is None:
                raise RuntimeError("the server answered encrypted, but the simulator was "
                                   "given no AES key")
            xml = self.crypto.decrypt_message(reply.body, data["MsgSignature"],
                                              data["TimeStamp"], data["Nonce"])
            data = xmltodict.parse(xml)["xml"]
        reply.msg_type = data.get("MsgType")
        reply.content = data.get("Content")

    async def text(self, openid: str, content: str, **kw: Any) -> Reply:
        """Send a text message from `openid`."""
        return await self.post(text_xml(openid, content, **kw))

    async def upload(self, data: bytes) -> tuple[str, str]:
        """Store a picture in the fake WeChat API as a user's phone would: (media_id,
        PicUrl) for the image message that follows."""
        if self.fake_url is None:
            raise RuntimeError("sending a picture needs the fake WeChat API (fake_url)")
        if self._session is None:
            await self.__aenter__()
        async with self.session.post(f"{self.fake_url}_media", data=data) as resp:
            answer = await resp.json()
            if resp.status != 200:
                raise RuntimeError(str(answer.get("error")))
        return str(answer["media_id"]), str(answer["pic_url"])

    async def image(self, openid: str, data: bytes, **kw: Any) -> Reply:
        """Send a picture: uploaded to the fake first, then the signed image message."""
        media_id, pic_url = await self.upload(data)
        return await self.post(image_xml(openid, media_id, pic_url=pic_url, **kw))

    async def event(self, openid: str, event: str, key: str = "", **kw: Any) -> Reply:
        """Send an event (subscribe, CLICK, SCAN …) from `openid` with its key."""
        return await self.post(event_xml(openid, event, key, **kw))
