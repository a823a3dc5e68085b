"""The access token every process shares, and WeChat's rules for replacing it.

The rules are in docs/wechat.md ("Access tokens"). In short: ordinary fetches use
`stable_token` in normal mode, which hands every process the same token. A force refresh
(`force_refresh: true`) invalidates the token at once and WeChat allows 20 of them a day
(Beijing day), at least 30 s apart, per account, so it is spent only after WeChat refused
a token (40001/40014/42001), and is claimed in the database first: of several processes
refused the same token, exactly one forces and the others take its new token. When no
force refresh is allowed now, the call fails with `TokenRefreshDeferred`, which says how
long to wait, instead of asking WeChat again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Date, Integer, String, Text, case, insert, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from adapters.database import Base
from adapters.ports import WeChatApiError
from adapters.sqltypes import UTCDateTime, utcnow

TOKEN_ERRORS = (40001, 40014, 42001)
REFRESH_MARGIN = timedelta(minutes=5)  # normal mode renews this long before expiry
FORCE_INTERVAL = timedelta(seconds=30)
FORCE_PER_DAY = 20
# WeChat's answer once the day's calls (force refreshes included) are used up.
DAILY_QUOTA = 45009
BEIJING = timezone(timedelta(hours=8))  # WeChat's daily quotas reset at Beijing midnight
PEER_POLL = 0.1

Fetch = Callable[[bool], Awaitable[dict[str, Any]]]


class AccessToken(Base):
    """The token shared by every process, and the force refreshes spent on it."""

    __tablename__ = "wechat_tokens"

    appid: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    forced_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    force_day: Mapped[date | None] = mapped_column(Date, nullable=True)
    force_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class TokenRefreshDeferred(WeChatApiError):
    """WeChat refused the token and no force refresh is allowed yet: try again after
    `retry_after` seconds (never a reason to give up on what was being sent)."""

    def __init__(self, errcode: int | None, errmsg: str, retry_after: float) -> None:
        super().__init__(errcode, errmsg)
        self.retry_after = max(1.0, retry_after)


def beijing_day(now: datetime) -> date:
    return now.astimezone(BEIJING).date()


def until_next_day(now: datetime) -> float:
    local = now.astimezone(BEIJING)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), BEIJING)
    return (midnight - local).total_seconds()


class TokenKeeper:
    """Hands out the account's access token, shared by every process through the database,
    and replaces a refused one by WeChat's rules (docs/wechat.md, "Access tokens"); raises
    TokenRefreshDeferred when no force refresh is allowed yet."""

    def __init__(self, appid: str, sessions: async_sessionmaker[AsyncSession], fetch: Fetch,
                 *, clock: Callable[[], datetime] = utcnow, peer_wait: float = 6.0) -> None:
        self.appid = appid
        self._sessions = sessions
        self._fetch = fetch
        self._clock = clock
        self._peer_wait = peer_wait  # how long a peer's force refresh may take to land
        self._lock = asyncio.Lock()
        self._memo: tuple[str, datetime] | None = None
        self._forced: str | None = None  # the token this process's last force refresh got
        self.fetches = 0

    def _fresh(self, expires_at: datetime) -> bool:
        return expires_at - REFRESH_MARGIN > self._clock()

    async def token(self, stale: str | None = None, refused: int = 40001) -> str:
        """A valid token: this process's copy, else the shared one, else a normal-mode
        fetch. `stale` is one WeChat just refused: replace it (force refresh) unless
        another process already has."""
        memo = self._memo
        if stale is None and memo is not None and self._fresh(memo[1]):
            return memo[0]
        async with self._lock:
            row = await self._row()
            if row is not None and row.token != stale and self._fresh(row.expires_at):
                return self._remember(row)
            if stale is None or row is None or row.token != stale \
                    or not self._fresh(row.expires_at):
                return await self._normal()
            return await self._replace(stale, refused)

    async def _row(self) -> AccessToken | None:
        async with self._sessions() as session:
            return await session.get(AccessToken, self.appid)

    def _remember(self, row: AccessToken) -> str:
        self._memo = (row.token, row.expires_at)
        return row.token

    def _expiry(self, data: dict[str, Any]) -> datetime:
        return self._clock() + timedelta(seconds=int(data.get("expires_in", 7200)))

    async def _normal(self) -> str:
        """Normal mode: WeChat hands every caller the same token, so no claim is needed;
        only a row that still needs it is overwritten (a peer's force refresh may have
        landed meanwhile, and its token must win over the one it just invalidated)."""
        data = await self._fetch(False)
        self.fetches += 1
        token, expires = str(data["access_token"]), self._expiry(data)
        async with self._sessions.begin() as session:
            done = await session.execute(
                update(AccessToken)
                .where(AccessToken.appid == self.appid,
                       AccessToken.expires_at <= self._clock() + REFRESH_MARGIN)
                .values(token=token, expires_at=expires))
            row = None if done.rowcount else await session.get(  # type: ignore[attr-defined]
                AccessToken, self.appid)
            if row is not None:
                return self._remember(row)
            stored = bool(done.rowcount)  # type: ignore[attr-defined]
        if not stored:
            try:
                async with self._sessions.begin() as session:
                    await session.execute(insert(AccessToken).values(
                        appid=self.appid, token=token, expires_at=expires, force_count=0))
            except IntegrityError:  # another process's first fetch won the insert
                row = await self._row()
                if row is not None:
                    return self._remember(row)
        self._memo = (token, expires)
        return token

    async def _claim(self, stale: str) -> bool:
        """Take today's next force refresh for `stale`, if it is still the shared token
        and WeChat would allow one now; committed before WeChat is asked, so it counts
        even if the answer is lost, as it does at WeChat."""
        now = self._clock()
        day = beijing_day(now)
        t = AccessToken
        async with self._sessions.begin() as session:
            done = await session.execute(
                update(t)
                .where(t.appid == self.appid, t.token == stale,
                       or_(t.forced_at.is_(None), t.forced_at <= now - FORCE_INTERVAL),
                       or_(t.force_day.is_(None), t.force_day != day,
                           t.force_count < FORCE_PER_DAY))
                .values(forced_at=now, force_day=day,
                        force_count=case((t.force_day == day, t.force_count + 1), else_=1)))
            return bool(done.rowcount)  # type: ignore[attr-defined]

    async def _replace(self, stale: str, refused: int) -> str:
        if await self._claim(stale):
            return await self._force(refused)
        row = await self._wait_for_peer(stale)
        if row is None:
            return await self._normal()
        if row.token != stale:
            return self._remember(row) if self._fresh(row.expires_at) else await self._normal()
        self._memo = None
        now = self._clock()
        if row.force_day == beijing_day(now) and row.force_count >= FORCE_PER_DAY:
            raise TokenRefreshDeferred(
                refused, f"access token refused; today's {FORCE_PER_DAY} force refreshes are "
                "used up", until_next_day(now))
        last = row.forced_at or now
        raise TokenRefreshDeferred(
            refused, "access token refused; the last force refresh was under 30 s ago",
            (last + FORCE_INTERVAL - now).total_seconds())

    async def _wait_for_peer(self, stale: str) -> AccessToken | None:
        """A claim made just now by another process: its new token is on the way."""
        if stale == self._forced:  # refused although we just forced it: nothing to wait for
            return await self._row()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._peer_wait
        while True:
            row = await self._row()
            if row is None or row.token != stale or row.forced_at is None:
                return row
            in_flight = self._clock() - row.forced_at < timedelta(seconds=self._peer_wait)
            if not in_flight or loop.time() >= deadline:
                return row
            await asyncio.sleep(PEER_POLL)

    async def _force(self, refused: int) -> str:
        try:
            data = await self._fetch(True)
        except WeChatApiError as exc:
            self._memo = None
            now = self._clock()
            if exc.errcode == DAILY_QUOTA:  # WeChat counts more than we do: trust it
                async with self._sessions.begin() as session:
                    await session.execute(
                        update(AccessToken).where(AccessToken.appid == self.appid)
                        .values(force_day=beijing_day(now), force_count=FORCE_PER_DAY))
                raise TokenRefreshDeferred(
                    refused, f"force refresh refused: {exc}", until_next_day(now)) from None
            raise TokenRefreshDeferred(
                refused, f"force refresh failed: {exc}", FORCE_INTERVAL.total_seconds()) from None
        self.fetches += 1
        token, expires = str(data["access_token"]), self._expiry(data)
        async with self._sessions.begin() as session:
            await session.execute(
                update(AccessToken).where(AccessToken.appid == self.appid)
                .values(token=token, expires_at=expires))
        self._memo = (token, expires)
        self._forced = token
        return token
