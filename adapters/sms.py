"""SMS verification codes and the gateways that deliver them.

A code is 6 random digits (``secrets``), stored only as a salted keyed hash, valid for
5 minutes, dead after 5 wrong tries. What may be sent (per phone, per WeChat user and
overall) is decided in adapters.sms_limits; every refusal says how long to wait and
whether the code sent before still works. A code killed by wrong tries is replaced at
once: the minute guards against SMS bombing, and five wrong tries per extra SMS already
throttle that. Sending is idempotent by the caller's key, so a retried WeChat delivery
never sends a second SMS.

Gateways: ``local`` writes each message to ``sms_messages`` (the chat simulator, the
``python -m bot sms outbox`` command and the tests read it there); ``http`` posts
``{"phone", "text"}`` as JSON to ``RXF_SMS_URL``.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import aiohttp
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from adapters.crypto import DataCipher
from adapters.database import PhaseRunner
from adapters.masking import mask_phone
from adapters.platform_local.models import SmsCodeRow, SmsMessageRow
from adapters.session_phases import SessionPhases
from adapters.sms_limits import (  # noqa: F401  (BEIJING, wait_text: for callers)
    BEIJING,
    MAX_WRONG,
    PER_MINUTE,
    Limits,
    SendResult,
    lock_sends,
    phone_refusal,
    wait_text,
)
from config.settings import Settings

log = logging.getLogger(__name__)

CODE_TTL = timedelta(minutes=5)
# Codes are kept a little over a day: the daily caps need them, nothing else does.
# What the local (dev) gateway recorded is kept a week for the simulator and the CLI.
KEEP_MESSAGES = timedelta(days=7)
HTTP_TIMEOUT = 5.0
SMS_TEXT = "【融信服】您的验证码是{code}，5分钟内有效。请勿把验证码告诉他人。"

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class CheckResult:
    """status: ok | wrong | expired | too_many | none. `message` is for the user."""

    status: str
    message: str
    tries_left: int = 0

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class SmsGateway(Protocol):
    """Where an SMS goes. A local gateway (`local`) writes it inside the caller's
    transaction; a remote one posts after the code is committed."""

    local: bool

    def deliver(self, session: Session, phone: str, text: str, now: datetime) -> None:
        """Local: write inside the caller's transaction. Remote: nothing here."""
        ...

    async def send(self, phone: str, text: str) -> bool:
        """Remote: post after the code is committed; False when it did not go out."""
        ...


class LocalGateway:
    """The embedded SMS gateway: messages are stored (phone encrypted) for `python -m bot sms
    outbox` and the chat simulator, kept a short while."""

    local = True

    def __init__(self, cipher: DataCipher) -> None:
        self.cipher = cipher

    def deliver(self, session: Session, phone: str, text: str, now: datetime) -> None:
        session.execute(delete(SmsMessageRow).where(
            SmsMessageRow.created_at < now - KEEP_MESSAGES))
        session.add(SmsMessageRow(phone_enc=self.cipher.encrypt(phone),
                                  phone_hash=self.cipher.lookup_hash(phone),
                                  text=text, created_at=now))

    async def send(self, phone: str, text: str) -> bool:
        return True


class HttpGateway:
    """Posts each SMS to RXF_SMS_URL; a failure is reported, not raised."""

    local = False

    def __init__(self, url: str, timeout: float = HTTP_TIMEOUT) -> None:
        self.url = url
        self.timeout = timeout

    def deliver(self, session: Session, phone: str, text: str, now: datetime) -> None:
        return None

    async def send(self, phone: str, text: str) -> bool:
        try:
            async with aiohttp.ClientSession(
                    timeout=aiohttp.ClientTimeout(total=self.timeout)) as http, \
                    http.post(self.url, json={"phone": phone, "text": text}) as resp:
                if resp.status < 300:
                    return True
                log.warning("sms gateway answered HTTP %s for %s", resp.status,
                            mask_phone(phone))
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("sms gateway unreachable for %s: %r", mask_phone(phone), exc)
        return False


