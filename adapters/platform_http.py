"""The platform port over the platform's REST API (docs/platform-api.md).

Every call has a timeout (RXF_PLATFORM_TIMEOUT per attempt). Calls that are safe to
repeat — reads, PUTs and writes carrying an Idempotency-Key — are retried with backoff on
network errors, timeouts, 429 and 5xx; anything else is tried once. When the platform
cannot be reached the dialogs get `PlatformUnavailable` ("平台暂时无法访问…") and keep
what the user typed, so sending 提交 again later is all it takes.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import quote

import aiohttp

from adapters.catalog_port import Institution, Policy, Product, ProductQuery, Zone
from adapters.platform_http_wire import (
    WireError,
    from_wire,
    page_from_wire,
    to_wire,
)
from adapters.platform_port import (
    Account,
    AccountDeleted,
    AuthorisationInput,
    Conflict,
    Consent,
    Demand,
    DemandInput,
    Enterprise,
    EnterpriseInput,
    IllegalMove,
    LoginResult,
    Move,
    NotFound,
    Page,
    PersonalData,
    PersonCert,
    PlatformError,
    PlatformUnavailable,
    Profile,
    RegisterInput,
)
from config.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
ERRORS: dict[int, type[PlatformError]] = {404: NotFound, 409: Conflict, 422: IllegalMove}


def _seg(value: str) -> str:
    return quote(value, safe="")


class PlatformClient:
    """One aiohttp session to the platform, opened on first use and closed with close()."""

    def __init__(self, settings: Settings, *, attempts: int = 3, backoff: float = 0.2) -> None:
        if not settings.platform_url:
            raise ValueError("RXF_PLATFORM_URL is required for the http platform")
        self.base = settings.platform_url.rstrip("/") + "/"
        self.secret = settings.platform_secret or ""
        self.timeout = aiohttp.ClientTimeout(total=settings.platform_timeout)
        self.attempts = attempts
        self.backoff = backoff
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            headers = {"Accept": "application/json"}
            if self.secret:
                headers["Authorization"] = f"Bearer {self.secret}"
            self._session = aiohttp.ClientSession(headers=headers, timeout=self.timeout)
        return self._session

    async def call(self, method: str, path: str, *, body: Any = None,
                   params: dict[str, Any] | None = None, idem_key: str | None = None,
                   retry: bool | None = None) -> Any:
        """The decoded JSON answer, or the PlatformError the platform's answer means."""
        headers = {"X-Request-Id": uuid.uuid4().hex}
        if idem_key:
            headers["Idempotency-Key"] = idem_key
        if retry is None:
            retry = method in ("GET", "PUT", "DELETE") or bool(idem_key)
        query = {k: str(v) for k, v in (params or {}).items() if v not in (None, "")}
        url = self.base + path
        started = time.monotonic()
        last = ""
        for attempt in range(self.attempts if retry else 1):
            if attempt:
                await asyncio.sleep(self.backoff * (3 ** (attempt - 1)))
            try:
                async with self._client().request(method, url, json=body, params=query,
                                                  headers=headers) as resp:
                    if resp.status in RETRY_STATUS:
                        last = f"HTTP {resp.status}"
                        continue
                    return await self._answer(resp, method, path)
            except (aiohttp.ClientError, TimeoutError) as exc:
                last = f"{type(exc).__name__}: {exc}"
        log.warning("platform %s %s unavailable after %.1fs: %s", method, path,
                    time.monotonic() - started, last)
        raise PlatformUnavailable(last)

    async def _answer(self, resp: aiohttp.ClientResponse, method: str, path: str) -> Any:
        try:
            data = await resp.json(content_type=None)
        except ValueError:
            data = None
        if 200 <= resp.status < 300:
            if data is None and resp.status != 204:
                raise PlatformUnavailable(f"{method} {path}: answer is not JSON")
            return data
        if resp.status in (401, 403):
            log.error("platform refused our credentials (%s %s -> %s): check "
                      "RXF_PLATFORM_SECRET", method, path, resp.status)
            raise PlatformUnavailable(f"HTTP {resp.status}")
        error = data.get("error") if isinstance(data, dict) else None
        if not isinstance(error, dict) or not error.get("message"):
            log.error("platform %s %s -> %s without an error body", method, path, resp.status)
            raise PlatformUnavailable(f"HTTP {resp.status}")
        cls = ERRORS.get(resp.status, PlatformError)
        raise cls(str(error["message"]), str(error.get("code") or "error"))


