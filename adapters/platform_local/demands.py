"""Demands and their lifecycle on the local platform.

Statuses change only through `state_machines.demand.LIFECYCLE`; this module writes what
a move decided — the status, the approval record and, for moves that push, one outbox
row per WeChat user bound to the enterprise — in one transaction, so a push is never
announced for a move that did not happen, nor lost for one that did.

A demand is seen and withdrawn only through an account bound to its enterprise; any
other WeChat user gets NotFound, the same answer as for a number that does not exist.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from adapters.catalog import tidy
from adapters.local_data import Institution as CatalogInstitution
from adapters.outbox import OutboxItem, enqueue_sync
from adapters.platform_local.base import LocalBase
from adapters.platform_local.demand_rules import validate_demand
from adapters.platform_local.models import (
    AccountRow,
    DemandRecordRow,
    DemandRow,
    EnterpriseRow,
    MembershipRow,
    PersonCertRow,
)
from adapters.platform_port import (
    Demand,
    DemandInput,
    DemandRecord,
    IllegalMove,
    NotFound,
    Page,
    PlatformError,
)
from state_machines.demand import (
    DRAFT,
    ENTERPRISE,
    LIFECYCLE,
    Actor,
    DemandCase,
    MoveOutcome,
    MoveRefused,
    amount_text,
)

CHINA = timezone(timedelta(hours=8), "CST")  # no daylight saving: a fixed offset is exact
NO_PREFIX = "RZ"
_SAVE_TRIES = 8  # SQLite: a 单据号 taken by a concurrent submit is retried with the next one
_NO_LOCK = 0x525A  # advisory-lock namespace for 单据号 allocation ("RZ")


@dataclass(frozen=True)
class Who:
    """Who made a move, as the approval record shows it."""

    handler: str
    organisation: str
    role: str
    phone: str


class DemandsMixin(LocalBase):
    """LocalPlatform's demands: the enterprise side (save, list, withdraw) and the
    institution side (advance, for the CLI), moved by state_machines.demand."""

    # --- the enterprise side ------------------------------------------------------------
    async def save_demand(self, openid: str, enterprise_id: str, data: DemandInput, *,
                          submit: bool, idem_key: str, draft_no: str | None = None) -> Demand:
        for attempt in range(_SAVE_TRIES):
            try:
                return await self._save_demand(openid, enterprise_id, data, submit=submit,
                                               idem_key=idem_key, draft_no=draft_no)
            except IntegrityError:
                if attempt == _SAVE_TRIES - 1:
                    raise PlatformError("提交的人有点多，请稍后再试一次。", "busy") from None
                await asyncio.sleep(random.uniform(0, 0.02 * (attempt + 1)))
        raise AssertionError("unreachable")

    async def _save_demand(self, openid: str, enterprise_id: str, data: DemandInput, *,
                           submit: bool, idem_key: str, draft_no: str | None) -> Demand:
        now = self.clock()

        def work(session: Session) -> Demand:
            done = session.scalar(select(DemandRow).where(DemandRow.idem_key == idem_key))
            if done is not None and done.enterprise_id == enterprise_id:
                return self._load(session, done)  # a retried request: same answer
            account, enterprise, membership = self._member(session, openid,
                                                           enterprise_id)
            chosen = validate_demand(self.catalog, data, enterprise.region)
            if submit:
                self._require_certified(session, account, membership)
            if draft_no:
                row = session.scalar(
                    select(DemandRow).where(DemandRow.no == draft_no,
                                            DemandRow.enterprise_id == enterprise_id)
                    .with_for_update())
                if row is None:
                    raise NotFound(f"没有找到草稿{draft_no}。", "not_found")
                if row.status != DRAFT:
                    raise PlatformError(f"草稿{draft_no}已经提交过了，当前状态为{row.status}。",
                                        "not_draft")
            else:
                row = DemandRow(no=self._next_no(session, now),
                                enterprise_id=enterprise_id, account_id=account.id,
                                status=DRAFT, created_at=now, current_node="草稿",
                                current_handler=account.legal_name)
                session.add(row)
            row.zone, row.amount, row.term_months = data.zone, data.amount, data.term_months
            row.loan_kind, row.directed = data.loan_kind, data.directed
            row.institutions = json.dumps([i.id for i in chosen])
            row.purpose = data.purpose.strip()
            row.idem_key, row.updated_at = idem_key, now
            session.flush()
            if submit:
                case = self._case(row)
                outcome = run_move(case, "submit", Actor(ENTERPRISE))
                row.submitted_at = now
                audience = self._audience(chosen, enterprise.region)
                self._apply(session, row, case, outcome,
                            self._enterprise_who(account, enterprise), now,
                            handler=audience)
            return self._load(session, row)

        return await self._write(work)

    async def list_demands(self, openid: str, enterprise_id: str, *, status: str | None,
                           page: int, size: int) -> Page[Demand]:
        page, size = max(page, 1), min(max(size, 1), 50)

        def work(session: Session) -> tuple[tuple[Demand, ...], int]:
            _, enterprise, _ = self._member(session, openid, enterprise_id)
            query = select(DemandRow).where(DemandRow.enterprise_id == enterprise_id)
            if status:
                query = query.where(DemandRow.status == status)
            total = session.scalar(select(func.count()).select_from(query.subquery()))
            rows = session.scalars(query.order_by(DemandRow.id.desc())
                                   .offset((page - 1) * size).limit(size))
            return tuple(self._demand(r, enterprise.name, ()) for r in rows), int(total or 0)

        items, total = await self._read(work)
        return Page(items=items, total=total, page=page, size=size)

    async def demand(self, openid: str, demand_no: str) -> Demand:
        def work(session: Session) -> Demand:
            row = self._own(session, openid, demand_no)
            return self._load(session, row)

        return await self._read(work)

    async def withdraw(self, openid: str, demand_no: str, idem_key: str) -> Demand:
        now = self.clock()

        def work(session: Session) -> Demand:
            row = self._own(session, openid, demand_no, lock=True)
            if row.idem_key == idem_key:
                return self._load(session, row)
            account = session.scalar(select(AccountRow).where(AccountRow.openid == openid))
            enterprise = session.get(EnterpriseRow, row.enterprise_id)
            if account is None or enterprise is None:  # the foreign keys rule this out
                raise LookupError(f"demand {demand_no} lost its account or enterprise row")
            case = self._case(row)
            outcome = run_move(case, "withdraw", Actor(ENTERPRISE))
            row.idem_key = idem_key
            self._apply(session, row, case, outcome,
                        self._enterprise_who(account, enterprise), now, handler="")
            return self._load(session, row)

        return await self._write(work)

    def _apply(self, session: Session, row: DemandRow, case: DemandCase,
               outcome: MoveOutcome, who: Who, now: datetime, *, handler: str,
               comment: str = "") -> None:
        row.status, row.taken_by, row.granted_amount = case.state, case.taken_by, case.granted
        if outcome.rule.action == "disburse":
            row.disbursed_amount = outcome.amount
        row.current_node = outcome.rule.next_node
        row.current_handler = handler[:60]
        row.updated_at = now
        session.add(DemandRecordRow(
            demand_id=row.id, at=now, node=outcome.rule.node, action=outcome.rule.action,
            from_status=outcome.from_status, to_status=outcome.to_status,
            handler=who.handler[:40], organisation=who.organisation[:80], role=who.role[:24],
            phone=who.phone[:24], comment=(outcome.reason or comment).strip()))
        session.flush()

    def _queue_push(self, session: Session, row: DemandRow, enterprise: str,
                    outcome: MoveOutcome, institution: str, now: datetime) -> None:
        openids = session.scalars(
            select(AccountRow.openid).join(MembershipRow, MembershipRow.account_id == AccountRow.id)
            .where(MembershipRow.enterprise_id == row.enterprise_id).order_by(AccountRow.openid))
        event = outcome.rule.push or ""
        amount = outcome.amount if outcome.amount is not None else row.amount
        # A user bound to several enterprises must see which one the demand is for.
        payload = {"event": event, "demand_no": row.no, "amount": amount_text(amount),
                   "status": row.status, "institution": institution, "enterprise": enterprise,
                   "time": now.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")}
        if outcome.reason:
            payload["reason"] = outcome.reason
        enqueue_sync(session, [
            OutboxItem(openid, "push", payload,
                       dedupe_key=f"{row.no}:{outcome.rule.action}:{openid}")
            for openid in openids], now)

    def _last_handler(self, session: Session, row: DemandRow,
                      organisation: str) -> str:
        """Who acted last for this institution: its later moves default to them."""
        return session.scalar(
            select(DemandRecordRow.handler)
            .where(DemandRecordRow.demand_id == row.id,
                   DemandRecordRow.organisation == organisation)
            .order_by(DemandRecordRow.id.desc()).limit(1)) or ""

    # --- reading -------------------------------------------------------------------------
    def _member(self, session: Session, openid: str, enterprise_id: str
                ) -> tuple[AccountRow, EnterpriseRow, MembershipRow]:
        account = session.scalar(select(AccountRow).where(AccountRow.openid == openid))
        membership = enterprise = None
        if account is not None:
            membership = session.get(MembershipRow, (account.id, enterprise_id))
            enterprise = session.get(EnterpriseRow, enterprise_id)
        if account is None or membership is None or enterprise is None:
            raise NotFound("没有找到这家企业，请先注册并完成企业认证。", "not_member")
        return account, enterprise, membership

    def _own(self, session: Session, openid: str, demand_no: str, *,
             lock: bool = False) -> DemandRow:
        query = select(DemandRow).where(DemandRow.no == demand_no.strip().upper())
        row = session.scalar(query.with_for_update() if lock else query)
        if row is not None:
            bound = session.scalar(
                select(MembershipRow.account_id)
                .join(AccountRow, AccountRow.id == MembershipRow.account_id)
                .where(AccountRow.openid == openid,
                       MembershipRow.enterprise_id == row.enterprise_id))
            if bound is not None:
                return row
        raise NotFound(f"没有找到单据号为{demand_no}的需求。", "not_found")

    def _load(self, session: Session, row: DemandRow) -> Demand:
        enterprise = session.get(EnterpriseRow, row.enterprise_id)
        records = session.scalars(
            select(DemandRecordRow).where(DemandRecordRow.demand_id == row.id)
            .order_by(DemandRecordRow.at, DemandRecordRow.id))
        return self._demand(row, enterprise.name if enterprise else "", tuple(
            DemandRecord(at=r.at, node=r.node, action=r.action, from_status=r.from_status,
                         to_status=r.to_status, handler=r.handler, organisation=r.organisation,
                         role=r.role, phone=r.phone, comment=r.comment) for r in records))

    def _demand(self, row: DemandRow, enterprise_name: str,
                records: tuple[DemandRecord, ...]) -> Demand:
        return Demand(
            no=row.no, enterprise_id=row.enterprise_id, enterprise_name=enterprise_name,
            status=row.status, zone=row.zone, amount=Decimal(row.amount),
            term_months=row.term_months, loan_kind=row.loan_kind, directed=row.directed,
            institutions=tuple(json.loads(row.institutions or "[]")), purpose=row.purpose,
            created_at=row.created_at, submitted_at=row.submitted_at,
            updated_at=row.updated_at, current_node=row.current_node,
            current_handler=row.current_handler,
            granted_amount=_dec(row.granted_amount), disbursed_amount=_dec(row.disbursed_amount),
            records=records)

    def _case(self, row: DemandRow) -> DemandCase:
        holder = ""
        if row.taken_by:
            try:
                holder = tidy(self.catalog.institution(row.taken_by).name)
            except KeyError:
                holder = row.taken_by
        return DemandCase(state=row.status, directed=row.directed,
                          chosen=tuple(json.loads(row.institutions or "[]")),
                          taken_by=row.taken_by, taken_by_name=holder,
                          granted=_dec(row.granted_amount))

    def _require_certified(self, session: Session, account: AccountRow,
                           membership: MembershipRow) -> None:
        person = session.get(PersonCertRow, account.id)
        if person is None or membership.certified_at is None \
                or membership.authorised_at is None:
            raise PlatformError("企业还没有完成认证授权，暂时不能提交需求。", "not_certified")

    def _next_no(self, session: Session, now: datetime) -> str:
        day = now.astimezone(CHINA).strftime("%Y%m%d")
        prefix = NO_PREFIX + day
        if session.get_bind().dialect.name == "postgresql":
            # Numbers of one day are handed out one transaction at a time (held until
            # commit), so concurrent submits never race for the same 单据号.
            session.execute(text("SELECT pg_advisory_xact_lock(:ns, :day)"),
                            {"ns": _NO_LOCK, "day": int(day)})
        last = session.scalar(select(func.max(DemandRow.no))
                              .where(DemandRow.no.like(prefix + "%")))
        sequence = int(last[len(prefix):]) + 1 if last else 1
        # Fixed width keeps max() right: with 4 digits the 10,000th demand of a day
        # sorted below the 9,999th and collided with it.
        return f"{prefix}{sequence:06d}"

    def _audience(self, chosen: Sequence[CatalogInstitution], region: str) -> str:
        if not chosen:
            return f"{region}的入驻金融机构"
        names = "、".join(tidy(i.name) for i in chosen)
        return names if len(names) <= 60 else f"{tidy(chosen[0].name)}等{len(chosen)}家"

    def _enterprise_who(self, account: AccountRow, enterprise: EnterpriseRow) -> Who:
        phone = self.cipher.decrypt(account.phone_enc)
        masked = phone[:3] + "*" * (len(phone) - 7) + phone[-4:] if len(phone) > 7 else ""
        return Who(account.legal_name, enterprise.name, "企业", masked)


def _dec(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def run_move(case: DemandCase, action: str, actor: Actor, **values: Any) -> MoveOutcome:
    """The lifecycle's move, its refusal told in the platform port's terms."""
    try:
        return LIFECYCLE.move(case, action, actor, **values)
    except MoveRefused as exc:
        raise IllegalMove(exc.message, exc.code) from None
