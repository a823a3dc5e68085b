"""注册: the enterprise account, opened by its legal representative (its questions are
drawn in docs/dialogs.md).

同意《个人信息处理规则》 (its own question, first: dialogs/consent.py) ->
法人手机号 -> 法人姓名 -> 法人身份证号 -> 公司名称 -> 统一社会信用代码 ->
短信验证码 (sent on arrival) -> 同意《注册服务协议》 -> summary -> 确认.
Confirming runs the three-factor check (the phone is the named person's) and the
four-factor check (that person is the enterprise's legal representative), then opens
the account bound to this WeChat user. No password is ever asked: the web platform is
entered by scanning its QR code. Success chains into 认证授权 with everything typed
here carried over. 不同意 at the first question ends the registration as 取消 does:
nothing typed is kept.
"""

from __future__ import annotations

import logging
from datetime import datetime

from adapters.platform_port import PlatformError, RegisterInput
from dialogs import consent, validators
from dialogs.account_common import (
    VERIFYING,
    check_refused,
    ensure_available,
    ensure_codes_allowed,
    needs_code,
    sms_field,
    text_value,
)
from dialogs.base import ConvState, Dialog, Forget, Step, StepContext
from dialogs.form import FormDialog
from dialogs.form_spec import Done, Field, FormSpec, Reopen, Values
from dialogs.masking import mask_id, mask_phone
from dialogs.registry import Intent

log = logging.getLogger(__name__)

AGREEMENT = (
    "请阅读《云南省中小企业融资综合信用服务平台注册服务协议》要点：\n"
    "· 您保证填写的信息真实，手机号、身份证号属于法定代表人本人；\n"
    "· 账号与本微信绑定，请勿转借他人，账号下的操作由本企业负责；\n"
    "· 平台加密保存您的信息，只用于身份核验、信用服务和融资对接；\n"
    "· 完整协议可在平台网页端注册页查看。\n"
    "您同意《注册服务协议》吗？\n1 同意\n2 不同意"
)


async def _phone(text: str, ctx: StepContext, values: Values) -> str:
    phone = validators.mobile(text)
    await ensure_available(ctx, phone=phone)
    await ensure_codes_allowed(ctx, phone)
    return phone


async def _uscc(text: str, ctx: StepContext, values: Values) -> str:
    code = validators.uscc(text)
    await ensure_available(ctx, uscc=code)
    return code


def _agree(text: str, ctx: StepContext, values: Values) -> bool:
    said = consent.answer(text)  # the same 同意 / 不同意 words as the consent question
    if said == consent.REFUSE:
        raise validators.Invalid("需要同意《注册服务协议》才能注册。如不想注册，回复「取消」即可。")
    if said == consent.AGREE:
        return True
    raise validators.Invalid("请回复 1 同意，或回复 2 不同意。")


def _consent(text: str, ctx: StepContext, values: Values) -> dict[str, str]:
    if consent.answer(text) == consent.AGREE:
        return consent.agreed_value(ctx)
    raise validators.Invalid("请回复 1 同意，或 2 不同意（回复「详细」看完整规则）。")


FIELDS = (
    Field("consent", "个人信息处理规则", consent.RULES, parse=_consent, in_summary=False,
          display=lambda value: "同意", aliases=("个人信息", "处理规则")),
    Field("phone", "法人手机号",
          "请输入法定代表人的手机号（须是法人本人实名登记的号码，验证码会发到这个号码）：",
          parse=_phone, display=mask_phone, aliases=("手机号", "手机", "电话")),
    Field("legal_name", "法人姓名", "请输入法定代表人姓名：",
          parse=text_value(validators.person_name), aliases=("姓名",)),
    Field("legal_id", "法人身份证号", "请输入法定代表人的18位身份证号：",
          parse=lambda text, ctx, values: validators.resident_id(text), display=mask_id,
          aliases=("身份证号", "身份证")),
    Field("company", "公司名称", "请输入公司名称（与营业执照一致）：",
          parse=text_value(validators.company_name), aliases=("企业名称", "公司")),
    Field("uscc", "统一社会信用代码", "请输入营业执照上的18位统一社会信用代码：",
          parse=_uscc, aliases=("信用代码", "代码")),
    sms_field("register", when=needs_code),
    Field("agree", "注册服务协议", AGREEMENT, parse=_agree, in_summary=False,
          display=lambda value: "同意", aliases=("协议",)),
)


