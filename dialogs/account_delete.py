"""注销账号: says what goes and what the law keeps, asks for 确认注销, then deletes.

Only the exact words 确认注销 (spaces and a full stop forgiven) delete: on a phone a
stray "好" or a question must never erase an account. A bare 确认 is asked about once
more (it is what every other form takes); anything else cancels and says nothing
changed. The platform deletes the account (adapters.platform_port.delete_account); the
step's commit then erases the bot's own rows of the openid (bot/forget.py), so the
conversation this dialog lives in is not written back.
"""

from __future__ import annotations

from adapters.platform_port import NotFound, PlatformError
from dialogs.account_common import not_registered
from dialogs.base import ConvState, Dialog, Forget, Step, StepContext
from dialogs.masking import mask_phone
from dialogs.registry import Intent

CONFIRM = "确认注销"
WORKING = "正在注销，请稍候…"
EXPLAIN = (
    "注销后将删除：\n"
    "· 您的融信服账号和微信绑定\n"
    "· 个人认证、企业认证和授权书\n"
    "· 加密保存的身份证号、手机号\n"
    "· 与本公众号的对话、消息记录和验证码记录\n"
    "按法律规定需要保留：已被金融机构受理的融资需求，保留在企业名下，"
    "但不再含有您的姓名、身份证号和手机号。未受理的需求和草稿一并删除。\n"
    "注销后不能恢复，之后可以用同一手机号重新注册。")
ASK = f"确定要注销，请回复「{CONFIRM}」；回复其他任何内容都会取消。"
ASK_AGAIN = f"为防误操作，请完整回复「{CONFIRM}」四个字；回复其他内容将取消注销。"
CANCELLED = "已取消注销，您的账号和信息都没有变动。回复「菜单」看看能办什么。"
DONE = ("✅ 账号已注销，您的个人信息已删除。{kept}\n"
        "感谢您使用融信服！以后需要时，回复「注册」即可重新注册。")
KEPT = "已被金融机构受理的{n}笔融资需求按规定保留在企业名下，不含您的个人信息。"


def _said(text: str) -> str:
    return "".join(text.split()).rstrip("。.!！")


class AccountDeleteDialog(Dialog):
    """注销账号: says what goes and what stays and asks for the confirmation phrase (a bare
    确认 is asked about once more), then erases the account through the platform;
    anything else cancels."""

    name = "account_delete"
    title = "注销账号"
    resumable = False  # a yes/no question is not kept for 继续填写

    async def start(self, ctx: StepContext, conv: ConvState, arg: str = "") -> Step:
        profile = await ctx.ports.platform.profile(ctx.openid)
        account = profile.account
        if account is None:
            return not_registered(conv, "您的微信没有绑定融信服账号，不需要注销。\n")
        conv.clear_dialog()
        conv.dialog, conv.state = self.name, "confirm"
        who = f"{account.legal_name}（{mask_phone(account.phone)}）"
        return Step.text(f"注销账号：{who}", EXPLAIN, ASK)

    async def prompt(self, ctx: StepContext, conv: ConvState) -> str:
        return ASK

    async def handle(self, ctx: StepContext, conv: ConvState, text: str) -> Step:
        said = _said(text)
        if said == CONFIRM:
            return await self._delete(ctx, conv)
        if said == "确认" and not conv.scratch.get("asked_again"):
            conv.scratch["asked_again"] = True
            return Step.text(ASK_AGAIN)
        conv.clear_dialog()
        return Step.text(CANCELLED)

    async def on_cancel(self, ctx: StepContext, conv: ConvState) -> str:
        return CANCELLED

    async def _delete(self, ctx: StepContext, conv: ConvState) -> Step:
        platform = ctx.ports.platform
        profile = await platform.profile(ctx.openid)
        phones = set()
        if profile.account is not None:
            phones.add(profile.account.phone)
        if profile.person is not None:
            phones.add(profile.person.phone)
        ctx.set_hint(WORKING)
        kept = 0
        try:
            kept = (await platform.delete_account(ctx.openid, ctx.idem_key)).kept_demands
        except NotFound:
            pass  # gone already (a retried call after it went): ours to finish
        except PlatformError as exc:
            return Step.text(exc.message, ASK)
        conv.clear_dialog()
        conv.forget = Forget(account=True, phones=tuple(sorted(phones)),
                             detail=f"kept_demands={kept}")
        return Step.text(DONE.format(kept=KEPT.format(n=kept) if kept else ""))


DIALOGS: list[Dialog] = [AccountDeleteDialog()]
INTENTS: list[Intent] = [
    # 确认注销 outside the dialog (a WeChat retry after the account went) only starts it.
    Intent("ACCOUNT_DELETE", ("注销账号", "注销", "删除账号", "注销融信服账号", "账号注销",
                              CONFIRM),
           dialog="account_delete"),
]
