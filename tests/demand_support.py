"""Fixtures for the demand tests: the bot on the local platform or on the http adapter
against the fake platform, each on SQLite and PostgreSQL, and helpers to seed
enterprises and move demands as an institution would.

Import the fixtures into a test module (`from tests.demand_support import env_fixture`):
`env` runs a test in both modes, `local_env` and `http_env` in one.
"""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from adapters.outbox import OutboxRow
from adapters.platform_local.models import MembershipRow
from adapters.platform_port import Demand, Move
from adapters.sqltypes import utcnow
from tests.factories import Seeded, account_row, consent_row, seed_enterprise
from tests.fake_platform import FakePlatform, running_fake_platform
from tests.support import Harness

MakeHarness = Callable[..., Awaitable[Harness]]
DEMAND_NO = re.compile(r"RZ\d{14}")
# The manual's example enterprise is in 玉溪市红塔区: 16 institutions serve it.
WALK_DIRECTED = ("发布需求", "1", "二十万元", "12", "1", "1", "1 2", "采购原材料")
WALK_OPEN = ("发布需求", "1", "50万", "不限", "1", "2", "支付货款")
OTHER_PERSON = {"name": "刘志强", "id": "530402197808190717", "phone": "13577713280"}
OTHER_ENTERPRISE = {"name": "玉溪恒通精密制造有限公司", "uscc": "91530402MA6N8Q2X6B",
                    "region": "玉溪市红塔区"}
QUJING = {"name": "曲靖恒达机械制造有限公司", "uscc": "91530302MA6NC8L25Q",
          "region": "曲靖市麒麟区"}


@dataclass
class DemandEnv:
    h: Harness
    mode: str  # local | http
    fake: FakePlatform | None

    @property
    def store(self) -> Any:
        """Where the platform's tables live: the bot's database, or the fake's."""
        return self.fake if self.fake is not None else self.h.runtime

    async def seed(self, openid: str | None = None, **kw: Any) -> Seeded:
        return await seed_enterprise(self.store, openid or self.h.openid, **kw)

    async def bind(self, openid: str, enterprise_id: str, person: dict[str, str]) -> None:
        """A second WeChat user (own account) bound to the same enterprise."""
        c, now, account_id = self.store.cipher, utcnow(), uuid.uuid4().hex
        async with self.store.sessions.begin() as session:
            session.add(account_row(c, account_id, openid, person, enterprise_id, now))
            session.add(consent_row(account_id, openid, now))
            await session.flush()
            session.add(MembershipRow(account_id=account_id, enterprise_id=enterprise_id,
                                      created_at=now, certified_at=now, authorised_at=now))

    async def advance(self, no: str, action: str, institution: str = "icbc_yn",
                      amount: str | None = None, comment: str = "",
                      handler: str = "李经理") -> Demand:
        move = Move(no, action, institution, Decimal(amount) if amount else None, comment,
                    handler)
        return await self.h.runtime.ports.platform.advance(move)

    async def pushes(self, no: str) -> list[tuple[str, dict[str, Any]]]:
        """(openid, payload) of the push rows the platform queued for a demand."""
        async with self.store.sessions() as session:
            rows = (await session.scalars(select(OutboxRow).where(
                OutboxRow.kind == "push", OutboxRow.dedupe_key.like(f"{no}:%"))
                .order_by(OutboxRow.id))).all()
        return [(r.openid, json.loads(r.payload)) for r in rows]

    async def publish(self, walk: tuple[str, ...] = WALK_DIRECTED,
                      openid: str | None = None) -> str:
        replies = await self.h.walk(*walk, "提交", openid=openid)
        found = DEMAND_NO.search(replies[-1])
        assert found, replies[-1]
        return found.group(0)


@contextlib.asynccontextmanager
async def demand_env(mode: str, make_harness: MakeHarness, db: tuple[str, str | None],
                     tmp: str) -> AsyncIterator[DemandEnv]:
    if mode == "local":
        yield DemandEnv(await make_harness(rate_limit_per_minute=1000), "local", None)
        return
    async with running_fake_platform(db[0], db[1], tmp) as fake:
        h = await make_harness(rate_limit_per_minute=1000, platform="http",
                               platform_url=fake.url, platform_secret="s")
        fake.events_url = f"{h.base}/platform/events"
        fake.local.clock = h.clock  # one clock, so elapsed times can be moved on
        yield DemandEnv(h, "http", fake)


@pytest.fixture(name="env", params=["local", "http"])
async def env_fixture(request: pytest.FixtureRequest, make_harness: MakeHarness,
                      db: tuple[str, str | None], tmp_path: Any) -> AsyncIterator[DemandEnv]:
    async with demand_env(request.param, make_harness, db, str(tmp_path)) as env:
        yield env


@pytest.fixture(name="local_env")
async def local_env_fixture(make_harness: MakeHarness, db: tuple[str, str | None],
                            tmp_path: Any) -> AsyncIterator[DemandEnv]:
    async with demand_env("local", make_harness, db, str(tmp_path)) as env:
        yield env


@pytest.fixture(name="http_env")
async def http_env_fixture(make_harness: MakeHarness, db: tuple[str, str | None],
                           tmp_path: Any) -> AsyncIterator[DemandEnv]:
    async with demand_env("http", make_harness, db, str(tmp_path)) as env:
        yield env
