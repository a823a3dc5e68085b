"""The form engine through the real webhook: forward, back, edit, cancel, expiry, resume,
restart, and values encrypted at rest."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import select

from bot.models import Conversation
from tests.demo_dialog import demo_registry
from tests.support import Harness

MakeHarness = Callable[..., Awaitable[Harness]]


async def demo(make_harness: MakeHarness, **kw: object) -> Harness:
    return await make_harness(registry=demo_registry(), **kw)


async def test_walk_forward_with_mistakes_and_confirm(make_harness: MakeHarness) -> None:
    h = await demo(make_harness)
    first = await h.say("演示")
    assert "开始演示表单" in first and "（1/4）请输入姓名" in first
    bad = await h.say("张3")
    assert "数字" in bad and "请输入姓名" in bad  # the reason and the question, one message
    assert "（2/4）请输入手机号" in await h.say("张三")
    assert "11位" in await h.say("１３８１２３４５６７")  # full-width, one digit short
    color = await h.say("１３８１２３４５６７８")
    assert "1 红色" in color and "2 蓝色" in color
    assert "序号1到2" in await h.say("7")
    assert "深还是浅" in await h.say("1")  # red makes the shade question apply
    assert "（5/5）请输入备注" in await h.say("浅")
    summary = await h.say("没有备注")
    # The demo form declares no display mask: the phone is masked where the bot speaks.
    assert "①姓名：张三" in summary and "②手机号：138****5678" in summary
    assert "颜色：红色" in summary and "回复「确认」提交" in summary
    assert "提交成功：张三" in await h.say("确认")
    assert "没有正在填写" in await h.say("取消")


async def test_back_edit_keep_and_condition_change(make_harness: MakeHarness) -> None:
    h = await demo(make_harness)
    await h.walk("演示", "李四", "13812345678", "红色", "深")
    back = await h.say("上一步")
    assert "深还是浅" in back and "当前：深" in back
    assert "请输入备注" in await h.say("不变")
    edited = await h.say("修改 手机")
    assert "请输入手机号" in edited and "当前：138****5678" in edited
    # After an edit the next question is the first empty one: the note.
    assert "请输入备注" in await h.say("13900001111")
    await h.say("好的")
    # Choosing blue drops the shade answer: it no longer applies.
    summary = await h.say("修改3")
    assert "请选择颜色" in summary
    after = await h.say("蓝色")
    assert "深浅" not in after and "颜色：蓝色" in after
    assert "「演示表单」里没有「身高」这一项" in await h.say("修改 身高")
    assert "已经是第一项" in (await h.walk("修改 姓名", "上一步"))[1]


async def test_reopen_keeps_values(make_harness: MakeHarness) -> None:
    h = await demo(make_harness)
    await h.walk("演示", "王拒绝", "13812345678", "2", "无")
    reply = await h.say("确认")
    assert "名字被拒绝了" in reply and "当前：王拒绝" in reply
    summary = await h.say("王同意")
    assert "手机号：138****5678" in summary and "颜色：蓝色" in summary
    assert "提交成功：王同意" in await h.say("确认")


async def test_cancel_clears_and_help_reasks(make_harness: MakeHarness) -> None:
    h = await demo(make_harness)
    await h.walk("演示", "赵六")
    helped = await h.say("帮助")
    assert "您正在办理「演示表单」" in helped and "请输入手机号" in helped
    assert "已取消「演示表单」" in await h.say("取消")
    assert "当前没有正在填写" in await h.say("上一步")


async def test_idle_expiry_offers_resume_which_keeps_values(make_harness: MakeHarness) -> None:
    h = await demo(make_harness)
    await h.walk("演示", "钱七", "13812345678")
    h.clock.advance(minutes=31)
    offer = await h.say("1")
    assert "上次的「演示表单」还没完成（已填2项）" in offer and "1 继续填写" in offer
    resumed = await h.say("1")
    assert "继续「演示表单」" in resumed and "请选择颜色" in resumed
    summary = (await h.walk("蓝色", "无"))[-1]
    assert "姓名：钱七" in summary


async def test_paused_dialog_restart_and_seven_day_limit(make_harness: MakeHarness) -> None:
    h = await demo(make_harness)
    await h.walk("演示", "孙八")
    h.clock.advance(minutes=45)
    await h.say("你好呀")  # not a command: the resume offer
    assert "请输入姓名" in await h.say("2")  # 重新开始
    await h.say("周九")
    h.clock.advance(hours=1)
    await h.say("随便说点")  # paused again
    h.clock.advance(days=8)
    assert "没有需要继续填写" in await h.say("继续填写")


async def test_menu_keyword_inside_form_pauses_it(make_harness: MakeHarness) -> None:
    h = await demo(make_harness)
    await h.walk("演示", "吴十")
    switched = await h.say("联系我们")
    assert "0871-64980508" in switched and "继续填写" in switched
    assert "请输入手机号" in await h.say("继续填写")


async def test_faq_question_inside_form_is_answered_and_field_reasked(
        make_harness: MakeHarness) -> None:
    h = await demo(make_harness)
    await h.walk("演示", "郑一")
    reply = await h.say("验证码一直收不到怎么办")
    assert "我们接着来" in reply and "请输入手机号" in reply


async def test_restart_mid_form_continues(make_harness: MakeHarness) -> None:
    h = await demo(make_harness)
    await h.walk("演示", "冯二", "13812345678")
    await h.restart()
    assert "深还是浅" in await h.say("红色")


async def test_values_encrypted_at_rest(make_harness: MakeHarness) -> None:
    h = await demo(make_harness)
    await h.walk("演示", "陈三", "13812345678")
    async with h.runtime.sessions() as s:
        raw = await s.scalar(select(Conversation.data).where(Conversation.openid == h.openid))
    assert raw and "13812345678" not in raw and "陈三" not in raw
    assert "13812345678" in h.runtime.cipher.decrypt(raw)


async def test_machine_models_detached_after_steps(make_harness: MakeHarness) -> None:
    from tests.demo_dialog import DEMO_DIALOG

    h = await demo(make_harness)
    await h.walk("演示", "褚四", "13812345678", "上一步", "修改 姓名")
    assert DEMO_DIALOG.machine.model_count() == 1


async def test_starting_a_paused_form_again_offers_to_continue(make_harness: MakeHarness) -> None:
    h = await demo(make_harness)
    await h.walk("演示", "卫五", "13812345678")
    assert "继续填写" in await h.say("联系我们")  # put aside
    offer = await h.say("演示")
    assert "上次的「演示表单」还没填完（已填2项）" in offer and "1 继续填写" in offer
    assert "请选择颜色" in await h.say("1")


async def test_menu_click_on_the_open_form_keeps_its_answers(make_harness: MakeHarness) -> None:
    h = await demo(make_harness)
    await h.walk("演示", "蒋六")
    again = await h.click("DEMO")
    assert "您正在办理「演示表单」" in again and "请输入手机号" in again
