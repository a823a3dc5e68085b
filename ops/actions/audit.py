"""Operators' audit lines: logins (failed ones too), reveals, retries, demand actions,
menu syncs and operator changes, in the one audit_events table (adapters/audit.py).

Append-only: this module writes and reads lines; nothing here (or in the console) edits
or deletes one (housekeeping alone drops lines past RXF_AUDIT_RETENTION_DAYS). The
no-personal-data rule holds: a user is named by the keyed hash of adapters.audit.subject,
free text is masked (adapters/masking.py) and cut to the column's size.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.audit import AuditEvent, line_values
from adapters.masking import mask_text
from adapters.sqltypes import utcnow

Sessions = async_sessionmaker[AsyncSession]
CLI_ADDRESS = "cli"
ACTION_NAMES = {
    "login": "登录", "login_failed": "登录失败", "login_refused": "登录被拒（限流）",
    "logout": "退出", "reveal": "查看完整信息", "outbox_retry": "重发推送",
    "demand_follow": "机构关注", "demand_grant": "授信", "demand_disburse": "放款",
    "demand_reject": "退回", "handoff_handled": "人工会话已处理", "menu_sync": "菜单同步",
    "operator_add": "新增操作员", "operator_disable": "停用操作员",
    "operator_password": "重设密码", "account_delete": "注销账号",
    "faq_phrasing": "常见问题加说法", "faq_new": "常见问题新条目", "faq_dismiss": "忽略未答问题",
    "ticket_take": "受理工单", "ticket_resolve": "办结工单", "ticket_reject": "驳回工单",
    "ticket_reveal": "查看工单完整信息", "ticket_image": "查看工单图片",
}


@dataclass(frozen=True)
class Line:
    """One audit line as the console shows it."""

    at: datetime
    actor: str
    address: str
    action: str
    target: str
    detail: str


def cli_actor() -> str:
    """How an audit line names whoever runs a command (the operating-system user)."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def operator_actor(name: str) -> str:
    """How an audit line names an operator (console or CLI)."""
    return f"operator:{name}"


async def record(sessions: Sessions, *, actor: str, address: str, action: str, target: str,
                 detail: str, at: datetime | None = None) -> None:
    """Append one line in its own transaction (the act happened already, or was refused)."""
    async with sessions.begin() as session:
        await add(session, actor=actor, address=address, action=action, target=target,
                  detail=detail, at=at)


async def add(session: AsyncSession, *, actor: str, address: str, action: str, target: str,
              detail: str, at: datetime | None = None) -> None:
    """Append one line inside the caller's transaction, so the act and its line land
    together."""
    values = line_values(at or utcnow(), actor, action, target, mask_text(detail), address)
    await session.execute(insert(AuditEvent.__table__), values)


async def lines(sessions: Sessions, *, action: str | None = None, actor: str | None = None,
                limit: int = 200) -> list[Line]:
    """The newest lines first, optionally of one action or one actor."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEvent.action == action)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    async with sessions() as session:
        rows = (await session.scalars(query)).all()
    return [Line(r.at, r.actor, r.address, r.action, r.subject, r.detail) for r in rows]


async def count_since(sessions: Sessions, *, action: str, address: str,
                      since: datetime) -> int:
    """How many lines of one action came from one address since a moment (the login
    throttle counts failed logins this way: no second log)."""
    async with sessions() as session:
        found = await session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == action, AuditEvent.address == address,
            AuditEvent.at >= since))
    return int(found or 0)


async def actions(sessions: Sessions) -> list[str]:
    """The actions present, for the console's filter."""
    async with sessions() as session:
        return list((await session.scalars(
            select(AuditEvent.action).distinct().order_by(AuditEvent.action))).all())
