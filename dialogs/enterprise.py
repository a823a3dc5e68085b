"""我的企业 (numbered list, the active one marked), 切换企业, 添加企业 and 我的信息.
One WeChat user only ever sees the enterprises bound to its own account:
everything here reads `platform.profile(openid)`.

The list is a pending numbered choice, like the main menu: a digit switches (or, the last
number, adds an enterprise); any other message is routed as usual, so the list never
holds the conversation.
"""

from __future__ import annotations

from datetime import timedelta, timezone

from adapters.platform_port import Enterprise, PlatformError, Profile
from dialogs.account_common import not_registered
from dialogs.base import ConvState, Dialog, Step, StepContext
from dialogs.certify import CERT_LABEL
from dialogs.masking import mask_id, mask_phone
from dialogs.registry import Intent, Responder

BEIJING = timezone(timedelta(hours=8))


def _status(enterprise: Enterprise, person_done: bool) -> str:
    if enterprise.certified_at is None:
        return "待企业要素认证"
    if enterprise.authorised_at is None:
        return "待签署授权书"
    return "认证授权已完成" if person_done else "待个人认证"


def _listing(profile: Profile, lead: str, shown: tuple[Enterprise, ...]) -> str:
    active = profile.active
    lines = [lead] if lead else []
    for i, enterprise in enumerate(shown, 1):
        mark = "（当前）" if active is not None and enterprise.id == active.id else ""
        lines.append(f"{i} {enterprise.name}{mark}")
        lines.append(f"   {_status(enterprise, profile.person is not None)}")
    return "\n".join(lines)


MAX_LISTED = 15


async def show(ctx: StepContext, conv: ConvState, arg: str) -> Step:
    """我的企业 / 切换企业: the numbered list; a digit answers it through the router's
    pending choice (SWITCH_<n> intents), any other message is routed as usual."""
    profile: Profile = await ctx.ports.platform.profile(ctx.openid)
    if profile.account is None:
        return not_registered(conv)
    if not profile.enterprises:
        return Step.text("您的账号下还没有企业。回复「添加企业」添加。")
    named = ctx.understood.enterprise if ctx.understood is not None else None
    chosen = next((e for e in profile.enterprises if e.name == named), None)
    if chosen is not None:  # "切到曲靖恒达": the one named, at once
        number = profile.enterprises.index(chosen) + 1
        if profile.active is not None and chosen.id == profile.active.id:
            return Step.text(f"当前已经是「{chosen.name}」。")
        return await _switch_to(number)(ctx, conv, "")
    if arg == "switch" and len(profile.enterprises) == 1:
        only = profile.enterprises[0]
        return Step.text(f"您目前只有一家企业：{only.name}（当前）。\n"
                         "要管理另一家企业，请回复「添加企业」。")
    shown = profile.enterprises[:MAX_LISTED]
    items = [f"SWITCH_{i}" for i in range(1, len(shown) + 1)] + ["ADD_ENTERPRISE"]
    conv.choices = {"kind": "menu", "items": items}
    lead = ("请回复序号选择要切换到的企业：" if arg == "switch"
            else "我的企业（回复序号切换）：" if len(shown) > 1 else "我的企业：")
    lines = [_listing(profile, lead, shown), f"{len(items)} 添加企业"]
    return Step.text("\n".join(lines))


def _switch_to(number: int) -> Responder:
    async def respond(ctx: StepContext, conv: ConvState, arg: str) -> Step:
        profile: Profile = await ctx.ports.platform.profile(ctx.openid)
        if not 0 < number <= len(profile.enterprises):
            return Step.text("没有这一项，回复「我的企业」重新查看列表。")
        chosen = profile.enterprises[number - 1]
        try:
            profile = await ctx.ports.platform.switch_enterprise(ctx.openid, chosen.id)
        except PlatformError as exc:
            return Step.text(exc.message)
        tail = ("回复「认证授权」完成这家企业的认证。" if profile.missing_steps()
                else "可以回复「发布融资需求」为这家企业申请融资。")
        return Step.text(f"已切换到「{chosen.name}」，现在是当前企业。\n{tail}")
    return respond


async def switch(ctx: StepContext, conv: ConvState, arg: str) -> Step:
    return await show(ctx, conv, "switch")


async def add(ctx: StepContext, conv: ConvState, arg: str) -> Step:
    return Step(start="certify_enterprise", start_arg="add")


async def my_info(ctx: StepContext, conv: ConvState, arg: str) -> Step:
    profile: Profile = await ctx.ports.platform.profile(ctx.openid)
    account = profile.account
    if account is None:
        return not_registered(conv)
    lines = ["我的信息",
             f"账号：{account.legal_name} {mask_phone(account.phone)}"
             f"（{account.created_at.astimezone(BEIJING):%Y-%m-%d}注册）"]
    person = profile.person
    if person is None:
        lines.append("个人认证：未完成（回复「认证授权」开始）")
    else:
        lines.append(f"个人认证：已通过\n   {person.name} · {CERT_LABEL.get(person.cert_type, '')}"
                     f" {mask_id(person.cert_number)}\n   手机 {mask_phone(person.phone)}")
    active = profile.active
    if active is None:
        lines.append("企业：还没有（回复「添加企业」添加）")
    else:
        lines += [f"当前企业：{active.name}",
                  f"   信用代码：{active.uscc}",
                  f"   法定代表人：{active.legal_rep} {mask_id(active.legal_rep_id)}",
                  f"   所属区域：{active.region or '企业要素认证后确定'}",
                  f"   企业要素认证：{'已通过' if active.certified_at else '未完成'}；"
                  f"授权书：{'已签署' if active.authorised_at else '未签署'}"]
        if len(profile.enterprises) > 1:
            lines.append(f"（共{len(profile.enterprises)}家企业，回复「切换企业」切换）")
    lines.append("要修改请回复「修改个人认证」或「修改企业认证」。")
    return Step.text("\n".join(lines))


DIALOGS: list[Dialog] = []
INTENTS: list[Intent] = [
    Intent("ENTERPRISES", ("我的企业", "企业列表", "我的公司", "企业管理", "查看企业"),
           respond=show),
    Intent("SWITCH_ENTERPRISE", ("切换企业", "换企业", "切换公司", "换公司", "切换当前企业"),
           respond=switch),
    Intent("ADD_ENTERPRISE", ("添加企业", "新增企业", "添加公司", "绑定企业", "添加新企业",
                              "再加一家企业"), respond=add),
    Intent("MY_INFO", ("我的信息", "个人信息", "我的资料", "认证信息", "查看认证", "我的账号",
                       "账号信息"), respond=my_info),
    # Answers to the numbered list only (no words): SWITCH_2 = the second enterprise.
    *(Intent(f"SWITCH_{n}", (), respond=_switch_to(n)) for n in range(1, MAX_LISTED + 1)),
]
