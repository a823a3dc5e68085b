"""Dev-only HTTP routes the chat simulator reads (filled by the accounts work)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web


def routes(runtime: Callable[[], Any]) -> list[web.RouteDef]:
    return []
