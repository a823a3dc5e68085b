"""Dev-only HTTP routes the chat simulator reads. Mounted only when settings.dev_routes
(RXF_ENV=dev by default): production never exposes what the local SMS gateway 'sent'."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from aiohttp import web

from dialogs.masking import mask_phone

SMS_PAGE = 50
FRESH = timedelta(minutes=5)


def routes(runtime: Callable[[], Any]) -> list[web.RouteDef]:
    async def sms(request: web.Request) -> web.Response:
        """GET /dev/sms?after=<id> -> {"messages": [{id, phone (masked), text}]};
        after=0 (a poller's first call) gives only the last 5 minutes."""
        try:
            after = int(request.query.get("after", "0") or 0)
        except ValueError:
            return web.json_response({"error": "after must be a message id"}, status=400)
        rt = runtime()
        outbox = rt.ports.sms if rt is not None else None
        if outbox is None:
            return web.json_response({"messages": []}, status=503 if rt is None else 200)
        rows = await outbox.outbox(after=after, limit=SMS_PAGE)
        if after == 0:  # a poller just started: codes older than their 5 minutes are noise
            since = rt.bot.clock() - FRESH
            rows = [row for row in rows if row[3] >= since]
        return web.json_response({"messages": [
            {"id": row_id, "phone": mask_phone(phone), "text": text}
            for row_id, phone, text, _at in rows]})

    return [web.get("/dev/sms", sms)]
