"""Accounts, certification, authorisation and web login of the local platform."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.platform_local.base import LocalBase
from adapters.platform_local.models import (
    AccountRow,
    EnterpriseRow,
    MembershipRow,
    PersonCertRow,
)
from adapters.platform_port import Account, Enterprise, PersonCert, Profile


class AccountsMixin(LocalBase):
    async def profile(self, openid: str) -> Profile:
        async with self.sessions() as session:
            return await self._profile(session, openid)

    async def _profile(self, session: AsyncSession, openid: str) -> Profile:
        account = await session.scalar(select(AccountRow).where(AccountRow.openid == openid))
        if account is None:
            return Profile(openid=openid)
        cert = await session.get(PersonCertRow, account.id)
        rows = await session.execute(
            select(EnterpriseRow, MembershipRow)
            .join(MembershipRow, MembershipRow.enterprise_id == EnterpriseRow.id)
            .where(MembershipRow.account_id == account.id)
            .order_by(MembershipRow.created_at, EnterpriseRow.name))
        enterprises = tuple(self._enterprise(e, m) for e, m in rows)
        return Profile(openid=openid, account=self._account(account),
                       person=self._person(cert) if cert else None,
                       enterprises=enterprises,
                       active_enterprise_id=account.active_enterprise_id)

    def _account(self, row: AccountRow) -> Account:
        return Account(id=row.id, phone=self.cipher.decrypt(row.phone_enc),
                       legal_name=row.legal_name,
                       legal_id=self.cipher.decrypt(row.legal_id_enc),
                       created_at=row.created_at)

    def _person(self, row: PersonCertRow) -> PersonCert:
        return PersonCert(name=row.name, cert_type=row.cert_type,
                          cert_number=self.cipher.decrypt(row.number_enc),
                          phone=self.cipher.decrypt(row.phone_enc),
                          certified_at=row.certified_at)

    def _enterprise(self, row: EnterpriseRow, membership: MembershipRow) -> Enterprise:
        return Enterprise(id=row.id, name=row.name, uscc=row.uscc, legal_rep=row.legal_rep,
                          legal_rep_id=self.cipher.decrypt(row.legal_rep_id_enc),
                          region=row.region, certified_at=membership.certified_at,
                          authorised_at=membership.authorised_at)
