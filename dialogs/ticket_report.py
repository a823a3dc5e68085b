"""问题反馈 (manual Q6: any 异常 or other error goes to the platform's service staff with a
screenshot).

"报错了", "系统异常" or a picture sent outside any form asks "要反馈这个问题吗？". A
picture starts a draft ticket (待补充) at once, so its download begins while the user
answers; every further picture joins the same draft. 1 (or a description typed straight
away) asks for / takes one line saying what happened and files the ticket (待处理); 2
withdraws the draft and its pictures. A picture sent within a few minutes of filing
joins the ticket just filed instead of opening another.
"""

from __future__ import annotations

import re
from datetime import timedelta

from adapters.ticket_port import TicketDesk, TicketError
from dialogs.base import ConvState, Dialog, Step, StepContext
from dialogs.registry import Intent
from dialogs.ticket_common import FOLLOW, NO, WHEN, YES, desk, no_desk, word
from state_machines.ticket import OPEN, IllegalTicketMove

NAME = "ticket_report"
OFFER, DESCRIBE = "offer", "describe"
JOIN_FILED = timedelta(minutes=10)  # pictures right after filing belong to that ticket
ASK = "要反馈这个问题吗？\n1 反馈给平台客服（可以附截图）\n2 不用了"
ASK_LINE = "请用一句话说说遇到的问题：在哪一步、提示了什么？（还可以接着发截图）"
MIN_DESCRIPTION = 4  # "登录报错" says something; "啊" does not
# Words that make a message a problem told, not a wish ("我的需求" is no description).
PROBLEM = re.compile(r"报错|异常|错误|出错|失败|打不开|没反应|不动|卡住|卡死|闪退|白屏|转圈|"
                     r"提示|弹出|弹了|显示|上传不了|提交不了|登录不了|登不上|不行|用不了|bug",
                     re.IGNORECASE)
# What a problem report never is: a short message that reads as another wish (a menu
# word, "查进度"), which the router then answers instead of filing it.
OTHER_WISH_MAX = 8


class ReportDialog(Dialog):
    """The Q6 conversation: offer, pictures, one line, filed."""

    name = NAME
    title = "问题反馈"

    async def start(self, ctx: StepContext, conv: ConvState, arg: str = "") -> Step:
        """Ask whether to report; with a picture (its MediaId as `arg`) a draft first."""
        conv.clear_dialog()
        conv.dialog, conv.state = self.name, OFFER
        if arg:  # a picture's MediaId
            got = await self._attach(ctx, conv, arg)
            if got is not None:
                return got
            return Step.text(f"收到您的截图。{ASK}")
        return Step.text(f"遇到报错或异常了？{ASK}")

    async def handle(self, ctx: StepContext, conv: ConvState, text: str) -> Step:
        """1 / 2 / a description at the offer; the one line once asked for it."""
        said = word(text)
        if conv.state == OFFER:
            if said in YES:
                conv.state = DESCRIBE
                return Step.text(ASK_LINE)
            if said in NO:
                return await self._drop(ctx, conv)
            if len(said) >= MIN_DESCRIPTION and PROBLEM.search(said):  # told at once
                return await self._file(ctx, conv, text)
            # Anything else may be something else the user wants: the router reads it.
            return Step(say=Step.text("要反馈请回复 1，不用请回复 2。").say, rejected=True)
        if len(said) < 2 or said in YES or _other_wish(ctx, said):
            return Step(say=Step.text(ASK_LINE).say, rejected=True)
        return await self._file(ctx, conv, text)

    async def on_image(self, ctx: StepContext, conv: ConvState, media_id: str) -> Step | None:
        """Another picture: into the same draft."""
        got = await self._attach(ctx, conv, media_id)
        if got is not None:
            return got
        count = int(conv.values.get("pictures", 0))
        tail = ASK_LINE if conv.state == DESCRIBE else "要反馈请回复 1，不用请回复 2。"
        return Step.text(f"收到第{count}张截图。", tail)

    async def prompt(self, ctx: StepContext, conv: ConvState) -> str:
        """The question this report waits on."""
        return ASK_LINE if conv.state == DESCRIBE else ASK

    def progress(self, conv: ConvState) -> str:
        """How many pictures are attached, for the resume offer."""
        count = int(conv.values.get("pictures", 0))
        return f"已附{count}张截图" if count else ""

    # --- steps ---------------------------------------------------------------------------
    async def _attach(self, ctx: StepContext, conv: ConvState, media_id: str) -> Step | None:
        """Queue the picture into this report's draft (made on the first one); a Step
        only when it could not be taken."""
        tickets = desk(ctx)
        if tickets is None:
            conv.clear_dialog()
            return no_desk()
        try:
            no = conv.values["no"] = await _draft_no(tickets, ctx, conv)
            await tickets.attach(ctx.openid, no, media_id, "screenshot", ctx.idem_key + ":img")
        except TicketError as exc:
            return Step.text(exc.message)
        conv.values["pictures"] = int(conv.values.get("pictures", 0)) + 1
        return None

    async def _file(self, ctx: StepContext, conv: ConvState, text: str) -> Step:
        tickets = desk(ctx)
        if tickets is None:
            conv.clear_dialog()
            return no_desk()
        try:
            no = await _draft_no(tickets, ctx, conv)
            ticket = await tickets.submit(ctx.openid, no, text)
        except (TicketError, IllegalTicketMove) as exc:
            return Step.text(exc.message)
        conv.clear_dialog()
        pictures = ticket.count("pending", "stored")
        attached = f"（附{pictures}张截图）" if pictures else ""
        return Step.text(f"✅ 已提交给平台客服{attached}，工单号：{ticket.no}\n{WHEN}\n"
                         f"还有截图可以直接发来，会补充到这张工单。{FOLLOW}")

    async def _drop(self, ctx: StepContext, conv: ConvState) -> Step:
        tickets, no = desk(ctx), conv.values.get("no")
        pictures = int(conv.values.get("pictures", 0))
        conv.clear_dialog()
        if tickets is not None and no:
            try:
                await tickets.drop(ctx.openid, no)
            except TicketError:
                pass  # nothing left to withdraw
        deleted = "截图已删除。" if pictures else ""
        return Step.text(f"好的，不反馈了，{deleted}需要时回复「菜单」。")


