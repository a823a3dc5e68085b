"""Consents to the 个人信息处理规则 and the copy of what is held about one user
(导出我的信息) in the local platform. Everything is found through the asker's own
openid, so one user can never read another's rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adapters.platform_local.base import LocalBase
from adapters.platform_local.models import (
    AccountRow,
    AuthorisationRow,
    ConsentRow,
    DemandRow,
    EnterpriseRow,
)
from adapters.platform_port import AuthorisationRecord, Consent, NotFound, PersonalData, Profile

NOT_REGISTERED = "您还没有注册融信服账号，请先回复「注册」。"


class PrivacyMixin(LocalBase):
    """LocalPlatform's personal-data side: consents to the 个人信息处理规则 and the export
    of everything held about an account (导出我的信息)."""

    async def profile(self, openid: str) -> Profile:  # provided by AccountsMixin
        raise NotImplementedError

    async def record_consent(self, openid: str, version: str, agreed_at: datetime,
                             idem_key: str) -> Consent:
        def work(session: Session) -> Consent:
            done = session.scalar(select(ConsentRow).where(ConsentRow.idem_key == idem_key))
            if done is not None:  # the same 同意, delivered twice
                return Consent(done.version, done.agreed_at)
            account_id = session.scalar(select(AccountRow.id)
                                        .where(AccountRow.openid == openid))
            if account_id is None:
                raise NotFound(NOT_REGISTERED, "not_registered")
            session.add(ConsentRow(account_id=account_id, openid=openid, version=version,
                                   agreed_at=agreed_at, idem_key=idem_key))
            return Consent(version, agreed_at)

        return await self._write(work)

    async def consents(self, openid: str) -> tuple[Consent, ...]:
        def work(session: Session) -> tuple[Consent, ...]:
            return _consents(session, openid)

        return await self._read(work)

    async def personal_data(self, openid: str) -> PersonalData:
        profile = await self.profile(openid)
        account = profile.account
        if account is None:
            return PersonalData(profile=profile)

        def work(session: Session) -> PersonalData:
            signed = session.execute(
                select(EnterpriseRow.name, AuthorisationRow.text_version,
                       AuthorisationRow.signed_at, AuthorisationRow.water_enc,
                       AuthorisationRow.power_enc, AuthorisationRow.gas_enc)
                .join(EnterpriseRow, EnterpriseRow.id == AuthorisationRow.enterprise_id)
                .where(AuthorisationRow.account_id == account.id)
                .order_by(AuthorisationRow.signed_at, AuthorisationRow.id)).all()
            demands = session.scalar(select(func.count(DemandRow.id))
                                     .where(DemandRow.account_id == account.id)) or 0
            return PersonalData(
                profile=profile,
                authorisations=tuple(AuthorisationRecord(
                    r.name, r.text_version, r.signed_at, self._clear(r.water_enc),
                    self._clear(r.power_enc), self._clear(r.gas_enc)) for r in signed),
                consents=_consents(session, openid), demand_count=int(demands))

        return await self._read(work)

    def _clear(self, encrypted: str | None) -> str | None:
        return self.cipher.decrypt(encrypted) if encrypted else None


def _consents(session: Session, openid: str) -> tuple[Consent, ...]:
    rows = session.execute(select(ConsentRow.version, ConsentRow.agreed_at)
                           .where(ConsentRow.openid == openid)
                           .order_by(ConsentRow.agreed_at.desc(), ConsentRow.id.desc())).all()
    return tuple(Consent(version, at) for version, at in rows)
