"""注销 on the local platform: the account and everything personal about it go in one
transaction; what the law keeps stays without the person.

Kept: demands an institution has acted on (followed, granted, disbursed or returned):
the financing record belongs to the enterprise and the institution as well. They keep
their enterprise, amounts and the institutions' records; the enterprise's own records
lose the person's name and (masked) phone, the enterprise loses the legal
representative's encrypted ID. Their account row becomes an anonymous placeholder (the
foreign key needs one): no openid, phone, name, ID or keyed hash of either.

Deleted: the person certification, authorisations, memberships, web logins, the
account itself when nothing refers to it, and the demands nobody has acted on yet
(drafts, 待关注, 已撤回) with their records, and enterprises left with neither member nor
kept demand. An enterprise left without members may be registered again (accounts.py
adopts it), so the same person can come back with the same phone, ID and company.
"""

from __future__ import annotations

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from adapters.database import Base
from adapters.platform_local.base import LocalBase
from adapters.platform_local.models import (
    AccountRow,
    AuthorisationRow,
    DemandRecordRow,
    DemandRow,
    EnterpriseRow,
    MembershipRow,
    PersonCertRow,
    WebLoginRow,
)
from adapters.platform_port import AccountDeleted, NotFound
from state_machines.demand import CREDIT, DISBURSED, LOAN, REJECTED

NOT_REGISTERED = "您的微信没有绑定融信服账号。"
# Statuses only an institution's move reaches: such a demand has been seen and acted on.
ACTED_ON = (CREDIT, LOAN, DISBURSED, REJECTED)
ERASED_NAME = "已注销用户"
ERASED_PREFIX = "erased:"
ENTERPRISE_ROLE = "企业"  # demands.py `_enterprise_who`: the enterprise's own records


class EraseMixin(LocalBase):
    """LocalPlatform's 注销: erases an account and its personal data in one transaction,
    keeping (anonymised) the demands institutions already acted on."""

    async def delete_account(self, openid: str, idem_key: str) -> AccountDeleted:
        def work(session: Session) -> AccountDeleted:
            account = session.scalar(select(AccountRow).where(AccountRow.openid == openid)
                                     .with_for_update())
            if account is None:
                raise NotFound(NOT_REGISTERED, "not_registered")
            return self._erase(session, account)

        return await self._write(work)

    def _erase(self, session: Session, account: AccountRow) -> AccountDeleted:
        aid = account.id
        ids = {account.legal_id_hash}
        cert = session.get(PersonCertRow, aid)
        if cert is not None:
            ids.add(cert.number_hash)
        demands = list(session.scalars(select(DemandRow).where(DemandRow.account_id == aid)))
        kept = [d for d in demands if d.taken_by is not None or d.status in ACTED_ON]
        gone = [d.id for d in demands if d not in kept]
        if gone:
            session.execute(delete(DemandRecordRow).where(DemandRecordRow.demand_id.in_(gone)))
            session.execute(delete(DemandRow).where(DemandRow.id.in_(gone)))
        for demand in kept:
            if demand.current_handler == account.legal_name:
                demand.current_handler = ""
            demand.idem_key = None
        if kept:
            session.execute(
                update(DemandRecordRow)
                .where(DemandRecordRow.demand_id.in_([d.id for d in kept]),
                       DemandRecordRow.role == ENTERPRISE_ROLE)
                .values(handler=ERASED_NAME, phone=""))
        _delete_others(session, aid, account.openid)
        session.execute(delete(AuthorisationRow).where(AuthorisationRow.account_id == aid))
        session.execute(delete(PersonCertRow).where(PersonCertRow.account_id == aid))
        session.execute(delete(WebLoginRow).where(
            or_(WebLoginRow.account_id == aid, WebLoginRow.openid == account.openid)))
        enterprise_ids = set(session.scalars(select(MembershipRow.enterprise_id).where(
            MembershipRow.account_id == aid)))
        enterprise_ids |= set(session.scalars(select(EnterpriseRow.id).where(
            EnterpriseRow.created_by == aid)))
        session.execute(delete(MembershipRow).where(MembershipRow.account_id == aid))
        session.flush()
        referred = bool(kept)
        for eid in enterprise_ids:
            referred |= self._settle_enterprise(session, eid, aid, ids)
        if referred:
            _anonymise(account)
        else:
            session.delete(account)
        session.flush()
        return AccountDeleted(kept_demands=len(kept))

    def _settle_enterprise(self, session: Session, eid: str, aid: str,
                           ids: set[str]) -> bool:
        """Keep, anonymise or delete one enterprise the account was tied to; True when
        it still refers to the account (created_by with nobody to hand it to)."""
        row = session.get(EnterpriseRow, eid)
        if row is None:
            return False
        members = list(session.scalars(select(MembershipRow.account_id).where(
            MembershipRow.enterprise_id == eid)))
        if self._legal_rep_is(row, ids):
            row.legal_rep_id_enc = ""
        if members:
            if row.created_by == aid:
                row.created_by = members[0]
            return False
        demands = session.scalar(select(func.count()).select_from(DemandRow).where(
            DemandRow.enterprise_id == eid)) or 0
        if demands:
            row.legal_rep_id_enc = ""  # nobody left who may see it
            return row.created_by == aid
        session.delete(row)
        session.flush()  # before the account it refers to (no ORM relationship orders them)
        return False

    def _legal_rep_is(self, row: EnterpriseRow, ids: set[str]) -> bool:
        if not row.legal_rep_id_enc:
            return False
        return self.cipher.lookup_hash(self.cipher.decrypt(row.legal_rep_id_enc)) in ids


# Tables this module settles itself; any other platform table referring to the account
# or naming the openid (consents, say, added by another feature) loses those rows.
_SETTLED = frozenset(t.__tablename__ for t in (
    AccountRow, AuthorisationRow, DemandRecordRow, DemandRow, EnterpriseRow, MembershipRow,
    PersonCertRow, WebLoginRow))


def _delete_others(session: Session, aid: str, openid: str) -> None:
    for table in reversed(Base.metadata.sorted_tables):
        if table.name in _SETTLED:
            continue
        conditions = [fk.parent == aid for fk in table.foreign_keys
                      if fk.column.table.name == AccountRow.__tablename__]
        if "openid" in table.c and table.name.startswith("pf_"):  # the bot's: bot/forget.py
            conditions.append(table.c.openid == openid)
        if conditions:
            session.execute(delete(table).where(or_(*conditions)))


def _anonymise(account: AccountRow) -> None:
    """The placeholder kept demands point at: unique columns get values of its own id."""
    marker = ERASED_PREFIX + account.id
    account.openid = marker
    account.phone_enc = account.legal_id_enc = ""
    account.phone_hash = account.legal_id_hash = marker
    account.legal_name = ERASED_NAME
    account.active_enterprise_id = None
    account.idem_key = None
