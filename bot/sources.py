"""Where followers come from: the QR scene (a county's or bank branch's permanent
channel code) a user followed or scanned through, kept per user and scene."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from adapters.database import PhaseRunner
from bot.models import FollowerSource

MAX_SCENE = 64  # WeChat's scene_str is 1-64 characters


class FollowerSources:
    """Where followers came from: the QR scenes each user followed or scanned through,
    each kept once per user and scene."""

    def __init__(self, runner: PhaseRunner) -> None:
        self._runner = runner
        dialect = postgresql if runner.engine.dialect.name == "postgresql" else sqlite
        # The first time per user and scene counts; a second scan changes nothing.
        self._insert = dialect.insert(FollowerSource.__table__).on_conflict_do_nothing(
            index_elements=["openid", "scene"])

    async def record(self, openid: str, scene: str, event: str, now: datetime) -> None:
        """Remember that `openid` came through `scene` (the first time per user and scene only;
        an empty or overlong scene is ignored)."""
        if not scene or len(scene) > MAX_SCENE:
            return
        await self._runner.run(self._write, openid, scene, event, now, write=True)

    def _write(self, conn: Connection, openid: str, scene: str, event: str,
               now: datetime) -> None:
        conn.execute(self._insert, {"openid": openid, "scene": scene, "event": event,
                                    "first_at": now})
