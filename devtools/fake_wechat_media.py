"""Temporary media in the fake WeChat API: what users "sent" as pictures.

The simulator (devtools/sim.py) uploads a picture's bytes to the control route `POST _media`
before delivering the image message, as WeChat stores a user's picture before telling
the account; the bot then reads it through `GET cgi-bin/media/get` as it would on
WeChat. As strict as WeChat (docs/wechat.md, "Temporary media"): a media_id never issued
or older than 3 days answers errcode 40007 "invalid media_id" as JSON, a file is served
with its Content-Type and a Content-disposition naming it. The control route takes any
bytes on purpose, so tests can deliver what a phone would never send and see the bot
refuse it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from devtools.fake_wechat_checks import ApiError

MEDIA_TTL = 3 * 24 * 3600.0  # temporary media live 3 days
MAX_UPLOAD = 20 * 1024 * 1024  # above WeChat's 10 MB, so oversized files can be tried
_TYPES = ((b"\xff\xd8\xff", "image/jpeg", "jpg"), (b"\x89PNG\r\n\x1a\n", "image/png", "png"))


@dataclass(frozen=True)
class MediaFile:
    """One stored file: its bytes, type and when it was stored (window clock)."""

    data: bytes
    content_type: str
    extension: str
    stored_at: float


class MediaBook:
    """The fake's temporary media, by media_id."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.files: dict[str, MediaFile] = {}

    def store(self, data: bytes) -> str:
        """Keep `data` as a user's picture; its new media_id."""
        content_type, extension = "application/octet-stream", "bin"
        for magic, kind, ext in _TYPES:
            if data.startswith(magic):
                content_type, extension = kind, ext
        media_id = secrets.token_urlsafe(48)  # WeChat's are 64 characters of this alphabet
        self.files[media_id] = MediaFile(data, content_type, extension, self.clock())
        return media_id

    def get(self, media_id: str) -> MediaFile:
        """The file, or ApiError 40007 for an unknown or expired media_id."""
        found = self.files.get(media_id or "")
        if found is None or self.clock() - found.stored_at >= MEDIA_TTL:
            raise ApiError(40007)
        return found

    def expire(self, media_id: str | None = None) -> None:
        """Forget one media_id (or all), as if its 3 days had passed."""
        if media_id is None:
            self.files.clear()
        else:
            self.files.pop(media_id, None)


def media_response(book: MediaBook, request: web.Request) -> web.Response:
    """GET cgi-bin/media/get: the file itself (ApiError goes out as WeChat's JSON)."""
    media_id = request.query.get("media_id", "")
    found = book.get(media_id)
    return web.Response(body=found.data, content_type=found.content_type, headers={
        "Content-disposition": f'attachment; filename="{media_id}.{found.extension}"'})


async def upload(book: MediaBook, request: web.Request) -> web.Response:
    """POST _media (control): the raw body becomes a user's picture."""
    body = bytearray()
    while len(body) <= MAX_UPLOAD:  # read() returns what has arrived, not all of it
        chunk = await request.content.read(MAX_UPLOAD + 1 - len(body))
        if not chunk:
            break
        body += chunk
    data = bytes(body)
    if not data or len(data) > MAX_UPLOAD:
        return web.json_response({"error": f"body must be 1 to {MAX_UPLOAD} bytes"}, status=400)
    media_id = book.store(data)
    base = str(request.url.parent)
    return web.json_response({"media_id": media_id,
                              "pic_url": f"{base}/_media/{media_id}"})
