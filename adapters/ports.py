"""The ports dialogs and the runtime talk through. Implementations live beside this file
and are chosen by settings in `server.py`; tests use the same real implementations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from adapters.platform_port import Catalog, Platform
    from adapters.sms import SmsService
    from adapters.ticket_port import TicketDesk
    from adapters.verify import Verifier


class WeChatApiError(Exception):
    """WeChat answered with an errcode (or could not be reached: errcode None)."""

    def __init__(self, errcode: int | None, errmsg: str = "") -> None:
        super().__init__(f"{errcode}: {errmsg}" if errcode is not None else errmsg or "network")
        self.errcode = errcode
        self.errmsg = errmsg


class WeChatApi(Protocol):
    async def send_text(self, openid: str, content: str) -> None: ...

    async def send_template(self, openid: str, template_id: str, data: dict[str, Any],
                            url: str | None = None, *,
                            client_msg_id: str | None = None) -> str: ...

    async def private_templates(self) -> list[dict[str, Any]]: ...

    async def create_menu(self, menu: dict[str, Any]) -> None: ...

    async def create_qrcode(self, scene: str, expire_seconds: int = 300) -> dict[str, Any]: ...

    async def get_media(self, media_id: str, limit: int) -> bytes: ...


class FaqPort(Protocol):
    def ask(self, text: str) -> Any: ...

    def looks_like_question(self, text: str) -> bool: ...

    def get(self, entry_id: str) -> Any: ...


class UnderstanderPort(Protocol):
    """Reads a message once: intent and slots (knowledge.understanding)."""

    def understand(self, text: str) -> Any: ...


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
