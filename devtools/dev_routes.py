"""Dev-only HTTP routes the chat simulator reads. Mounted only when settings.dev_routes
(RXF_ENV=dev by default): production never exposes what the local SMS gateway 'sent'."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from aiohttp import web

from dialogs.masking import mask_phone

if TYPE_CHECKING:
    from adapters.sms import SmsService

SMS_PAGE = 50
FRESH = timedelta(minutes=5)


def routes(gateway: SmsService | None, clock: Callable[[], datetime]) -> list[web.RouteDef]:
    """The simulator's routes: what the local SMS gateway recorded."""

    async def sms(request: web.Request) -> web.Response:
        """GET /dev/sms?after=<id> -> {"messages": [{id, phone (masked), text}]};
        after=0 (a poller's first call) gives only the last 5 minutes."""
        try:
            after = int(request.query.get("after", "0") or 0)
        except ValueError:
            return web.json_response({"error": "after must be a message id"}, status=400)
        if gateway is None:
            return web.json_response({"messages": []})
        rows = await gateway.outbox(after=after, limit=SMS_PAGE)
        if after == 0:  # a poller just started: codes older than their 5 minutes are noise
            since = clock() - FRESH
            rows = [row for row in rows if row[3] >= since]
        return web.json_response({"messages": [
            {"id": row_id, "phone": mask_phone(phone), "text": text}
            for row_id, phone, text, _at in rows]})

    return [web.get("/dev/sms", sms)]
