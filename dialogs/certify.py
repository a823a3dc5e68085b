"""认证授权: 个人认证 (1/3) -> 企业要素认证 (2/3) -> 签署授权书 (3/3).

`certify` is a small dispatcher: it reads the profile, skips the steps already passed
and chains into the first missing one; each step is a form that chains back into it
when done. Forms are prefilled from what the platform already knows (registration, an
earlier certification), so an owner who just registered mostly confirms. A failed check
keeps every value, says which check failed, adds the manual's advice (Q2/Q3) and
reopens the summary so one field can be fixed. 修改个人认证 / 修改企业认证 (manual Q5)
reopen the same forms prefilled; 添加企业 uses the enterprise form empty.
"""

from __future__ import annotations

from adapters.platform_port import EnterpriseInput, PersonCert, PlatformError, Profile
from dialogs import consent, validators
from dialogs.account_common import (
    CARRY_ON,
    NO_ACCOUNT,
    VERIFYING,
    check_refused,
    ensure_available,
    ensure_codes_allowed,
    not_registered,
    sms_field,
    text_value,
)
from dialogs.base import ConvState, Dialog, Step, StepContext
from dialogs.certify_sign import AUTH_TEXT, SIGN
from dialogs.form import FormDialog
from dialogs.form_spec import Choice, Done, Field, FormSpec, Reopen, Values
from dialogs.masking import mask_id, mask_phone
from dialogs.registry import Intent
from dialogs.replies import Text

ORDER = ("person", "enterprise", "authorisation")
FORM_OF = {"person": "certify_person", "enterprise": "certify_enterprise",
           "authorisation": "certify_sign"}
LABEL = {"person": "个人认证", "enterprise": "企业要素认证", "authorisation": "签署授权书"}
CERT_CHOICES = tuple(Choice(label, key, aliases) for (key, label), aliases in zip(
    validators.CERTIFICATE_TYPES,
    (("身份证", "居民身份证", "大陆身份证"), ("回乡证", "港澳通行证", "港澳居民通行证"),
     ("台胞证", "台湾通行证"), ("永居证", "外国人永居证", "外国人永久居留证")), strict=True))
CERT_LABEL = dict(validators.CERTIFICATE_TYPES)


class StepForm(FormDialog):
    """A form whose opening line depends on why it was started (_mode in its values)."""

    def __init__(self, spec: FormSpec, intros: dict[str, str]) -> None:
        super().__init__(spec)
        self.intros = intros

    async def start(self, ctx: StepContext, conv: ConvState, arg: str = "") -> Step:
        asked = await consent.gate(ctx, self.name, arg)  # ID numbers ahead: consent first
        if asked is not None:
            return asked
        step = await super().start(ctx, conv, arg)
        if conv.dialog != self.name:  # the guard refused
            return step
        intro = self.intros.get(conv.values.get("_mode", ""), "")
        return Step.text(intro, *(r.content for r in step.say if isinstance(r, Text)))


# --- the dispatcher -------------------------------------------------------------------
class CertifyDialog(Dialog):
    """认证授权: finds the certification steps still to do (person, enterprise, authorisation
    letter) and starts the first, chaining to the next as each completes."""

    name = "certify"
    title = "认证授权"

    async def start(self, ctx: StepContext, conv: ConvState, arg: str = "") -> Step:
        profile: Profile = await ctx.ports.platform.profile(ctx.openid)
        if profile.account is None:
            return not_registered(conv, "认证授权前要先注册。")
        missing = profile.missing_steps()
        resumed = await self._resume(ctx, conv, missing) if arg == "" else None
        if resumed is not None:
            return resumed
        if not missing:
            if arg == "done":  # the last step just passed
                if (conv.kept or {}).get("dialog") == "demand_publish":
                    return Step.text("接着发布您刚才说的融资需求：", start="demand_publish")
                return Step.text("回复「发布融资需求」即可申请融资。")
            if arg == "next":
                return Step()
            active = profile.active
            name = f"（当前企业：{active.name}）" if active else ""
            return Step.text(f"您的认证授权已全部完成{name}。\n回复「发布融资需求」申请融资；"
                             "回复「我的信息」查看；要修改请回复「修改个人认证」或「修改企业认证」。")
        lines = []
        if arg == "after_register":
            lines.append("下一步是认证授权，共3步：个人认证 → 企业要素认证 → 签署授权书。"
                         "注册信息已为您带入，核对无误回复「确认」即可。")
        elif arg not in ("next", "done"):
            lines.append("认证授权共3步：个人认证 → 企业要素认证 → 签署授权书。")
            done = [LABEL[s] for s in ORDER if s not in missing]
            if done:
                lines.append("、".join(done) + "已完成，直接进行下一步。")
        if not lines:  # chained from a finished step: its own reply said enough
            return Step(start=FORM_OF[missing[0]])
        return Step.text(*lines, start=FORM_OF[missing[0]])

    async def _resume(self, ctx: StepContext, conv: ConvState,
                      missing: list[str]) -> Step | None:
        """认证 typed in the middle of a step: carry on with it, keeping what was typed."""
        snap = conv.paused or {}
        form = FORMS.get(snap.get("dialog") or "")
        if form is None or snap.get("at") != ctx.now.isoformat():  # put aside by this message
            return None
        step = next(s for s, name in FORM_OF.items() if name == form.name)
        if step not in missing and (snap.get("values") or {}).get("_mode") != "edit":
            return None
        conv.paused = None
        conv.restore(snap)
        return Step.text(f"好的，继续「{form.title}」。", await form.prompt(ctx, conv))

    async def handle(self, ctx: StepContext, conv: ConvState, text: str) -> Step:
        conv.clear_dialog()  # the dispatcher never waits for an answer itself
        return await self.start(ctx, conv)