def _other_wish(ctx: StepContext, said: str) -> bool:
    reading = ctx.understood
    return (len(said) <= OTHER_WISH_MAX and not PROBLEM.search(said) and reading is not None
            and reading.kind == "intent" and reading.intent not in ("REPORT", "COMPLAINT"))


async def picture(ctx: StepContext, conv: ConvState, media_id: str) -> Step:
    """A picture outside any form: into a report put aside a moment ago, else into the
    ticket filed just now, else a new report."""
    aside = conv.paused or {}
    if aside.get("dialog") == NAME and (aside.get("values") or {}).get("no"):
        conv.paused = None
        conv.restore(aside)
        said = await REPORT.on_image(ctx, conv, media_id)
        return said if said is not None else Step()
    tickets = desk(ctx)
    if tickets is not None:
        recent = next(iter(await tickets.mine(ctx.openid, limit=1)), None)
        if recent is not None and recent.kind == "q6" and recent.status == OPEN \
                and ctx.now - recent.updated_at < JOIN_FILED:
            try:
                joined = await tickets.attach(ctx.openid, recent.no, media_id, "screenshot",
                                              ctx.idem_key + ":img")
            except TicketError as exc:
                return Step.text(exc.message)
            count = joined.count("pending", "stored")
            return Step.text(f"已补充到工单{joined.no}（共{count}张截图）。{FOLLOW}")
    return Step(start=NAME, start_arg=media_id)


REPORT = ReportDialog()
DIALOGS: list[Dialog] = [REPORT]
INTENTS: list[Intent] = [
    Intent("REPORT", ("报错了", "报错", "系统异常", "出错了", "提示异常", "系统报错", "出现异常",
                      "显示异常", "页面异常", "反馈问题", "问题反馈", "我要反馈", "提示错误",
                      "系统出错", "出现错误"), dialog=NAME),
    # A picture outside any form (bot/router.py): no words.
    Intent("IMAGE", (), respond=picture),
]


async def _draft_no(tickets: TicketDesk, ctx: StepContext, conv: ConvState) -> str:
    """This report's ticket number: its draft's, made now when it has none yet."""
    no = conv.values.get("no")
    if no:
        return str(no)
    drafted = await tickets.draft(ctx.openid, "q6", title="问题反馈",
                                  idem_key=ctx.idem_key + ":draft")
    return drafted.no
