"""An in-process fake of the platform's REST API (docs/platform-api.md) on loopback.

It serves the documented endpoints on top of a real `LocalPlatform` with its own
database (a SQLite file, or its own PostgreSQL schema), so http mode behaves exactly like
local mode and the same dialogs are proven on both adapters. Faults on demand: answer
503 (`down`), fail the next N calls, or be stopped outright (connection refused). A move
that pushes is announced to the bot like the platform would: a signed POST
/platform/events carrying the push rows the local platform queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import select, text

from adapters import database
from adapters.catalog import LocalCatalog
from adapters.catalog_port import ProductQuery
from adapters.crypto import DataCipher
from adapters.local_data import load_catalog
from adapters.outbox import OutboxRow
from adapters.platform_http_wire import from_wire, page_to_wire, to_wire
from adapters.platform_local import LocalPlatform
from adapters.platform_port import (
    AuthorisationInput,
    Conflict,
    DemandInput,
    EnterpriseInput,
    IllegalMove,
    Move,
    NotFound,
    PersonCert,
    PlatformError,
    RegisterInput,
)
from adapters.sqltypes import utcnow
from bot.platform_events import sign
from tests.support import free_port

Handler = Callable[[web.Request], Awaitable[Any]]
PREFIX = "/api/v1"


class FakePlatform:
    def __init__(self, local: LocalPlatform, secret: str, *, events_url: str | None = None,
                 events_secret: str | None = None) -> None:
        self.local = local
        self.catalog = LocalCatalog(local.catalog)
        self.secret = secret
        self.events_url = events_url
        self.events_secret = events_secret or secret
        self.down = False
        self.failures: list[int] = []  # statuses for the next calls, one each
        self.delay = 0.0
        self.raw: tuple[int, str] | None = None  # answer this body to everything
        self.calls: list[tuple[str, str, str | None]] = []  # method, path, Idempotency-Key
        self.port = free_port()
        self._runner: web.AppRunner | None = None

    # what tests seed through (tests.factories takes anything with sessions and cipher)
    @property
    def sessions(self) -> Any:
        return self.local.sessions

    @property
    def cipher(self) -> DataCipher:
        return self.local.cipher

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{PREFIX}/"

    def fail_next(self, count: int = 1, status: int = 503) -> None:
        self.failures += [status] * count

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app(), shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        r = app.router
        u, e = PREFIX + "/users/{openid}", PREFIX + "/users/{openid}/enterprises/{eid}"
        routes: list[tuple[str, str, Handler]] = [
            ("GET", u + "/profile", lambda q: self.local.profile(q.match_info["openid"])),
            ("POST", PREFIX + "/accounts/availability", self._availability),
            ("POST", u + "/account", self._register),
            ("DELETE", u + "/account",
             lambda q: self.local.delete_account(q.match_info["openid"], _key(q))),
            ("POST", u + "/person-certification", self._certify_person),
            ("POST", u + "/enterprises", self._certify_enterprise),
            ("POST", e + "/authorisation", self._authorise),
            ("PUT", u + "/active-enterprise", self._switch),
            ("POST", u + "/consents", self._record_consent),
            ("GET", u + "/consents", self._consents),
            ("GET", u + "/personal-data",
             lambda q: self.local.personal_data(q.match_info["openid"])),
            ("GET", PREFIX + "/logins/{scene}",
             lambda q: self.local.check_login(q.match_info["scene"])),
            ("POST", PREFIX + "/logins/{scene}/decision", self._decide_login),
            ("POST", e + "/demands", self._save_demand),
            ("GET", e + "/demands", self._list_demands),
            ("GET", u + "/demands/{no}",
             lambda q: self.local.demand(q.match_info["openid"], q.match_info["no"])),
            ("POST", u + "/demands/{no}/withdraw", self._withdraw),
            ("POST", PREFIX + "/demands/{no}/moves", self._move),
            ("GET", PREFIX + "/catalog/zones", self._zones),
            ("GET", PREFIX + "/catalog/loan-kinds", self._loan_kinds),
            ("GET", PREFIX + "/catalog/institutions", self._institutions),
            ("GET", PREFIX + "/catalog/products", self._products),
            ("GET", PREFIX + "/catalog/policies", self._policies),
        ]
        for method, path, handler in routes:
            r.add_route(method, path, self._json(handler))
        return app

    # --- plumbing ------------------------------------------------------------------------
    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.calls.append((request.method, request.path, request.headers.get("Idempotency-Key")))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.down:
            return _error(503, "unavailable", "维护中")
        if self.raw is not None:
            return web.Response(status=self.raw[0], text=self.raw[1])
        if self.failures:
            return _error(self.failures.pop(0), "unavailable", "暂时不可用")
        if request.headers.get("Authorization") != f"Bearer {self.secret}":
            return _error(401, "unauthorized", "认证失败")
        return await handler(request)

    def _json(self, handler: Handler) -> Handler:
        async def run(request: web.Request) -> web.Response:
            try:
                result = await handler(request)
            except IllegalMove as exc:
                return _error(422, exc.code, exc.message)
            except NotFound as exc:
                return _error(404, exc.code, exc.message)
            except Conflict as exc:
                return _error(409, exc.code, exc.message)
            except PlatformError as exc:
                return _error(400, exc.code, exc.message)
            if isinstance(result, web.Response):
                return result
            return web.json_response(to_wire(result), dumps=_dumps)
        return run

    # --- accounts ----------------------------------------------------------------------
    async def _availability(self, q: web.Request) -> Any:
        body = await q.json()
        await self.local.check_available(phone=body.get("phone"), uscc=body.get("uscc"))
        return {"available": True}

    async def _register(self, q: web.Request) -> Any:
        data = from_wire(RegisterInput, await q.json())
        return await self.local.register(q.match_info["openid"], data, _key(q))

    async def _certify_person(self, q: web.Request) -> Any:
        cert = from_wire(PersonCert, await q.json())
        return await self.local.certify_person(q.match_info["openid"], cert, _key(q))

    async def _certify_enterprise(self, q: web.Request) -> Any:
        body = await q.json()
        data = from_wire(EnterpriseInput, body["enterprise"])
        return await self.local.certify_enterprise(q.match_info["openid"], data,
                                                   body["region"], _key(q))

    async def _authorise(self, q: web.Request) -> Any:
        data = from_wire(AuthorisationInput, await q.json())
        return await self.local.sign_authorisation(q.match_info["openid"], q.match_info["eid"],
                                                   data, _key(q))

    async def _switch(self, q: web.Request) -> Any:
        body = await q.json()
        return await self.local.switch_enterprise(q.match_info["openid"], body["enterprise_id"])

    async def _record_consent(self, q: web.Request) -> Any:
        body = await q.json()
        at = datetime.fromisoformat(str(body["agreed_at"]))
        if at.tzinfo is None:
            return _error(400, "bad_request", "agreed_at needs an offset")
        return await self.local.record_consent(q.match_info["openid"], str(body["version"]),
                                               at, _key(q))

    async def _consents(self, q: web.Request) -> Any:
        return {"items": await self.local.consents(q.match_info["openid"])}

    async def _decide_login(self, q: web.Request) -> Any:
        body = await q.json()
        return await self.local.decide_login(body["openid"], q.match_info["scene"],
                                             bool(body["approve"]))

    # --- demands -----------------------------------------------------------------------
    async def _save_demand(self, q: web.Request) -> Any:
        body = await q.json()
        return await self.local.save_demand(
            q.match_info["openid"], q.match_info["eid"], from_wire(DemandInput, body["demand"]),
            submit=bool(body.get("submit")), idem_key=_key(q), draft_no=body.get("draft_no"))

    async def _list_demands(self, q: web.Request) -> Any:
        page = await self.local.list_demands(
            q.match_info["openid"], q.match_info["eid"], status=q.query.get("status") or None,
            page=int(q.query.get("page", 1)), size=int(q.query.get("size", 5)))
        return web.json_response(page_to_wire(page), dumps=_dumps)

    async def _withdraw(self, q: web.Request) -> Any:
        return await self.local.withdraw(q.match_info["openid"], q.match_info["no"], _key(q))

    async def _move(self, q: web.Request) -> Any:
        move = from_wire(Move, await q.json())
        demand = await self.local.advance(move)
        if self.events_url:
            await self._announce(demand.no, move.action)
        return demand

    async def _announce(self, no: str, action: str) -> None:
        """What the real platform does after a push-worthy move: call the bot back."""
        async with self.local.sessions() as session:
            rows = (await session.scalars(select(OutboxRow).where(
                OutboxRow.dedupe_key.like(f"{no}:{action}:%")))).all()
        if not rows:
            return
        payload = json.loads(rows[0].payload)
        body = json.dumps({
            "event_id": f"{no}:{action}", "timestamp": int(time.time()),
            "type": "demand.status_changed", "event": payload["event"],
            "recipients": [r.openid for r in rows],
            "demand": {k: payload.get(k, "") for k in
                       ("status", "amount", "institution", "enterprise", "time", "reason")}
            | {"no": no}}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json",
                   "X-RXF-Signature": sign(self.events_secret, body)}
        async with aiohttp.ClientSession() as client, \
                client.post(self.events_url, data=body, headers=headers) as resp:
            resp.raise_for_status()

    # --- catalogue ---------------------------------------------------------------------
    async def _zones(self, q: web.Request) -> Any:
        return {"items": to_wire(await self.catalog.zones())}

    async def _loan_kinds(self, q: web.Request) -> Any:
        return {"items": [{"key": k, "name": n} for k, n in await self.catalog.loan_kinds()]}

    async def _institutions(self, q: web.Request) -> Any:
        found = await self.catalog.institutions_serving(q.query.get("region", ""))
        return {"items": to_wire(found)}

    async def _products(self, q: web.Request) -> Any:
        query = ProductQuery(
            words=q.query.get("words", ""), guarantee=q.query.get("guarantee") or None,
            amount=Decimal(q.query["amount"]) if q.query.get("amount") else None,
            term_months=int(q.query["term_months"]) if q.query.get("term_months") else None,
            region=q.query.get("region") or None)
        page = await self.catalog.search_products(query, page=int(q.query.get("page", 1)),
                                                  size=int(q.query.get("size", 5)))
        return web.json_response(page_to_wire(page), dumps=_dumps)

    async def _policies(self, q: web.Request) -> Any:
        return {"items": to_wire(await self.catalog.policies(q.query.get("zone") or None))}


def _key(request: web.Request) -> str:
    return request.headers.get("Idempotency-Key") or uuid.uuid4().hex


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status,
                             dumps=_dumps)


@contextlib.asynccontextmanager
async def running_fake_platform(db_url: str, schema: str | None, tmp: str, *,
                                secret: str = "s", clock: Callable[[], Any] = utcnow,
                                events_url: str | None = None) -> AsyncIterator[FakePlatform]:
    """A fake platform with its own database beside the bot's (the same PostgreSQL
    server in a schema of its own, or a second SQLite file)."""
    own_schema = None
    if db_url.startswith("sqlite"):
        db_url = f"sqlite+aiosqlite:///{tmp}/platform.db"
    else:
        own_schema = f"{schema or 'pf'}_platform"
        admin = database.make_engine(db_url)
        async with admin.begin() as conn:
            await conn.execute(text(f"CREATE SCHEMA {own_schema}"))
        await admin.dispose()
    engine = database.make_engine(db_url, schema=own_schema)
    await database.migrate(engine)
    local = LocalPlatform(database.session_factory(engine), DataCipher("p" * 43),
                          load_catalog(), clock)
    fake = FakePlatform(local, secret, events_url=events_url)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()
        local.runner.close()
        await engine.dispose()
        if own_schema:
            admin = database.make_engine(db_url)
            async with admin.begin() as conn:
                await conn.execute(text(f"DROP SCHEMA {own_schema} CASCADE"))
            await admin.dispose()
