"""The custom menu, defined once: 3 buttons × at most 5 entries, each a CLICK key that
is also an intent key, so typing the entry's name does what clicking it does."""

from __future__ import annotations

from typing import Any

from dialogs.registry import Registry

MENU: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("融资服务", (
        ("DEMAND_NEW", "发布融资需求"),
        ("DEMAND_LIST", "我的需求"),
        ("PRODUCTS", "金融产品"),
        ("POLICIES", "政策专区"),
    )),
    ("企业中心", (
        ("REGISTER", "注册账号"),
        ("CERTIFY", "认证授权"),
        ("ENTERPRISES", "我的企业"),
        ("MY_INFO", "我的信息"),
    )),
    ("帮助", (
        ("FAQ", "常见问题"),
        ("GUIDE", "使用指南"),
        ("CONTACT", "联系我们"),
        ("HUMAN", "转人工"),
    )),
)


def menu_keys() -> list[str]:
    return [key for _, entries in MENU for key, _ in entries]


def wechat_menu(registry: Registry) -> dict[str, Any]:
    """The menu/create body; entries whose feature is not registered are left out."""
    buttons = []
    for name, entries in MENU:
        subs = [{"type": "click", "name": label, "key": key}
                for key, label in entries if registry.by_key(key) is not None]
        if subs:
            buttons.append({"name": name, "sub_button": subs})
    return {"button": buttons}
