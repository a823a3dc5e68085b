"""The WeChat wire format: signatures, safe-mode crypto, parsing and reply rendering.

Everything here refuses rather than guesses: a request that is not provably from WeChat
or not well-formed raises `Refused` with the HTTP status to answer, before any state is
touched.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct
import time
from dataclasses import dataclass
from xml.parsers.expat import ExpatError

import xmltodict
from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException
from wechatpy.replies import TextReply, TransferCustomerServiceReply

from bot.wechat_parse import Malformed, Parsed, parse

MAX_BODY = 64 * 1024
_HOSTILE = (b"<!doctype", b"<!entity", b"<!element", b"<!attlist")


class Refused(Exception):
    """A request refused before any handling: the HTTP status (4xx) and why."""

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
class Decoded:
    """A delivery that passed every check: what it says, and how to answer it."""

    parsed: Parsed
    # The EncodingAESKey that decrypted it (None in plain mode): its reply is encrypted
    # with the same key, as WeChat asks during a key change (docs/wechat.md).
    aes_key: str | None = None


@dataclass(frozen=True)
class Codec:
    """Reads and writes WeChat's XML over HTTP: signatures, freshness, safe-mode encryption
    (with the previous AES key still accepted) and the passive reply."""

    token: str
    appid: str
    aes_key: str | None
    max_age: int = 600
    # The key before the last change in the back office: messages already on their way
    # were encrypted with it.
    aes_key_previous: str | None = None

    @property
    def safe_mode(self) -> bool:
        """Whether messages are encrypted (an AES key is configured)."""
        return self.aes_key is not None

    def _keys(self) -> list[str]:
        keys = [self.aes_key] if self.aes_key else []
        if self.aes_key_previous and self.aes_key_previous != self.aes_key:
            keys.append(self.aes_key_previous)
        return keys

    def check_fresh(self, timestamp: str | None) -> None:
        """Refuse (403) a request whose timestamp is missing or more than `max_age` seconds
        off (`max_age` 0: no check)."""
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
        """WeChat's URL check: the `echostr` to answer; Refused when the signature fails."""
        self._require_signature(query)
        return query.get("echostr", "")

    def check_request(self, query: dict[str, str]) -> None:
        """Signature and freshness, checked before the body is even read."""
        self._require_signature(query)
        self.check_fresh(query.get("timestamp"))

    def decode(self, query: dict[str, str], body: bytes) -> Decoded:
        """Decrypt and parse one POST whose query `check_request` has already accepted;
        raises Refused(403|400)."""
        ts, nonce = query.get("timestamp"), query.get("nonce")
        if len(body) > MAX_BODY:
            raise Refused(400, "body too large")
        _refuse_hostile(body)
        key = None
        if self.safe_mode:
            if query.get("encrypt_type", "").lower() != "aes":
                raise Refused(400, "safe mode expects encrypt_type=aes")
            xml, key = self._decrypt(body, query.get("msg_signature"), ts or "", nonce or "")
            _refuse_hostile(xml.encode())
        else:
            xml = _text(body)
        try:
            return Decoded(parse(xml), key)
        except Malformed as exc:
            raise Refused(400, str(exc)) from None

    def _decrypt(self, body: bytes, msg_sig: str | None, ts: str, nonce: str
                 ) -> tuple[str, str]:
        if not msg_sig:
            raise Refused(403, "missing msg_signature")
        encrypt = _envelope(body)
        if not signature_ok(self.token, msg_sig, ts, nonce, encrypt):
            raise Refused(403, "bad msg_signature")
        first: Refused | None = None
        for key in self._keys():
            try:
                return _decrypt_with(key, self.appid, encrypt), key
            except Refused as refused:
                first = first or refused
        raise first if first is not None else Refused(403, "no AES key to decrypt with")

    def render(self, decoded: Decoded, reply: str | None, *, transfer: bool = False,
               nonce: str = "") -> str:
        """The passive reply as XML (encrypted in safe mode): a text, a transfer to customer
        service, or "" (an empty body: nothing to say)."""
        # Our reply goes back the way the delivery came: from our account to the sender.
        ends = {"source": decoded.parsed.to, "target": decoded.parsed.inbound.openid}
        if transfer:
            out = TransferCustomerServiceReply(**ends)
        elif reply:
            out = TextReply(content=reply, **ends)
        else:
            # WeChat accepts an empty body as "nothing to say"; encrypted or not.
            return ""
        if decoded.aes_key is None:
            return out.render()
        crypto = WeChatCrypto(self.token, decoded.aes_key, self.appid)
        return crypto.encrypt_message(out.render(), nonce or _nonce())


def _envelope(body: bytes) -> str:
    """The ciphertext of a safe-mode body: `<xml>...<Encrypt>base64</Encrypt></xml>`."""
    try:
        root = xmltodict.parse(_text(body), disable_entities=True).get("xml")
    except (ExpatError, ValueError):
        raise Refused(400, "malformed XML envelope") from None
    encrypt = root.get("Encrypt") if isinstance(root, dict) else None
    if not isinstance(encrypt, str) or not encrypt:
        raise Refused(400, "safe mode expects one <Encrypt> element")
    return encrypt


def _decrypt_with(key: str, appid: str, encrypt: str) -> str:
    raw = base64.b64decode(key + "=")
    try:
        return str(PrpCrypto(raw).decrypt(encrypt, appid))
    except InvalidAppIdException:
        raise Refused(400, "wrong appid in ciphertext") from None
    except (KeyError, TypeError, ValueError, IndexError, binascii.Error, struct.error,
            UnicodeDecodeError):
        raise Refused(400, "undecryptable body") from None


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
