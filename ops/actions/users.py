"""WeChat users as operators see them, and revealing one masked field.

Everything shown is masked (adapters/masking.py); the unmasked value of one field goes
to an admin who typed a reason, and the reveal is audited (who, from where, which field,
why; the user named by the audit's keyed hash, never by the openid or the value).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from adapters import audit as audit_lines
from adapters.audit import AuditEvent
from adapters.crypto import DataCipher
from adapters.masking import mask_id, mask_phone, mask_text
from adapters.outbox import OutboxRow
from adapters.platform_port import Profile
from bot.models import Conversation, Delivery, FollowerSource, WeChatUser
from ops.actions import Refused, audit
from ops.actions.audit import Sessions

FIELDS = {"phone": "注册手机号", "legal_id": "身份证号", "cert_number": "实名认证证件号",
          "cert_phone": "实名认证手机号"}
REP_ID = "rep_id:"  # + enterprise id: that enterprise's legal representative's ID
MIN_REASON = 4


@dataclass(frozen=True)
class UserRow:
    """One WeChat user in the list."""

    openid: str
    subscribed: bool
    last_inbound_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class Event:
    """One line of a user's timeline, its text masked."""

    at: datetime
    kind: str
    text: str


async def listing(sessions: Sessions, *, openid: str = "", limit: int = 100) -> list[UserRow]:
    """WeChat users, the most recently active first; `openid` filters by its beginning."""
    query = (select(WeChatUser).order_by(WeChatUser.last_inbound_at.desc().nulls_last(),
                                         WeChatUser.created_at.desc()).limit(limit))
    if openid.strip():
        query = query.where(WeChatUser.openid.startswith(openid.strip(), autoescape=True))
    async with sessions() as session:
        rows = (await session.scalars(query)).all()
    return [UserRow(r.openid, r.subscribed, r.last_inbound_at, r.created_at) for r in rows]


async def known(sessions: Sessions, openid: str) -> UserRow | None:
    """One WeChat user, or None."""
    async with sessions() as session:
        row = await session.get(WeChatUser, openid)
    return None if row is None else UserRow(row.openid, row.subscribed, row.last_inbound_at,
                                            row.created_at)


def masked(field: str, value: str) -> str:
    """A field's value as every page shows it."""
    return mask_phone(value) if "phone" in field else mask_id(value)


def field_value(profile: Profile, field: str) -> str:
    """The clear value of one revealable field of a profile ('' when there is none)."""
    if field == "phone" and profile.account:
        return profile.account.phone
    if field == "legal_id" and profile.account:
        return profile.account.legal_id
    if field == "cert_number" and profile.person:
        return profile.person.cert_number
    if field == "cert_phone" and profile.person:
        return profile.person.phone
    if field.startswith(REP_ID):
        for enterprise in profile.enterprises:
            if enterprise.id == field.removeprefix(REP_ID):
                return enterprise.legal_rep_id
    return ""


def field_name(field: str) -> str:
    """The Chinese name of a revealable field."""
    return "法定代表人身份证号" if field.startswith(REP_ID) else FIELDS.get(field, field)


async def reveal(platform: object, sessions: Sessions, cipher: DataCipher, openid: str,
                 field: str, reason: str, *, actor: str, address: str, now: datetime) -> str:
    """The clear value of one field, for an admin who gave a reason; audited before it
    is returned. Refused without a reason or for a field the user does not have."""
    reason = reason.strip()
    if len(reason) < MIN_REASON:
        raise Refused(f"请填写查看原因（至少 {MIN_REASON} 个字）。")
    if field not in FIELDS and not field.startswith(REP_ID):
        raise Refused("没有这个字段。")
    profile: Profile = await platform.profile(openid)  # type: ignore[attr-defined]
    value = field_value(profile, field)
    if not value:
        raise Refused(f"该用户没有{field_name(field)}。")
    await audit.record(sessions, actor=actor, address=address, action="reveal",
                       target=audit_lines.subject(cipher, "openid", openid),
                       detail=f"field={field} reason={mask_text(reason)}", at=now)
    return value


async def timeline(sessions: Sessions, cipher: DataCipher, openid: str,
                   limit: int = 100) -> list[Event]:
    """What the database holds about the user's conversation, newest first: the bot's
    replies to each message (kept RXF_DELIVERY_RETENTION_DAYS), pushes and messages
    queued for them, where they followed from, and audit lines about them."""
    subject = audit_lines.subject(cipher, "openid", openid)
    async with sessions() as session:
        deliveries = (await session.execute(
            select(Delivery.created_at, Delivery.replies).where(Delivery.openid == openid)
            .order_by(Delivery.created_at.desc()).limit(limit))).all()
        pushes = (await session.scalars(
            select(OutboxRow).where(OutboxRow.openid == openid)
            .order_by(OutboxRow.id.desc()).limit(limit))).all()
        sources = (await session.scalars(
            select(FollowerSource).where(FollowerSource.openid == openid))).all()
        lines = (await session.scalars(
            select(AuditEvent).where(AuditEvent.subject == subject)
            .order_by(AuditEvent.id.desc()).limit(limit))).all()
        conversation = await session.get(Conversation, openid)
    events = [Event(at, "回复", _reply_text(replies)) for at, replies in deliveries]
    events += [Event(r.created_at, "推送" if r.kind == "push" else "消息",
                     _outbox_text(r)) for r in pushes]
    events += [Event(s.first_at, "来源", f"{'关注' if s.event == 'subscribe' else '扫码'}："
                     f"{s.scene}") for s in sources]
    events += [Event(a.at, "审计", f"{a.actor} {a.action} {a.detail}".strip()) for a in lines]
    if conversation is not None and conversation.dialog:
        events.append(Event(conversation.updated_at, "对话",
                            f"当前流程 {conversation.dialog} / {conversation.state or '—'}"))
    events.sort(key=lambda e: e.at, reverse=True)
    return [Event(e.at, e.kind, mask_text(e.text)) for e in events[:limit]]


def _reply_text(replies: str) -> str:
    try:
        parts = json.loads(replies)
    except ValueError:
        return ""
    texts = ["（转人工客服）" if p.get("type") == "transfer" else str(p.get("content", ""))
             for p in parts if isinstance(p, dict)]
    return "\n".join(texts) or "（无回复）"


def _outbox_text(row: OutboxRow) -> str:
    payload = json.loads(row.payload)
    what = payload.get("demand_no") or str(payload.get("content", ""))[:200]
    return f"[{row.status}] {what}"
