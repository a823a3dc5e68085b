"""Replay memory for /wechat: a captured signed request cannot carry another body.

In plain mode WeChat's `signature` covers only token, timestamp and nonce, never the
body: within the freshness window a captured query string would sign anything. Every
accepted request's (timestamp, nonce, signature) is remembered with a hash of its body,
in the database so all server processes share it:

- first time: go on;
- same triple, same body: WeChat's own retry, which must get the same reply (the
  delivery dedupe finds it);
- same triple, another body: a replay, 403.

In safe mode msg_signature covers the ciphertext too, but the memory costs one insert
and closes the door whatever the mode. Rows live for the window; housekeeping purges.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from adapters.database import PhaseRunner
from adapters.sqltypes import utcnow
from bot.models import SeenRequest

WINDOW = 600  # seconds: WeChat's signatures are honoured this long (signature_max_age)

_T = SeenRequest.__table__
_SELECT = select(_T.c.body_hash, _T.c.seen_at).where(_T.c.key == bindparam("key"))
_RENEW = update(_T).where(_T.c.key == bindparam("w_key"))


class Seen(Enum):
    FIRST = "first"
    RETRY = "retry"  # the same request again: WeChat retrying after no answer
    REPLAY = "replay"  # the same signature over another body


def request_key(query: dict[str, str]) -> str:
    parts = (query.get("timestamp", ""), query.get("nonce", ""),
             query.get("signature", "").lower())
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


class ReplayGuard:
    def __init__(self, runner: PhaseRunner, window: int = WINDOW,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self._runner = runner
        self.window = timedelta(seconds=window or WINDOW)
        self._clock = clock
        dialect = postgresql if runner.engine.dialect.name == "postgresql" else sqlite
        # Built once so SQLAlchemy finds the compiled statement in its cache.
        self._insert = dialect.insert(_T).on_conflict_do_nothing(index_elements=["key"])

    async def check(self, query: dict[str, str], body: bytes) -> Seen:
        key = request_key(query)
        body_hash = hashlib.sha256(body).hexdigest()
        now = self._clock()
        return await self._runner.run(self._remember, key, body_hash, now, write=True)

    def _remember(self, conn: Connection, key: str, body_hash: str, now: datetime) -> Seen:
        # The usual case is one statement: the insert lands.
        if conn.execute(self._insert, {"key": key, "body_hash": body_hash,
                                       "seen_at": now}).rowcount == 1:
            return Seen.FIRST
        row = conn.execute(_SELECT, {"key": key}).one_or_none()
        if row is None or row.seen_at < now - self.window:
            # Purged meanwhile, or remembered beyond its window (freshness checks off).
            conn.execute(_RENEW, {"w_key": key, "body_hash": body_hash, "seen_at": now})
            if row is None:
                conn.execute(self._insert, {"key": key, "body_hash": body_hash,
                                            "seen_at": now})
            return Seen.FIRST
        return Seen.RETRY if row.body_hash == body_hash else Seen.REPLAY
