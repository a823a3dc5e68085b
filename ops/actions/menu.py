"""Publishing the custom menu (`python -m bot menu-sync`, the console's overview),
written once and audited whatever WeChat answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from adapters.ports import WeChatApiError
from bot.menu import wechat_menu
from ops.actions import Refused, audit
from ops.actions.audit import Sessions


async def sync(registry: Any, api: Any, sessions: Sessions, *, actor: str, address: str,
               now: datetime) -> dict[str, Any]:
    """Publish the menu the dialogs declare through the WeChat API; the menu published.
    Refused (and audited) when WeChat refuses it."""
    menu = wechat_menu(registry)
    line = {"actor": actor, "address": address, "action": "menu_sync", "target": "menu",
            "at": now}
    try:
        await api.create_menu(menu)
    except WeChatApiError as exc:
        await audit.record(sessions, **line, detail=f"failed errcode={exc.errcode}")
        raise Refused(f"微信拒绝了菜单：errcode {exc.errcode} {exc.errmsg}") from None
    await audit.record(sessions, **line, detail=f"buttons={len(menu['button'])}")
    return menu
