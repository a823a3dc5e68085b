"""签署授权书, step 3/3 of 认证授权: the 《信用信息查询授权书》 and the water, power and gas
account numbers it covers (dialogs/certify.py chains into it and back)."""

from __future__ import annotations

import re
from collections.abc import Callable

from adapters.platform_port import AuthorisationInput, PlatformError, Profile
from dialogs import validators
from dialogs.account_common import CARRY_ON, NO_ACCOUNT
from dialogs.base import Step, StepContext
from dialogs.form_spec import Done, Field, FormSpec, Reopen, Values
from dialogs.masking import mask_account

AUTH_VERSION = "RXF-AUTH-2024.1"
AUTH_TEXT = (
    f"《信用信息查询授权书》（版本 {AUTH_VERSION}）要点：\n"
    "本企业及签署人授权云南省中小企业融资综合信用服务平台（融信服）和为本企业提供融资服务的"
    "金融机构：\n"
    "1. 依法查询、采集和使用本企业的信用信息，用于融资审核和贷后管理；\n"
    "2. 查询本企业的水、电、气缴费信息，作为信用评价的参考；\n"
    "3. 以上信息只用于融资服务，平台按规定加密保密。\n"
    "授权自签署之日起生效。下面请填写水、电、气户号，没有的回复「无」。"
)

async def _sign_guard(ctx: StepContext) -> Step | None:
    profile: Profile = await ctx.ports.platform.profile(ctx.openid)
    if profile.account is None:
        return Step.text(NO_ACCOUNT)
    active = profile.active
    if active is None or active.certified_at is None:
        return Step.text("签署授权书前，要先完成当前企业的企业要素认证。", start="certify")
    return None


async def _sign_prefill(ctx: StepContext, arg: str) -> Values:
    profile: Profile = await ctx.ports.platform.profile(ctx.openid)
    active, person, account = profile.active, profile.person, profile.account
    signer = person.name if person else (account.legal_name if account else "")
    return {"_mode": "certify", "_enterprise_id": active.id if active else "",
            "_enterprise": active.name if active else "", "_signer": signer}


async def _sign_extra(ctx: StepContext, values: Values) -> list[str]:
    return [f"授权企业：{values.get('_enterprise', '')}", f"签署人：{values.get('_signer', '')}",
            f"授权书版本：{AUTH_VERSION}"]


async def _sign_confirm(ctx: StepContext, values: Values) -> Done | Reopen:
    data = AuthorisationInput(text_version=AUTH_VERSION, water_account=values.get("water"),
                              power_account=values.get("power"),
                              gas_account=values.get("gas"))
    try:
        await ctx.ports.platform.sign_authorisation(ctx.openid, values["_enterprise_id"],
                                                    data, ctx.idem_key)
    except PlatformError as exc:
        return Reopen(exc.message)
    return Done(f"✅ 授权书已签署（3/3），签署人：{values.get('_signer', '')}。\n"
                f"🎉 「{values.get('_enterprise', '')}」的认证授权全部完成！",
                start="certify", start_arg="done")


# "水费户号是12345" / "户号：12345": the label typed in front of the number is dropped.
_LABEL = re.compile(r"^(?:水费|电费|燃气费?|水|电|气)?(?:户号|账号|号码)(?:是|为)?[:：]?\s*")


_UTILITY = {"水": "水费户号", "电": "电费户号", "气": "燃气户号"}


def _account_parser(label: str) -> Callable[[str, StepContext, Values], str | None]:
    def parse(text: str, ctx: StepContext, values: Values) -> str | None:
        named = _LABEL.match(text.strip())
        if named:  # "电费户号：530…" typed at the water question is not a water account
            said = next((v for k, v in _UTILITY.items() if k in named.group(0)), label)
            if said != label:
                raise validators.Invalid(f"这是{said}吧？现在要填的是{label}。")
        stripped = _LABEL.sub("", text.strip())
        return validators.optional_account(stripped or text)

    return parse


def _account_field(key: str, label: str) -> Field:
    return Field(key, label, f"请输入{label}，没有请回复「无」：", parse=_account_parser(label),
                 display=mask_account, aliases=(label[:2],))


SIGN = FormSpec(
    name="certify_sign",
    title="签署授权书",
    fields=(_account_field("water", "水费户号"), _account_field("power", "电费户号"),
            _account_field("gas", "燃气户号")),
    on_confirm=_sign_confirm,
    actions=CARRY_ON,
    confirm_words=("签署", "确认签署", "同意", "确认", "确定", "是"),
    action_hint="回复「签署」即表示同意上面的授权书并签署",
    guard=_sign_guard,
    prefill=_sign_prefill,
    summary_extra=_sign_extra,
    summary_title="请核对授权信息：",
)
