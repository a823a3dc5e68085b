"""Replay memory for /wechat: a captured signed request cannot carry another body.

In plain mode WeChat's `signature` covers only token, timestamp and nonce, never the
body: within the freshness window a captured query string would sign anything. Every
accepted request's (timestamp, nonce, signature) is remembered with a hash of its body,
in the database so all server processes share it:

- first time: go on;
- same triple, same body: WeChat's own retry, which must get the same reply (the
  delivery dedupe finds it);
- same triple, another body: a replay, 403.

Two real deliveries that happen to share a timestamp and nonce cannot be told from a
replay; WeChat's nonces are random ~10-digit numbers, so it takes thousands of
deliveries a second to meet one. Rows live for the window; housekeeping purges them.

Cost: remembering is one INSERT on the hot path. It runs on the connection that holds
the user's lock (autocommit on PostgreSQL, one round trip) rather than in a transaction
of its own, which cost 1.7 ms of CPU per message (bench/journey.py: 341 -> 213 msg/s).
In safe mode nothing is remembered at all: another body fails msg_signature before
this is reached, and the same body again is WeChat's retry, which the delivery dedupe
answers, so the memory could never say REPLAY there.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.database import PhaseRunner
from adapters.raw_sql import SQLITE, Prepared
from adapters.sqltypes import utcnow
from bot.models import SeenRequest

WINDOW = 600  # seconds: WeChat's signatures are honoured this long (signature_max_age)

_T = SeenRequest.__table__
_SELECT = select(_T.c.body_hash, _T.c.seen_at).where(_T.c.key == bindparam("key"))
_RENEW = update(_T).where(_T.c.key == bindparam("w_key"))


class Seen(Enum):
    """What the replay memory says of a signed request."""

    FIRST = "first"
    RETRY = "retry"  # the same request again: WeChat retrying after no answer
    REPLAY = "replay"  # the same signature over another body


def request_key(query: dict[str, str]) -> str:
    parts = [query.get("timestamp", ""), query.get("nonce", ""),
             query.get("signature", "").lower()]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class Seal:
    """What identifies one signed request: its (timestamp, nonce, signature) and body."""

    key: str
    body_hash: str

    @classmethod
    def of(cls, query: dict[str, str], body: bytes) -> Seal:
        """The seal of a request: its signed query and the SHA-256 of its body."""
        return cls(request_key(query), hashlib.sha256(body).hexdigest())


class ReplayGuard:
    """The replay memory (this module's docstring): `remember` says whether a signed request
    is new, WeChat's retry, or a replay with another body."""

    def __init__(self, runner: PhaseRunner, window: int = WINDOW,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self._runner = runner
        self.window = timedelta(seconds=window or WINDOW)
        self._clock = clock
        dialect = postgresql if runner.engine.dialect.name == "postgresql" else sqlite
        # Built once so SQLAlchemy finds the compiled statement in its cache.
        self._insert = dialect.insert(_T).on_conflict_do_nothing(index_elements=["key"])
        # SQLite: the usual case straight on the phase's sqlite3 connection (adapters/raw_sql.py).
        self._raw = (Prepared(self._insert, SQLITE, ["key", "body_hash", "seen_at"])
                     if dialect is sqlite else None)

    async def remember(self, seal: Seal, conn: AsyncConnection | None = None) -> Seen:
        """`conn`: the user's lock connection (PostgreSQL), where the usual case, one
        INSERT, is atomic on its own; else a transaction of its own."""
        return await self._runner.run(self._remember, seal.key, seal.body_hash, self._clock(),
                                      write=conn is None, conn=conn)

    def remembering(self, seal: Seal) -> Remembering:
        """`remember` as a phase to run on the caller's hop (ConversationStore.begin_after),
        on the same connection and with the same effect."""
        return Remembering(self, seal, self._clock())

    def _remember(self, conn: Connection, key: str, body_hash: str, now: datetime) -> Seen:
        # The usual case is one statement: the insert lands.
        params = {"key": key, "body_hash": body_hash, "seen_at": now}
        if self._raw is not None and conn.dialect.name == "sqlite":
            landed = self._raw.run(conn, params).rowcount == 1
        else:
            landed = conn.execute(self._insert, params).rowcount == 1
        if landed:
            return Seen.FIRST
        row = conn.execute(_SELECT, {"key": key}).one_or_none()
        if row is None:  # purged between the two statements
            conn.execute(self._insert, {"key": key, "body_hash": body_hash, "seen_at": now})
            return Seen.FIRST
        if row.seen_at < now - self.window:  # remembered beyond its window (no freshness)
            conn.execute(_RENEW, {"w_key": key, "body_hash": body_hash, "seen_at": now})
            return Seen.FIRST
        return Seen.RETRY if row.body_hash == body_hash else Seen.REPLAY


@dataclass(frozen=True)
class Remembering:
    """One request to remember, as a phase of a sync connection (`ReplayGuard.remembering`).
    Its fields let PostgreSQL's store fold the usual case, the INSERT landing, into the
    step's read (bot/store_pg.py); any other case runs this phase."""

    guard: ReplayGuard
    seal: Seal
    at: datetime

    def __call__(self, conn: Connection) -> Seen:
        return self.guard._remember(conn, self.seal.key, self.seal.body_hash, self.at)
