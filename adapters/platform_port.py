"""The platform port: accounts, certification, authorisation, web login, demands and the
catalogue. `adapters.platform_local` implements it on our own database (embedded mode);
`adapters.platform_http` implements it against the platform's REST API
(docs/platform-api.md). Dialogs see only this module's types.

Every write takes an idempotency key (the WeChat delivery key): a retried step that
reaches the platform twice gets the first result back, never a second account or demand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")


class PlatformError(Exception):
    """A refusal the user should read (Simplified Chinese, short)."""

    def __init__(self, message: str, code: str = "error") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class PlatformUnavailable(PlatformError):
    def __init__(self, detail: str = "") -> None:
        super().__init__("平台暂时无法访问，请稍后再试，您填写的内容已保存。", "unavailable")
        self.detail = detail


class Conflict(PlatformError):
    """Already exists: code is phone_registered | uscc_registered | openid_bound | ..."""


class NotFound(PlatformError):
    pass


class IllegalMove(PlatformError):
    """A lifecycle move that is not allowed from the demand's current status."""


# --- accounts and certification ---------------------------------------------------------
@dataclass(frozen=True)
class RegisterInput:
    phone: str
    legal_name: str
    legal_id: str
    company: str
    uscc: str


@dataclass(frozen=True)
class Account:
    id: str
    phone: str
    legal_name: str
    legal_id: str
    created_at: datetime


@dataclass(frozen=True)
class PersonCert:
    name: str
    cert_type: str  # dialogs.validators.CERTIFICATE_TYPES key
    cert_number: str
    phone: str
    certified_at: datetime


@dataclass(frozen=True)
class EnterpriseInput:
    name: str
    uscc: str
    legal_rep: str
    legal_rep_id: str


@dataclass(frozen=True)
class Enterprise:
    id: str
    name: str
    uscc: str
    legal_rep: str
    legal_rep_id: str
    region: str  # "玉溪市红塔区"
    certified_at: datetime | None  # four-factor check passed for this account
    authorised_at: datetime | None  # authorisation letter signed for this account


@dataclass(frozen=True)
class AuthorisationInput:
    text_version: str
    water_account: str | None
    power_account: str | None
    gas_account: str | None


@dataclass(frozen=True)
class Profile:
    """What one WeChat user may see: its own account and the enterprises bound to it."""

    openid: str
    account: Account | None = None
    person: PersonCert | None = None
    enterprises: tuple[Enterprise, ...] = ()
    active_enterprise_id: str | None = None

    @property
    def active(self) -> Enterprise | None:
        for enterprise in self.enterprises:
            if enterprise.id == self.active_enterprise_id:
                return enterprise
        return self.enterprises[0] if self.enterprises else None

    def missing_steps(self) -> list[str]:
        """Certification steps still to do for the active enterprise, in order."""
        missing = []
        if self.account is None:
            return ["register"]
        if self.person is None:
            missing.append("person")
        active = self.active
        if active is None or active.certified_at is None:
            missing.append("enterprise")
        if active is None or active.authorised_at is None:
            missing.append("authorisation")
        return missing


@dataclass(frozen=True)
class Consent:
    """Agreement to one version of the 个人信息处理规则 (dialogs/consent.py)."""

    version: str
    agreed_at: datetime


@dataclass(frozen=True)
class AuthorisationRecord:
    enterprise_name: str
    text_version: str
    signed_at: datetime
    water_account: str | None = None
    power_account: str | None = None
    gas_account: str | None = None


@dataclass(frozen=True)
class PersonalData:
    """Everything held about one WeChat user's account (导出我的信息): only its own."""

    profile: Profile
    authorisations: tuple[AuthorisationRecord, ...] = ()
    consents: tuple[Consent, ...] = ()
    demand_count: int = 0


@dataclass(frozen=True)
class AccountDeleted:
    """What 注销 left behind: demands institutions had already acted on stay with their
    enterprise (the law keeps them), without the person's name, ID or phone."""

    kept_demands: int = 0


@dataclass(frozen=True)
class LoginResult:
    scene: str
    status: str  # confirmed | refused | expired | used | unknown


# --- demands ------------------------------------------------------------------------------
@dataclass(frozen=True)
class DemandInput:
    zone: str
    amount: Decimal
    term_months: int | None
    loan_kind: str
    directed: bool
    institutions: tuple[str, ...]
    purpose: str


@dataclass(frozen=True)
class DemandRecord:
    at: datetime
    node: str
    action: str
    from_status: str | None
    to_status: str
    handler: str
    organisation: str
    role: str
    phone: str
    comment: str


