"""What the account dialogs (注册, 认证授权, 企业, 登录) share: the SMS code field, the
answer to a failed identity check, the early "already registered" check and the answer
to someone who has no account yet."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from adapters.platform_port import PlatformError
from dialogs.base import ConvState, Step, StepContext
from dialogs.form_spec import Field, Reopen, Values
from dialogs.masking import mask_phone
from dialogs.validators import Invalid, sms_code

if TYPE_CHECKING:
    from adapters.ports import VerifyResult

VERIFYING = "正在核验，请稍候…结果马上发给您。"
VERIFY_DOWN = "核验服务暂时无法访问，您填写的内容都已保存，请稍后回复「确认」再试。"
PERSON_MISMATCH = "信息不一致，请确保所有信息属于本人。"
ENTERPRISE_MISMATCH = "工商四要素校验不一致，请对照营业执照重新确认。"
RESEND_WORDS = ("重发", "重新发送", "重新获取", "再发一次", "再发", "重新发", "获取验证码",
                "发送验证码", "重发验证码", "重新获取验证码")
_FALLBACK_ADVICE = {
    "q2_personal_mismatch": "请确认手机号是本人实名登记的号码；号码30天内刚变更或携号转网的，"
                            "请等数据同步后再认证。",
    "q3_enterprise_mismatch": "请严格按营业执照核对企业名称、信用代码（注意数字1和字母I、"
                              "数字0和字母O）、法定代表人姓名和证件号。",
}
# What a user is told when a check finds information that does not match, and the FAQ
# entry whose advice follows it, by VerifyResult.check.
_MISMATCH = {"three_factor": (PERSON_MISMATCH, "q2_personal_mismatch"),
             "four_factor": (ENTERPRISE_MISMATCH, "q3_enterprise_mismatch")}
# Menu words are valid-looking names ("认证" is two Chinese characters): refused in name
# fields, so the router runs what they name instead of storing them as a value.
MENU_WORDS = frozenset((
    "认证", "认证授权", "实名认证", "注册", "注册账号", "我的企业", "我的信息", "添加企业",
    "切换企业", "发布融资需求", "发布需求", "我的需求", "金融产品", "政策专区", "常见问题",
    "联系我们", "使用指南", "个人认证", "企业认证", "签署授权书", "授权书", "查进度"))
# Form values key: the last four-factor refusal ({check, failed, at, times}).
FAILED_CHECK = "_failed_check"
MANUAL_HINT = ("信息核对无误、近期办过工商变更（如更换法定代表人、改名）且已满4天的，"
               "回复「申请人工核验」由平台人工处理。")
# Form values key: phones whose ownership an SMS code proved (a list, to stay JSON).
VERIFIED = "_verified"
# "（回复「认证」继续）" inside an FAQ answer: here the user is already at that step.
_REPLY_HINT = re.compile(r"（回复「[^」]*」[^）]*）")


def advice(ctx: StepContext, entry_id: str) -> str:
    """The manual's advice (FAQ entry) in short form: the causes and what to do, without
    the long special-case paragraph, which stays one question away in the FAQ."""
    try:
        answer = ctx.ports.faq.get(entry_id).answer
    except (AttributeError, KeyError):
        return _FALLBACK_ADVICE.get(entry_id, "")
    lines = []
    for line in answer.splitlines():
        line = _REPLY_HINT.sub("", line.split("特殊情况")[0]).strip()
        if line:
            lines.append(line)
    return "\n".join(lines)


def check_refused(ctx: StepContext, result: VerifyResult, why: str = "",
                  values: Values | None = None) -> Reopen | None:
    """The summary reopened with what to do when a three- or four-factor check did not pass
    (the service is down, or the information does not match; `why` says what must match
    in this dialog), or None when it passed. Every value typed stays for the retry.

    A four-factor refusal is noted in the form's `values` (FAILED_CHECK: what failed,
    when, how many times), which 申请人工核验 (dialogs/ticket_verify.py) attaches to the
    ticket; it offers that way out, and says the advice only once: a second refusal is
    two lines, not the same twelve again."""
    if result.unavailable:
        return Reopen(VERIFY_DOWN)
    if result.ok:
        return None
    mismatch, entry_id = _MISMATCH[result.check]
    if result.check != "four_factor" or values is None:
        return Reopen(f"{mismatch}{why}\n{advice(ctx, entry_id)}")
    times = int((values.get(FAILED_CHECK) or {}).get("times", 0)) + 1
    values[FAILED_CHECK] = {"check": result.check, "failed": result.failed or "",
                            "at": ctx.now.isoformat(), "times": times}
    if times > 1:
        return Reopen(f"工商四要素仍然不一致（第{times}次核验）。\n{MANUAL_HINT}")
    return Reopen(f"{mismatch}{why}\n{advice(ctx, entry_id)}\n{MANUAL_HINT}")


def text_value(validate: Callable[[str], str]) -> Callable[[str, StepContext, Values], str]:
    """A Field.parse for a name-like answer that is not a menu word."""

    def parse(text: str, ctx: StepContext, values: Values) -> str:
        if re.sub(r"\s+", "", text) in MENU_WORDS:
            raise Invalid(f"「{text.strip()}」是功能名称，不是要填写的内容。")
        return validate(text)

    return parse


def not_registered(conv: ConvState, lead: str = "", tail: str = "") -> Step:
    """No account yet: say so and let a single digit start the registration (or carry
    on with one put aside, so nothing typed there is lost)."""
    if (conv.paused or {}).get("dialog") == "register":
        conv.choices = {"kind": "resume"}
        return Step.text(f"{lead}您的注册还没完成，填过的内容已保存。\n1 继续填写\n2 重新开始"
                         f"{tail}")
    conv.choices = {"kind": "menu", "items": ["REGISTER"]}
    return Step.text(f"{lead}您还没有注册融信服企业账号。\n1 注册企业账号（约3分钟）\n"
                     f"回复 1 或「注册」开始。{tail}")


async def ensure_available(ctx: StepContext, *, phone: str | None = None,
                           uscc: str | None = None) -> None:
    """Tell the owner now, not after the SMS, that the phone or USCC is taken."""
    try:
        await ctx.ports.platform.check_available(phone=phone, uscc=uscc)
    except PlatformError as exc:
        raise Invalid(exc.message) from None


async def ensure_codes_allowed(ctx: StepContext, phone: str) -> None:
    """Re-ask the phone, with the reason, when today's limit of phones per WeChat user
    means no code could go to it: better than moving on to a code that never comes."""
    sms = ctx.ports.sms
    if sms is not None and (refusal := await sms.phone_refusal(phone, ctx.openid)):
        raise Invalid(refusal)


async def send_code(ctx: StepContext, phone: str, purpose: str, *, resend: bool) -> str:
    """Send a code and say what happened, in the words of the question it belongs to.
    A refusal says whether the code sent before still works: never "sent" for nothing."""
    suffix = ":resend" if resend else ":sms"
    result = await ctx.ports.sms.send_code(phone, purpose, ctx.idem_key + suffix,
                                           openid=ctx.openid)
    if result.ok:
        return result.message
    if result.reason == "too_soon":
        wait = result.wait
        if not result.live:
            return f"暂时不能发送新的验证码，请{wait}后回复「重发」。"
        if resend:
            return (f"验证码刚刚已发送至{mask_phone(phone)}，5分钟内有效，请先看看短信；"
                    f"还没收到的话，{wait}后再回复「重发」。")
        return (f"验证码刚刚已发送至{mask_phone(phone)}，5分钟内有效。"
                f"没收到的话，{wait}后可回复「重发」。")
    if result.reason == "failed":
        return result.message.rstrip("。") + "，请稍后回复「重发」。"
    if result.reason == "busy":
        still = "刚才发送的验证码仍然有效，可以直接输入；" if result.live else ""
        return f"现在获取验证码的人较多，{still}请{result.wait}后回复「重发」。"
    return result.message


def needs_code(values: Mapping[str, Any]) -> bool:
    """The sms field's `when`: a phone a code already proved in this form (or before,
    see certify's prefill) is not asked for a code again. The answer just given keeps
    the field, so the "（6/7）" count does not shrink under the user."""
    return "sms" in values or values.get("phone") not in values.get(VERIFIED, ())


def sms_field(purpose: str, *, when: Callable[[Mapping[str, Any]], bool] | None = None) -> Field:
    """短信验证码: sent on arrival to the phone given before; 重发 sends another; the
    code is checked at once and only "verified" is kept (never the code). A phone it
    proves is remembered under VERIFIED: switching away and back needs no second code,
    and the first one has been used up anyway."""

    async def enter(ctx: StepContext, values: Values) -> str | None:
        return await send_code(ctx, values["phone"], purpose, resend=False)

    async def parse(text: str, ctx: StepContext, values: Values) -> str:
        if text.strip().rstrip("。.!！") in RESEND_WORDS:
            raise Invalid(await send_code(ctx, values["phone"], purpose, resend=True))
        code = sms_code(text)
        result = await ctx.ports.sms.check_code(values["phone"], purpose, code)
        if result.ok:
            proven = values.setdefault(VERIFIED, [])
            if values["phone"] not in proven:
                proven.append(values["phone"])
            return "verified"
        if result.status == "wrong":
            raise Invalid(result.message)
        raise Invalid(result.message.replace("请重新获取验证码", "请回复「重发」获取新的验证码")
                      .replace("请先获取验证码", "请回复「重发」获取验证码"))

    return Field("sms", "短信验证码",
                 "请输入短信里的6位验证码（没收到可回复「重发」）：",
                 parse=parse, on_enter=enter, requires=("phone",), in_summary=False,
                 when=when, aliases=("验证码",))


NO_ACCOUNT = "您还没有注册融信服企业账号，请先注册：回复「注册」开始（约3分钟）。"


async def _carry_on(ctx: StepContext, values: Values) -> Reopen:
    """认证 typed at a certification step's summary: the owner is already here; show it again."""
    return Reopen("好的，我们接着来。")


# Typed at a summary these would otherwise restart 认证授权 through its intent.
CARRY_ON = {word: _carry_on for word in ("认证", "认证授权", "继续认证", "开始认证")}
