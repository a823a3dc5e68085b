"""Accounts, certification, authorisation and web login of the local platform.

Personal data is encrypted with the data key and found by keyed hash. Uniqueness lives
in the database (one account per WeChat user and per phone, one enterprise per USCC), so
two owners racing to register the same enterprise end with exactly one winner: the loser's
insert fails and is told why. Writes carry the WeChat delivery key where the table has a
column for it, so a retried step returns the first result.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from adapters.platform_local.base import LocalBase
from adapters.platform_local.models import (
    AccountRow,
    AuthorisationRow,
    EnterpriseRow,
    MembershipRow,
    PersonCertRow,
    WebLoginRow,
)
from adapters.platform_port import (
    Account,
    AuthorisationInput,
    Conflict,
    Enterprise,
    EnterpriseInput,
    LoginResult,
    NotFound,
    PersonCert,
    PlatformError,
    Profile,
    RegisterInput,
)
from adapters.raw_sql import Query, fetch_all

# The whole profile in one statement, built once (SQLAlchemy then reuses its compiled form
# and result metadata): the three ORM queries it replaces were a third of a journey
# message's CPU.
_A, _P = AccountRow.__table__, PersonCertRow.__table__
_E, _M = EnterpriseRow.__table__, MembershipRow.__table__
_PROFILE = (
    select(_A.c.id, _A.c.phone_enc, _A.c.legal_name, _A.c.legal_id_enc, _A.c.created_at,
           _A.c.active_enterprise_id,
           _P.c.name.label("p_name"), _P.c.cert_type.label("p_cert_type"),
           _P.c.number_enc.label("p_number_enc"), _P.c.phone_enc.label("p_phone_enc"),
           _P.c.certified_at.label("p_certified_at"),
           _E.c.id.label("e_id"), _E.c.name.label("e_name"), _E.c.uscc.label("e_uscc"),
           _E.c.legal_rep.label("e_legal_rep"),
           _E.c.legal_rep_id_enc.label("e_legal_rep_id_enc"), _E.c.region.label("e_region"),
           _M.c.certified_at.label("m_certified_at"),
           _M.c.authorised_at.label("m_authorised_at"))
    .select_from(_A.outerjoin(_P, _P.c.account_id == _A.c.id)
                 .outerjoin(_M, _M.c.account_id == _A.c.id)
                 .outerjoin(_E, _E.c.id == _M.c.enterprise_id))
    .where(_A.c.openid == bindparam("openid"))
    .order_by(_M.c.created_at, _E.c.name))


# Read on every menu: straight through the driver (adapters/raw_sql.py).
_PROFILE_QUERY = Query(_PROFILE)


class _Columns:
    """One table's columns of a profile row: `_Columns(row, "p_").name` is `row.p_name`."""

    __slots__ = ("_prefix", "_row")

    def __init__(self, row: Any, prefix: str) -> None:
        self._row, self._prefix = row, prefix

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, self._prefix + name)


LOGIN_TTL = timedelta(minutes=5)
KEEP_LOGINS = timedelta(days=1)
_HELP = "请回复「转人工」或致电0871-64980508，由客服核实处理。"
PHONE_TAKEN = ("这个手机号已经注册过融信服账号，不能重复注册。是您本人注册的，请用注册时的微信"
               "使用本公众号（网页端扫码即可登录）；需要换绑微信，" + _HELP)
USCC_TAKEN = ("这家企业（信用代码{uscc}）已经在融信服注册过，不能重复注册。"
              "如是本企业其他人注册的，请用原账号登录；需要协助，" + _HELP)
OPENID_BOUND = "您的微信已经绑定了融信服账号，不用重复注册。"
NOT_REGISTERED = "您还没有注册融信服账号，请先回复「注册」。"


@dataclass(frozen=True)
class WebLogin:
    """A login QR scene as the CLI lists it."""

    scene: str
    status: str
    created_at: datetime
    decided_at: datetime | None
    account_id: str | None


