"""申请人工核验 (manual Q3): the four-factor check keeps failing because the market
regulator's data has not caught up with a change (a new legal representative, a new
name, registered days ago).

Offered beside the advice after a four-factor refusal (registration, 企业要素认证,
添加企业; dialogs/account_common.py notes the refusal in the form's values). The form is
put aside as it is; this dialog asks when the change was made (under 4 days: wait, the
data is still on its way), carries over what was typed (shown masked), asks for a photo
of the business licence and optionally screenshots, and files a ticket with the failed
check attached. 重新认证, once an operator resolved it, reopens the same form with
everything filled in.
"""

from __future__ import annotations

from typing import Any

from adapters.ticket_port import Ticket, TicketError
from dialogs.account_common import FAILED_CHECK, VERIFIED
from dialogs.base import ConvState, Dialog, Step, StepContext
from dialogs.form import FormDialog
from dialogs.masking import mask_id, mask_phone
from dialogs.registry import Intent
from dialogs.ticket_common import DONE_WORDS, FOLLOW, WHEN, desk, no_desk, word
from state_machines.ticket import OPEN, RESOLVED, WORKING, IllegalTicketMove

NAME = "ticket_verify"
WHEN_Q, LICENCE, SHOTS, SUMMARY = "when", "licence", "shots", "summary"
SOURCES = ("register", "certify_enterprise")  # the forms that run the four-factor check
ASK_WHEN = ("工商信息（法定代表人、企业名称等）最近一次变更是什么时候？\n"
            "1 已满4天\n2 不到4天（最近刚办）\n3 没有办过变更")
ASK_LICENCE = "请拍一张营业执照（正本或副本）的照片发给我，四个角都拍进去、字要清楚。"
ASK_SHOTS = "如果有核验失败的截图也可以发来（可以多张）；没有或发完了请回复「好了」。"
WAIT_4_DAYS = ("市场监管部门的变更数据一般要4天左右才同步到平台，未满4天核验不通过是正常的。\n"
               "请在变更满4天后回复「继续填写」回到核对页，再回复「确认」核验一次；"
               "满4天仍不通过，再回复「申请人工核验」。")
NO_CHANGE = ("没有办过变更的话，多半是某一项和营业执照不一致。请回复「继续填写」回到核对页，"
             "对照执照逐项检查（注意数字1和字母I、数字0和字母O）。")
NOT_FAILED = ("人工核验用于工商变更后数据未同步、企业要素核验不通过的情况。"
              "请先回复「认证授权」（还没注册请回复「注册」）完成核验；核验不通过时再申请。")
_RECENT = ("不到", "没到", "刚", "昨天", "前天", "今天", "这几天", "这两天", "最近")
_LONG = ("满了", "已满", "好久", "很久", "上个月", "去年", "一周", "一个星期")


def failed_form(conv: ConvState) -> dict[str, Any] | None:
    """The four-factor form that refused (put aside a moment ago, or still open)."""
    for snap in (conv.paused, {"dialog": conv.dialog, "values": conv.values}):
        snap = snap or {}
        values = snap.get("values") or {}
        if snap.get("dialog") in SOURCES and values.get(FAILED_CHECK):
            return {"dialog": snap["dialog"], "values": values}
    return None


