"""发布融资需求: the platform's 融资需求 form (manual section 四) as a conversation.

专区 -> 申请额度 (echoed in 大写) -> 贷款期限 -> 贷款种类 -> 需求类型 -> (定向) 1–3 institutions
serving the enterprise's region -> 贷款用途, then a summary with the enterprise's own data
filled in -> 提交 | 暂存 | 修改 | 取消. A draft (暂存) is picked up again from 我的需求.

Whatever the platform says no to (or cannot be reached for) sends the user back to the
field or summary with every answer kept, so sending 提交 again is all a retry takes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from adapters.platform_port import DemandInput, Enterprise, PlatformError
from dialogs import consent
from dialogs.amounts import check_amount_range, parse_amount, parse_term_months
from dialogs.base import ConvState, Step, StepContext
from dialogs.demand_said import DIRECTED, NAME, apply, keep, said_now, take_kept
from dialogs.demand_text import (
    UNLIMITED,
    amount_full,
    amount_short,
    certification_gap,
    term_text,
)
from dialogs.form import FormDialog
from dialogs.form_spec import Choice, Done, Field, FormSpec, Reopen
from dialogs.masking import mask_phone
from dialogs.registry import Intent
from dialogs.validators import Invalid, SoftInvalid
from knowledge.normal import answer_text
from knowledge.slots import nicknames
from state_machines.form import SUMMARY

DRAFT_ARG = "draft:"
OPEN = "open"
COMPANY_KEY = "_company"  # not a field: the summary's enterprise lines, kept
MAX_PURPOSE = 500
# A refusal from the platform names the field to go back to.
ERROR_FIELDS = {"invalid_zone": "zone", "invalid_amount": "amount", "invalid_term": "term",
                "invalid_loan_kind": "loan_kind", "invalid_institutions": "institutions",
                "invalid_purpose": "purpose"}
_SPLIT = re.compile(r"[\s,，、;；/和]+")
NICKNAMES = nicknames()


async def _enterprise(ctx: StepContext) -> Enterprise:
    profile = await ctx.ports.platform.profile(ctx.openid)
    if profile.active is None:
        raise PlatformError("没有找到您的企业，请先完成企业认证。", "no_enterprise")
    return profile.active


# --- choices ---------------------------------------------------------------------------
async def zone_choices(ctx: StepContext, values: dict[str, Any]) -> list[Choice]:
    return [Choice(z.name, z.key) for z in await ctx.ports.catalog.zones()]


async def kind_choices(ctx: StepContext, values: dict[str, Any]) -> list[Choice]:
    return [Choice(name, key) for key, name in await ctx.ports.catalog.loan_kinds()]


async def institution_choices(ctx: StepContext, values: dict[str, Any]) -> list[Choice]:
    """Only institutions serving the enterprise's region can be picked at all."""
    enterprise = await _enterprise(ctx)
    found = await ctx.ports.catalog.institutions_serving(enterprise.region)
    nicknames = {i.id: [n for n, full in NICKNAMES.items() if full in i.name]
                 for i in found}
    # A nickname fitting two institutions (农商行) would pick one at random: leave it out.
    counts: dict[str, int] = {}
    for names in nicknames.values():
        for n in names:
            counts[n] = counts.get(n, 0) + 1
    return [Choice(i.name, i.id, tuple(n for n in nicknames[i.id] if counts[n] == 1))
            for i in found]


TYPE_CHOICES = (
    Choice("定向需求：指定1到3家金融机构", DIRECTED, ("定向", "指定", "定向需求")),
    Choice("非定向需求：所在区域的金融机构都能看到", OPEN, ("非定向", "不定向", "非定向需求")),
)


# --- parsing ----------------------------------------------------------------------------
async def parse_amount_field(text: str, ctx: StepContext, values: dict[str, Any]) -> str:
    value = parse_amount(text)
    zones = {z.key: z for z in await ctx.ports.catalog.zones()}
    zone = zones.get(values.get("zone", ""))
    if zone is not None:
        try:
            check_amount_range(value, maximum=zone.max_amount)
        except Invalid as bad:
            raise Invalid(f"{zone.name}专区{bad.reason}") from None
    else:
        check_amount_range(value)
    return str(value)


def parse_term(text: str, ctx: StepContext, values: dict[str, Any]) -> Any:
    months = parse_term_months(text)
    return UNLIMITED if months is None else months