async def _decoded(cls: type[T], call: Awaitable[Any]) -> T:
    data = await call
    try:
        return from_wire(cls, data)
    except WireError as exc:
        log.error("platform answer does not fit %s: %s", cls.__name__, exc)
        raise PlatformUnavailable(str(exc)) from None


class HttpPlatform:
    """The whole Platform port against the REST API."""

    def __init__(self, settings: Settings, client: PlatformClient | None = None) -> None:
        self.client = client or PlatformClient(settings)

    async def close(self) -> None:
        await self.client.close()

    def _user(self, openid: str) -> str:
        return f"users/{_seg(openid)}"

    # --- accounts ------------------------------------------------------------------------
    async def profile(self, openid: str) -> Profile:
        return await _decoded(Profile, self.client.call("GET", f"{self._user(openid)}/profile"))

    async def check_available(self, *, phone: str | None = None,
                              uscc: str | None = None) -> None:
        # A read carried by POST so the phone stays out of URLs and access logs.
        await self.client.call("POST", "accounts/availability",
                               body={"phone": phone, "uscc": uscc}, retry=True)

    async def register(self, openid: str, data: RegisterInput, idem_key: str) -> Account:
        return await _decoded(Account, self.client.call(
            "POST", f"{self._user(openid)}/account", body=to_wire(data), idem_key=idem_key))

    async def certify_person(self, openid: str, cert: PersonCert, idem_key: str) -> PersonCert:
        return await _decoded(PersonCert, self.client.call(
            "POST", f"{self._user(openid)}/person-certification", body=to_wire(cert),
            idem_key=idem_key))

    async def certify_enterprise(self, openid: str, data: EnterpriseInput, region: str,
                                 idem_key: str) -> Enterprise:
        return await _decoded(Enterprise, self.client.call(
            "POST", f"{self._user(openid)}/enterprises",
            body={"enterprise": to_wire(data), "region": region}, idem_key=idem_key))

    async def sign_authorisation(self, openid: str, enterprise_id: str,
                                 data: AuthorisationInput, idem_key: str) -> Enterprise:
        return await _decoded(Enterprise, self.client.call(
            "POST", f"{self._user(openid)}/enterprises/{_seg(enterprise_id)}/authorisation",
            body=to_wire(data), idem_key=idem_key))

    async def switch_enterprise(self, openid: str, enterprise_id: str) -> Profile:
        return await _decoded(Profile, self.client.call(
            "PUT", f"{self._user(openid)}/active-enterprise",
            body={"enterprise_id": enterprise_id}))

    async def record_consent(self, openid: str, version: str, agreed_at: datetime,
                             idem_key: str) -> Consent:
        return await _decoded(Consent, self.client.call(
            "POST", f"{self._user(openid)}/consents",
            body={"version": version, "agreed_at": agreed_at.isoformat()}, idem_key=idem_key))

    async def consents(self, openid: str) -> tuple[Consent, ...]:
        data = await self.client.call("GET", f"{self._user(openid)}/consents")
        try:
            return tuple(from_wire(Consent, c) for c in (data or {}).get("items") or ())
        except (WireError, AttributeError) as exc:
            log.error("platform answer does not fit Consent: %s", exc)
            raise PlatformUnavailable(str(exc)) from None

    async def personal_data(self, openid: str) -> PersonalData:
        return await _decoded(PersonalData, self.client.call(
            "GET", f"{self._user(openid)}/personal-data"))

    async def delete_account(self, openid: str, idem_key: str) -> AccountDeleted:
        return await _decoded(AccountDeleted, self.client.call(
            "DELETE", f"{self._user(openid)}/account", idem_key=idem_key))

    async def check_login(self, scene: str) -> LoginResult:
        return await _decoded(LoginResult, self.client.call("GET", f"logins/{_seg(scene)}"))

    async def decide_login(self, openid: str, scene: str, approve: bool) -> LoginResult:
        return await _decoded(LoginResult, self.client.call(
            "POST", f"logins/{_seg(scene)}/decision",
            body={"openid": openid, "approve": approve}))

    # --- demands -------------------------------------------------------------------------
    async def save_demand(self, openid: str, enterprise_id: str, data: DemandInput, *,
                          submit: bool, idem_key: str, draft_no: str | None = None) -> Demand:
        body = {"demand": to_wire(data), "submit": submit, "draft_no": draft_no}
        return await _decoded(Demand, self.client.call(
            "POST", f"{self._user(openid)}/enterprises/{_seg(enterprise_id)}/demands",
            body=body, idem_key=idem_key))

    async def list_demands(self, openid: str, enterprise_id: str, *, status: str | None,
                           page: int, size: int) -> Page[Demand]:
        data = await self.client.call(
            "GET", f"{self._user(openid)}/enterprises/{_seg(enterprise_id)}/demands",
            params={"status": status, "page": page, "size": size})
        return _page(Demand, data)

    async def demand(self, openid: str, demand_no: str) -> Demand:
        return await _decoded(Demand, self.client.call(
            "GET", f"{self._user(openid)}/demands/{_seg(demand_no)}"))

    async def withdraw(self, openid: str, demand_no: str, idem_key: str) -> Demand:
        return await _decoded(Demand, self.client.call(
            "POST", f"{self._user(openid)}/demands/{_seg(demand_no)}/withdraw", body={},
            idem_key=idem_key))

    async def advance(self, move: Move) -> Demand:
        """An institution's move (tests and operators; institutions use the platform)."""
        return await _decoded(Demand, self.client.call(
            "POST", f"demands/{_seg(move.demand_no)}/moves", body=to_wire(move)))


