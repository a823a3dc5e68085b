"""Questions the FAQ could not answer, counted for the operators."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.models import UnansweredQuestion
from dialogs.masking import mask_text

MAX_LEN = 200


class FaqLog:
    """The questions we could not answer outright, counted per (masked) question for the
    operators (`python -m bot faq unanswered`)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def record(self, question: str, now: datetime) -> None:
        """Count one occurrence of `question`, masked first (ID numbers and phones never stored);
        an empty question is ignored."""
        # Users paste ID numbers and phones into questions too; never keep them in clear.
        text = mask_text(question.strip())[:MAX_LEN]
        if not text:
            return
        for _ in range(2):  # a concurrent first insert of the same question: count it instead
            async with self._sessions.begin() as session:
                done = await session.execute(
                    update(UnansweredQuestion).where(UnansweredQuestion.question == text)
                    .values(count=UnansweredQuestion.count + 1, last_at=now))
                if done.rowcount:  # type: ignore[attr-defined]
                    return
                try:
                    async with session.begin_nested():
                        session.add(UnansweredQuestion(question=text, count=1, first_at=now,
                                                       last_at=now))
                    return
                except IntegrityError:
                    continue

    async def top(self, limit: int = 50) -> list[tuple[str, int, datetime]]:
        """The most asked unanswered questions: (question, count, last asked), most first."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(UnansweredQuestion.question, UnansweredQuestion.count,
                       UnansweredQuestion.last_at)
                .order_by(UnansweredQuestion.count.desc(), UnansweredQuestion.last_at.desc())
                .limit(limit))
            return [(q, c, t) for q, c, t in rows]
