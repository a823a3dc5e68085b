"""Web login by QR code (docs/wechat.md, "Events as WeChat means them"): the platform
shows a QR code carrying a scene;
scanning it (subscribe with ``qrscene_<scene>``, or SCAN for a follower) brings the
scene here as the LOGIN_SCENE intent's argument. We ask "确认登录融信服网页端？" and tell
the platform the answer: 1 确认 logs this account in, 2 or 取消 refuses. A scene is
usable once and expires after 5 minutes (the platform decides; we explain).

Only scenes starting with SCENE_PREFIX are login scenes (the local platform's
`python -m bot login new` makes `login_<hex>`; the web platform must do the same): any
other QR scene is a channel code and gets the welcome (docs/wechat.md).
"""

from __future__ import annotations

from adapters.platform_port import LoginResult, PlatformError, Profile
from dialogs.account_common import not_registered
from dialogs.base import ConvState, Dialog, Step, StepContext
from dialogs.masking import mask_phone
from dialogs.registry import Intent

SCENE_PREFIX = "login_"
YES = ("1", "确认", "确认登录", "登录", "是", "是的", "同意", "确定", "好", "好的", "对",
       "yes", "y", "ok")
NO = ("2", "取消登录", "不登录", "否", "不", "不是", "拒绝", "不是我", "不是我本人", "no", "n")
RESCAN = "请在电脑上刷新登录二维码后重新扫码。"
WHY_NOT = {
    "expired": "这个登录二维码已过期（5分钟内有效）。" + RESCAN,
    "used": "这个登录二维码已经用过了。" + RESCAN,
    "unknown": "没有找到这个登录二维码。" + RESCAN,
}
SAID = {
    "confirmed": "✅ 已确认登录，请在电脑上继续操作。\n"
                 "如果不是您本人在登录，请马上回复「转人工」。",
    "refused": "已取消本次登录，网页端不会登录您的账号。",
}


def _answer(result: LoginResult) -> str:
    return SAID.get(result.status) or WHY_NOT.get(result.status, WHY_NOT["unknown"])


class LoginDialog(Dialog):
    """网页端登录: after scanning a web-login QR code, asks the user to confirm or refuse the
    login (取消 refuses it)."""

    name = "login"
    resumable = False  # a 5-minute QR question is not worth a 7-day 继续填写
    title = "网页端登录"

    async def start(self, ctx: StepContext, conv: ConvState, arg: str = "") -> Step:
        scene = arg.strip().removeprefix("qrscene_")
        if not scene:
            return Step.text("没有识别到登录二维码。" + RESCAN)
        platform = ctx.ports.platform
        try:
            status = await platform.check_login(scene)
        except PlatformError as exc:
            return Step.text(exc.message)
        if status.status != "pending":
            return Step.text(_answer(status))
        profile: Profile = await platform.profile(ctx.openid)
        account = profile.account
        if account is None:
            return not_registered(conv, "登录网页端要先有融信服账号。", "\n注册后" + RESCAN)
        conv.clear_dialog()
        conv.dialog, conv.state = self.name, "confirm"
        active = profile.active
        conv.values = {"scene": scene,
                       "who": f"{account.legal_name}（{mask_phone(account.phone)}）",
                       "enterprise": active.name if active else ""}
        return Step.text(await self.prompt(ctx, conv))

    async def prompt(self, ctx: StepContext, conv: ConvState) -> str:
        lines = ["确认登录融信服网页端？", f"账号：{conv.values.get('who', '')}"]
        if conv.values.get("enterprise"):
            lines.append(f"企业：{conv.values['enterprise']}")
        lines += ["1 确认", "2 取消", "不是您本人在电脑上扫码的，请回复 2。"]
        return "\n".join(lines)

    async def handle(self, ctx: StepContext, conv: ConvState, text: str) -> Step:
        word = text.strip().rstrip("。.!！").lower()
        if word not in YES and word not in NO:
            return Step(say=Step.text("请回复 1 确认登录，或回复 2 取消。",
                                      await self.prompt(ctx, conv)).say, rejected=True)
        return Step.text(await self._decide(ctx, conv, word in YES))

    async def on_cancel(self, ctx: StepContext, conv: ConvState) -> str:
        """取消 (a global command) refuses the login rather than just leaving it open."""
        return await self._decide(ctx, conv, False)

    async def _decide(self, ctx: StepContext, conv: ConvState, approve: bool) -> str:
        scene = conv.values.get("scene", "")
        conv.clear_dialog()
        try:
            result = await ctx.ports.platform.decide_login(ctx.openid, scene, approve)
        except PlatformError as exc:
            return exc.message
        return _answer(result)


DIALOGS: list[Dialog] = [LoginDialog()]
INTENTS: list[Intent] = [Intent("LOGIN_SCENE", (), dialog="login")]
