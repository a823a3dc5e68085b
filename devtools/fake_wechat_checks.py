"""Request rules of the fake WeChat API: the checks and errcodes the real API applies.

Kept apart from the server (devtools/fake_wechat.py) so the rules read as one table and the
server only routes, records and injects faults. Each check raises `ApiError`, which the
server turns into WeChat's `{"errcode": N, "errmsg": "..."}` with HTTP 200.
"""

from __future__ import annotations

import json
from typing import Any

ERRMSG: dict[int, str] = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40008: "invalid message type",
    40013: "invalid appid",
    40014: "invalid access_token",
    40016: "invalid button size",
    40017: "invalid button type",
    40018: "invalid button name size",
    40019: "invalid button key size",
    40020: "invalid button url size",
    40022: "invalid sub button level",
    40023: "invalid sub button size",
    40024: "invalid sub button type",
    40025: "invalid sub button name size",
    40026: "invalid sub button key size",
    40027: "invalid sub button url size",
    40007: "invalid media_id",
    40037: "invalid template_id",
    40097: "invalid args",
    40125: "invalid appsecret",
    41001: "access_token missing",
    41002: "appid missing",
    41004: "appsecret missing",
    42001: "access_token expired",
    43004: "require subscribe",
    44002: "empty post data",
    44004: "empty content",
    45009: "reach max api daily quota limit",
    45011: "api minute-quota reach limit mustslower retry next minute",
    45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit",
    46003: "menu no exist",
    47001: "data format error",
    47003: "argument invalid!",
}


class ApiError(Exception):
    """A WeChat-style error answer: HTTP 200 with a non-zero errcode."""

    def __init__(self, errcode: int, detail: str = "") -> None:
        base = ERRMSG.get(errcode, "fake error")
        self.errcode = errcode
        self.errmsg = f"{base} {detail}".strip()
        super().__init__(f"{errcode}: {self.errmsg}")

    def body(self) -> dict[str, Any]:
        """The JSON WeChat answers with: errcode and errmsg."""
        return {"errcode": self.errcode, "errmsg": self.errmsg}


def parse_json_body(raw: bytes) -> dict[str, Any]:
    """Decode a POST body whatever its Content-Type: wechatpy posts bytes without one."""
    if not raw.strip():
        raise ApiError(44002)
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiError(47001, "(body is not UTF-8 JSON)") from exc
    if not isinstance(body, dict):
        raise ApiError(47001, "(body is not a JSON object)")
    return body


def _nonempty_str(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def check_openid(body: dict[str, Any]) -> str:
    touser = body.get("touser")
    if not _nonempty_str(touser) or any(ch.isspace() for ch in touser):
        raise ApiError(40003, "(touser)")
    return touser


# --- customer-service messages --------------------------------------------------------

CUSTOM_MSGTYPES = frozenset({
    "text", "image", "voice", "video", "music", "news", "mpnews", "mpnewsarticle",
    "msgmenu", "wxcard", "miniprogrampage",
})


def check_custom(body: dict[str, Any]) -> None:
    check_openid(body)
    msgtype = body.get("msgtype")
    if msgtype not in CUSTOM_MSGTYPES:
        raise ApiError(40008, f"(msgtype {msgtype!r})")
    content = body.get(msgtype)
    if not isinstance(content, dict):
        raise ApiError(47001, f"(missing {msgtype} object)")
    if msgtype == "text" and not _nonempty_str(content.get("content")):
        raise ApiError(44004)


# --- custom menu ----------------------------------------------------------------------

BUTTON_TYPES = frozenset({
    "click", "view", "miniprogram", "scancode_push", "scancode_waitmsg", "pic_sysphoto",
    "pic_photo_or_album", "pic_weixin", "location_select", "media_id", "view_limited",
    "article_id", "article_view_limited",
})
_KEY_TYPES = BUTTON_TYPES - {"view", "miniprogram", "media_id", "view_limited",
                             "article_id", "article_view_limited"}


def _check_button(button: Any, *, sub: bool) -> None:
    # The real API uses distinct codes for top-level and sub buttons.
    name_err, type_err, key_err, url_err = (
        (40025, 40024, 40026, 40027) if sub else (40018, 40017, 40019, 40020)
    )
    if not isinstance(button, dict):
        raise ApiError(47001, "(button is not an object)")
    name = button.get("name")
    max_name = 60 if sub else 16  # bytes, as WeChat counts them
    if not _nonempty_str(name) or len(name.encode("utf-8")) > max_name:
        raise ApiError(name_err, f"(name {name!r})")
    if button.get("sub_button"):
        if sub:
            raise ApiError(40022)
        subs = button["sub_button"]
        if not isinstance(subs, list) or len(subs) > 5:
            raise ApiError(40023, f"(button {name!r})")
        for child in subs:
            _check_button(child, sub=True)
        return
    kind = button.get("type")
    if kind not in BUTTON_TYPES:
        raise ApiError(type_err, f"(button {name!r} type {kind!r})")
    if kind in _KEY_TYPES:
        key = button.get("key")
        if not _nonempty_str(key) or len(key.encode("utf-8")) > 128:
            raise ApiError(key_err, f"(button {name!r})")
    if kind in ("view", "miniprogram"):
        url = button.get("url")
        if not _nonempty_str(url) or len(url.encode("utf-8")) > 1024:
            raise ApiError(url_err, f"(button {name!r})")


def check_menu(body: dict[str, Any]) -> None:
    buttons = body.get("button")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        raise ApiError(40016)
    for button in buttons:
        _check_button(button, sub=False)


# --- parametric QR codes --------------------------------------------------------------

QR_ACTIONS = frozenset({"QR_SCENE", "QR_STR_SCENE", "QR_LIMIT_SCENE", "QR_LIMIT_STR_SCENE"})
QR_DEFAULT_EXPIRE = 60
QR_MAX_EXPIRE = 2_592_000  # 30 days


def check_qrcode(body: dict[str, Any]) -> int | None:
    """Validate a qrcode/create body; return the expiry in seconds (None = permanent)."""
    action = body.get("action_name")
    if action not in QR_ACTIONS:
        raise ApiError(40097, f"(action_name {action!r})")
    info = body.get("action_info")
    scene = info.get("scene") if isinstance(info, dict) else None
    if not isinstance(scene, dict):
        raise ApiError(40097, "(action_info.scene)")
    permanent = action.startswith("QR_LIMIT")
    if action.endswith("STR_SCENE"):
        scene_str = scene.get("scene_str")
        if not isinstance(scene_str, str) or not 1 <= len(scene_str) <= 64:
            raise ApiError(40097, "(scene_str must be 1-64 characters)")
    else:
        scene_id = scene.get("scene_id")
        upper = 100_000 if permanent else 2**32 - 1
        if isinstance(scene_id, bool) or not isinstance(scene_id, int) or not (
            1 <= scene_id <= upper
        ):
            raise ApiError(40097, f"(scene_id must be 1-{upper})")
    if permanent:
        return None
    expire = body.get("expire_seconds", QR_DEFAULT_EXPIRE)
    if isinstance(expire, bool) or not isinstance(expire, int) or expire <= 0:
        raise ApiError(40097, "(expire_seconds)")
    return min(expire, QR_MAX_EXPIRE)  # WeChat caps silently at 30 days
