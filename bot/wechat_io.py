"""The WeChat wire format: signatures, safe-mode crypto, parsing and reply rendering.

Everything here refuses rather than guesses: a request that is not provably from WeChat
or not well-formed raises `Refused` with the HTTP status to answer, before any state is
touched.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import os
import struct
import time
from dataclasses import dataclass
from xml.parsers.expat import ExpatError

from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.messages import BaseMessage
from wechatpy.replies import TextReply, TransferCustomerServiceReply

MAX_BODY = 64 * 1024
_HOSTILE = (b"<!doctype", b"<!entity", b"<!element", b"<!attlist")


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def signature_ok(token: str, sig: str | None, timestamp: str | None, nonce: str | None,
                 *extra: str) -> bool:
    if not sig or not timestamp or not nonce:
        return False
    # WeChat's own samples compare with !=; a timing side channel is cheap to close.
    return hmac.compare_digest(signature(token, timestamp, nonce, *extra), sig.lower())


@dataclass(frozen=True)
class Codec:
    token: str
    appid: str
    aes_key: str | None
    max_age: int = 600

    @property
    def safe_mode(self) -> bool:
        return self.aes_key is not None

    def _crypto(self) -> WeChatCrypto:
        assert self.aes_key is not None
        return WeChatCrypto(self.token, self.aes_key, self.appid)

    def check_fresh(self, timestamp: str | None) -> None:
        if not self.max_age:
            return
        try:
            age = abs(time.time() - int(timestamp or ""))
        except ValueError:
            raise Refused(403, "bad timestamp") from None
        if age > self.max_age:
            raise Refused(403, "stale timestamp")

    def _require_signature(self, query: dict[str, str]) -> None:
        if not signature_ok(self.token, query.get("signature"), query.get("timestamp"),
                            query.get("nonce")):
            raise Refused(403, "bad signature")

    def verify_echo(self, query: dict[str, str]) -> str:
        self._require_signature(query)
        return query.get("echostr", "")

    def check_request(self, query: dict[str, str]) -> None:
        """Signature and freshness, checked before the body is even read."""
        self._require_signature(query)
        self.check_fresh(query.get("timestamp"))

    def decode(self, query: dict[str, str], body: bytes) -> BaseMessage:
        """Decrypt and parse one POST whose query `check_request` has already accepted;
        raises Refused(403|400)."""
        ts, nonce = query.get("timestamp"), query.get("nonce")
        if len(body) > MAX_BODY:
            raise Refused(400, "body too large")
        _refuse_hostile(body)
        if self.safe_mode:
            if query.get("encrypt_type", "").lower() != "aes":
                raise Refused(400, "safe mode expects encrypt_type=aes")
            xml = self._decrypt(body, query.get("msg_signature"), ts or "", nonce or "")
            _refuse_hostile(xml.encode())
        else:
            xml = _text(body)
        try:
            msg = parse_message(xml)
        except (ExpatError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise Refused(400, f"malformed XML: {type(exc).__name__}") from None
        if msg is None or not msg.source or not msg.target:
            raise Refused(400, "missing FromUserName/ToUserName")
        if len(msg.source) > 64:
            raise Refused(400, "FromUserName too long")
        return msg

    def _decrypt(self, body: bytes, msg_sig: str | None, ts: str, nonce: str) -> str:
        if not msg_sig:
            raise Refused(403, "missing msg_signature")
        try:
            return self._crypto().decrypt_message(_text(body), msg_sig, ts, nonce)
        except InvalidSignatureException:
            raise Refused(403, "bad msg_signature") from None
        except InvalidAppIdException:
            raise Refused(400, "wrong appid in ciphertext") from None
        except (ExpatError, KeyError, TypeError, ValueError, IndexError, binascii.Error,
                struct.error, UnicodeDecodeError):
            raise Refused(400, "undecryptable body") from None

    def render(self, msg: BaseMessage, reply: str | None, *, transfer: bool = False,
               nonce: str = "") -> str:
        if transfer:
            out = TransferCustomerServiceReply(message=msg)
        elif reply:
            out = TextReply(message=msg, content=reply)
        else:
            # WeChat accepts an empty body as "nothing to say"; encrypted or not.
            return ""
        if not self.safe_mode:
            return out.render()
        return self._crypto().encrypt_message(out.render(), nonce or _nonce())


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "body is not UTF-8") from None


def _refuse_hostile(body: bytes) -> None:
    lowered = body[:MAX_BODY].lower()
    if any(marker in lowered for marker in _HOSTILE):
        raise Refused(400, "DTD or entity declarations are not accepted")


def _nonce() -> str:
    return str(int.from_bytes(os.urandom(4), "big"))
