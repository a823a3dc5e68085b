"""The institution side of the local platform's demands: a bank's follow, grant, disburse
and reject (`demand advance`, the console's 需求 page) and the operators' reads of every
demand. Each move runs through the lifecycle and is written by DemandsMixin's own
`_apply`, in one transaction with its push."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.catalog import expand_words, tidy
from adapters.local_data import Institution as CatalogInstitution
from adapters.platform_local.demand_rules import move_texts
from adapters.platform_local.demands import DemandsMixin, Who, run_move
from adapters.platform_local.models import (
    DemandRow,
    EnterpriseRow,
)
from adapters.platform_port import (
    Demand,
    Move,
    NotFound,
)
from state_machines.demand import (
    INSTITUTION,
    Actor,
)


class InstitutionDemandsMixin(DemandsMixin):
    """Demands as an institution or an operator sees them (local mode only)."""

    async def advance(self, move: Move) -> Demand:
        institution = self.find_institution(move.institution)
        comment, handler_name = move_texts(move.comment, move.handler)
        now = self.clock()

        def work(session: Session) -> Demand:
            row = session.scalar(select(DemandRow).where(DemandRow.no == move.demand_no)
                                 .with_for_update())
            if row is None:
                raise NotFound(f"没有单据号为{move.demand_no}的需求。", "not_found")
            enterprise = session.get(EnterpriseRow, row.enterprise_id)
            if enterprise is None:  # the foreign key rules this out
                raise LookupError(f"demand {move.demand_no} lost its enterprise row")
            serving = {i.id for i in self.catalog.institutions_serving(enterprise.region)}
            name = tidy(institution.name)
            actor = Actor(INSTITUTION, institution.id, name,
                          serves_region=institution.id in serving)
            case = self._case(row)
            outcome = run_move(case, move.action, actor, amount=move.amount,
                                     reason=comment)
            who = Who(handler_name or self._last_handler(session, row, name)
                       or institution.contact_department, name, "金融机构", institution.phone)
            handler = "" if outcome.to_status in ("已放款", "已退回") else \
                f"{who.handler}（{name}）"
            self._apply(session, row, case, outcome, who, now, handler=handler,
                        comment=comment)
            if outcome.rule.push:
                self._queue_push(session, row, enterprise.name, outcome, name, now)
            return self._load(session, row)

        return await self._write(work)

    def find_institution(self, text: str) -> CatalogInstitution:
        """An institution by id, full name or a unique part of its name."""
        text = text.strip()
        for inst in self.catalog.institutions:
            if text in (inst.id, inst.name):
                return inst
        words = [w for group in expand_words(text) for w in group] or [text]
        found = [i for i in self.catalog.institutions
                 if text and any(w in i.name for w in words)]
        if len(found) == 1:
            return found[0]
        if found:
            names = "、".join(i.name for i in found)
            raise NotFound(f"「{text}」对应多家机构：{names}，请写全称或编号。", "ambiguous")
        raise NotFound(f"没有找到金融机构「{text}」。", "not_found")

    async def all_demands(self, status: str | None = None, limit: int = 30) -> list[Demand]:
        """Every enterprise's demands, newest first (operators' `python -m bot demand list`)."""
        query = select(DemandRow, EnterpriseRow.name).join(
            EnterpriseRow, EnterpriseRow.id == DemandRow.enterprise_id)
        if status:
            query = query.where(DemandRow.status == status)

        def work(session: Session) -> list[Demand]:
            rows = session.execute(query.order_by(DemandRow.id.desc()).limit(limit))
            return [self._demand(row, name, ()) for row, name in rows]

        return await self._read(work)

    async def operator_demand(self, demand_no: str) -> Demand:
        def work(session: Session) -> Demand:
            row = session.scalar(select(DemandRow).where(DemandRow.no == demand_no))
            if row is None:
                raise NotFound(f"没有单据号为{demand_no}的需求。", "not_found")
            return self._load(session, row)

        return await self._read(work)

    # --- writing a move ----------------------------------------------------------------
