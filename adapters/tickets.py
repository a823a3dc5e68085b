"""The ticket desk: tickets (工单) in our own database, for dialogs and operators.

Statuses change only through `state_machines.ticket.LIFECYCLE`; each move is written
with its event row (who, when, the message to the user) and, for an operator's move,
the outbox row that tells the user, in one transaction. A user sees only their own
tickets; a number that is someone else's reads as not found. Numbers are
GD + the Beijing date + a 6-digit sequence of the day (GD20261201000001).
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from adapters import audit
from adapters.crypto import DataCipher
from adapters.database import PhaseRunner
from adapters.masking import mask_text
from adapters.outbox import OutboxItem, enqueue_sync
from adapters.session_phases import SessionPhases
from adapters.ticket_models import TicketEventRow, TicketMediaRow, TicketRow
from adapters.ticket_port import Ticket, TicketError, TicketEvent, TicketImage
from state_machines.ticket import (
    DRAFT,
    DROPPED,
    LIFECYCLE,
    OPEN,
    OPERATOR,
    RESOLVED,
    USER,
    IllegalTicketMove,
    TicketCase,
)

BEIJING = timezone(timedelta(hours=8))
PREFIX = "GD"
_TRIES = 8
USER_NAME = "用户"


class TicketStore(SessionPhases):
    """Tickets for the dialogs (the user's side) and for ops/actions (the operators')."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], cipher: DataCipher,
                 clock: Callable[[], datetime], runner: PhaseRunner | None = None,
                 on_image: Callable[[], None] | None = None,
                 on_outbox: Callable[[], None] | None = None) -> None:
        self.sessions = sessions
        self.cipher = cipher
        self.clock = clock
        self.on_image = on_image  # wakes the media worker
        self.on_outbox = on_outbox  # wakes the push worker
        self._use_runner(sessions, runner)

    # --- the user's side -----------------------------------------------------------------
    async def draft(self, openid: str, kind: str, *, idem_key: str, title: str = "",
                    details: dict[str, Any] | None = None) -> Ticket:
        """A new ticket in 待补充 (a retried step gets the same one back)."""
        for attempt in range(_TRIES):
            try:
                return await self._write(lambda s: self._draft(s, openid, kind, idem_key,
                                                               title, details))
            except IntegrityError:  # the day's next number taken meanwhile
                if attempt == _TRIES - 1:
                    raise TicketError("提交的人有点多，请稍后再试一次。", "busy") from None
                await asyncio.sleep(random.uniform(0, 0.02 * (attempt + 1)))
        raise AssertionError("unreachable")

    def _draft(self, session: Session, openid: str, kind: str, idem_key: str, title: str,
               details: dict[str, Any] | None) -> Ticket:
        done = session.scalar(select(TicketRow).where(TicketRow.idem_key == idem_key))
        if done is not None:
            return self._load(session, done)
        now = self.clock()
        row = TicketRow(no=self._next_no(session, now), openid=openid, kind=kind,
                        status=DRAFT, title=mask_text(title)[:60], description="",
                        last_reply="", idem_key=idem_key, created_at=now, updated_at=now,
                        details_enc=self.cipher.encrypt(json.dumps(details, ensure_ascii=False))
                        if details else None)
        session.add(row)
        session.flush()
        session.add(TicketEventRow(ticket_id=row.id, openid=openid, action="draft",
                                   from_status="", to_status=DRAFT, actor=USER_NAME,
                                   message="", at=now))
        return self._load(session, row)

    async def attach(self, openid: str, no: str, media_id: str, role: str,
                     idem_key: str) -> Ticket:
        """Queue an image for download into the user's own open ticket."""
        def work(session: Session) -> Ticket:
            row = self._own(session, openid, no)
            done = session.scalar(select(TicketMediaRow)
                                  .where(TicketMediaRow.idem_key == idem_key))
            if done is None:
                if row.status not in (DRAFT, OPEN):
                    raise TicketError(f"工单{no}已{row.status}，不能再补充图片。", "closed")
                if not media_id or len(media_id) > 256:
                    raise TicketError("这张图片无法读取，请重新发送。", "bad_media")
                now = self.clock()
                session.add(TicketMediaRow(ticket_id=row.id, openid=openid, role=role,
                                           media_id=media_id, status="pending", mime="",
                                           size=0, attempts=0, next_attempt_at=now,
                                           idem_key=idem_key, created_at=now))
                row.updated_at = now
                session.flush()
            return self._load(session, row)

        ticket = await self._write(work)
        if self.on_image is not None:
            self.on_image()
        return ticket

    async def submit(self, openid: str, no: str, description: str = "", *,
                     details: dict[str, Any] | None = None) -> Ticket:
        """File the drafted ticket (待补充 -> 待处理); filing it again changes nothing."""
        def work(session: Session) -> Ticket:
            row = self._own(session, openid, no, lock=True)
            if row.status == OPEN:
                return self._load(session, row)
            needs = row.kind == "q3"
            licences = session.scalar(
                select(func.count()).select_from(TicketMediaRow)
                .where(TicketMediaRow.ticket_id == row.id, TicketMediaRow.role == "licence",
                       TicketMediaRow.status.in_(("pending", "stored")))) or 0
            case = TicketCase(row.status, attachments=int(licences), needs_attachment=needs)
            if description:
                row.description = mask_text(description.strip())[:500]
            if details:
                row.details_enc = self.cipher.encrypt(json.dumps(details, ensure_ascii=False))
            self._move(session, row, case, "submit", USER, USER_NAME, "")
            return self._load(session, row)

        return await self._write(work)

    async def drop(self, openid: str, no: str) -> None:
        """The user gave up on a draft: it is withdrawn and its images go."""
        def work(session: Session) -> None:
            row = self._own(session, openid, no, lock=True)
            if row.status != DRAFT:
                return
            self._move(session, row, TicketCase(row.status), "drop", USER, USER_NAME, "")
            for media in session.scalars(select(TicketMediaRow)
                                         .where(TicketMediaRow.ticket_id == row.id)):
                session.delete(media)

        await self._write(work)

    async def mine(self, openid: str, limit: int = 5) -> list[Ticket]:
        """The user's tickets, newest first (withdrawn drafts left out)."""
        def work(session: Session) -> list[Ticket]:
            rows = session.scalars(select(TicketRow)
                                   .where(TicketRow.openid == openid,
                                          TicketRow.status != DROPPED)
                                   .order_by(TicketRow.id.desc()).limit(limit))
            return [self._load(session, r) for r in rows]

        return await self._read(work)

    async def get(self, openid: str, no: str) -> Ticket | None:
        """The user's own ticket by number, or None."""
        def work(session: Session) -> Ticket | None:
            row = session.scalar(select(TicketRow).where(TicketRow.no == no.upper(),
                                                         TicketRow.openid == openid))
            return None if row is None else self._load(session, row)

        return await self._read(work)

    # --- the operators' side ---------------------------------------------------------
    async def listing(self, status: str | None = None, limit: int = 50) -> list[Ticket]:
        """Tickets for the operators, oldest waiting first; drafts only when asked."""
        def work(session: Session) -> list[Ticket]:
            query = select(TicketRow)
            if status:
                query = query.where(TicketRow.status == status)
            else:
                query = query.where(TicketRow.status.not_in((DRAFT, DROPPED)))
            rows = session.scalars(query.order_by(TicketRow.updated_at).limit(limit))
            return [self._load(session, r, events=False) for r in rows]

        return await self._read(work)

    async def find(self, no: str) -> Ticket | None:
        """Any ticket by number (operators)."""
        def work(session: Session) -> Ticket | None:
            row = session.scalar(select(TicketRow).where(TicketRow.no == no.strip().upper()))
            return None if row is None else self._load(session, row)

        return await self._read(work)

    async def operate(self, no: str, action: str, by: str, reply: str,
                      tell: str | None, address: str = "cli") -> Ticket:
        """An operator's move; `tell` (the message to the user) goes into the outbox and
        the audit line into the log in the same transaction, so the user hears of every
        move that happened, once, and every move is on /audit."""
        def work(session: Session) -> Ticket:
            row = session.scalar(select(TicketRow).where(TicketRow.no == no.strip().upper())
                                 .with_for_update())
            if row is None:
                raise TicketError(f"没有编号为{no.strip().upper()}的工单。", "not_found")
            self._move(session, row, TicketCase(row.status), action, OPERATOR, by, reply)
            self._audit(session, row, by, f"ticket_{action}", address, row.no)
            if tell:  # a push: the "ticket" template when configured, else this text
                payload = {"event": "ticket", "ticket_no": row.no, "status": row.status,
                           "reason": reply, "time": _minute(self.clock()), "text": tell}
                enqueue_sync(session, [OutboxItem(row.openid, "push", payload,
                                                  dedupe_key=f"ticket:{row.no}:{action}")],
                             self.clock())
            return self._load(session, row)

        ticket = await self._write(work)
        if tell and self.on_outbox is not None:
            self.on_outbox()
        return ticket

    async def note(self, no: str, by: str, action: str, address: str, detail: str) -> None:
        """An audit line about a ticket: an operator saw its ID number and phone whole
        (ticket_reveal) or one of its images (ticket_image)."""
        def work(session: Session) -> None:
            row = session.scalar(select(TicketRow).where(TicketRow.no == no.strip().upper()))
            if row is not None:
                self._audit(session, row, by, action, address, detail)

        await self._write(work)

    def _audit(self, session: Session, row: TicketRow, by: str, action: str, address: str,
               detail: str) -> None:
        # The user is named by the keyed hash only (adapters/audit.py).
        audit.append(session.connection(), at=self.clock(), actor=f"operator:{by}",
                     action=action, detail=detail, address=address,
                     subject=audit.subject(self.cipher, "openid", row.openid))

    async def image(self, no: str, index: int) -> tuple[TicketImage, bytes] | None:
        """The decrypted content of a ticket's `index`-th image (1-based), if stored."""
        def work(session: Session) -> tuple[TicketImage, bytes] | None:
            row = session.scalar(select(TicketRow).where(TicketRow.no == no.strip().upper()))
            if row is None:
                return None
            media = list(session.scalars(select(TicketMediaRow)
                                         .where(TicketMediaRow.ticket_id == row.id)
                                         .order_by(TicketMediaRow.id)))
            if not 0 < index <= len(media) or media[index - 1].content_enc is None:
                return None
            chosen = media[index - 1]
            return _image(chosen), self.cipher.decrypt_bytes(chosen.content_enc or b"")

        return await self._read(work)

    async def synced(self, company: str, uscc: str, legal_rep: str,
                     legal_rep_id: str) -> bool:
        """Whether an operator resolved a Q3 ticket for exactly these four factors: the
        local (demo) verifier then treats the registry as synced (adapters/verify.py)."""
        wanted = {"company": company, "uscc": uscc.upper(), "legal_rep": legal_rep,
                  "legal_rep_id": legal_rep_id.upper()}

        def work(session: Session) -> bool:
            rows = session.scalars(select(TicketRow.details_enc)
                                   .where(TicketRow.kind == "q3", TicketRow.status == RESOLVED))
            for sealed in rows:
                facts = json.loads(self.cipher.decrypt(sealed)) if sealed else {}
                if all(str(facts.get(k, "")).upper() == v.upper() for k, v in wanted.items()):
                    return True
            return False

        return await self._read(work)

    # --- mechanics -------------------------------------------------------------------
    def _move(self, session: Session, row: TicketRow, case: TicketCase, action: str,
              actor: str, by: str, reply: str) -> None:
        outcome = LIFECYCLE.move(case, action, actor, reply)
        now = self.clock()
        row.status, row.updated_at = outcome.to_status, now
        if outcome.reply:
            row.last_reply = outcome.reply
        session.add(TicketEventRow(ticket_id=row.id, openid=row.openid, action=action,
                                   from_status=outcome.from_status,
                                   to_status=outcome.to_status, actor=by[:40],
                                   message=outcome.reply, at=now))
        session.flush()

    def _own(self, session: Session, openid: str, no: str, *, lock: bool = False) -> TicketRow:
        query = select(TicketRow).where(TicketRow.no == no, TicketRow.openid == openid)
        row = session.scalar(query.with_for_update() if lock else query)
        if row is None:
            raise TicketError(f"没有找到工单{no}。", "not_found")
        return row

    def _next_no(self, session: Session, now: datetime) -> str:
        day = f"{PREFIX}{now.astimezone(BEIJING):%Y%m%d}"
        last = session.scalar(select(func.max(TicketRow.no)).where(TicketRow.no.like(f"{day}%")))
        sequence = int(last[len(day):]) + 1 if last else 1
        return f"{day}{sequence:06d}"

    def _load(self, session: Session, row: TicketRow, *, events: bool = True) -> Ticket:
        media = session.scalars(select(TicketMediaRow).where(TicketMediaRow.ticket_id == row.id)
                                .order_by(TicketMediaRow.id))
        moves: tuple[TicketEvent, ...] = ()
        if events:
            moves = tuple(TicketEvent(e.action, e.from_status, e.to_status, e.actor, e.message,
                                      e.at)
                          for e in session.scalars(select(TicketEventRow)
                                                   .where(TicketEventRow.ticket_id == row.id)
                                                   .order_by(TicketEventRow.id)))
        details = json.loads(self.cipher.decrypt(row.details_enc)) if row.details_enc else {}
        return Ticket(no=row.no, openid=row.openid, kind=row.kind, status=row.status,
                      title=row.title, description=row.description, last_reply=row.last_reply,
                      created_at=row.created_at, updated_at=row.updated_at, details=details,
                      images=tuple(_image(m) for m in media), events=moves)


def _minute(at: datetime) -> str:
    """Beijing time as template time keywords take it (2026-12-01 09:30)."""
    return f"{at.astimezone(BEIJING):%Y-%m-%d %H:%M}"


def _image(row: TicketMediaRow) -> TicketImage:
    return TicketImage(row.id, row.role, row.status, row.mime, row.size, row.last_error or "")


__all__ = ["IllegalTicketMove", "Ticket", "TicketError", "TicketEvent", "TicketImage",
           "TicketStore"]
