"""帮助, 联系我们, 使用指南 and the welcome: the texts every user meets first.

Facts (phone, hours, address, people) are the platform manual's, section 六.
"""

from __future__ import annotations

from adapters.platform_port import PlatformError
from dialogs.base import ConvState, Dialog, Step, StepContext
from dialogs.demand_text import missing_text
from dialogs.registry import Intent

PHONE = "0871-64980508"
CONTACT_TEXT = (
    "融信服平台联系方式\n"
    f"电话：{PHONE}\n"
    "时间：法定工作日工作时间\n"
    "联系人：黄桉迪、杨志伟、郭梦滢\n"
    "地址：云南省昆明市西山区日新中路616号\n"
    "也可以直接回复「转人工」，在线找客服。"
)

WELCOME = (
    "欢迎关注融信服！我是云南省中小企业融资综合信用服务平台的小助手。\n"
    "在这里可以注册企业账号、完成认证授权、发布融资需求、随时查审批进度；"
    "银行授信或放款时，我会第一时间通知您。"
)

# The numbered main menu leads with the user's next step. Entries whose intent is not
# registered are left out, so the menu never offers what does not exist.
MenuItems = tuple[tuple[str, str], ...]
_BROWSE: MenuItems = (("PRODUCTS", "金融产品"), ("POLICIES", "政策专区"),
                      ("FAQ", "常见问题"), ("CONTACT", "联系我们"))
NEW_USER_MENU: MenuItems = (("REGISTER", "注册企业账号（约3分钟）"), *_BROWSE,
                            ("GUIDE", "使用指南"))
# 个人信息 rights (issue 14), last: ACCOUNT_DELETE shows only once a dialog registers it.
_PERSONAL: MenuItems = (("ACCOUNT_EXPORT", "导出我的信息"), ("ACCOUNT_DELETE", "注销账号"))
CERTIFYING_MENU: MenuItems = (("CERTIFY", "继续认证授权"), ("DEMAND_LIST", "我的需求（查进度）"),
                              ("ENTERPRISES", "我的企业（添加/切换）"), ("MY_INFO", "我的信息"),
                              *_BROWSE, *_PERSONAL)
CERTIFIED_MENU: MenuItems = (("DEMAND_NEW", "发布融资需求"), ("DEMAND_LIST", "我的需求（查进度）"),
                             *_BROWSE[:2], ("ENTERPRISES", "我的企业（添加/切换）"),
                             ("MY_INFO", "我的信息"), *_BROWSE[2:], *_PERSONAL)


async def menu_for(ctx: StepContext) -> tuple[MenuItems, str]:
    """The menu in the order this user needs it, and a line naming their next step."""
    try:
        profile = await ctx.ports.platform.profile(ctx.openid)
    except PlatformError:  # the platform away: the menu still works, in the new-user order
        return NEW_USER_MENU, ""
    if profile.account is None:
        return NEW_USER_MENU, "还没有账号？先注册企业账号，约3分钟。"
    missing = profile.missing_steps()
    if missing:
        return CERTIFYING_MENU, f"下一步：完成认证授权（还差{missing_text(missing)}）。"
    active = profile.active
    name = f"（当前企业：{active.name}）" if active and len(profile.enterprises) > 1 else ""
    return CERTIFIED_MENU, f"认证授权已完成{name}，可以发布融资需求了。"


COMPLAINT_TEXT = (
    "非常抱歉给您带来不好的体验。您说的情况已记录，会转给平台工作人员跟进。\n"
    f"需要马上找人处理，请回复「转人工」，或致电 {PHONE}（法定工作日工作时间）。"
)


COMMANDS_HELP = (
    "填写中随时可以回复：\n"
    "「上一步」返回上一项；「修改 手机号」改某一项；\n"
    "「取消」放弃本次填写；「继续填写」回到没填完的地方；\n"
    "「转人工」找客服；有疑问也可以直接问我。"
)

GUIDE_TEXT = (
    "使用指南\n"
    "① 注册：用法定代表人的实名手机号注册企业账号，聊天里不需要设置密码。\n"
    "② 认证授权：个人认证 → 企业要素认证 → 签署授权书，三步完成。\n"
    "③ 发布融资需求：选专区、填额度和期限，定向需求最多可选3家金融机构。\n"
    "④ 查进度：回复「我的需求」看审批节点和审批人电话；授信、放款会主动通知您。\n"
    "⑤ 网页端登录：用微信扫平台登录二维码，在这里确认即可。\n"
    "回复「菜单」看全部功能。"
)


async def contact(ctx: StepContext, conv: ConvState, arg: str) -> Step:
    return Step.text(CONTACT_TEXT)


async def guide(ctx: StepContext, conv: ConvState, arg: str) -> Step:
    return Step.text(GUIDE_TEXT)


async def complaint(ctx: StepContext, conv: ConvState, arg: str) -> Step:
    return Step.text(COMPLAINT_TEXT)


# The 常见问题 list: the manual's troubleshooting cases first, then the flows.
TOPICS = ("q1_sms_code", "q2_personal_mismatch", "q3_enterprise_mismatch",
          "q4_sign_authorisation", "q5_change_certification", "q6_unexpected_error",
          "directed_vs_undirected", "demand_progress", "login_qr", "privacy")


async def topics(ctx: StepContext, conv: ConvState, arg: str) -> Step:
    entries = []
    for entry_id in TOPICS:
        try:
            entries.append(ctx.ports.faq.get(entry_id))
        except (KeyError, AttributeError):
            continue
    if not entries:
        return Step.text(CONTACT_TEXT)
    conv.choices = {"kind": "faq", "ids": [e.id for e in entries]}
    lines = ["常见问题，回复数字查看："]
    lines += [f"{i} {e.question}" for i, e in enumerate(entries, 1)]
    lines.append("也可以直接把问题发给我。")
    return Step.text("\n".join(lines))


INTENTS = [
    Intent("CONTACT", ("联系我们", "联系方式", "客服电话", "联系电话", "电话", "地址",
                       "平台电话", "平台地址"), respond=contact),
    Intent("GUIDE", ("使用指南", "指南", "怎么用", "使用说明", "说明"), respond=guide),
    Intent("FAQ", ("常见问题", "问题", "faq", "疑问"), respond=topics),
    # Recorded for the operators too (bot.router), as a question we could not answer is.
    Intent("COMPLAINT", ("投诉", "我要投诉"), respond=complaint, record=True),
]
DIALOGS: list[Dialog] = []
