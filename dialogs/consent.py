"""The separate consent to the 个人信息处理规则 (PIPL art. 29: sensitive personal
information, ID and phone numbers, needs its own consent, not one bundled with the
注册服务协议).

Registration asks it as its first question (dialogs/register.py), before anything is
typed. A registered user whose account has not agreed to CONSENT_VERSION (an older
version, or an account from before the rules) is asked by `gate` when starting
something that uses personal data (认证授权, 添加企业, 发布融资需求); 同意 is recorded
through the platform port and what was started carries on; 不同意 changes nothing.
"""

from __future__ import annotations

from adapters.platform_port import PlatformError, Profile
from dialogs.base import BrowsingDialog, ConvState, Dialog, Step, StepContext
from dialogs.registry import Intent
from knowledge.normal import answer_text

CONSENT_VERSION = "RXF-PI-2026.1"

RULES = (
    f"《个人信息处理规则》要点（版本 {CONSENT_VERSION}）：\n"
    "· 收集：姓名、身份证号、手机号和企业信息\n"
    "· 用途：核验身份、为您匹配融资\n"
    "· 提供给：身份核验服务，和您选择的金融机构\n"
    "· 保存：加密保存到您注销账号为止\n"
    "· 撤回：随时回复「注销账号」\n"
    "身份证号、手机号是敏感个人信息，需要您单独同意。\n"
    "1 同意\n2 不同意\n（回复「详细」看完整规则）"
)
QUESTION = "您同意《个人信息处理规则》吗？\n1 同意\n2 不同意"
FULL_RULES = (
    f"个人信息处理规则（版本 {CONSENT_VERSION}）\n"
    "一、谁处理：云南省中小企业融资综合信用服务平台（融信服）。\n"
    "二、收集什么：法定代表人或您本人的姓名、证件号、手机号；企业名称、统一社会信用代码、"
    "所在地区；签署授权书时的水电气户号；您发布的融资需求。\n"
    "三、为什么：核验身份和企业信息（三要素、四要素核验），为您匹配和对接融资。\n"
    "四、提供给谁：身份核验服务（只核对是否一致）；您发布需求时选择的金融机构，"
    "或关注您需求的金融机构。\n"
    "五、怎么保存：证件号、手机号加密保存，显示时打码；账号保存到您注销为止。"
    "注销后删除，已被金融机构查看的需求依法留存，但去掉个人证件号和手机号。\n"
    "六、您的权利：回复「导出我的信息」查看；回复「修改个人认证」「修改企业认证」更正；"
    "回复「注销账号」撤回同意并删除账号。\n"
    "七、联系：0871-64980508（法定工作日工作时间），或回复「转人工」。"
)
REFUSED_REGISTER = ("好的，已结束注册，您刚才填写的内容都没有保存。\n"
                    "以后想注册，随时回复「注册」。也可以先看看「金融产品」「政策专区」。")
AGREE, REFUSE, MORE = "agree", "refuse", "more"
_AGREE_WORDS = ("1", "同意", "是", "是的", "好", "好的", "可以", "确认", "yes", "y", "ok")
_REFUSE_WORDS = ("2", "否", "不", "不要", "不行", "no", "n")
_MORE_WORDS = ("详细", "详情", "完整规则", "看完整规则", "查看详细", "规则", "看看", "3")


def answer(text: str) -> str | None:
    """同意 / 不同意 / 详细, or None. 不同意 contains 同意: the 不 decides first."""
    word = answer_text(text).rstrip("。.!！").lower()
    if "不同意" in word or word in _REFUSE_WORDS:
        return REFUSE
    if word in _MORE_WORDS:
        return MORE
    if "同意" in word or word in _AGREE_WORDS:
        return AGREE
    return None


def agreed_value(ctx: StepContext) -> dict[str, str]:
    """What a form keeps for the consent until the account exists to record it on."""
    return {"version": CONSENT_VERSION, "at": ctx.now.isoformat()}


async def gate(ctx: StepContext, target: str, arg: str = "",
               profile: Profile | None = None) -> Step | None:
    """The consent question when this registered user has not agreed to the current
    version; `target` (started with `arg`) carries on after 同意. None otherwise: no
    account (the dialog's own guard answers that) or agreed already. `profile`: the
    caller's, when it has read it already."""
    consents = await ctx.ports.platform.consents(ctx.openid)
    if any(c.version == CONSENT_VERSION for c in consents):
        return None
    profile = profile or await ctx.ports.platform.profile(ctx.openid)
    if profile.account is None:
        return None
    # Whether an older version was agreed travels along: the question's lead says so.
    older = "older" if consents else ""
    return Step(start=ConsentDialog.name, start_arg=f"{target}|{arg}|{older}")


class ConsentDialog(BrowsingDialog):
    """The question asked before what was started; nothing typed here is kept, so going
    elsewhere simply drops it (asked again next time)."""

    name = "consent"
    title = "个人信息处理规则"

    async def start(self, ctx: StepContext, conv: ConvState, arg: str = "") -> Step:
        wanted, _, older = arg.rpartition("|")
        target, _, target_arg = wanted.partition("|")
        self.begin(conv, "ask")
        conv.values = {"target": target, "arg": target_arg}
        lead = ("我们的个人信息处理规则更新了，继续之前请您再确认一次。" if older
                else "继续之前，请先看一下我们怎样处理您的个人信息。")
        return Step.text(lead, RULES)

    async def handle(self, ctx: StepContext, conv: ConvState, text: str) -> Step:
        said = answer(text)
        if said == MORE:
            return Step.text(FULL_RULES, QUESTION)
        if said == REFUSE:
            conv.clear_dialog()
            conv.kept = None
            return Step.text("好的，没有您的同意，我们不能继续办理，您的账号和信息不变。\n"
                             "想办理时重新发起即可；想删除账号请回复「注销账号」。")
        if said != AGREE:
            return Step(say=Step.text("请回复 1 同意，或 2 不同意（回复「详细」看完整规则）。")
                        .say, rejected=True)
        target, target_arg = conv.values.get("target", ""), conv.values.get("arg", "")
        try:
            await ctx.ports.platform.record_consent(ctx.openid, CONSENT_VERSION, ctx.now,
                                                    ctx.idem_key)
        except PlatformError as exc:
            return Step.text(exc.message)
        conv.clear_dialog()
        return Step.text("已记录您的同意，谢谢！", start=target or None, start_arg=target_arg)

    async def prompt(self, ctx: StepContext, conv: ConvState) -> str:
        return QUESTION


async def rules(ctx: StepContext, conv: ConvState, arg: str) -> Step:
    return Step.text(FULL_RULES)


DIALOGS: list[Dialog] = [ConsentDialog()]
INTENTS: list[Intent] = [
    Intent("PRIVACY_RULES", ("个人信息处理规则", "隐私政策", "隐私条款", "个人信息保护政策",
                             "处理规则", "隐私规则"), respond=rules, inline=True),
]