async def _guard(ctx: StepContext) -> Step | None:
    profile = await ctx.ports.platform.profile(ctx.openid)
    account = profile.account
    if account is None:
        return None
    who = f"{account.legal_name}，{mask_phone(account.phone)}"
    if profile.missing_steps():
        return Step.text(f"您已注册过融信服账号（{who}），不用重复注册。\n"
                         "下一步：回复「认证授权」完成认证。")
    return Step.text(f"您已注册过融信服账号（{who}），认证授权也已完成。\n"
                     "回复「发布融资需求」申请融资，回复「我的信息」查看账号。")


async def _confirm(ctx: StepContext, values: Values) -> Done | Reopen:
    verify = ctx.ports.verify
    person = await verify.three_factor(values["legal_name"], "resident", values["legal_id"],
                                       values["phone"])
    refused = check_refused(ctx, person, "手机号须是法定代表人本人实名登记的号码。")
    if refused is not None:
        return refused
    company = await verify.four_factor(values["company"], values["uscc"],
                                       values["legal_name"], values["legal_id"])
    refused = check_refused(ctx, company, "注册人须是这家企业的法定代表人。", values)
    if refused is not None:
        return refused
    data = RegisterInput(phone=values["phone"], legal_name=values["legal_name"],
                         legal_id=values["legal_id"], company=values["company"],
                         uscc=values["uscc"])
    agreed = values.get("consent") or consent.agreed_value(ctx)
    try:
        await ctx.ports.platform.register(ctx.openid, data, ctx.idem_key)
    except PlatformError as exc:
        return Reopen(exc.message)
    try:  # the account exists only now: the consent given first is recorded on it
        await ctx.ports.platform.record_consent(
            ctx.openid, agreed["version"], datetime.fromisoformat(agreed["at"]),
            ctx.idem_key + ":consent")
    except PlatformError:  # not lost: with no consent recorded, 认证授权 asks it again
        log.warning("consent not recorded after registration; asked again at certification")
    return Done("🎉 注册成功！账号已与您的微信绑定，不需要密码；登录网页端时用微信扫码即可。",
                start="certify", start_arg="after_register")


class RegisterForm(FormDialog):
    """The form, plus the consent question's two answers that are not values: 不同意
    ends the registration (everything typed is dropped, as 取消 does) and 详细 shows the
    full rules."""

    async def handle(self, ctx: StepContext, conv: ConvState, text: str) -> Step:
        if conv.state == "consent":
            said = consent.answer(text)
            if said == consent.REFUSE:
                conv.clear_dialog()
                # Nothing of this registration stays: not the conversation, not the
                # replies that echoed what was typed (the step's commit erases them).
                conv.forget = Forget(detail="consent refused")
                return Step.text(consent.REFUSED_REGISTER)
            if said == consent.MORE:
                return Step.text(consent.FULL_RULES, consent.QUESTION)
        return await super().handle(ctx, conv, text)


REGISTER = FormSpec(
    name="register",
    title="注册企业账号",
    intro=("注册融信服企业账号，需要法定代表人本人的手机号、身份证号和营业执照信息，约3分钟。"
           "聊天里不用设置密码。"),
    fields=FIELDS,
    on_confirm=_confirm,
    action_hint="回复「确认」提交注册",
    confirm_hint=VERIFYING,
    guard=_guard,
    summary_title="请核对注册信息：",
)

DIALOGS: list[Dialog] = [RegisterForm(REGISTER)]
INTENTS: list[Intent] = [
    Intent("REGISTER", ("注册", "注册账号", "注册企业账号", "我要注册", "企业注册", "账号注册",
                        "注册企业", "新用户注册", "注册账户"), dialog="register"),
]