class AccountsMixin(LocalBase):
    """LocalPlatform's accounts, certification, authorisation and web-login scenes."""

    async def profile(self, openid: str) -> Profile:
        rows = [SimpleNamespace(**r)
                for r in await fetch_all(self.runner, _PROFILE_QUERY, {"openid": openid})]
        if not rows:
            return Profile(openid=openid)
        first = rows[0]
        person = None
        if first.p_certified_at is not None:
            person = self._person(_Columns(first, "p_"))
        enterprises = tuple(self._enterprise(_Columns(r, "e_"), _Columns(r, "m_"))
                            for r in rows if r.e_id is not None)
        return Profile(openid=openid, account=self._account(first), person=person,
                       enterprises=enterprises,
                       active_enterprise_id=first.active_enterprise_id)

    # The builders below take an ORM row or a row of the profile query (through _Columns).
    def _account(self, row: Any) -> Account:
        return Account(id=row.id, phone=self.cipher.decrypt(row.phone_enc),
                       legal_name=row.legal_name,
                       legal_id=self.cipher.decrypt(row.legal_id_enc),
                       created_at=row.created_at)

    def _person(self, row: Any) -> PersonCert:
        return PersonCert(name=row.name, cert_type=row.cert_type,
                          cert_number=self.cipher.decrypt(row.number_enc),
                          phone=self.cipher.decrypt(row.phone_enc),
                          certified_at=row.certified_at)

    def _enterprise(self, row: Any, membership: Any) -> Enterprise:
        return Enterprise(id=row.id, name=row.name, uscc=row.uscc, legal_rep=row.legal_rep,
                          # Empty after the legal representative's 注销 (erase.py).
                          legal_rep_id=(self.cipher.decrypt(row.legal_rep_id_enc)
                                        if row.legal_rep_id_enc else ""),
                          region=row.region, certified_at=membership.certified_at,
                          authorised_at=membership.authorised_at)

    # --- registration ------------------------------------------------------------------
    async def check_available(self, *, phone: str | None = None,
                              uscc: str | None = None) -> None:
        def work(session: Session) -> None:
            self._ensure_available(session, phone, uscc)

        await self._read(work)

    def _ensure_available(self, session: Session, phone: str | None,
                          uscc: str | None) -> None:
        if phone and session.scalar(select(AccountRow.id).where(
                AccountRow.phone_hash == self.cipher.lookup_hash(phone))):
            raise Conflict(PHONE_TAKEN, "phone_registered")
        # An enterprise nobody belongs to any more (its account went: erase.py) is free.
        if uscc and session.scalar(
                select(EnterpriseRow.id).join(
                    MembershipRow, MembershipRow.enterprise_id == EnterpriseRow.id)
                .where(EnterpriseRow.uscc == uscc).limit(1)):
            raise Conflict(USCC_TAKEN.format(uscc=uscc), "uscc_registered")

    async def register(self, openid: str, data: RegisterInput, idem_key: str) -> Account:
        """An account bound to `openid` with its enterprise (not yet certified) active."""
        now = self.clock()
        c = self.cipher

        def create(session: Session) -> Account:
            done = session.scalar(select(AccountRow).where(AccountRow.idem_key == idem_key))
            if done is not None:
                return self._account(done)
            if session.scalar(select(AccountRow.id).where(AccountRow.openid == openid)):
                raise Conflict(OPENID_BOUND, "openid_bound")
            self._ensure_available(session, data.phone, data.uscc)
            account = AccountRow(
                id=uuid.uuid4().hex, openid=openid, phone_enc=c.encrypt(data.phone),
                phone_hash=c.lookup_hash(data.phone), legal_name=data.legal_name,
                legal_id_enc=c.encrypt(data.legal_id),
                legal_id_hash=c.lookup_hash(data.legal_id), idem_key=idem_key,
                created_at=now)
            session.add(account)
            session.flush()
            enterprise = self._new_enterprise(
                session, account.id, EnterpriseInput(data.company, data.uscc,
                                                     data.legal_name, data.legal_id),
                region="", now=now, certified=False)
            account.active_enterprise_id = enterprise.id
            return self._account(account)

        def why_taken(session: Session) -> None:
            if session.scalar(select(AccountRow.id).where(AccountRow.openid == openid)):
                raise Conflict(OPENID_BOUND, "openid_bound")
            self._ensure_available(session, data.phone, data.uscc)

        try:
            return await self._write(create)
        except IntegrityError:  # lost a race: the checks passed, the insert did not
            await self._read(why_taken)
            raise Conflict(USCC_TAKEN.format(uscc=data.uscc), "uscc_registered") from None

    def _new_enterprise(self, session: Session, account_id: str,
                        data: EnterpriseInput, *, region: str, now: datetime,
                        certified: bool) -> EnterpriseRow:
        row = _orphan(session, data.uscc)
        if row is not None:  # left by a 注销 with demands the law keeps: taken over
            row.name, row.legal_rep, row.created_by = data.name, data.legal_rep, account_id
            row.legal_rep_id_enc = self.cipher.encrypt(data.legal_rep_id)
            row.region = region or row.region
        else:
            row = EnterpriseRow(id=uuid.uuid4().hex, name=data.name, uscc=data.uscc,
                                legal_rep=data.legal_rep,
                                legal_rep_id_enc=self.cipher.encrypt(data.legal_rep_id),
                                region=region, created_by=account_id, created_at=now)
            session.add(row)
        session.flush()
        session.add(MembershipRow(account_id=account_id, enterprise_id=row.id, created_at=now,
                                  certified_at=now if certified else None))
        session.flush()
        return row

    def _account_row(self, session: Session, openid: str) -> AccountRow:
        account = session.scalar(select(AccountRow).where(AccountRow.openid == openid))
        if account is None:
            raise NotFound(NOT_REGISTERED, "not_registered")
        return account

    # --- certification -----------------------------------------------------------------
    async def certify_person(self, openid: str, cert: PersonCert, idem_key: str) -> PersonCert:
        """Record a passed three-factor check (replacing an earlier one: manual Q5)."""
        c = self.cipher

        def work(session: Session) -> PersonCert:
            account = self._account_row(session, openid)
            row = session.get(PersonCertRow, account.id)
            if row is None:
                row = PersonCertRow(account_id=account.id)
                session.add(row)
            row.name, row.cert_type = cert.name, cert.cert_type
            row.number_enc = c.encrypt(cert.cert_number)
            row.number_hash = c.lookup_hash(cert.cert_number)
            row.phone_enc = c.encrypt(cert.phone)
            row.certified_at = cert.certified_at
            session.flush()
            return self._person(row)

        return await self._write(work)

    async def certify_enterprise(self, openid: str, data: EnterpriseInput, region: str,
                                 idem_key: str) -> Enterprise:
        """Record a passed four-factor check: updates an enterprise bound to this account,
        or adds a new one; either way it becomes the active enterprise."""
        now = self.clock()

        def work(session: Session) -> Enterprise:
            account = self._account_row(session, openid)
            row = session.scalar(select(EnterpriseRow).where(EnterpriseRow.uscc == data.uscc))
            if row is None or _orphan(session, data.uscc) is not None:
                row = self._new_enterprise(session, account.id, data, region=region,
                                           now=now, certified=True)
            membership = session.get(MembershipRow, (account.id, row.id))
            if membership is None:
                raise Conflict(USCC_TAKEN.format(uscc=data.uscc), "uscc_registered")
            row.name, row.legal_rep, row.region = data.name, data.legal_rep, region
            row.legal_rep_id_enc = self.cipher.encrypt(data.legal_rep_id)
            membership.certified_at = now
            account.active_enterprise_id = row.id
            session.flush()
            return self._enterprise(row, membership)

        try:
            return await self._write(work)
        except IntegrityError:
            raise Conflict(USCC_TAKEN.format(uscc=data.uscc), "uscc_registered") from None

    async def sign_authorisation(self, openid: str, enterprise_id: str,
                                 data: AuthorisationInput, idem_key: str) -> Enterprise:
        now = self.clock()
        c = self.cipher

        def work(session: Session) -> Enterprise:
            account = self._account_row(session, openid)
            row = session.get(EnterpriseRow, enterprise_id)
            membership = session.get(MembershipRow, (account.id, enterprise_id))
            if row is None or membership is None:
                raise NotFound("找不到这家企业，请回复「我的企业」查看。", "not_found")
            if membership.certified_at is None:
                raise PlatformError("请先完成企业要素认证，再签署授权书。", "not_certified")
            signed = session.scalar(
                select(AuthorisationRow.id).where(AuthorisationRow.idem_key == idem_key))
            if signed is None:
                cert = session.get(PersonCertRow, account.id)
                session.add(AuthorisationRow(
                    account_id=account.id, enterprise_id=enterprise_id,
                    signer_name=cert.name if cert else account.legal_name,
                    text_version=data.text_version,
                    water_enc=c.encrypt(data.water_account) if data.water_account else None,
                    power_enc=c.encrypt(data.power_account) if data.power_account else None,
                    gas_enc=c.encrypt(data.gas_account) if data.gas_account else None,
                    idem_key=idem_key, signed_at=now))
                membership.authorised_at = now
            session.flush()
            return self._enterprise(row, membership)

        return await self._write(work)

    async def switch_enterprise(self, openid: str, enterprise_id: str) -> Profile:
        def work(session: Session) -> None:
            account = self._account_row(session, openid)
            if session.get(MembershipRow, (account.id, enterprise_id)) is None:
                raise NotFound("找不到这家企业，请回复「我的企业」查看。", "not_found")
            account.active_enterprise_id = enterprise_id

        await self._write(work)
        return await self.profile(openid)

    # --- web login ---------------------------------------------------------------------
    async def create_login_scene(self) -> str:
        """A new login QR scene (what the web platform does when it shows its QR code)."""
        now = self.clock()
        scene = "login_" + secrets.token_hex(8)

        def work(session: Session) -> None:
            session.execute(delete(WebLoginRow).where(
                WebLoginRow.created_at < now - KEEP_LOGINS))
            session.add(WebLoginRow(scene=scene, status="pending", created_at=now))

        await self._write(work)
        return scene

    async def list_logins(self, limit: int = 20) -> list[WebLogin]:
        def work(session: Session) -> list[WebLoginRow]:
            return list(session.scalars(select(WebLoginRow)
                                        .order_by(WebLoginRow.created_at.desc())
                                        .limit(limit)))

        rows = await self._read(work)
        now = self.clock()
        return [WebLogin(r.scene, self._status(r, now), r.created_at, r.decided_at,
                         r.account_id) for r in rows]

    def _status(self, row: WebLoginRow, now: datetime) -> str:
        if row.status == "pending" and now - row.created_at > LOGIN_TTL:
            return "expired"
        return row.status

    async def check_login(self, scene: str) -> LoginResult:
        def work(session: Session) -> WebLoginRow | None:
            return session.get(WebLoginRow, scene)

        row = await self._read(work)
        if row is None:
            return LoginResult(scene, "unknown")
        status = self._status(row, self.clock())
        return LoginResult(scene, "used" if status in ("confirmed", "refused") else status)

    async def decide_login(self, openid: str, scene: str, approve: bool) -> LoginResult:
        now = self.clock()
        decision = "confirmed" if approve else "refused"

        def work(session: Session) -> LoginResult:
            account = self._account_row(session, openid)
            # One conditional update: of two phones answering the same scene, one wins.
            done = session.execute(
                update(WebLoginRow)
                .where(WebLoginRow.scene == scene, WebLoginRow.status == "pending",
                       WebLoginRow.created_at >= now - LOGIN_TTL)
                .values(status=decision, account_id=account.id, openid=openid,
                        decided_at=now))
            if done.rowcount == 1:  # type: ignore[attr-defined]
                return LoginResult(scene, decision)
            row = session.get(WebLoginRow, scene)
            if row is None:
                return LoginResult(scene, "unknown")
            if row.status == "pending":
                row.status = "expired"
                return LoginResult(scene, "expired")
            if row.openid == openid and row.status == decision:
                return LoginResult(scene, decision)  # the same answer, retried
            return LoginResult(scene, "used" if row.status != "expired" else "expired")

        return await self._write(work)


def _orphan(session: Session, uscc: str) -> EnterpriseRow | None:
    """The enterprise of this USCC when no account belongs to it any more."""
    row = session.scalar(select(EnterpriseRow).where(EnterpriseRow.uscc == uscc))
    if row is None or session.scalar(select(MembershipRow.account_id).where(
            MembershipRow.enterprise_id == row.id).limit(1)) is not None:
        return None
    return row