def parse_purpose(text: str, ctx: StepContext, values: dict[str, Any]) -> str:
    purpose = answer_text(text)
    if len(purpose) < 2 or purpose.isdigit():
        raise Invalid("请用几个字说明贷款用途，例如：采购原材料。")
    if len(purpose) > MAX_PURPOSE:
        raise Invalid(f"贷款用途最多{MAX_PURPOSE}字，您写了{len(purpose)}字，请精简一下。")
    faq = ctx.ports.faq
    if faq is not None and faq.looks_like_question(purpose):
        # Probably a question for us, not the purpose: let the FAQ answer it first.
        raise SoftInvalid("这句像是一个问题，不像贷款用途。", purpose, "")
    return purpose


async def amount_echo(ctx: StepContext, values: dict[str, Any]) -> str | None:
    """Arriving at 贷款期限 the first time: repeat the amount in 大写 to check it."""
    if "amount" in values and "term" not in values:
        return f"申请额度：{amount_full(values['amount'])}"
    return None


async def audience_notice(ctx: StepContext, values: dict[str, Any]) -> str | None:
    if values.get("demand_type") != OPEN or "purpose" in values:
        return None
    enterprise = await _enterprise(ctx)
    count = len(await ctx.ports.catalog.institutions_serving(enterprise.region))
    return f"非定向需求发布后，{enterprise.region}的{count}家入驻金融机构都能看到。"


FIELDS = (
    Field("zone", "专区", "请选择专区（不确定就选1）：", choices=zone_choices),
    Field("amount", "申请额度", "请输入申请额度（元），例如 200000、20万 或 二十万：",
          parse=parse_amount_field, display=amount_full, aliases=("额度", "金额")),
    Field("term", "贷款期限", "贷款期限多少个月？例如 12 或 1年；没有要求回复「不限」。",
          parse=parse_term, display=term_text, on_enter=amount_echo, aliases=("期限",)),
    Field("loan_kind", "贷款种类", "请选择贷款种类：", choices=kind_choices,
          aliases=("种类",)),
    Field("demand_type", "需求类型", "请选择需求类型：", choices=TYPE_CHOICES,
          display=lambda v: "定向" if v == DIRECTED else "非定向", aliases=("类型",)),
    Field("institutions", "指定金融机构",
          "请选1到3家金融机构，回复序号，多家用空格隔开（如：1 3）：",
          choices=institution_choices, multi=(1, 3), requires=("demand_type",),
          when=lambda v: v.get("demand_type") == DIRECTED, aliases=("机构", "金融机构")),
    Field("purpose", "贷款用途", "请简要说明贷款用途（如：采购原材料、支付货款）：",
          parse=parse_purpose, on_enter=audience_notice, aliases=("用途", "贷款用途详情")),
)


# --- summary and saving -----------------------------------------------------------------
async def enterprise_lines(ctx: StepContext, values: dict[str, Any]) -> list[str]:
    """The enterprise's own data, read once and kept with the form, so the summary can
    be shown again while the platform is down (after a failed 提交)."""
    try:
        profile = await ctx.ports.platform.profile(ctx.openid)
    except PlatformError:
        return list(values.get(COMPANY_KEY) or [])
    e = profile.active
    if e is None:
        return []
    phone = mask_phone(profile.account.phone) if profile.account else "—"
    lines = ["—— 企业信息（自动带出）——", f"公司名称：{e.name}", f"法人姓名：{e.legal_rep}",
             f"法人手机号：{phone}", f"统一社会信用代码：{e.uscc}", f"所属区域：{e.region}"]
    values[COMPANY_KEY] = lines
    return lines


def demand_input(values: dict[str, Any]) -> DemandInput:
    term = values.get("term")
    directed = values.get("demand_type") == DIRECTED
    return DemandInput(
        zone=values["zone"], amount=Decimal(values["amount"]),
        term_months=None if term in (None, UNLIMITED) else int(term),
        loan_kind=values["loan_kind"], directed=directed,
        institutions=tuple(values.get("institutions") or ()) if directed else (),
        purpose=values["purpose"])