class VerifyDialog(Dialog):
    """The Q3 conversation: when, the licence photo, screenshots, the summary, filed."""

    name = NAME
    title = "申请人工核验"

    async def start(self, ctx: StepContext, conv: ConvState, arg: str = "") -> Step:
        """Open with the refused form's values, or say what manual verification is for."""
        form = failed_form(conv)
        if form is None:
            return Step.text(NOT_FAILED)
        details = await _details(ctx, form)
        conv.clear_dialog()
        conv.dialog, conv.state, conv.values = self.name, WHEN_Q, {"details": details}
        return Step.text("【申请人工核验】工商数据未同步时，平台可以请市场监管数据人工同步，"
                         "您刚才填写的信息会一并带上，不用重新填。", ASK_WHEN)

    async def handle(self, ctx: StepContext, conv: ConvState, text: str) -> Step:
        """The answer to the current question (when, licence, screenshots, summary)."""
        said = word(text)
        if conv.state == WHEN_Q:
            return await self._when(ctx, conv, said)
        if conv.state == LICENCE:
            return _again("人工核验要对照营业执照，这张照片是必需的。" + ASK_LICENCE)
        if conv.state == SHOTS:
            if said in DONE_WORDS:
                conv.state = SUMMARY
                return Step.text(await self.prompt(ctx, conv))
            return _again(ASK_SHOTS)
        if said in ("提交", "确认", "确定", "是"):
            return await self._file(ctx, conv)
        return _again("没看懂您的回复。\n" + await self.prompt(ctx, conv))

    async def on_image(self, ctx: StepContext, conv: ConvState, media_id: str) -> Step | None:
        """The licence photo, then screenshots, into the drafted ticket."""
        if conv.state == WHEN_Q:
            return Step.text("先回答一个问题：" + ASK_WHEN)
        role = "licence" if conv.state == LICENCE else "screenshot"
        tickets = desk(ctx)
        if tickets is None:
            return no_desk()
        try:
            await tickets.attach(ctx.openid, conv.values["no"], media_id, role,
                                 ctx.idem_key + ":img")
        except TicketError as exc:
            return Step.text(exc.message)
        key = "licences" if role == "licence" else "shots"
        conv.values[key] = int(conv.values.get(key, 0)) + 1
        if conv.state == LICENCE:
            conv.state = SHOTS
            return Step.text("收到营业执照照片。", ASK_SHOTS)
        return Step.text(f"收到第{conv.values[key]}张截图。", await self.prompt(ctx, conv))

    async def prompt(self, ctx: StepContext, conv: ConvState) -> str:
        """The current question, or the masked summary."""
        if conv.state == WHEN_Q:
            return ASK_WHEN
        if conv.state == LICENCE:
            return ASK_LICENCE
        if conv.state == SHOTS:
            return ASK_SHOTS
        facts = conv.values["details"]
        return "\n".join((
            "请核对人工核验申请：",
            f"①企业名称：{facts['company']}",
            f"②统一社会信用代码：{facts['uscc']}",
            f"③法定代表人：{facts['legal_rep']}",
            f"④法定代表人证件号：{mask_id(facts['legal_rep_id'])}",
            f"⑤联系手机：{mask_phone(facts['phone']) if facts.get('phone') else '无'}",
            f"⑥营业执照照片：{conv.values.get('licences', 0)}张；"
            f"截图：{conv.values.get('shots', 0)}张",
            "核验结果：工商四要素不一致（已附上）",
            "回复「提交」提交工单；信息有误请回复「取消」，再回复「继续填写」去修改。"))

    def progress(self, conv: ConvState) -> str:
        """Whether the licence photo is in, for the resume offer."""
        return "已附营业执照照片" if conv.values.get("licences") else ""

    # --- steps ---------------------------------------------------------------------------
    async def _when(self, ctx: StepContext, conv: ConvState, said: str) -> Step:
        if said == "2" or (said != "1" and any(w in said for w in _RECENT)):
            conv.clear_dialog()
            return Step.text(WAIT_4_DAYS)
        if said == "3" or said in ("没有", "没办过", "没有变更", "没变过"):
            conv.clear_dialog()
            return Step.text(NO_CHANGE)
        if said != "1" and not any(w in said for w in _LONG):
            return _again("请回复序号 1、2 或 3。\n" + ASK_WHEN)
        tickets = desk(ctx)
        if tickets is None:
            conv.clear_dialog()
            return no_desk()
        facts = conv.values["details"]
        try:
            ticket = await tickets.draft(ctx.openid, "q3", idem_key=ctx.idem_key + ":draft",
                                         title=f"人工核验 {facts['company']}", details=facts)
        except TicketError as exc:
            return Step.text(exc.message)
        conv.values["no"], conv.state = ticket.no, LICENCE
        return Step.text(ASK_LICENCE)

    async def _file(self, ctx: StepContext, conv: ConvState) -> Step:
        tickets = desk(ctx)
        if tickets is None:
            return no_desk()
        try:
            ticket = await tickets.submit(ctx.openid, conv.values["no"],
                                          "工商四要素核验不通过，申请人工同步市场监管数据")
        except (TicketError, IllegalTicketMove) as exc:
            return Step.text(exc.message)
        conv.clear_dialog()
        return Step.text(f"✅ 人工核验申请已提交，工单号：{ticket.no}\n"
                         f"平台会请市场监管部门人工同步数据，{WHEN}\n{FOLLOW}")


