"""The ticket desk's port: what dialogs and operator actions see of a ticket (工单), and
what the desk offers them. `adapters/tickets.py` implements it on our database; dialogs
import only this module, as they import `adapters.platform_port` for the platform."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


class TicketError(Exception):
    """A ticket request refused; `message` is said as it is."""

    def __init__(self, message: str, code: str = "refused") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class TicketImage:
    """An image of a ticket as lists show it (never its content)."""

    id: int
    role: str
    status: str  # pending | stored | refused | failed
    mime: str
    size: int
    error: str


@dataclass(frozen=True)
class TicketEvent:
    """One move of a ticket."""

    action: str
    from_status: str
    to_status: str
    actor: str
    message: str
    at: datetime


@dataclass(frozen=True)
class Ticket:
    """A ticket with its images and moves; `details` is the decrypted Q3 record."""

    no: str
    openid: str
    kind: str
    status: str
    title: str
    description: str
    last_reply: str
    created_at: datetime
    updated_at: datetime
    details: dict[str, Any] = field(default_factory=dict)
    images: tuple[TicketImage, ...] = ()
    events: tuple[TicketEvent, ...] = ()

    def count(self, *statuses: str, role: str | None = None) -> int:
        """Images in these statuses (all when none given), of one role if given."""
        return sum(1 for i in self.images
                   if (not statuses or i.status in statuses) and role in (None, i.role))


class TicketDesk(Protocol):
    """What a dialog may ask of the desk (the user's side)."""

    async def draft(self, openid: str, kind: str, *, idem_key: str, title: str = "",
                    details: dict[str, Any] | None = None) -> Ticket: ...

    async def attach(self, openid: str, no: str, media_id: str, role: str,
                     idem_key: str) -> Ticket: ...

    async def submit(self, openid: str, no: str, description: str = "", *,
                     details: dict[str, Any] | None = None) -> Ticket: ...

    async def drop(self, openid: str, no: str) -> None: ...

    async def mine(self, openid: str, limit: int = 5) -> list[Ticket]: ...

    async def get(self, openid: str, no: str) -> Ticket | None: ...
