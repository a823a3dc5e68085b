"""Console operators: add, list, disable, change a password, and log in.

Passwords are kept as argon2 hashes (argon2-cffi) and never logged. Logging in is
where the lockout lives: `LoginPolicy.max_failures` wrong passwords lock that operator
for `lock`, and `address_failures` failed logins from one address within `lock`
refuse that address too (counted from the audit lines, ops/actions/audit.py).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update

from adapters.masking import mask_text
from adapters.operator_tables import ConsoleSession, OperatorRow
from ops.actions import Refused, audit
from ops.actions.audit import Sessions

ROLES = ("viewer", "operator", "admin")
ROLE_NAMES = {"viewer": "只读", "operator": "操作员", "admin": "管理员"}
NAME = re.compile(r"[\w.-]{2,40}")
MIN_PASSWORD = 10
_hasher = PasswordHasher()
# Verified against when the name is unknown, so both answers take as long.
_DUMMY = _hasher.hash("not a password of anyone")
WRONG = "用户名或密码不正确。"


@dataclass(frozen=True)
class Operator:
    """Who is acting: the name and role the console and the audit lines use."""

    name: str
    role: str
    disabled: bool = False
    locked_until: datetime | None = None

    def may(self, role: str) -> bool:
        """Whether this operator's role reaches `role` (viewer < operator < admin)."""
        return ROLES.index(self.role) >= ROLES.index(role)


@dataclass(frozen=True)
class LoginPolicy:
    """How many failures lock an operator or an address, and for how long."""

    max_failures: int = 5
    lock: timedelta = timedelta(minutes=15)
    address_failures: int = 20


def _check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise Refused("操作员名称须为 2–40 位字母、数字、下划线、点或连字符。")
    return name


def _check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise Refused(f"密码至少 {MIN_PASSWORD} 位。")
    return password


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise Refused("角色只能是 viewer、operator 或 admin。")
    return role


async def add(sessions: Sessions, name: str, role: str, password: str, *, actor: str,
              address: str, now: datetime) -> Operator:
    """A new operator; refused when the name is taken."""
    _check_name(name)
    _check_role(role)
    hashed = await asyncio.to_thread(_hasher.hash, _check_password(password))
    async with sessions.begin() as session:
        if await session.get(OperatorRow, name) is not None:
            raise Refused(f"操作员 {name} 已存在。")
        session.add(OperatorRow(name=name, role=role, password_hash=hashed, disabled=False,
                                failures=0, created_at=now))
        await audit.add(session, actor=actor, address=address, action="operator_add",
                        target=name, detail=f"role={role}", at=now)
    return Operator(name, role)


async def list_all(sessions: Sessions) -> list[Operator]:
    """Every operator, by name."""
    async with sessions() as session:
        rows = (await session.scalars(select(OperatorRow).order_by(OperatorRow.name))).all()
    return [Operator(r.name, r.role, r.disabled, r.locked_until) for r in rows]


async def get(sessions: Sessions, name: str) -> Operator | None:
    """One operator, or None."""
    async with sessions() as session:
        row = await session.get(OperatorRow, name)
    return None if row is None else Operator(row.name, row.role, row.disabled,
                                            row.locked_until)


async def disable(sessions: Sessions, name: str, *, actor: str, address: str,
                  now: datetime) -> None:
    """Disable an operator and end every session of theirs at once."""
    async with sessions.begin() as session:
        row = await session.get(OperatorRow, name)
        if row is None:
            raise Refused(f"没有操作员 {name}。")
        row.disabled = True
        await session.execute(ConsoleSession.__table__.delete()
                              .where(ConsoleSession.operator == name))
        await audit.add(session, actor=actor, address=address, action="operator_disable",
                        target=name, detail="", at=now)


async def set_password(sessions: Sessions, name: str, password: str, *, actor: str,
                       address: str, now: datetime) -> None:
    """A new password; it lifts a lock, enables the operator and ends their sessions."""
    hashed = await asyncio.to_thread(_hasher.hash, _check_password(password))
    async with sessions.begin() as session:
        row = await session.get(OperatorRow, name)
        if row is None:
            raise Refused(f"没有操作员 {name}。")
        row.password_hash, row.failures, row.locked_until = hashed, 0, None
        row.disabled = False
        await session.execute(ConsoleSession.__table__.delete()
                              .where(ConsoleSession.operator == name))
        await audit.add(session, actor=actor, address=address, action="operator_password",
                        target=name, detail="", at=now)


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


async def authenticate(sessions: Sessions, name: str, password: str, *, address: str,
                       now: datetime, policy: LoginPolicy) -> Operator:
    """The operator whose password this is; Refused (and an audit line) otherwise."""
    target = mask_text(name.strip())[:40] or "—"
    since = now - policy.lock
    minutes = int(policy.lock.total_seconds() // 60)
    if await audit.count_since(sessions, action="login_failed", address=address,
                               since=since) >= policy.address_failures:
        await audit.record(sessions, actor="anonymous", address=address,
                           action="login_refused", target=target, detail="address throttled",
                           at=now)
        raise Refused(f"此地址登录失败次数过多，请 {minutes} 分钟后再试。")
    async with sessions() as session:
        row = await session.get(OperatorRow, name.strip())
    if row is None or row.disabled:
        await asyncio.to_thread(_verify, _DUMMY, password)
        await _failed(sessions, target, address, now,
                      "unknown operator" if row is None else "disabled")
        raise Refused(WRONG)
    if row.locked_until is not None and row.locked_until > now:
        await _failed(sessions, target, address, now, "locked")
        raise Refused(f"该账号因多次密码错误已锁定，请 {minutes} 分钟后再试。")
    if not await asyncio.to_thread(_verify, row.password_hash, password):
        locked = await _count_failure(sessions, row.name, now, policy)
        await _failed(sessions, target, address, now,
                      "wrong password, locked" if locked else "wrong password")
        if locked:
            raise Refused(f"密码错误次数过多，该账号已锁定 {minutes} 分钟。")
        raise Refused(WRONG)
    async with sessions.begin() as session:
        await session.execute(update(OperatorRow).where(OperatorRow.name == row.name)
                              .values(failures=0, locked_until=None))
        await audit.add(session, actor=audit.operator_actor(row.name), address=address,
                        action="login", target=row.name, detail=f"role={row.role}", at=now)
    return Operator(row.name, row.role)


async def _count_failure(sessions: Sessions, name: str, now: datetime,
                         policy: LoginPolicy) -> bool:
    """One more wrong password; True when it locks the operator. The increment is one
    UPDATE, so two processes counting at once lose nothing."""
    async with sessions.begin() as session:
        failures = await session.scalar(
            update(OperatorRow).where(OperatorRow.name == name)
            .values(failures=OperatorRow.failures + 1).returning(OperatorRow.failures))
        if failures is not None and failures >= policy.max_failures:
            await session.execute(update(OperatorRow).where(OperatorRow.name == name)
                                  .values(failures=0, locked_until=now + policy.lock))
            return True
    return False


async def _failed(sessions: Sessions, target: str, address: str, now: datetime,
                  why: str) -> None:
    await audit.record(sessions, actor="anonymous", address=address, action="login_failed",
                       target=target, detail=why, at=now)
