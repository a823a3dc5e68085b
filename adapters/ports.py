"""The ports dialogs and the runtime talk through. Implementations live beside this file
and are chosen by settings in `adapters/factory.py`, which the composition root
(`wiring`) calls; tests use the same real implementations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from adapters.catalog_port import Catalog
    from adapters.platform_port import Platform
    from adapters.sms import SmsService
    from adapters.ticket_port import TicketDesk
    from knowledge.intents import IntentSpec
    from knowledge.loader import FaqEntry
    from knowledge.matcher import FaqResult
    from knowledge.understanding import Understanding


class WeChatApiError(Exception):
    """WeChat answered with an errcode (or could not be reached: errcode None)."""

    def __init__(self, errcode: int | None, errmsg: str = "") -> None:
        super().__init__(f"{errcode}: {errmsg}" if errcode is not None else errmsg or "network")
        self.errcode = errcode
        self.errmsg = errmsg


class WeChatApi(Protocol):
    """The WeChat server API calls we make (adapters.wechat_api.WeChatApiClient; the
    fake of devtools/fake_wechat.py answers the same calls). Every call raises WeChatApiError
    on an errcode or when WeChat cannot be reached; none is retried here."""

    async def send_text(self, openid: str, content: str) -> None:
        """Send a customer-service text message (only within 48 h of the user's last
        message, docs/wechat.md)."""
        ...

    async def send_template(self, openid: str, template_id: str, data: dict[str, Any],
                            url: str | None = None, *,
                            client_msg_id: str | None = None) -> str:
        """Send a template message; returns WeChat's msgid. `client_msg_id` makes a
        resend of the same message a no-op on WeChat's side."""
        ...

    async def private_templates(self) -> list[dict[str, Any]]:
        """The account's templates as WeChat lists them (template/get_all_private_template)."""
        ...

    async def create_menu(self, menu: dict[str, Any]) -> None:
        """Publish the custom menu (replaces the previous one)."""
        ...

    async def create_qrcode(self, scene: str, expire_seconds: int = 300) -> dict[str, Any]:
        """A temporary QR code carrying `scene`; WeChat's answer (ticket, url, expiry)."""
        ...

    async def get_media(self, media_id: str, limit: int) -> bytes:
        """A temporary medium's bytes (media/get; at most `limit` of them); WeChatApiError
        40007 when the id is unknown or past WeChat's 3 days (docs/wechat.md)."""
        ...


@dataclass(frozen=True)
class VerifyResult:
    """failed: None | not_found | name | phone | certificate | company | legal_rep |
    legal_rep_id | unavailable."""

    ok: bool
    check: str  # three_factor | four_factor
    failed: str | None = None
    region: str | None = None  # the enterprise's region, four-factor success only

    @property
    def unavailable(self) -> bool:
        """The check could not be made (the service is down): not the user's fault."""
        return self.failed == "unavailable"


class Verifier(Protocol):
    """Identity checks (port): the three-factor check of a person and the four-factor check of
    an enterprise. Each returns a VerifyResult saying whether it passed and, if not, why in
    words for the user."""

    async def three_factor(self, name: str, cert_type: str, cert_number: str,
                           phone: str) -> VerifyResult:
        """Whether the name, certificate and phone belong to one person (the operator's
        record of the phone); failed names the first part that does not match."""
        ...

    async def four_factor(self, company: str, uscc: str, legal_rep: str,
                          legal_rep_id: str) -> VerifyResult:
        """Whether the enterprise, its USCC, its legal representative and their ID number
        match the market-regulation record; a success carries the enterprise's region."""
        ...


class FaqPort(Protocol):
    """The FAQ the router and dialogs consult (knowledge.matcher.FaqMatcher). Pure and
    in memory: no call waits or fails except `get` on an unknown id."""

    @property
    def entries(self) -> tuple[FaqEntry, ...]:
        """Every entry, in the order of the knowledge files."""
        ...

    def ask(self, text: str) -> FaqResult:
        """The entries answering `text`: an outright answer, close suggestions or none."""
        ...

    def looks_like_question(self, text: str) -> bool:
        """Whether `text` reads as a question or problem report rather than an answer to
        the question a form asked."""
        ...

    def get(self, entry_id: str) -> FaqEntry:
        """The entry with this id; KeyError when there is none."""
        ...


class UnderstanderPort(Protocol):
    """Reads a message once: intent and slots (knowledge.understanding.Understander)."""

    def understand(self, text: str) -> Understanding:
        """What the message says: an intent, two close ones, a likely one or nothing,
        with the values (slots) it names. Pure; never raises on any text."""
        ...

    def naming(self, reading: Understanding, enterprises: list[str]) -> Understanding:
        """`reading` read again knowing the user's enterprise names; the same object
        when the message names none of them."""
        ...

    def spec(self, key: str) -> IntentSpec | None:
        """The declared intent `key` (its label for asking about it); None if unknown."""
        ...


@dataclass
class Ports:
    """Everything a dialog may reach. Fields are filled by the composition root; a test
    may leave out what it does not exercise."""

    faq: FaqPort | None = None
    platform: Platform | None = None
    sms: SmsService | None = None
    verify: Verifier | None = None
    catalog: Catalog | None = None
    understander: UnderstanderPort | None = None
    tickets: TicketDesk | None = None  # 工单: Q3 manual verification, Q6 reports
