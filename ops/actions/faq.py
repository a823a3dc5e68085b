"""FAQ operator actions: what /faq/unanswered in the console and `python -m bot faq …`
both call.

    actions = FaqActions.for_runtime(runtime)        # inside a server process
    groups = await actions.unanswered()
    edit = await actions.add_phrasing("q1_sms_code", groups[0].question, actor="王芳",
                                      covers=groups[0].question_ids)

Edits are stored in `faq_edits` with who and when; faq.yaml stays the base and the stored
edits are an overlay on it (knowledge/overlay.py). Before anything is stored, faq.yaml
plus every stored edit plus the new one goes through the very checks of `faq check`
(knowledge/loader.py); a refused edit raises FaqEditRefused with the Chinese reason and
stores nothing. A stored edit reaches the calling process at once and every other server
process at its next poll (bot/faq_overlay.py). The unanswered questions an edit covers
(the new FAQ answers them outright with that entry, or the operator named them) are marked
handled and not listed again.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.masking import mask_text
from adapters.sqltypes import utcnow
from bot.faq_overlay import FaqOverlay, build_matcher, stored_changes
from bot.models import FaqEditRow, UnansweredQuestion
from knowledge.loader import read_knowledge
from knowledge.matcher import FaqMatcher
from knowledge.overlay import ADD_PHRASING, NEW_ENTRY, FaqChange
from ops.actions import audit
from ops.actions.audit import CLI_ADDRESS
from ops.actions.faq_groups import AskedQuestion, Guess, UnansweredGroup, group_questions
from ops.actions.faq_reasons import reason
from wiring.runtime import Runtime

__all__ = ["AskedQuestion", "FaqActions", "FaqEdit", "FaqEditRefused", "Guess",
           "UnansweredGroup"]

DISMISS = "dismiss"
ACTION_NAMES = {ADD_PHRASING: "加说法", NEW_ENTRY: "新条目", DISMISS: "忽略"}
MAX_TEXT, MAX_ACTOR = 200, 40
# Grouping and coverage look at this many of the most asked open questions.
MAX_ROWS = 1000
_OWN_ID = re.compile(r"^op_(\d+)$")


class FaqEditRefused(ValueError):
    """An edit that was not stored; str() is the Chinese reason to show the operator."""


@dataclass(frozen=True)
class FaqEdit:
    """One stored operator action, for the history and as an action's result."""

    id: int
    at: datetime
    actor: str
    action: str  # add_phrasing, new_entry or dismiss
    entry_id: str | None
    text: str  # the phrasing, the new entry's question, or the dismissed group's question
    answer: str | None
    variants: tuple[str, ...]
    covered: int  # unanswered questions it marked handled
    version: int | None  # overlay version (None: a dismissal changes no knowledge)

    @property
    def action_name(self) -> str:
        """The action in the operators' words."""
        return ACTION_NAMES.get(self.action, self.action)