def _page(cls: type[T], data: Any) -> Page[T]:
    try:
        return page_from_wire(cls, data)
    except (WireError, TypeError, ValueError) as exc:
        log.error("platform page of %s does not fit: %s", cls.__name__, exc)
        raise PlatformUnavailable(str(exc)) from None


def _items(cls: type[T], data: Any) -> tuple[T, ...]:
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise PlatformUnavailable(f"{cls.__name__} list: expected {{items: [...]}}")
    try:
        return tuple(from_wire(cls, item) for item in data["items"])
    except WireError as exc:
        raise PlatformUnavailable(str(exc)) from None


class HttpCatalog:
    """The catalogue from the platform, kept a few minutes: it changes rarely and every
    form step that offers a choice reads it."""

    notice = "（实际额度、期限和利率以机构审批为准）"

    def __init__(self, settings: Settings, client: PlatformClient | None = None,
                 ttl: float = 300.0) -> None:
        self.client = client or PlatformClient(settings)
        self.ttl = ttl
        self._cache: dict[str, tuple[float, Any]] = {}

    async def close(self) -> None:
        await self.client.close()

    async def _cached(self, key: str, load: Callable[[], Awaitable[T]]) -> T:
        hit = self._cache.get(key)
        now = time.monotonic()
        if hit is not None and hit[0] > now:
            return hit[1]  # type: ignore[no-any-return]
        value = await load()
        self._cache[key] = (now + self.ttl, value)
        return value

    async def zones(self) -> tuple[Zone, ...]:
        async def load() -> tuple[Zone, ...]:
            return _items(Zone, await self.client.call("GET", "catalog/zones"))
        return await self._cached("zones", load)

    async def loan_kinds(self) -> tuple[tuple[str, str], ...]:
        async def load() -> tuple[tuple[str, str], ...]:
            data = await self.client.call("GET", "catalog/loan-kinds")
            items = data.get("items") if isinstance(data, dict) else None
            if not isinstance(items, list):
                raise PlatformUnavailable("loan kinds: expected {items: [...]}")
            return tuple((str(i["key"]), str(i["name"])) for i in items)
        return await self._cached("loan_kinds", load)

    async def institutions_serving(self, region: str) -> tuple[Institution, ...]:
        async def load() -> tuple[Institution, ...]:
            return _items(Institution, await self.client.call(
                "GET", "catalog/institutions", params={"region": region}))
        return await self._cached(f"institutions:{region}", load)

    async def search_products(self, query: ProductQuery, *, page: int,
                              size: int) -> Page[Product]:
        params: dict[str, Any] = {"words": query.words, "guarantee": query.guarantee,
                                  "page": page, "size": size,
                                  "term_months": query.term_months, "region": query.region}
        if query.amount is not None:
            params["amount"] = format(Decimal(query.amount), "f")
        return _page(Product, await self.client.call("GET", "catalog/products",
                                                     params=params))

    async def policies(self, zone: str | None = None) -> tuple[Policy, ...]:
        async def load() -> tuple[Policy, ...]:
            return _items(Policy, await self.client.call("GET", "catalog/policies",
                                                         params={"zone": zone}))
        return await self._cached(f"policies:{zone or ''}", load)