async def _need_account(ctx: StepContext) -> Step | None:
    profile = await ctx.ports.platform.profile(ctx.openid)
    if profile.account is None:
        return Step.text(NO_ACCOUNT)
    return None


# --- 1/3 个人认证 ------------------------------------------------------------------------
async def _own_phone(text: str, ctx: StepContext, values: Values) -> str:
    phone = validators.mobile(text)
    await ensure_codes_allowed(ctx, phone)
    return phone


def _name(text: str, ctx: StepContext, values: Values) -> str:
    if values.get("cert_type") == "foreign":
        return text_value(validators.foreign_name)(text, ctx, values)
    return text_value(validators.person_name)(text, ctx, values)


async def _person_prefill(ctx: StepContext, arg: str) -> Values:
    profile: Profile = await ctx.ports.platform.profile(ctx.openid)
    values: Values = {"_mode": "edit" if arg == "edit" else "certify"}
    account, person = profile.account, profile.person
    # Phones whose ownership an SMS code already proved: no second code for them.
    values["_verified"] = [p.phone for p in (account, person) if p is not None]
    if person is not None:
        values.update(cert_type=person.cert_type, name=person.name,
                      cert_number=person.cert_number, phone=person.phone)
    elif account is not None:
        values.update(cert_type="resident", name=account.legal_name,
                      cert_number=account.legal_id, phone=account.phone)
    return values


async def _person_confirm(ctx: StepContext, values: Values) -> Done | Reopen:
    result = await ctx.ports.verify.three_factor(values["name"], values["cert_type"],
                                                 values["cert_number"], values["phone"])
    if (refused := check_refused(ctx, result)) is not None:
        return refused
    cert = PersonCert(name=values["name"], cert_type=values["cert_type"],
                      cert_number=values["cert_number"], phone=values["phone"],
                      certified_at=ctx.now)
    try:
        await ctx.ports.platform.certify_person(ctx.openid, cert, ctx.idem_key)
    except PlatformError as exc:
        return Reopen(exc.message)
    if values.get("_mode") == "edit":
        return Done("✅ 个人认证信息已更新，核验通过。", start="certify", start_arg="next")
    return Done("✅ 个人认证通过（1/3）。", start="certify", start_arg="next")


PERSON = FormSpec(
    name="certify_person",
    title="个人认证",
    fields=(
        Field("cert_type", "证件类型", "请选择本人证件类型：", choices=CERT_CHOICES),
        Field("name", "本人姓名", "请输入本人姓名（与证件一致）：", parse=_name,
              aliases=("姓名",)),
        Field("cert_number", "本人证件号", "请输入本人证件号：", requires=("cert_type",),
              parse=lambda text, ctx, values: validators.certificate(values["cert_type"], text),
              display=mask_id, aliases=("证件号", "身份证号", "身份证")),
        Field("phone", "本人手机号", "请输入本人实名登记的手机号：",
              parse=_own_phone, display=mask_phone, aliases=("手机号", "手机")),
        sms_field("certify", when=lambda v: v.get("phone") not in v.get("_verified", ())),
    ),
    on_confirm=_person_confirm,
    actions=CARRY_ON,
    action_hint="回复「确认」开始身份核验",
    confirm_hint=VERIFYING,
    guard=_need_account,
    prefill=_person_prefill,
    summary_title="请核对个人认证信息：",
)


# --- 2/3 企业要素认证 (also 添加企业 and 修改企业认证) ---------------------------------------
async def _uscc(text: str, ctx: StepContext, values: Values) -> str:
    code = validators.uscc(text)
    if values.get("_mode") == "add":
        profile: Profile = await ctx.ports.platform.profile(ctx.openid)
        mine = next((e for e in profile.enterprises if e.uscc == code), None)
        if mine is not None:
            raise validators.Invalid(f"「{mine.name}」已经在您的企业列表里了，"
                                     "回复「切换企业」即可切换。")
        await ensure_available(ctx, uscc=code)
    return code


