"""我的需求 / 查进度: the demands of every enterprise bound to the account (grouped, the
active enterprise first) by tab, five a page; a number opens the detail (status, node,
handler, elapsed time, every approval record with the handler's phone, as the manual's
查看审批状态 shows); a 单据号 opens that demand, switching to its enterprise; 撤回 while
待关注, after a confirmation; a draft reopens in the publish form.

States: list -> detail -> confirm (withdraw). Paging and the open demand live in
conv.scratch, so a restart or an FAQ question in between loses nothing.
"""

from __future__ import annotations

import re

from adapters.platform_port import Demand, IllegalMove, NotFound, PlatformError, Profile
from dialogs.base import BrowsingDialog, ConvState, Dialog, Step, StepContext
from dialogs.demand_publish import DRAFT_ARG
from dialogs.demand_publish import NAME as PUBLISH
from dialogs.demand_text import amount_short, china_time
from dialogs.demand_view import detail_text, gather, grouped, options_for, status_lead, took
from dialogs.registry import Intent
from knowledge.slots import read_slots

NAME = "demand_list"
# What is plainly meant as a 单据号 even when it is not a valid one (RZ12345678).
MISTYPED_NO = re.compile(r"(?:rz)?[\s\-]*\d[\d\s\-]{5,}", re.IGNORECASE)
PAGE_SIZE = 5
TABS: dict[str, str | None] = {"全部": None, "待关注": "待关注", "待授信": "待授信",
                               "待放款": "待放款", "草稿": "草稿", "已放款": "已放款",
                               "已退回": "已退回", "已撤回": "已撤回"}
TAB_LINE = "切换：全部｜待关注｜待授信｜待放款｜草稿"
NEXT = ("下一页", "下页", "更多", "下一頁", "n")
PREVIOUS = ("上一页", "上页", "前一页", "p")
YES = ("1", "确定", "确定撤回", "确认", "确认撤回", "是", "是的", "撤回", "好")
NO = ("2", "不撤回", "不", "否", "不了", "不用", "先不")
EDIT_DRAFT = ("1", "编辑", "继续编辑", "修改", "修改草稿", "提交", "接着填")