class FaqActions:
    """The FAQ operator actions over one database.

    `matcher` returns the serving matcher (a server process passes its ports'); without
    one, grouping builds its own from faq.yaml plus the stored edits. `overlay` is the
    calling process's FaqOverlay: given, an edit is applied there before returning.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *,
                 knowledge_dir: Any = None, clock: Callable[[], datetime] = utcnow,
                 overlay: FaqOverlay | None = None,
                 matcher: Callable[[], Any] | None = None) -> None:
        self._sessions = sessions
        self._dir = knowledge_dir
        self._clock = clock
        self._overlay = overlay
        self._serving = matcher
        self._own: tuple[int, Any] | None = None  # (version, matcher) built here

    @classmethod
    def for_runtime(cls, runtime: Runtime) -> FaqActions:
        """The actions wired to a server process's Runtime (wiring/runtime.py): its database,
        clock, serving matcher and overlay, so an edit is live there at once."""
        return cls(runtime.sessions, knowledge_dir=runtime.settings.knowledge_dir,
                   clock=runtime.bot.clock, overlay=runtime.faq_overlay,
                   matcher=lambda: runtime.ports.faq)

    async def unanswered(self, limit: int = 50) -> list[UnansweredGroup]:
        """Open unanswered questions grouped by similarity, most asked first, each group
        with its count, last asked and the bot's best guess."""
        rows = await self._open_rows()
        matcher = await self.matcher()
        groups = await asyncio.to_thread(group_questions, rows, matcher)
        return groups[:limit]

    async def add_phrasing(self, entry_id: str, text: str, actor: str, *,
                           covers: Sequence[int] = (), address: str = CLI_ADDRESS) -> FaqEdit:
        """Add `text` (masked) as a phrasing of entry `entry_id`. `covers`: unanswered
        question ids to mark handled besides those the entry now answers. `address`:
        where the operator acted from, for the audit line."""
        if not entry_id.strip():
            raise FaqEditRefused("请先选择要加说法的条目")
        phrasing = _text(text, "说法")
        change = FaqChange(ADD_PHRASING, entry_id.strip(), phrasing)
        return await self._store(lambda _ids: change, _actor(actor), covers, address)

    async def new_entry(self, question: str, answer: str, phrasings: Sequence[str],
                        actor: str, *, entry_id: str | None = None,
                        covers: Sequence[int] = (), address: str = CLI_ADDRESS) -> FaqEdit:
        """Start a new entry: its question and phrasings (masked) and answer. The id is
        `entry_id`, or the next free op_N."""
        head = _text(question, "问题")
        variants = tuple(_text(p, "说法") for p in phrasings if p.strip())
        if not answer.strip():
            raise FaqEditRefused("答案不能为空")

        def _change(ids: set[str]) -> FaqChange:
            chosen = entry_id.strip() if entry_id else _next_id(ids)
            return FaqChange(NEW_ENTRY, chosen, head, answer.strip(), variants)

        return await self._store(_change, _actor(actor), covers, address)

    async def dismiss(self, group_id: int, actor: str, *,
                      address: str = CLI_ADDRESS) -> FaqEdit:
        """Dismiss the group holding unanswered question `group_id` (not an FAQ matter):
        its questions are not listed again. The FAQ itself does not change."""
        who = _actor(actor)
        group = next((g for g in await self.unanswered(limit=MAX_ROWS)
                      if group_id in g.question_ids), None)
        if group is None:
            raise FaqEditRefused(f"没有待处理的未答问题 {group_id}（可能已处理过）")
        async with self._sessions.begin() as session:
            row = FaqEditRow(version=None, at=self._clock(), actor=who, action=DISMISS,
                             entry_id=None, text=group.question, answer=None, variants=None,
                             covered=0)
            session.add(row)
            await session.flush()
            row.covered = await _mark_handled(session, group.question_ids, row)
            await _audit(session, row, address)
        return _view(row)

    async def history(self, limit: int = 50) -> list[FaqEdit]:
        """The latest operator actions on the FAQ, newest first, with who and when."""
        async with self._sessions() as session:
            rows = (await session.scalars(
                select(FaqEditRow).order_by(FaqEditRow.id.desc()).limit(limit))).all()
        return [_view(row) for row in rows]

    async def entries(self) -> list[tuple[str, str]]:
        """(id, question) of every entry the FAQ serves now: what a phrasing can join."""
        return [(e.id, e.question) for e in (await self.matcher()).entries]

    async def _store(self, make: Callable[[set[str]], FaqChange], actor: str,
                     covers: Sequence[int], address: str) -> FaqEdit:
        for _ in range(3):  # another operator took the next version first: validate again
            version, changes = await stored_changes(self._sessions)
            before, _ = await asyncio.to_thread(read_knowledge, self._dir, changes)
            change = make({e.id for e in before.entries})
            knowledge, problems = await asyncio.to_thread(read_knowledge, self._dir,
                                                          [*changes, change])
            if problems:
                raise FaqEditRefused(reason(problems[0], change.entry_id))
            matcher = await asyncio.to_thread(FaqMatcher, knowledge)
            covered = await self._covered(matcher, change, covers)
            try:
                async with self._sessions.begin() as session:
                    row = FaqEditRow(version=version + 1, at=self._clock(), actor=actor,
                                     action=change.action, entry_id=change.entry_id,
                                     text=change.text, answer=change.answer or None,
                                     variants=list(change.variants) or None, covered=0)
                    session.add(row)
                    await session.flush()
                    row.covered = await _mark_handled(session, covered, row)
                    await _audit(session, row, address)
            except IntegrityError:
                continue
            self._own = (version + 1, matcher)
            if self._overlay is not None:
                await self._overlay.refresh()
            return _view(row)
        raise FaqEditRefused("刚好有其他人也在改常见问题，请稍后再试一次")

    async def _covered(self, matcher: Any, change: FaqChange,
                       covers: Sequence[int]) -> list[int]:
        def _answered(rows: list[AskedQuestion]) -> list[int]:
            out = []
            for row in rows:
                result = matcher.ask(row.question)
                if row.question == change.text or (
                        result.kind == "answer"
                        and result.candidates[0].entry.id == change.entry_id):
                    out.append(row.id)
            return out

        ids = await asyncio.to_thread(_answered, await self._open_rows())
        return sorted({*ids, *covers})

    async def _open_rows(self) -> list[AskedQuestion]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(UnansweredQuestion).where(UnansweredQuestion.handled_at.is_(None))
                .order_by(UnansweredQuestion.count.desc(), UnansweredQuestion.last_at.desc())
                .limit(MAX_ROWS))
            return [AskedQuestion(r.id, r.question, r.count, r.first_at, r.last_at)
                    for r in rows.scalars()]

    async def matcher(self) -> Any:
        """The FaqMatcher serving now: the process's own, or faq.yaml plus the stored
        edits (rebuilt when they change)."""
        serving = self._serving() if self._serving is not None else None
        if serving is not None:
            return serving
        version, changes = await stored_changes(self._sessions)
        if self._own is None or self._own[0] != version:
            self._own = (version, await asyncio.to_thread(build_matcher, self._dir, changes))
        return self._own[1]


