"""Shared by the ticket tests: pictures as a phone sends them and waiting for the
media worker."""

from __future__ import annotations

from adapters.ticket_port import Ticket
from tests.support import Harness, eventually

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4 + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(200)
GIF = b"GIF89a" + bytes(200)


async def send_picture(h: Harness, data: bytes = JPEG, openid: str | None = None) -> str:
    """Upload `data` to the fake WeChat API and send it as an image message."""
    reply = await h.sim.image(openid or h.openid, data)
    assert reply.status == 200, (reply.status, reply.body)
    return reply.content or ""


async def settled(h: Harness, no: str) -> Ticket:
    """The ticket once the media worker has dealt with every image."""
    desk = h.runtime.ports.tickets
    assert desk is not None

    async def done() -> Ticket | None:
        ticket = await desk.find(no)
        return ticket if ticket is not None and not ticket.count("pending") else None

    return await eventually(done, within=15)