async def _save(ctx: StepContext, values: dict[str, Any], *, submit: bool) -> Done | Reopen:
    try:
        profile = await ctx.ports.platform.profile(ctx.openid)
        gap = certification_gap(profile, "提交融资需求") if submit else None
        if gap is not None:
            return Done(gap[0], start=gap[1])
        if profile.active is None:
            return Reopen("没有找到您的企业，请先完成企业认证。")
        demand = await ctx.ports.platform.save_demand(
            ctx.openid, profile.active.id, demand_input(values), submit=submit,
            idem_key=ctx.idem_key, draft_no=values.get("draft_no"))
    except PlatformError as exc:
        return Reopen(exc.message, field=ERROR_FIELDS.get(exc.code))
    if not submit:
        return Done(f"已暂存为草稿，单据号：{demand.no}。\n"
                    "想继续时回复「我的需求」，选这条草稿就能接着改、提交。")
    return Done(f"提交成功！\n单据号：{demand.no}\n申请额度：{amount_short(demand.amount)}\n"
                f"状态：{demand.status}（等待金融机构关注）\n"
                "金融机构授信、放款时我会第一时间通知您；回复「我的需求」可随时查看进度。")


async def submit(ctx: StepContext, values: dict[str, Any]) -> Done | Reopen:
    return await _save(ctx, values, submit=True)


async def save_draft(ctx: StepContext, values: dict[str, Any]) -> Done | Reopen:
    return await _save(ctx, values, submit=False)


SPEC = FormSpec(
    name=NAME, title="发布融资需求", fields=FIELDS, on_confirm=submit,
    intro="发布融资需求，共6–7项，随时回复「取消」退出、「上一步」返回。",
    confirm_words=("提交", "确认", "确定", "确认提交", "发布"),
    actions={"暂存": save_draft, "存草稿": save_draft},
    action_hint="回复「提交」发布，「暂存」先存为草稿",
    summary_title="请核对您的融资需求：", summary_extra=enterprise_lines,
    confirm_hint="正在提交，请稍候…")


