"""Operators' work on tickets (工单): list, show, take, resolve, reject, view an image.

Every move goes through the ticket lifecycle (state_machines/ticket.py) inside the
ticket desk (adapters/tickets.py), which writes the move and the message to the user in
one transaction; the push worker sends it as a customer-service message within the
user's quota, or keeps it until the user writes again (bot/push_worker.py). Resolving a
Q3 ticket (人工核验) invites the user to 重新认证 with everything filled in.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.masking import mask_id, mask_phone, mask_text
from adapters.ticket_port import Ticket, TicketError
from adapters.tickets import TicketStore
from ops.actions.audit import CLI_ADDRESS
from state_machines.ticket import OPEN, STATES, WORKING, IllegalTicketMove

MAX_REPLY = 300  # a reply is read on a phone
# How the CLI and the console name what a ticket holds.
ROLE = {"licence": "营业执照", "screenshot": "截图"}
CHECKS = {"four_factor": "工商四要素", "three_factor": "个人三要素"}
FACTORS = {"legal_rep": "法定代表人姓名", "legal_rep_id": "法定代表人证件号",
           "company": "企业名称", "not_found": "信用代码查无此企业"}
IMAGE_STATUS = {"pending": "下载中", "stored": "已保存", "refused": "已拒收", "failed": "下载失败"}


class ActionError(Exception):
    """An operator's request refused; `message` says why, in Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ImageFile:
    """A ticket's image for viewing: its type, bytes and a file name to save it under."""

    mime: str
    data: bytes
    filename: str


async def list_tickets(desk: TicketStore, status: str | None = None,
                       limit: int = 50) -> list[Ticket]:
    """Tickets waiting or done, oldest first; `status` one of the lifecycle's states."""
    if status is not None and status not in STATES:
        raise ActionError(f"没有「{status}」这个状态，可选：{'、'.join(STATES)}")
    return await desk.listing(status, max(1, min(limit, 500)))


async def show_ticket(desk: TicketStore, no: str, *, reveal: bool = False,
                      by: str = "", address: str = CLI_ADDRESS) -> Ticket:
    """One ticket with its moves and images. The ID number and phone in its details are
    masked unless `reveal` (the data-sync request needs them whole), which `by` leaves
    an audit line for."""
    ticket = await desk.find(no)
    if ticket is None:
        raise ActionError(f"没有编号为{no.strip().upper()}的工单。")
    if reveal and ticket.details:
        await desk.note(ticket.no, _who(by), "ticket_reveal", address, ticket.no)
        return ticket
    if not ticket.details:
        return ticket
    details = dict(ticket.details)
    if details.get("legal_rep_id"):
        details["legal_rep_id"] = mask_id(str(details["legal_rep_id"]))
    if details.get("phone"):
        details["phone"] = mask_phone(str(details["phone"]))
    details.pop("form", None)  # the form's own values: for 重新认证 only
    return _with_details(ticket, details)


async def take_ticket(desk: TicketStore, no: str, *, by: str,
                      address: str = CLI_ADDRESS) -> Ticket:
    """待处理 -> 处理中: someone is on it (the user is not disturbed)."""
    return await _move(desk, no, "take", by, "", tell=None, address=address)


async def resolve_ticket(desk: TicketStore, no: str, *, reply: str, by: str,
                         address: str = CLI_ADDRESS) -> Ticket:
    """已解决, with `reply` sent to the user (and, for 人工核验, the way back in)."""
    ticket = await show_ticket(desk, no)
    reply = _reply(reply)
    tell = f"【工单{ticket.no} 已处理】\n{reply}"
    if ticket.kind == "q3":
        tell += "\n回复「重新认证」，用您之前填写的信息再核验一次，不用重新填写。"
    else:
        tell += "\n还有问题可以直接回复，或回复「转人工」。"
    return await _move(desk, ticket.no, "resolve", by, reply, tell=tell, address=address)


async def reject_ticket(desk: TicketStore, no: str, *, reply: str, by: str,
                        address: str = CLI_ADDRESS) -> Ticket:
    """已驳回, with `reply` (why, and what to do instead) sent to the user."""
    ticket = await show_ticket(desk, no)
    reply = _reply(reply)
    tell = f"【工单{ticket.no} 未通过】\n{reply}\n有疑问请回复「转人工」。"
    return await _move(desk, ticket.no, "reject", by, reply, tell=tell, address=address)


async def ticket_image(desk: TicketStore, no: str, index: int, *, by: str,
                       address: str = CLI_ADDRESS) -> ImageFile:
    """The `index`-th image of a ticket (1-based), decrypted, for the operator to view;
    each view is an audit line (a licence photo is personal data)."""
    found = await desk.image(no, index)
    if found is None:
        raise ActionError(f"工单{no.strip().upper()}没有第{index}张已保存的图片。")
    await desk.note(no, _who(by), "ticket_image", address, f"{no.strip().upper()} #{index}")
    info, data = found
    extension = "png" if info.mime == "image/png" else "jpg"
    return ImageFile(info.mime, data, f"{no.strip().upper()}-{index}.{extension}")


def waiting(ticket: Ticket) -> bool:
    """Whether the ticket still waits for an operator."""
    return ticket.status in (OPEN, WORKING)


# --- mechanics -----------------------------------------------------------------------
def _reply(reply: str) -> str:
    text = mask_text(reply.strip())
    if not text:
        raise ActionError("请用 --reply 写给用户的回复。")
    if len(text) > MAX_REPLY:
        raise ActionError(f"回复最多{MAX_REPLY}字（现在{len(text)}字），手机上要读得完。")
    return text


def _who(by: str) -> str:
    return (by or "").strip()[:30] or "运营"


async def _move(desk: TicketStore, no: str, action: str, by: str, reply: str,
                tell: str | None, address: str) -> Ticket:
    try:
        return await desk.operate(no, action, _who(by), reply, tell, address)
    except IllegalTicketMove as exc:
        raise ActionError(exc.message) from None
    except TicketError as exc:
        raise ActionError(exc.message) from None


def _with_details(ticket: Ticket, details: dict[str, object]) -> Ticket:
    from dataclasses import replace

    return replace(ticket, details=details)