@dataclass(frozen=True)
class Demand:
    no: str
    enterprise_id: str
    enterprise_name: str
    status: str  # 草稿 | 待关注 | 待授信 | 待放款 | 已放款 | 已退回 | 已撤回
    zone: str
    amount: Decimal
    term_months: int | None
    loan_kind: str
    directed: bool
    institutions: tuple[str, ...]
    purpose: str
    created_at: datetime
    submitted_at: datetime | None
    updated_at: datetime
    current_node: str
    current_handler: str
    granted_amount: Decimal | None = None
    disbursed_amount: Decimal | None = None
    records: tuple[DemandRecord, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    total: int
    page: int
    size: int

    @property
    def has_next(self) -> bool:
        return self.page * self.size < self.total


@dataclass(frozen=True)
class Move:
    """An institution's action on a demand (local mode CLI; the platform in http mode)."""

    demand_no: str
    action: str  # follow | grant | disburse | reject
    institution: str
    amount: Decimal | None = None
    comment: str = ""
    handler: str = ""


class Platform(Protocol):
    async def close(self) -> None:
        """Release what the implementation holds (HTTP sessions); called once at shutdown."""
        ...

    # accounts ----------------------------------------------------------------------------
    async def profile(self, openid: str) -> Profile: ...

    async def check_available(self, *, phone: str | None = None,
                              uscc: str | None = None) -> None:
        """Raise Conflict when the phone or USCC is already registered (asked early, so
        an owner hears it before typing everything; `register` checks again)."""
        ...

    async def register(self, openid: str, data: RegisterInput, idem_key: str) -> Account: ...

    async def certify_person(self, openid: str, cert: PersonCert, idem_key: str) -> PersonCert:
        ...

    async def certify_enterprise(self, openid: str, data: EnterpriseInput, region: str,
                                 idem_key: str) -> Enterprise: ...

    async def sign_authorisation(self, openid: str, enterprise_id: str,
                                 data: AuthorisationInput, idem_key: str) -> Enterprise: ...

    async def switch_enterprise(self, openid: str, enterprise_id: str) -> Profile: ...

    async def record_consent(self, openid: str, version: str, agreed_at: datetime,
                             idem_key: str) -> Consent:
        """Record that this user's account agreed to a version of the 个人信息处理规则."""
        ...

    async def consents(self, openid: str) -> tuple[Consent, ...]:
        """This user's consents, newest first (none without an account)."""
        ...

    async def personal_data(self, openid: str) -> PersonalData: ...

    async def delete_account(self, openid: str, idem_key: str) -> AccountDeleted:
        """注销: the account, its certifications, authorisations, encrypted personal data
        and WeChat binding go, in one transaction; demands institutions already acted on
        stay, anonymised. NotFound when the openid has no account (or a retry after it
        went). The same phone, ID and enterprise may register again afterwards."""
        ...

    async def check_login(self, scene: str) -> LoginResult:
        """Status of a web-login QR scene: pending (may be confirmed) or why not."""
        ...

    async def decide_login(self, openid: str, scene: str, approve: bool) -> LoginResult: ...

    # demands -----------------------------------------------------------------------------
    async def save_demand(self, openid: str, enterprise_id: str, data: DemandInput, *,
                          submit: bool, idem_key: str, draft_no: str | None = None) -> Demand:
        ...

    async def list_demands(self, openid: str, enterprise_id: str, *, status: str | None,
                           page: int, size: int) -> Page[Demand]: ...

    async def demand(self, openid: str, demand_no: str) -> Demand: ...

    async def withdraw(self, openid: str, demand_no: str, idem_key: str) -> Demand: ...


# --- catalogue ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Zone:
    key: str
    name: str
    description: str
    max_amount: Decimal


@dataclass(frozen=True)
class Institution:
    id: str
    name: str
    kind: str
    contact_department: str
    phone: str


@dataclass(frozen=True)
class Product:
    id: str
    name: str
    institution: str
    min_amount: Decimal
    max_amount: Decimal
    term_min: int
    term_max: int
    guarantees: tuple[str, ...]
    rate_min: Decimal
    rate_max: Decimal
    zones: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class Policy:
    id: str
    zone: str
    title: str
    summary: str
    how_to_apply: str
    department: str
    phone: str


@dataclass(frozen=True)
class ProductQuery:
    words: str = ""
    amount: Decimal | None = None
    term_months: int | None = None
    guarantee: str | None = None
    # Only products of institutions serving this region (玉溪市红塔区); None: anywhere.
    region: str | None = None


class Catalog(Protocol):
    async def close(self) -> None:
        """Release what the implementation holds (HTTP sessions); called once at shutdown."""
        ...

    async def zones(self) -> tuple[Zone, ...]: ...

    async def loan_kinds(self) -> tuple[tuple[str, str], ...]: ...

    async def institutions_serving(self, region: str) -> tuple[Institution, ...]: ...

    async def search_products(self, query: ProductQuery, *, page: int,
                              size: int) -> Page[Product]: ...

    async def policies(self, zone: str | None = None) -> tuple[Policy, ...]: ...
