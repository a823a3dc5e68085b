"""导出我的信息: a copy of what the platform holds about the asker (PIPL art. 45), and
nothing about anyone else: everything comes from `platform.personal_data(openid)` for
the asker's own openid. ID, phone and utility account numbers are masked; the copy
ends with how to correct (修改…) and delete (注销账号).

Long copies (several enterprises) are cut into messages by bot.handler.split_long at
paragraph breaks, so each section stays whole on a phone screen.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from adapters.platform_port import AuthorisationRecord, Enterprise, PersonalData
from dialogs.account_common import not_registered
from dialogs.base import ConvState, Dialog, Step, StepContext
from dialogs.consent import CONSENT_VERSION
from dialogs.masking import mask_account, mask_id, mask_phone
from dialogs.registry import Intent
from dialogs.validators import CERTIFICATE_TYPES

BEIJING = timezone(timedelta(hours=8))
CERT_LABEL = dict(CERTIFICATE_TYPES)


def _day(at: datetime | None) -> str:
    return at.astimezone(BEIJING).strftime("%Y-%m-%d") if at else ""


def _minute(at: datetime) -> str:
    return at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def _account(data: PersonalData) -> str:
    account = data.profile.account
    if account is None:  # export answers a user without an account before rendering
        raise ValueError("render() needs the personal data of an account")
    return "\n".join((
        "【账号】",
        f"法人姓名：{account.legal_name}",
        f"手机号：{mask_phone(account.phone)}",
        f"身份证号：{mask_id(account.legal_id)}",
        f"注册时间：{_day(account.created_at)}",
        "绑定微信：本微信"))


def _person(data: PersonalData) -> str:
    person = data.profile.person
    if person is None:
        return "【个人认证】\n未完成"
    return "\n".join((
        "【个人认证】",
        f"{_day(person.certified_at)} 通过",
        f"{person.name} · {CERT_LABEL.get(person.cert_type, '证件')} "
        f"{mask_id(person.cert_number)}",
        f"手机号：{mask_phone(person.phone)}"))


def _enterprise(number: int, enterprise: Enterprise, active: bool) -> str:
    mark = "（当前）" if active else ""
    certified = (f"{_day(enterprise.certified_at)} 通过" if enterprise.certified_at
                 else "未完成")
    signed = f"{_day(enterprise.authorised_at)} 签署" if enterprise.authorised_at else "未签署"
    return "\n".join((
        f"{number} {enterprise.name}{mark}",
        f"   信用代码：{enterprise.uscc}",
        f"   地区：{enterprise.region or '企业要素认证后确定'}",
        f"   法定代表人：{enterprise.legal_rep} {mask_id(enterprise.legal_rep_id)}",
        f"   企业要素认证：{certified}",
        f"   授权书：{signed}"))


def _enterprises(data: PersonalData) -> str:
    profile = data.profile
    if not profile.enterprises:
        return "【企业】\n还没有"
    active = profile.active
    parts = [_enterprise(i, e, active is not None and e.id == active.id)
             for i, e in enumerate(profile.enterprises, 1)]
    # A blank line between enterprises: a long copy is cut into messages only there.
    return f"【企业】共{len(profile.enterprises)}家\n" + "\n\n".join(parts)


def _letter(record: AuthorisationRecord) -> str:
    line = (f"{record.enterprise_name}\n"
            f"   版本 {record.text_version}，{_minute(record.signed_at)} 签署")
    accounts = [f"\n   {label}户号：{mask_account(value)}" for label, value in (
        ("水费", record.water_account), ("电费", record.power_account),
        ("燃气", record.gas_account)) if value]
    line += "".join(accounts)
    return line


def _letters(data: PersonalData) -> str:
    if not data.authorisations:
        return "【授权书】\n还没有签署"
    return "\n".join(("【授权书】", *(_letter(r) for r in data.authorisations)))


def _consents(data: PersonalData) -> str:
    if not data.consents:
        return "【个人信息处理规则】\n还没有同意记录"
    lines = ["【个人信息处理规则】"]
    for consent in data.consents:
        current = "（当前版本）" if consent.version == CONSENT_VERSION else ""
        lines.append(f"版本 {consent.version}，{_minute(consent.agreed_at)} 同意{current}")
    return "\n".join(lines)


def render(data: PersonalData, now: datetime) -> str:
    """The copy, one section per paragraph (a message break only ever falls between)."""
    return "\n\n".join((
        f"我的个人信息（{_minute(now)} 导出）\n证件号、手机号已打码显示。",
        _account(data), _person(data), _enterprises(data), _letters(data), _consents(data),
        f"【融资需求】\n共{data.demand_count}笔，回复「我的需求」查看",
        "【更正和删除】\n"
        "更正：回复「修改个人认证」或「修改企业认证」\n"
        "删除：回复「注销账号」删除账号和个人信息\n"
        "规则：回复「个人信息处理规则」查看"))


async def export(ctx: StepContext, conv: ConvState, arg: str) -> Step:
    data = await ctx.ports.platform.personal_data(ctx.openid)
    if data.profile.account is None:
        return not_registered(conv, "平台没有保存您的账号信息。")
    return Step.text(render(data, ctx.now))


DIALOGS: list[Dialog] = []
INTENTS: list[Intent] = [
    Intent("ACCOUNT_EXPORT", ("导出我的信息", "导出信息", "导出我的数据", "导出个人信息",
                              "我的个人信息", "查询个人信息", "查询我的个人信息", "我的数据",
                              "个人信息导出", "下载我的信息", "个人信息副本"),
           respond=export),
]
