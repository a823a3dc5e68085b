"""SMS verification codes and the gateways that deliver them.

A code is 6 random digits (``secrets``), stored only as a salted keyed hash, valid for
5 minutes, dead after 5 wrong tries. A phone may be sent a code once a minute and at most
10 times a (Beijing) day; every refusal says how long to wait and whether the code sent
before still works. A code killed by wrong tries is replaced at once: the minute guards
against SMS bombing, and five wrong tries per extra SMS already throttle that. Sending is
idempotent by the caller's key, so a retried WeChat delivery never sends a second SMS.

Gateways: ``local`` writes each message to ``sms_messages`` (the chat simulator, the
``python -m bot sms outbox`` command and the tests read it there); ``http`` posts
``{"phone", "text"}`` as JSON to ``RXF_SMS_URL``.
"""

from __future__ import annotations

import hmac
import logging
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Protocol

import aiohttp
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from adapters.crypto import DataCipher
from adapters.database import PhaseRunner
from adapters.platform_local.models import SmsCodeRow, SmsMessageRow
from adapters.session_phases import SessionPhases

log = logging.getLogger(__name__)

CODE_TTL = timedelta(minutes=5)
MAX_WRONG = 5
RESEND_AFTER = timedelta(seconds=60)
DAILY_CAP = 10
# Codes are kept a little over a day: the daily cap needs them, nothing else does.
KEEP_CODES = timedelta(days=2)
# What the local (dev) gateway recorded is kept a week for the simulator and the CLI.
KEEP_MESSAGES = timedelta(days=7)
HTTP_TIMEOUT = 5.0
# The daily cap counts Beijing calendar days (China has no daylight saving time).
BEIJING = timezone(timedelta(hours=8))
SMS_TEXT = "【融信服】您的验证码是{code}，5分钟内有效。请勿把验证码告诉他人。"

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class SendResult:
    """reason: sent | too_soon | daily_cap | failed. `message` is for the user."""

    ok: bool
    reason: str
    message: str
    wait_seconds: int = 0
    wait: str = ""  # wait_seconds in words: "45秒", "3小时20分钟"
    # A code for this phone and purpose can still be entered: a refusal must not make the
    # user wait for nothing, nor promise a code that cannot work.
    live: bool = False


@dataclass(frozen=True)
class CheckResult:
    """status: ok | wrong | expired | too_many | none. `message` is for the user."""

    status: str
    message: str
    tries_left: int = 0

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def wait_text(seconds: int) -> str:
    """45 -> "45秒", 60 -> "60秒", 61 -> "2分钟", 7260 -> "2小时1分钟" (rounded up)."""
    seconds = max(1, int(seconds))
    if seconds <= 60:
        return f"{seconds}秒"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"{minutes}分钟"
    hours, rest = divmod(minutes, 60)
    return f"{hours}小时{rest}分钟" if rest else f"{hours}小时"


def mask_phone(phone: str) -> str:
    """159****1931: adapters do not import dialogs, so the phone mask is repeated here."""
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:] if len(phone) >= 11 else "*" * len(phone)


class SmsGateway(Protocol):
    local: bool

    def deliver(self, session: Session, phone: str, text: str, now: datetime) -> None:
        """Local: write inside the caller's transaction. Remote: nothing here."""
        ...

    async def send(self, phone: str, text: str) -> bool:
        """Remote: post after the code is committed; False when it did not go out."""
        ...


