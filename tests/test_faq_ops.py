"""FAQ operator actions (ops/actions/faq.py): a question a chat user could not get
answered becomes a phrasing, and every server process answers it without a restart."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import select, text

from bot.models import FaqEditRow, UnansweredQuestion
from ops.actions.faq import FaqActions, FaqEditRefused
from tests.processes import ROOT
from tests.support import Harness, eventually

MakeHarness = Callable[..., Awaitable[Harness]]
CONTACT = "0871-64980508"  # in the answer of the `contact` entry
FAST = {"faq_poll_interval": 0.05}


def _groups_text(groups: list) -> list[str]:
    return [q.question for g in groups for q in g.questions]


async def test_unanswered_question_becomes_a_phrasing_live_in_every_worker(
        make_harness: MakeHarness) -> None:
    first = await make_harness(**FAST)
    second = await make_harness(**FAST)  # another server process on the same database
    for h in (first, second):
        assert "答不上来" in await h.say("停车位在哪里")
    assert "答不上来" in await first.say("停车位在哪")
    actions = FaqActions.for_runtime(first.runtime)
    groups = await actions.unanswered()
    assert len(groups) == 1
    group = groups[0]
    assert group.count == 3 and group.question == "停车位在哪里"
    assert _groups_text(groups) == ["停车位在哪里", "停车位在哪"]
    assert group.guess is not None and group.guess.kind == "none"

    edit = await actions.add_phrasing("contact", group.question, "王芳",
                                      covers=group.question_ids)
    assert (edit.actor, edit.action, edit.entry_id, edit.version) == (
        "王芳", "add_phrasing", "contact", 1)
    assert edit.covered == 2
    # The process that made the edit answers at once; the other one after its poll.
    assert CONTACT in await first.say("停车位在哪里")
    await eventually(lambda: second.runtime.faq_overlay.version == 1)
    assert CONTACT in await second.say("停车位在哪里")
    assert await actions.unanswered() == []
    [row] = await actions.history()
    assert row.id == edit.id and row.actor == "王芳" and row.at <= first.clock()

    await second.restart()  # and a restarted process starts with the edit applied
    assert CONTACT in await second.say("停车位在哪里")


async def test_cli_edit_from_its_own_process_reaches_the_running_server(
        make_harness: MakeHarness) -> None:
    h = await make_harness(**FAST)
    assert "答不上来" in await h.say("可以带狗去大厅吗")
    env = {**os.environ, "RXF_DATABASE_URL": h.settings.database_url,
           "RXF_VAR_DIR": str(h.settings.var_dir), "RXF_DATA_KEY": "x" * 43}
    if h.settings.database_schema:
        env["RXF_DATABASE_SCHEMA"] = h.settings.database_schema

    async def cli(*args: str) -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "faq", *args, cwd=ROOT, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        out, _ = await proc.communicate()
        return proc.returncode or 0, out.decode()

    code, out = await cli("unanswered")
    assert code == 0 and "可以带狗去大厅吗" in out and "猜测" in out
    code, out = await cli("new", "--question", "可以带宠物来办事大厅吗",
                          "--answer", "办事大厅不能带宠物，导盲犬除外。",
                          "--phrasing", "可以带狗去大厅吗", "--by", "李雷")
    assert code == 0 and "已保存" in out and "op_1" in out, out
    await eventually(lambda: h.runtime.faq_overlay.version == 1)
    assert "导盲犬" in await h.say("可以带狗去大厅吗")
    code, out = await cli("edits")
    assert code == 0 and "李雷 新条目 op_1" in out
    code, out = await cli("ask", "可以带狗去大厅吗")  # ranks with the edits, as servers do
    assert code == 0 and "decision: answer -> op_1" in out
    code, out = await cli("add-phrasing", "no_such_entry", "大厅能遛狗吗", "--by", "李雷")
    assert code == 1 and "没有编号为 no_such_entry 的条目" in out


async def _stored(h: Harness) -> list[FaqEditRow]:
    async with h.runtime.sessions() as session:
        return list((await session.scalars(select(FaqEditRow))).all())


async def test_invalid_edits_are_refused_with_a_reason_and_store_nothing(
        make_harness: MakeHarness) -> None:
    h = await make_harness(**FAST)
    await h.say("停车位在哪里")
    actions = FaqActions.for_runtime(h.runtime)
    before = h.runtime.ports.faq
    refusals = {
        "没有编号为 ghost 的条目": actions.add_phrasing("ghost", "停车位在哪里", "王芳"),
        # Another entry's variant: the two entries would tie (faq check says so too).
        "和条目 contact 已有的「客服电话多少」": actions.add_phrasing(
            "q1_sms_code", "客服电话多少", "王芳"),
        "和条目 q1_sms_code 已有的": actions.add_phrasing("contact", "收不到验证码咋办", "王芳"),
        "这一条里已经有了": actions.add_phrasing("contact", "客服电话多少", "王芳"),
        "说法不能为空": actions.add_phrasing("contact", "  ", "王芳"),
        "不能为空（只有标点": actions.add_phrasing("contact", "？？", "王芳"),
        "请写明操作人": actions.add_phrasing("contact", "停车位在哪里", " "),
        "答案太长": actions.new_entry("停车位在哪里", "长" * 700, [], "王芳"),
        "答案不能为空": actions.new_entry("停车位在哪里", " ", [], "王芳"),
        "条目编号只能用小写": actions.new_entry("停车位在哪里", "在地下", [], "王芳",
                                        entry_id="Parking-1"),
        "已经有编号为 contact 的条目": actions.new_entry("停车位在哪里", "在地下", [], "王芳",
                                               entry_id="contact"),
    }
    for expected, attempt in refusals.items():
        with pytest.raises(FaqEditRefused) as refused:
            await attempt
        assert expected in str(refused.value)
    assert await _stored(h) == []
    assert h.runtime.ports.faq is before and h.runtime.faq_overlay.version == 0
    assert _groups_text(await actions.unanswered()) == ["停车位在哪里"]


async def test_dismiss_hides_the_group_and_changes_no_answer(make_harness: MakeHarness) -> None:
    h = await make_harness(**FAST)
    for question in ("你们食堂好吃吗", "食堂好吃吗", "你们食堂好吃吗", "停车位在哪里"):
        assert "答不上来" in await h.say(question)
    actions = FaqActions.for_runtime(h.runtime)
    groups = await actions.unanswered()
    assert [(g.question, g.count) for g in groups] == [("你们食堂好吃吗", 3), ("停车位在哪里", 1)]
    canteen = groups[0]
    edit = await actions.dismiss(canteen.questions[1].id, "王芳")  # any id of the group
    assert (edit.action, edit.covered, edit.version, edit.action_name) == (
        "dismiss", 2, None, "忽略")
    assert [g.question for g in await actions.unanswered()] == ["停车位在哪里"]
    with pytest.raises(FaqEditRefused, match="可能已处理过"):
        await actions.dismiss(canteen.id, "王芳")
    assert h.runtime.faq_overlay.version == 0
    [row] = await actions.history()
    assert row.actor == "王芳" and row.text == "你们食堂好吃吗"


async def test_personal_data_stays_masked_in_groups_edits_and_history(
        make_harness: MakeHarness) -> None:
    h = await make_harness(**FAST)
    phone = "13812345678"
    assert "答不上来" in await h.say(f"停车位在哪里，我电话{phone}")
    actions = FaqActions.for_runtime(h.runtime)
    [group] = await actions.unanswered()
    assert "138****5678" in group.question and phone not in group.question
    await actions.add_phrasing("contact", f"停车位在哪里 {phone}", "王芳",
                               covers=group.question_ids)
    [edit] = await actions.history()
    assert "138****5678" in edit.text and phone not in edit.text
    async with h.runtime.engine.connect() as conn:
        for table in ("faq_edits", "faq_unanswered"):
            dump = str((await conn.execute(text(f"SELECT * FROM {table}"))).all())
            assert phone not in dump and "1381234" not in dump


async def test_a_broken_overlay_keeps_the_old_answers_serving(make_harness: MakeHarness) -> None:
    h = await make_harness(**FAST)
    actions = FaqActions.for_runtime(h.runtime)
    await actions.add_phrasing("contact", "停车位在哪里", "王芳")
    serving = h.runtime.ports.faq
    # What a deploy removing an entry does to an edit stored on it.
    async with h.runtime.sessions.begin() as session:
        session.add(FaqEditRow(version=2, at=h.clock(), actor="王芳", action="add_phrasing",
                               entry_id="gone_entry", text="食堂在哪", covered=0))
    assert not (await h.runtime.faq_overlay.refresh()).ok
    # Logged once, not at every poll.
    assert (await h.runtime.faq_overlay.refresh()).message == "unchanged"
    assert h.runtime.ports.faq is serving and h.runtime.faq_overlay.version == 1
    assert CONTACT in await h.say("停车位在哪里")
    assert not (await h.runtime.reload_faq()).ok  # SIGHUP too
    assert h.runtime.ports.faq is serving
    with pytest.raises(FaqEditRefused, match="gone_entry"):
        await actions.add_phrasing("contact", "停车场在哪", "王芳")


async def test_an_edit_covers_the_questions_it_now_answers(make_harness: MakeHarness) -> None:
    h = await make_harness(**FAST)
    for question in ("停车位在哪里", "食堂好吃吗"):
        await h.say(question)
    actions = FaqActions.for_runtime(h.runtime)
    edit = await actions.new_entry("食堂好吃吗", "我们没有对外的食堂。", ["食堂在哪"], "李雷")
    assert edit.entry_id == "op_1" and edit.covered == 1
    assert "没有对外的食堂" in await h.say("食堂好吃吗")
    async with h.runtime.sessions() as session:
        handled = (await session.scalars(select(UnansweredQuestion.question).where(
            UnansweredQuestion.handled_edit == edit.id))).all()
    assert handled == ["食堂好吃吗"]
    assert _groups_text(await actions.unanswered()) == ["停车位在哪里"]
    second = await actions.new_entry("停车位在哪里", "楼下有停车位。", [], "李雷")
    assert second.entry_id == "op_2" and second.version == 2


async def test_two_operators_saving_at_once_both_get_their_edit(
        make_harness: MakeHarness) -> None:
    first = await make_harness(**FAST)
    second = await make_harness(**FAST)
    edits = await asyncio.gather(
        FaqActions.for_runtime(first.runtime).add_phrasing("contact", "停车位在哪里", "王芳"),
        FaqActions.for_runtime(second.runtime).new_entry("食堂好吃吗", "没有食堂。", [], "李雷"))
    assert sorted(e.version for e in edits) == [1, 2]
    for h in (first, second):
        await eventually(lambda h=h: h.runtime.faq_overlay.version == 2)
        assert CONTACT in await h.say("停车位在哪里")
        assert "没有食堂" in await h.say("食堂好吃吗")
