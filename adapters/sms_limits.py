"""What may be sent: the limits on verification codes, counted in the database in the
transaction that records the code, so they hold across processes.

Per phone: once a minute (a live code says so) and 10 a Beijing day. Per WeChat user:
3 different phones and 10 codes a day, so one user cannot pump SMS to a list of
numbers by editing the phone over and over (issue 12). Overall: a ceiling per minute
(RXF_SMS_PER_MINUTE) against a crowd of fresh users doing the same. On PostgreSQL the
check and the insert run under one transaction-scoped advisory lock, so concurrent
sends are counted one after the other and can never go past a limit together; SQLite
has a single writer already.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from adapters.masking import mask_phone
from adapters.platform_local.models import SmsCodeRow

log = logging.getLogger(__name__)

MAX_WRONG = 5
RESEND_AFTER = timedelta(seconds=60)
DAILY_CAP = 10  # per phone
USER_PHONES = 3  # different phones per WeChat user and day
USER_CODES = 10  # codes per WeChat user and day
PER_MINUTE = 60  # the default overall ceiling (RXF_SMS_PER_MINUTE)
MINUTE = timedelta(minutes=1)
# The daily caps count Beijing calendar days (China has no daylight saving time).
BEIJING = timezone(timedelta(hours=8))
_SEND_LOCK = (0x534D, 0)  # advisory lock ("SM", 0): one send is checked at a time


@dataclass(frozen=True)
class SendResult:
    """reason: sent | too_soon | daily_cap | user_phones | user_codes | busy | failed.
    `message` is for the user."""

    ok: bool
    reason: str
    message: str
    wait_seconds: int = 0
    wait: str = ""  # wait_seconds in words: "45秒", "3小时20分钟"
    # A code for this phone and purpose can still be entered: a refusal must not make the
    # user wait for nothing, nor promise a code that cannot work.
    live: bool = False


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


def lock_sends(session: Session) -> None:
    """PostgreSQL: wait for any other send's check-and-insert to commit (held until this
    transaction ends). Codes are rare enough for one at a time to cost nothing."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:ns, :key)"),
                        {"ns": _SEND_LOCK[0], "key": _SEND_LOCK[1]})


@dataclass(frozen=True)
class Limits:
    """The limits on verification codes (per phone, per WeChat user, overall per minute),
    checked in the transaction that records the code."""

    per_minute: int = PER_MINUTE

    def check(self, session: Session, phone: str, phone_hash: str, purpose: str,
              openid: str | None, now: datetime) -> SendResult | None:
        """The first limit this send would break, or None."""
        live, refusal = _phone_limits(session, phone, phone_hash, purpose, now)
        if refusal is None and openid:
            refusal = _user_limits(session, openid, phone_hash, live, now)
        if refusal is None:
            refusal = self._overall(session, live, now)
        return refusal

    def _overall(self, session: Session, live: bool, now: datetime) -> SendResult | None:
        recent = session.execute(
            select(func.count(), func.min(SmsCodeRow.created_at))
            .where(SmsCodeRow.created_at > now - MINUTE)).one()
        if (recent[0] or 0) < self.per_minute:
            return None
        wait = max(1, math.ceil((recent[1] + MINUTE - now).total_seconds()))
        log.warning("sms ceiling of %s codes a minute reached", self.per_minute)
        still = "刚才发送的验证码仍然有效，可以直接使用；" if live else ""
        return SendResult(False, "busy", f"现在获取验证码的人较多，{still}"
                                         f"请{wait_text(wait)}后再获取。",
                          wait, wait_text(wait), live)


def _day_left(now: datetime) -> tuple[datetime, int]:
    """The start of today (Beijing) in UTC, and the seconds to tomorrow."""
    local_now = now.astimezone(BEIJING)
    day_start = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    left = math.ceil((day_start + timedelta(days=1) - local_now).total_seconds())
    return day_start.astimezone(UTC), left


def _phone_limits(session: Session, phone: str, phone_hash: str, purpose: str,
                  now: datetime) -> tuple[bool, SendResult | None]:
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
            return live, SendResult(False, "too_soon", message, wait, wait_text(wait), live)
    day_start, left = _day_left(now)
    sent_today = session.scalar(
        select(func.count()).select_from(SmsCodeRow).where(
            SmsCodeRow.phone_hash == phone_hash, SmsCodeRow.created_at >= day_start))
    if (sent_today or 0) >= DAILY_CAP:
        return live, SendResult(False, "daily_cap",
                                f"这个号码今天获取验证码已达{DAILY_CAP}次上限，"
                                f"请明天再试（约{wait_text(left)}后）。{_still(live)}", left,
                                wait_text(left), live)
    if spent:
        log.info("sms code for %s was used up by wrong tries: a new one at once",
                 mask_phone(phone))
    return live, None


def _user_limits(session: Session, openid: str, phone_hash: str, live: bool,
                 now: datetime) -> SendResult | None:
    day_start, left = _day_left(now)
    today = (SmsCodeRow.openid == openid, SmsCodeRow.created_at >= day_start)
    codes = session.scalar(select(func.count()).select_from(SmsCodeRow).where(*today)) or 0
    if codes >= USER_CODES:
        log.warning("sms: %s asked for more than %s codes today", openid, USER_CODES)
        return SendResult(False, "user_codes",
                          f"同一个微信号每天最多获取{USER_CODES}次验证码，今天的次数已用完，"
                          f"请明天再试（约{wait_text(left)}后）。{_still(live)}", left,
                          wait_text(left), live)
    phones = set(session.scalars(select(SmsCodeRow.phone_hash).where(*today).distinct()))
    if phone_hash not in phones and len(phones) >= USER_PHONES:
        log.warning("sms: %s asked for codes to more than %s phones today", openid,
                    USER_PHONES)
        return SendResult(False, "user_phones",
                          f"同一个微信号每天最多给{USER_PHONES}个不同的手机号发送验证码，"
                          f"今天已达上限。请使用之前填写过的手机号，或明天再试"
                          f"（约{wait_text(left)}后）。", left, wait_text(left), live)
    return None


def phone_refusal(session: Session, openid: str, phone_hash: str, now: datetime) -> str | None:
    """Why no code can go to this phone for this user today (the per-user phone limit),
    asked when the phone is typed, so the form re-asks the phone instead of going on to a
    code that was never sent. The send checks again under the lock."""
    refused = _user_limits(session, openid, phone_hash, False, now)
    return refused.message if refused is not None and refused.reason == "user_phones" else None


def _still(live: bool) -> str:
    return "刚才发送的验证码仍然有效，可以直接使用。" if live else ""


def _latest(session: Session, phone_hash: str, purpose: str | None = None) -> SmsCodeRow | None:
    query = select(SmsCodeRow).where(SmsCodeRow.phone_hash == phone_hash)
    if purpose is not None:
        query = query.where(SmsCodeRow.purpose == purpose)
    return session.scalar(
        query.order_by(SmsCodeRow.created_at.desc(), SmsCodeRow.id.desc()).limit(1))