class LocalGateway:
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
    def __init__(self, sessions: async_sessionmaker[AsyncSession], cipher: DataCipher,
                 gateway: SmsGateway, clock: Clock, runner: PhaseRunner | None = None) -> None:
        self.cipher = cipher
        self.gateway = gateway
        self.clock = clock
        self._use_runner(sessions, runner)

    async def send_code(self, phone: str, purpose: str, idem_key: str) -> SendResult:
        now = self.clock()
        phone_hash = self.cipher.lookup_hash(phone)
        code = f"{secrets.randbelow(10**6):06d}"
        salt = secrets.token_hex(8)
        text = SMS_TEXT.format(code=code)

        def record(session: Session) -> SendResult | int:
            if session.scalar(select(SmsCodeRow.id).where(SmsCodeRow.idem_key == idem_key)):
                return self._sent(phone)  # a retried delivery: sent the first time
            refusal = self._limits(session, phone, phone_hash, purpose, now)
            if refusal is not None:
                return refusal
            # Housekeeping on the way: old codes only ever served the daily cap.
            session.execute(delete(SmsCodeRow).where(SmsCodeRow.created_at < now - KEEP_CODES))
            row = SmsCodeRow(phone_hash=phone_hash, purpose=purpose,
                             code_hash=self.cipher.secret_hash(code, salt), salt=salt,
                             attempts=0, used=False, idem_key=idem_key,
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
        return [(r.id, self.cipher.decrypt(r.phone_enc), r.text, r.created_at)
                for r in reversed(rows)]

    # --- helpers ---------------------------------------------------------------------
    def _sent(self, phone: str) -> SendResult:
        return SendResult(True, "sent", f"验证码已发送至{mask_phone(phone)}，5分钟内有效。",
                          live=True)

    def _limits(self, session: Session, phone: str, phone_hash: str, purpose: str,
                now: datetime) -> SendResult | None:
        latest = _latest(session, phone_hash)
        mine = latest if latest is None or latest.purpose == purpose \
            else _latest(session, phone_hash, purpose)
        live = mine is not None and not mine.used and now <= mine.expires_at \
            and mine.attempts < MAX_WRONG
        # Only when the dead code is the phone's latest SMS: one sent since restarts the
        # minute as usual.
        spent = mine is not None and mine is latest and mine.attempts >= MAX_WRONG
        if latest is not None and not spent:
            since = now - latest.created_at
            if since < RESEND_AFTER:
                wait = math.ceil((RESEND_AFTER - since).total_seconds())
                message = (f"验证码刚刚已发送至{mask_phone(phone)}，5分钟内有效；"
                           f"如需新的验证码，请{wait_text(wait)}后再获取。" if live else
                           f"暂时不能发送新的验证码，请{wait_text(wait)}后再获取。")
                return SendResult(False, "too_soon", message, wait, wait_text(wait), live)
        local_now = now.astimezone(BEIJING)
        day_start = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
        sent_today = session.scalar(
            select(func.count()).select_from(SmsCodeRow).where(
                SmsCodeRow.phone_hash == phone_hash,
                SmsCodeRow.created_at >= day_start.astimezone(UTC)))
        if (sent_today or 0) >= DAILY_CAP:
            wait = math.ceil((day_start + timedelta(days=1) - local_now).total_seconds())
            still = "刚才发送的验证码仍然有效，可以直接使用。" if live else ""
            return SendResult(False, "daily_cap",
                              f"这个号码今天获取验证码已达{DAILY_CAP}次上限，"
                              f"请明天再试（约{wait_text(wait)}后）。{still}", wait,
                              wait_text(wait), live)
        if spent:
            log.info("sms code for %s was used up by wrong tries: a new one at once",
                     mask_phone(phone))
        return None


def _latest(session: Session, phone_hash: str, purpose: str | None = None) -> SmsCodeRow | None:
    query = select(SmsCodeRow).where(SmsCodeRow.phone_hash == phone_hash)
    if purpose is not None:
        query = query.where(SmsCodeRow.purpose == purpose)
    return session.scalar(
        query.order_by(SmsCodeRow.created_at.desc(), SmsCodeRow.id.desc()).limit(1))


def build_sms(settings: Any, sessions: async_sessionmaker[AsyncSession], cipher: DataCipher,
              clock: Clock, runner: PhaseRunner | None = None) -> SmsService:
    gateway: SmsGateway
    if getattr(settings, "sms", "local") == "http":
        gateway = HttpGateway(settings.sms_url)
    else:
        gateway = LocalGateway(cipher)
    return SmsService(sessions, cipher, gateway, clock, runner)