class DemandForm(FormDialog):
    """The declarative form, plus: the certification gate, resuming a draft, choices
    that come from the platform (reloaded if the platform was down when they were due),
    and a precise refusal for an institution that does not serve the region."""

    async def start(self, ctx: StepContext, conv: ConvState, arg: str = "") -> Step:
        said = said_now(ctx, arg)
        try:
            profile = await ctx.ports.platform.profile(ctx.openid)
            gap = certification_gap(profile, "发布融资需求")
            if gap is not None:  # what was said waits for the certification
                return Step.text(keep(ctx, conv, said), gap[0], start=gap[1])
            asked = await consent.gate(ctx, self.name, arg, profile)
            if asked is not None:  # what was said waits for the consent
                keep(ctx, conv, said)
                return asked
            values, intro = await self._initial(ctx, arg)
            notes: list[str] = []
            if "draft_no" not in values:
                said = {**take_kept(conv), **said}
                region = profile.active.region if profile.active else ""
                notes = await apply(ctx, values, said, region)
            conv.clear_dialog()
            conv.dialog, conv.values = self.name, values
            await self._load_options(ctx, conv, [k for k in values if k in self.fields])
            conv.state = self.machine.next_step(conv.values)
            question = await self._enter(ctx, conv)
        except PlatformError as exc:
            conv.clear_dialog()
            return Step.text(exc.message)
        return Step.text(intro, "\n".join(notes), question)

    async def absorb(self, ctx: StepContext, conv: ConvState, *,
                     only_empty: bool = False) -> Step | None:
        """Values for this form said instead of an answer ("要贷50万一年" at 专区): take
        them (`only_empty`: only for questions not answered yet), then ask what the form
        still needs."""
        said = said_now(ctx)
        if only_empty:
            said = {k: v for k, v in said.items() if k not in conv.values
                    and not (k == "institution" and "demand_type" in conv.values)}
        if not said:
            return None
        try:
            profile = await ctx.ports.platform.profile(ctx.openid)
            region = profile.active.region if profile.active else ""
            if conv.state in said:  # the question asked: its own refusal says it better
                trial = dict(conv.values)
                await apply(ctx, trial, {conv.state: said[conv.state]}, region)
                if conv.state not in trial:
                    said.pop(conv.state)
                    if not said:
                        return None
            notes = await apply(ctx, conv.values, said, region)
        except PlatformError as exc:
            return Step.text(exc.message, "稍后回复「继续填写」接着填。")
        self.machine.drop_inapplicable(conv.values)
        if conv.state != SUMMARY:
            conv.state = self.machine.next_step(conv.values)
        return Step.text("\n".join(notes), await self._enter(ctx, conv))

    async def _accept(self, ctx: StepContext, conv: ConvState, spec: Field, value: Any,
                      *, changed: bool = True, warning: str = "") -> Step:
        if spec.key == "zone" and "amount" in conv.values:
            # An amount said before the zone was chosen must fit the zone's limit too.
            zone = {z.key: z for z in await ctx.ports.catalog.zones()}.get(value)
            amount = Decimal(conv.values["amount"])
            if zone is not None and amount > zone.max_amount:
                conv.values.pop("amount")
                warning = (f"{zone.name}专区单笔最高{amount_short(zone.max_amount)}，"
                           f"之前的申请额度{amount_short(amount)}超过了，请重新填写。")
        return await super()._accept(ctx, conv, spec, value, changed=changed, warning=warning)

    async def handle(self, ctx: StepContext, conv: ConvState, text: str) -> Step:
        try:
            if await self._load_options(ctx, conv, [conv.state or ""]):
                return Step.text(self._question(conv))  # the list was never shown
            return await super().handle(ctx, conv, text)
        except PlatformError as exc:
            return Step.text(exc.message, "稍后回复「继续填写」接着填。")

    async def edit(self, ctx: StepContext, conv: ConvState, what: str) -> Step | None:
        try:
            return await super().edit(ctx, conv, what)
        except PlatformError as exc:
            return Step.text(exc.message, "稍后回复「继续填写」接着填。")

    async def prompt(self, ctx: StepContext, conv: ConvState) -> str:
        try:
            await self._load_options(ctx, conv, [conv.state or ""])
            return await super().prompt(ctx, conv)
        except PlatformError as exc:
            return exc.message

    async def _parse(self, ctx: StepContext, conv: ConvState, spec: Field, text: str) -> Any:
        try:
            return await super()._parse(ctx, conv, spec, text)
        except Invalid as bad:
            if spec.key != "institutions" or not bad.reason.startswith("没有「"):
                raise
            enterprise = await _enterprise(ctx)
            unknown = next((p for p in _SPLIT.split(text.strip())
                            if p and not p.isdigit() and not self._known(conv, spec, p)), text)
            raise Invalid(f"「{unknown[:20]}」不在服务{enterprise.region}的金融机构名单里，"
                          "请从列出的机构中选。") from None

    def _known(self, conv: ConvState, spec: Field, part: str) -> bool:
        return any(part in (o.label, o.key, *o.aliases) or part in o.label
                   for o in self._options(conv, spec))

    async def _initial(self, ctx: StepContext, arg: str) -> tuple[dict[str, Any], str]:
        if not arg.startswith(DRAFT_ARG):
            return {}, self.spec.intro
        draft = await ctx.ports.platform.demand(ctx.openid, arg[len(DRAFT_ARG):])
        if draft.status != "草稿":
            raise PlatformError(f"{draft.no}已经提交过了，当前状态：{draft.status}。", "not_draft")
        values: dict[str, Any] = {
            "draft_no": draft.no, "zone": draft.zone, "amount": str(draft.amount),
            "term": UNLIMITED if draft.term_months is None else draft.term_months,
            "loan_kind": draft.loan_kind, "demand_type": DIRECTED if draft.directed else OPEN,
            "purpose": draft.purpose}
        if draft.directed:
            values["institutions"] = list(draft.institutions)
        return values, f"继续填写草稿 {draft.no}。"

    async def _load_options(self, ctx: StepContext, conv: ConvState,
                            keys: Sequence[str]) -> bool:
        """Fetch platform-provided choices not held yet; True when any were fetched."""
        held = conv.scratch.setdefault("options", {})
        fetched = False
        for key in keys:
            spec = self.fields.get(key)
            if spec is None or spec.choices is None or isinstance(spec.choices, Sequence) \
                    or key in held:
                continue
            if not self.machine.applicable(key, conv.values):
                continue
            options = await spec.choices(ctx, conv.values)
            held[key] = [[c.label, c.key, list(c.aliases)] for c in options]
            fetched = True
        return fetched


INTENTS = [Intent("DEMAND_NEW", ("发布融资需求", "发布需求", "融资", "我要融资", "我要贷款",
                                "申请贷款", "贷款申请", "新增需求", "新增融资需求", "发需求",
                                "融资需求", "发布"), dialog=NAME)]
DIALOGS = [DemandForm(SPEC)]