class DemandList(BrowsingDialog):
    """我的需求: the active enterprise's demands page by page, optionally of one status; one
    demand's detail and withdrawal from there."""

    name = NAME
    title = "我的需求"

    async def start(self, ctx: StepContext, conv: ConvState, arg: str = "") -> Step:
        try:
            profile = await ctx.ports.platform.profile(ctx.openid)
            if profile.account is None:
                return Step.text("您还没有注册企业账号，暂时没有需求可查。\n"
                                 "回复「注册」开始注册，注册并认证后就能发布融资需求。")
            if profile.active is None:
                return Step.text("您的账号还没有认证企业。回复「认证授权」完成企业认证后，"
                                 "就能发布和查看融资需求。")
            self.begin(conv, "list")
            arg = arg.strip()
            number = _number(ctx, arg)
            if number:
                conv.scratch.update(tab="全部", page=1)
                return await self._open_number(ctx, conv, profile, number)
            conv.scratch.update(tab=arg if arg in TABS else "全部", page=1)
            text = await self._list(ctx, conv)
            if not conv.scratch.get("nos") and conv.scratch["tab"] == "全部":
                conv.clear_dialog()  # nothing to page through or open
            return Step.text(text)
        except PlatformError as exc:
            conv.clear_dialog()
            return Step.text(exc.message)

    async def handle(self, ctx: StepContext, conv: ConvState, text: str) -> Step:
        word = text.strip()
        try:
            if word in TABS:
                conv.state = "list"
                conv.scratch.update(tab=word, page=1)
                return Step.text(await self._list(ctx, conv))
            number = _number(ctx, word)
            if number:  # 查进度 RZ… typed while the list is open
                profile = await ctx.ports.platform.profile(ctx.openid)
                return await self._open_number(ctx, conv, profile, number)
            if word in LIST_WORDS:
                conv.state = "list"
                conv.scratch.update(tab="全部", page=1)
                return Step.text(await self._list(ctx, conv))
            if conv.state == "detail":
                return await self._at_detail(ctx, conv, word)
            if conv.state == "confirm":
                return await self._at_confirm(ctx, conv, word)
            return await self._at_list(ctx, conv, word)
        except PlatformError as exc:
            return Step.text(exc.message, await self._options_line(ctx, conv))

    async def back(self, ctx: StepContext, conv: ConvState) -> Step:
        try:
            if conv.state == "confirm":
                conv.state = "detail"
                return Step.text("好的，不撤回。", await self._options_line(ctx, conv))
            if conv.state == "detail":
                conv.state = "list"
                return Step.text(await self._list(ctx, conv))
        except PlatformError as exc:
            return Step.text(exc.message)
        return Step.text("已经是列表了。", await self.prompt(ctx, conv))

    async def prompt(self, ctx: StepContext, conv: ConvState) -> str:
        try:
            if conv.state == "list":
                return await self._list(ctx, conv)
            return await self._options_line(ctx, conv)
        except PlatformError as exc:
            return exc.message

    # --- states ------------------------------------------------------------------------
    async def _at_list(self, ctx: StepContext, conv: ConvState, word: str) -> Step:
        nos: list[str] = conv.scratch.get("nos") or []
        if word in NEXT or word in PREVIOUS:
            forward = word in NEXT
            if forward and not conv.scratch.get("has_next"):
                return Step.text("已经是最后一页了。", await self._list(ctx, conv))
            if not forward and conv.scratch.get("page", 1) <= 1:
                return Step.text("已经是第一页了。", await self._list(ctx, conv))
            conv.scratch["page"] = conv.scratch.get("page", 1) + (1 if forward else -1)
            return Step.text(await self._list(ctx, conv))
        if word.isdigit():
            index = int(word) - 1
            if 0 <= index < len(nos):
                return await self._open(ctx, conv, nos[index])
            reason = f"请回复序号1到{len(nos)}。" if nos else "这一页没有需求。"
            return Step(say=Step.text(reason, await self._list(ctx, conv)).say, rejected=True)
        return Step(say=Step.text("没看懂您的回复。", await self._list(ctx, conv)).say,
                    rejected=True)

    async def _at_detail(self, ctx: StepContext, conv: ConvState, word: str) -> Step:
        status = conv.scratch.get("status")
        no = conv.scratch.get("no", "")
        if status == "草稿" and word in EDIT_DRAFT:
            return Step(start=PUBLISH, start_arg=DRAFT_ARG + no)
        if word in ("撤回", "撤回需求", "撤销", "撤消"):
            if status != "待关注":
                return Step.text(f"当前状态为{status}，不能撤回：只有还没有机构关注（待关注）的"
                                 "需求可以撤回。如需调整，请联系当前处理人。",
                                 await self._options_line(ctx, conv))
            conv.state = "confirm"
            return Step.text(self._confirm_question(no))
        if word in ("列表", "返回列表"):
            return await self.back(ctx, conv)
        return Step(say=Step.text("没看懂您的回复。", await self._options_line(ctx, conv)).say,
                    rejected=True)

    async def _at_confirm(self, ctx: StepContext, conv: ConvState, word: str) -> Step:
        no = conv.scratch.get("no", "")
        if word in NO:
            return await self.back(ctx, conv)
        if word not in YES:
            return Step(say=Step.text("请回复1确定撤回，或回复2不撤回。",
                                      self._confirm_question(no)).say, rejected=True)
        conv.state = "detail"
        try:
            demand = await ctx.ports.platform.withdraw(ctx.openid, no, ctx.idem_key)
        except IllegalMove as exc:  # an institution acted meanwhile: show where it stands
            return Step.text(f"{exc.message}。", await self._open_text(ctx, conv, no))
        conv.state = "list"
        return Step.text(f"已撤回单据号{demand.no}，金融机构将不再看到这条需求。"
                         "需要时可以回复「发布需求」重新发布。", await self._list(ctx, conv))

    @staticmethod
    def _confirm_question(no: str) -> str:
        return (f"确定撤回单据号{no}吗？撤回后金融机构将看不到这条需求，也不能恢复。\n"
                "1 确定撤回\n2 不撤回")

    # --- rendering -----------------------------------------------------------------------
    async def _list(self, ctx: StepContext, conv: ConvState) -> str:
        """One page of the user's demands over all their enterprises, grouped by
        enterprise (the active one first); numbers run on across pages."""
        profile = await ctx.ports.platform.profile(ctx.openid)
        if profile.active is None:
            raise PlatformError("没有找到您的企业，请先完成企业认证。", "no_enterprise")
        tab = conv.scratch.get("tab", "全部")
        holdings = await gather(ctx, profile, TABS.get(tab))
        rows = [(h.enterprise, d) for h in holdings for d in h.demands]
        pages = max((len(rows) + PAGE_SIZE - 1) // PAGE_SIZE, 1)
        page_no = min(max(int(conv.scratch.get("page", 1)), 1), pages)
        start = (page_no - 1) * PAGE_SIZE
        shown = rows[start:start + PAGE_SIZE]
        conv.scratch.update(page=page_no, nos=[d.no for _, d in shown],
                            has_next=page_no < pages)
        if not rows:
            if tab == "全部":
                return "您还没有发布过融资需求。回复「发布需求」马上发布。"
            return f"「{tab}」下暂时没有需求。\n{TAB_LINE}"
        owner = "我的需求" if len(profile.enterprises) > 1 else f"{profile.active.name}的需求"
        lines = [f"{owner}·{tab}（共{len(rows)}条，第{page_no}/{pages}页）"]
        lines += grouped(shown, profile, lambda i, d: (
            f"{i} {d.no} {amount_short(d.amount)} {d.status} "
            f"{china_time(d.submitted_at or d.created_at)[5:10]}"))
        more = "；「下一页」翻页" if page_no < pages else ""
        back = "；「上一页」往回翻" if page_no > 1 else ""
        lines.append(f"回复序号看详情{more}{back}。\n{TAB_LINE}")
        return "\n".join(lines)

    async def _open_number(self, ctx: StepContext, conv: ConvState, profile: Profile,
                           no: str) -> Step:
        """A 单据号 typed: its detail if it is any of the user's enterprises' (switching
        to that enterprise, so what they do next is for it), else the same answer as
        for a number that does not exist."""
        try:
            demand = await ctx.ports.platform.demand(ctx.openid, no)
        except NotFound:
            conv.clear_dialog()
            return Step.text(f"没有找到单据号为{no}的需求。请核对单据号，"
                             "或回复「我的需求」查看您的全部需求。")
        switched = ""
        active = profile.active
        if active is not None and demand.enterprise_id != active.id:
            await ctx.ports.platform.switch_enterprise(ctx.openid, demand.enterprise_id)
            switched = f"（这笔需求是「{demand.enterprise_name}」的，已为您切换到这家企业。）"
        text = await show_detail(ctx, conv, demand)
        return Step.text(switched, status_lead(demand, took(ctx, demand)), text)

    async def _open(self, ctx: StepContext, conv: ConvState, no: str) -> Step:
        return Step.text(await self._open_text(ctx, conv, no))

    async def _open_text(self, ctx: StepContext, conv: ConvState, no: str) -> str:
        return await show_detail(ctx, conv, await ctx.ports.platform.demand(ctx.openid, no))

    async def _options_line(self, ctx: StepContext, conv: ConvState) -> str:
        if conv.state == "confirm":
            return self._confirm_question(conv.scratch.get("no", ""))
        return options_for(conv.scratch.get("status", ""))


async def show_detail(ctx: StepContext, conv: ConvState, demand: Demand) -> str:
    """The demand's detail and what can be done with it; the conversation is left in
    this dialog's detail state, so 撤回 and 返回 work next."""
    conv.dialog, conv.state = NAME, "detail"
    conv.scratch.setdefault("tab", "全部")
    conv.scratch.setdefault("page", 1)
    conv.scratch.update(no=demand.no, status=demand.status)
    return await detail_text(ctx, demand) + "\n" + options_for(demand.status)


def _number(ctx: StepContext, text: str) -> str | None:
    """The 单据号 in a message, however grouped (RZ…, 2026 1201 000002 …); one plainly
    meant as a number but invalid (RZ12345678) is returned too, to be "not found"."""
    understood = ctx.understood
    if understood is not None and understood.text == text and understood.slots.demand_no:
        return understood.slots.demand_no
    number = read_slots(text)[0].demand_no if text else None
    if number is None and MISTYPED_NO.fullmatch(text):  # "not found", rather than the list
        number = "RZ" + re.sub(r"\D", "", text)
    return number


def _tab_intent(key: str, tab: str, *words: str) -> Intent:
    async def respond(ctx: StepContext, conv: ConvState, arg: str) -> Step:
        return Step(start=NAME, start_arg=tab)
    return Intent(key, (tab, *words), respond=respond)


LIST_WORDS = ("我的需求", "查进度", "进度", "我的融资需求", "需求列表", "查看进度", "审批进度",
              "查询进度", "我的申请", "需求进度", "查看需求")
INTENTS = [
    Intent("DEMAND_LIST", LIST_WORDS, dialog=NAME,
           prefixes=("查进度", "我的需求", "查询单据", "RZ")),
    _tab_intent("DEMAND_PENDING", "待关注", "待关注的需求"),
    _tab_intent("DEMAND_CREDIT", "待授信", "待授信的需求"),
    _tab_intent("DEMAND_LOAN", "待放款", "待放款的需求"),
    _tab_intent("DEMAND_DRAFTS", "草稿", "我的草稿", "草稿箱"),
]
DIALOGS: list[Dialog] = [DemandList()]