def _again(text: str) -> Step:
    return Step(say=Step.text(text).say, rejected=True)


async def _details(ctx: StepContext, form: dict[str, Any]) -> dict[str, Any]:
    """What the ticket carries: the four factors, a phone to reach the user, the failed
    check, and the form's values for 重新认证."""
    values = form["values"]
    register = form["dialog"] == "register"
    phone = values.get("phone") if register else None
    if phone is None and ctx.ports.platform is not None:
        profile = await ctx.ports.platform.profile(ctx.openid)
        person = profile.person or profile.account
        phone = person.phone if person is not None else None
    kept = {k: v for k, v in values.items() if k not in ("sms", FAILED_CHECK)}
    return {"source": form["dialog"],
            "company": values.get("company", ""), "uscc": values.get("uscc", ""),
            "legal_rep": values.get("legal_name" if register else "legal_rep", ""),
            "legal_rep_id": values.get("legal_id" if register else "legal_rep_id", ""),
            "phone": phone or "", "check": values.get(FAILED_CHECK), "form": kept}


async def apply(ctx: StepContext, conv: ConvState, arg: str) -> Step:
    """申请人工核验: the dialog when a four-factor check refused, else what it is for."""
    return Step(start=NAME)


async def recertify(ctx: StepContext, conv: ConvState, arg: str) -> Step:
    """重新认证 after a resolved Q3 ticket: the refused form again, everything filled in."""
    tickets = desk(ctx)
    mine = await tickets.mine(ctx.openid, limit=10) if tickets is not None else []
    q3 = [t for t in mine if t.kind == "q3"]
    resolved = next((t for t in q3 if t.status == RESOLVED), None)
    waiting = next((t for t in q3 if t.status in (OPEN, WORKING)), None)
    if waiting is not None and (resolved is None or waiting.created_at > resolved.created_at):
        return Step.text(f"您的人工核验工单{waiting.no}还在处理中，{WHEN}")
    if resolved is None:
        return Step(start="certify")
    return await _reopen(ctx, conv, resolved)


async def _reopen(ctx: StepContext, conv: ConvState, ticket: Ticket) -> Step:
    from dialogs.certify import FORMS
    from dialogs.register import DIALOGS as REGISTER

    source = ticket.details.get("source")
    form: FormDialog | None = FORMS.get(source or "") or next(
        (d for d in REGISTER if d.name == source and isinstance(d, FormDialog)), None)
    values = dict(ticket.details.get("form") or {})
    if form is None or not values:
        return Step(start="certify")
    if source == "register" and ctx.ports.platform is not None \
            and (await ctx.ports.platform.profile(ctx.openid)).account is not None:
        return Step(start="certify")  # registered since: certification is what is left
    if source == "register":  # the phone was proven when the ticket was filed
        proven = values.setdefault(VERIFIED, [])
        if values.get("phone") and values["phone"] not in proven:
            proven.append(values["phone"])
    if (conv.paused or {}).get("dialog") == source:
        conv.paused = None
    conv.clear_dialog()
    conv.dialog, conv.values = form.name, values
    conv.state = form.machine.next_step(values)
    return Step.text(f"工单{ticket.no}已处理，工商数据已同步。您之前填写的信息都已带入：",
                     await form.prompt(ctx, conv))


DIALOGS: list[Dialog] = [VerifyDialog()]
INTENTS: list[Intent] = [
    Intent("MANUAL_VERIFY", ("申请人工核验", "人工核验", "人工审核", "申请人工审核", "数据同步",
                             "申请数据同步", "人工同步", "工商数据没同步", "工商数据未同步"),
           respond=apply),
    Intent("RECERTIFY", ("重新认证", "重新核验", "再核验一次", "再认证一次"), respond=recertify),
]