class SmsService(SessionPhases):
    """Sends and checks SMS verification codes: idempotent by the caller's key, within the
    limits of adapters.sms_limits; every refusal says how long to wait."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], cipher: DataCipher,
                 gateway: SmsGateway, clock: Clock, runner: PhaseRunner | None = None, *,
                 per_minute: int = PER_MINUTE) -> None:
        self.cipher = cipher
        self.gateway = gateway
        self.clock = clock
        self.limits = Limits(per_minute)
        self._use_runner(sessions, runner)

    async def phone_refusal(self, phone: str, openid: str) -> str | None:
        """The reason no code may go to `phone` for this WeChat user today, if any."""
        phone_hash, now = self.cipher.lookup_hash(phone), self.clock()
        return await self._read(lambda session: phone_refusal(session, openid, phone_hash, now))

    async def send_code(self, phone: str, purpose: str, idem_key: str, *,
                        openid: str | None = None) -> SendResult:
        """`openid`: the WeChat user asking, whose daily limits apply (none from tools)."""
        now = self.clock()
        phone_hash = self.cipher.lookup_hash(phone)
        code = f"{secrets.randbelow(10**6):06d}"
        salt = secrets.token_hex(8)
        text = SMS_TEXT.format(code=code)

        def record(session: Session) -> SendResult | int:
            if session.scalar(select(SmsCodeRow.id).where(SmsCodeRow.idem_key == idem_key)):
                return self._sent(phone)  # a retried delivery: sent the first time
            lock_sends(session)
            refusal = self.limits.check(session, phone, phone_hash, purpose, openid, now)
            if refusal is not None:
                return refusal
            row = SmsCodeRow(phone_hash=phone_hash, purpose=purpose,
                             code_hash=self.cipher.secret_hash(code, salt), salt=salt,
                             attempts=0, used=False, idem_key=idem_key, openid=openid,
                             created_at=now, expires_at=now + CODE_TTL)
            session.add(row)
            self.gateway.deliver(session, phone, text, now)
            session.flush()
            return row.id

        try:
            recorded = await self._write(record)
        except IntegrityError:  # the same key raced in from another process
            return self._sent(phone)
        if isinstance(recorded, SendResult):
            return recorded
        if not self.gateway.local and not await self.gateway.send(phone, text):
            def spoil(session: Session) -> None:
                session.execute(update(SmsCodeRow).where(SmsCodeRow.id == recorded)
                                .values(used=True))
            await self._write(spoil)
            return SendResult(False, "failed", "短信发送失败，请稍后再获取验证码。")
        log.info("sms code sent to %s for %s", mask_phone(phone), purpose)
        return self._sent(phone)

    async def check_code(self, phone: str, purpose: str, code: str) -> CheckResult:
        now = self.clock()

        def work(session: Session) -> CheckResult | int:
            row = session.scalar(
                select(SmsCodeRow)
                .where(SmsCodeRow.phone_hash == self.cipher.lookup_hash(phone),
                       SmsCodeRow.purpose == purpose)
                .order_by(SmsCodeRow.created_at.desc(), SmsCodeRow.id.desc())
                .limit(1).with_for_update())
            if row is None or row.used:
                return CheckResult("none", f"还没有发给{mask_phone(phone)}的有效验证码，"
                                           "请先获取验证码。")
            if now > row.expires_at:
                return CheckResult("expired", "验证码已过期（5分钟内有效），请重新获取验证码。")
            if row.attempts >= MAX_WRONG:
                return CheckResult("too_many", f"验证码已输错{MAX_WRONG}次，已失效，"
                                               "请重新获取验证码。")
            if hmac.compare_digest(self.cipher.secret_hash(code, row.salt), row.code_hash):
                row.used = True
                return CheckResult("ok", "验证码正确。")
            row.attempts += 1
            return MAX_WRONG - row.attempts

        left = await self._write(work)
        if isinstance(left, CheckResult):
            return left
        if left <= 0:
            return CheckResult("too_many", f"验证码不对，已输错{MAX_WRONG}次，这个验证码已失效，"
                                           "请重新获取验证码。")
        return CheckResult("wrong", f"验证码不对，还可以再试{left}次。", tries_left=left)

    async def outbox(self, *, phone: str | None = None, after: int = 0,
                     limit: int = 50) -> list[tuple[int, str, str, datetime]]:
        """Messages the local gateway recorded: (id, phone, text, at), oldest first."""
        query = select(SmsMessageRow).where(SmsMessageRow.id > after)
        if phone:
            query = query.where(SmsMessageRow.phone_hash == self.cipher.lookup_hash(phone))
        query = query.order_by(SmsMessageRow.id.desc()).limit(limit)

        def work(session: Session) -> list[SmsMessageRow]:
            return list(session.scalars(query))

        rows = await self._read(work)
        # A row whose phone went with its owner's 注销 (bot/forget.py) shows none.
        return [(r.id, self.cipher.decrypt(r.phone_enc) if r.phone_enc else "", r.text,
                 r.created_at) for r in reversed(rows)]

    # --- helpers ---------------------------------------------------------------------
    def _sent(self, phone: str) -> SendResult:
        return SendResult(True, "sent", f"验证码已发送至{mask_phone(phone)}，5分钟内有效。",
                          live=True)


def build_sms(settings: Settings, sessions: async_sessionmaker[AsyncSession], cipher: DataCipher,
              clock: Clock, runner: PhaseRunner | None = None) -> SmsService:
    gateway: SmsGateway
    if settings.sms == "http":
        gateway = HttpGateway(settings.sms_url)
    else:
        gateway = LocalGateway(cipher)
    return SmsService(sessions, cipher, gateway, clock, runner,
                      per_minute=settings.sms_per_minute)