AUDIT_ACTIONS = {ADD_PHRASING: "faq_phrasing", NEW_ENTRY: "faq_new", DISMISS: "faq_dismiss"}


async def _audit(session: AsyncSession, row: FaqEditRow, address: str) -> None:
    # In the edit's own transaction: the edit and its audit line land together.
    await audit.add(session, actor=audit.operator_actor(row.actor), address=address,
                    action=AUDIT_ACTIONS[row.action], target=row.entry_id or "",
                    detail=row.text, at=row.at)


async def _mark_handled(session: AsyncSession, ids: Sequence[int], row: FaqEditRow) -> int:
    if not ids:
        return 0
    done = await session.execute(
        update(UnansweredQuestion)
        .where(UnansweredQuestion.id.in_(list(ids)), UnansweredQuestion.handled_at.is_(None))
        .values(handled_at=row.at, handled_edit=row.id))
    return int(done.rowcount or 0)  # type: ignore[attr-defined]


def _text(value: str, what: str) -> str:
    # Phrasings come from users' questions: never store an ID number or phone in clear.
    text = mask_text(value.strip())
    if not text:
        raise FaqEditRefused(f"{what}不能为空")
    if len(text) > MAX_TEXT:
        raise FaqEditRefused(f"{what}太长（{len(text)} 字，最多 {MAX_TEXT}）")
    return text


def _actor(actor: str) -> str:
    who = actor.strip()
    if not who or len(who) > MAX_ACTOR:
        raise FaqEditRefused(f"请写明操作人（1 到 {MAX_ACTOR} 个字）")
    return who


def _next_id(ids: set[str]) -> str:
    numbers = [int(m[1]) for m in map(_OWN_ID.match, ids) if m]
    return f"op_{max(numbers, default=0) + 1}"


def _view(row: FaqEditRow) -> FaqEdit:
    return FaqEdit(row.id, row.at, row.actor, row.action, row.entry_id, row.text, row.answer,
                   tuple(row.variants or ()), row.covered, row.version)
