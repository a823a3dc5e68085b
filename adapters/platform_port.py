"""The platform port: accounts, certification, authorisation, web login and demands
(the catalogue's port is adapters/catalog_port.py). `adapters.platform_local` implements
it on our own database (embedded mode); `adapters.platform_http` implements it against
the platform's REST API (docs/platform-api.md). Dialogs see only this module's types.

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
    """The platform could not be reached or answered nonsense; the user is told to try
    later and keeps what was typed. `detail` is for the log, never shown."""

    def __init__(self, detail: str = "") -> None:
        super().__init__("平台暂时无法访问，请稍后再试，您填写的内容已保存。", "unavailable")
        self.detail = detail


class Conflict(PlatformError):
    """Already exists: code is phone_registered | uscc_registered | openid_bound | ..."""


class NotFound(PlatformError):
    """The account, enterprise, demand or scene asked for does not exist for this user."""


class IllegalMove(PlatformError):
    """A lifecycle move that is not allowed from the demand's current status."""


# --- accounts and certification ---------------------------------------------------------
@dataclass(frozen=True)
class RegisterInput:
    """What 注册 sends: the legal person's phone, name and ID number and the enterprise's
    name and USCC, all validated by the dialog first."""

    phone: str
    legal_name: str
    legal_id: str
    company: str
    uscc: str


@dataclass(frozen=True)
class Account:
    """A registered platform account (one per phone), bound to one WeChat user."""

    id: str
    phone: str
    legal_name: str
    legal_id: str
    created_at: datetime


@dataclass(frozen=True)
class PersonCert:
    """The legal person's real-name certification (three-factor check passed)."""

    name: str
    cert_type: str  # dialogs.validators.CERTIFICATE_TYPES key
    cert_number: str
    phone: str
    certified_at: datetime


@dataclass(frozen=True)
class EnterpriseInput:
    """What enterprise certification sends: name, USCC and the legal representative
    (four-factor check already passed)."""

    name: str
    uscc: str
    legal_rep: str
    legal_rep_id: str


@dataclass(frozen=True)
class Enterprise:
    """An enterprise as one account sees it; the two timestamps say how far that
    account's certification of it got."""

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
    """The signed authorisation letter: which text version was agreed to, and the
    utility account numbers the enterprise chose to share (None: not shared)."""

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
        """The enterprise the user acts for: the chosen one, else the first, else None."""
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
    """One signed authorisation letter, as shown in 导出我的信息."""

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
    """Where a web-login QR scene stands after a check or a decision."""

    scene: str
    status: str  # confirmed | refused | expired | used | unknown


# --- demands ------------------------------------------------------------------------------
@dataclass(frozen=True)
class DemandInput:
    """A financing demand as the publish form collected it: zone key, amount in 元,
    term (None: not said), loan kind key, and the institutions it is directed to."""

    zone: str
    amount: Decimal
    term_months: int | None
    loan_kind: str
    directed: bool
    institutions: tuple[str, ...]
    purpose: str


@dataclass(frozen=True)
class DemandRecord:
    """One line of a demand's history: who moved it from which status to which, and why."""

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
    """A financing demand with its status and history, as its enterprise sees it."""

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
    """One page (1-based `page` of `size`) of a longer list of `total` items."""

    items: tuple[T, ...]
    total: int
    page: int
    size: int

    @property
    def has_next(self) -> bool:
        """Whether a later page holds more items."""
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
    """The platform's operations for one WeChat user (openid). Raises PlatformError (and its
    subclasses) with a message for the user; PlatformUnavailable when it cannot be reached.
    Writes take the delivery's idempotency key: the same key twice returns the first result."""

    # accounts ----------------------------------------------------------------------------
    async def profile(self, openid: str) -> Profile:
        """Everything this user may see of their account; empty for an unknown openid."""
        ...

    async def check_available(self, *, phone: str | None = None,
                              uscc: str | None = None) -> None:
        """Raise Conflict when the phone or USCC is already registered (asked early, so
        an owner hears it before typing everything; `register` checks again)."""
        ...

    async def register(self, openid: str, data: RegisterInput, idem_key: str) -> Account:
        """Create the account and bind it to `openid`; Conflict when the phone or USCC is
        registered or the openid already bound."""
        ...

    async def certify_person(self, openid: str, cert: PersonCert, idem_key: str) -> PersonCert:
        """Record the legal person's real-name certification (the check already passed)."""
        ...

    async def certify_enterprise(self, openid: str, data: EnterpriseInput, region: str,
                                 idem_key: str) -> Enterprise:
        """Bind a certified enterprise (in `region`, 州市+区县) to this account and make it
        the active one."""
        ...

    async def sign_authorisation(self, openid: str, enterprise_id: str,
                                 data: AuthorisationInput, idem_key: str) -> Enterprise:
        """Record the signed authorisation letter for one of this account's enterprises."""
        ...

    async def switch_enterprise(self, openid: str, enterprise_id: str) -> Profile:
        """Make another of this account's enterprises the active one; NotFound otherwise."""
        ...

    async def record_consent(self, openid: str, version: str, agreed_at: datetime,
                             idem_key: str) -> Consent:
        """Record that this user's account agreed to a version of the 个人信息处理规则."""
        ...

    async def consents(self, openid: str) -> tuple[Consent, ...]:
        """This user's consents, newest first (none without an account)."""
        ...

    async def personal_data(self, openid: str) -> PersonalData:
        """Everything held about this user's account (导出我的信息), unmasked: the caller
        masks what it shows."""
        ...

    async def delete_account(self, openid: str, idem_key: str) -> AccountDeleted:
        """注销: the account, its certifications, authorisations, encrypted personal data
        and WeChat binding go, in one transaction; demands institutions already acted on
        stay, anonymised. NotFound when the openid has no account (or a retry after it
        went). The same phone, ID and enterprise may register again afterwards."""
        ...

    async def check_login(self, scene: str) -> LoginResult:
        """Status of a web-login QR scene: pending (may be confirmed) or why not."""
        ...

    async def decide_login(self, openid: str, scene: str, approve: bool) -> LoginResult:
        """Confirm or refuse a web login this user scanned; a scene decides once."""
        ...

    # demands -----------------------------------------------------------------------------
    async def save_demand(self, openid: str, enterprise_id: str, data: DemandInput, *,
                          submit: bool, idem_key: str, draft_no: str | None = None) -> Demand:
        """Save a demand as a draft or submit it (`submit`); `draft_no` updates that draft
        instead of creating another."""
        ...

    async def list_demands(self, openid: str, enterprise_id: str, *, status: str | None,
                           page: int, size: int) -> Page[Demand]:
        """This enterprise's demands, newest first, optionally of one status."""
        ...

    async def demand(self, openid: str, demand_no: str) -> Demand:
        """One demand of this user's enterprises; NotFound for anyone else's."""
        ...

    async def withdraw(self, openid: str, demand_no: str, idem_key: str) -> Demand:
        """撤回 a demand no institution has acted on yet; IllegalMove otherwise."""
        ...

    async def close(self) -> None:
        """Release what the implementation holds (HTTP sessions); called once at shutdown."""
        ...