async def _enterprise_prefill(ctx: StepContext, arg: str) -> Values:
    mode = arg if arg in ("add", "edit") else "certify"
    values: Values = {"_mode": mode}
    if mode == "add":
        return values
    profile: Profile = await ctx.ports.platform.profile(ctx.openid)
    active = profile.active
    if active is not None:
        values.update(company=active.name, uscc=active.uscc, legal_rep=active.legal_rep,
                      legal_rep_id=active.legal_rep_id)
    return values


async def _enterprise_confirm(ctx: StepContext, values: Values) -> Done | Reopen:
    result = await ctx.ports.verify.four_factor(values["company"], values["uscc"],
                                                values["legal_rep"], values["legal_rep_id"])
    if (refused := check_refused(ctx, result, values=values)) is not None:
        return refused
    data = EnterpriseInput(name=values["company"], uscc=values["uscc"],
                           legal_rep=values["legal_rep"], legal_rep_id=values["legal_rep_id"])
    try:
        enterprise = await ctx.ports.platform.certify_enterprise(
            ctx.openid, data, result.region or "", ctx.idem_key)
    except PlatformError as exc:
        return Reopen(exc.message)
    where = f"（{enterprise.region}）" if enterprise.region else ""
    said = {"add": f"✅ 已添加企业「{enterprise.name}」{where}，并设为当前企业。",
            "edit": f"✅ 企业认证信息已更新：{enterprise.name}{where}，核验通过。"}
    return Done(said.get(values.get("_mode", ""),
                         f"✅ 企业要素认证通过（2/3）：{enterprise.name}{where}。"),
                start="certify", start_arg="next")


ENTERPRISE = FormSpec(
    name="certify_enterprise",
    title="企业要素认证",
    fields=(
        Field("company", "企业名称", "请输入企业名称（与营业执照一致）：",
              parse=text_value(validators.company_name), aliases=("公司名称", "名称")),
        Field("uscc", "统一社会信用代码", "请输入营业执照上的18位统一社会信用代码：",
              parse=_uscc, aliases=("信用代码", "代码")),
        Field("legal_rep", "法定代表人姓名", "请输入法定代表人姓名：",
              parse=text_value(validators.person_name),
              aliases=("法人姓名", "法定代表人", "法人")),
        Field("legal_rep_id", "法定代表人证件号", "请输入法定代表人的18位身份证号：",
              parse=lambda text, ctx, values: validators.resident_id(text), display=mask_id,
              aliases=("法人身份证号", "法人证件号", "身份证号")),
    ),
    on_confirm=_enterprise_confirm,
    actions=CARRY_ON,
    action_hint="回复「确认」开始工商核验",
    confirm_hint=VERIFYING,
    guard=_need_account,
    prefill=_enterprise_prefill,
    summary_title="请核对企业信息（与营业执照一致）：",
)


FORMS: dict[str, FormDialog] = {
    "certify_person": StepForm(PERSON, {
        "certify": "【认证授权 1/3 · 个人认证】核验本人的姓名、证件号和手机号。",
        "edit": "【修改个人认证】改好后回复「确认」重新核验。"}),
    "certify_enterprise": StepForm(ENTERPRISE, {
        "certify": "【认证授权 2/3 · 企业要素认证】核验企业名称、信用代码、"
                   "法定代表人姓名和证件号。",
        "edit": "【修改企业认证】改好后回复「确认」重新核验。",
        "add": "【添加企业】请按营业执照填写另一家企业的信息，通过企业要素认证后就能切换使用。"}),
    "certify_sign": StepForm(SIGN, {"certify": "【认证授权 3/3 · 签署授权书】\n" + AUTH_TEXT}),
}


async def edit_person(ctx: StepContext, conv: ConvState, arg: str) -> Step:
    return Step(start="certify_person", start_arg="edit")


async def edit_enterprise(ctx: StepContext, conv: ConvState, arg: str) -> Step:
    profile: Profile = await ctx.ports.platform.profile(ctx.openid)
    if profile.account is not None and profile.active is None:
        return Step.text("您还没有企业，回复「添加企业」添加。")
    return Step(start="certify_enterprise", start_arg="edit")


DIALOGS: list[Dialog] = [CertifyDialog(), *FORMS.values()]
INTENTS: list[Intent] = [
    Intent("CERTIFY", ("认证授权", "认证", "实名认证", "我要认证", "去认证", "开始认证",
                       "继续认证", "企业认证", "个人认证", "签署授权书", "授权书", "签授权书",
                       "认证流程"), dialog="certify"),
    Intent("EDIT_PERSON", ("修改个人认证", "更新个人认证", "重新个人认证", "改个人认证",
                           "修改个人信息"), respond=edit_person),
    Intent("EDIT_ENTERPRISE", ("修改企业认证", "更新企业认证", "重新企业认证", "改企业认证",
                               "修改企业信息"), respond=edit_enterprise),
]
