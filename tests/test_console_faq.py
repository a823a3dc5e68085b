"""/faq/unanswered in a real browser: the question a chat user just failed to get
answered, turned into a phrasing by an operator, answered in chat right after, and both
on /audit (issue 13's done-when), with refusals that keep what was typed."""

from __future__ import annotations

from pathlib import Path

from ops.actions import audit
from tests.console_support import add_operators, browser, login, running_console, shoot
from tests.demand_support import MakeHarness

CONTACT = "0871-64980508"  # in the answer of the `contact` entry
FAST = {"faq_poll_interval": 0.05}


async def test_an_unanswered_question_becomes_a_phrasing_from_the_console(
        make_harness: MakeHarness, tmp_path: Path) -> None:
    h = await make_harness(**FAST)
    assert "答不上来" in await h.say("停车位在哪里")
    assert "答不上来" in await h.say("停车位在哪", openid="o_second_asker")
    await add_operators(h)
    screens = tmp_path / "screens"
    async with running_console(h) as console, browser() as chromium:
        page = await chromium.new_page(viewport={"width": 1280, "height": 860})
        await login(page, console, "bob")
        await page.click("nav a:text('未答问题')")
        group = page.locator("section.faq-group", has_text="停车位在哪里")
        text = await group.inner_text()
        assert "问了 2 次" in text and "同组的 2 种问法" in text
        await shoot(page, screens, "faq-unanswered")

        # Refusals say why, store nothing and keep what was typed.
        await group.locator("button:text('加为说法')").click()  # no entry chosen (no guess)
        group = page.locator("section.faq-group", has_text="停车位在哪里")
        assert "未保存：请先选择要加说法的条目" in await group.inner_text()
        await group.locator("select[name=entry_id]").select_option("contact")
        await group.locator("input[name=text]").fill("  ")
        await group.locator("button:text('加为说法')").click()
        group = page.locator("section.faq-group", has_text="停车位在哪里")
        assert "未保存：说法不能为空" in await group.inner_text()
        assert await group.locator("select[name=entry_id]").input_value() == "contact"
        assert "答不上来" in await h.say("停车位在哪里")

        await group.locator("select[name=entry_id]").select_option("contact")
        await group.locator("input[name=text]").fill("停车位在哪里")
        await group.locator("button:text('加为说法')").click()
        body = await page.inner_text("main")
        assert "已加为说法" in body and "目前没有未答上的问题" in body
        assert "加说法" in body and "contact" in body  # the history row
        await shoot(page, screens, "faq-done")

        # Answered in chat right after: this process applied the edit before returning.
        assert CONTACT in await h.say("停车位在哪里", openid="o_third_asker")

        await page.goto(f"{console.base}/audit")
        audit_text = await page.inner_text("main")
        assert "常见问题加说法" in audit_text and "登录" in audit_text
    lines = await audit.lines(h.runtime.sessions)
    edit = next(line for line in lines if line.action == "faq_phrasing")
    assert edit.actor == "operator:bob" and edit.target == "contact"
    assert edit.address == "127.0.0.1" and "停车位在哪里" in edit.detail


async def test_a_new_entry_and_a_dismissal_and_what_a_viewer_may_do(
        make_harness: MakeHarness, tmp_path: Path) -> None:
    h = await make_harness(**FAST)
    await h.say("你们食堂几点开饭")
    await h.say("我的快递到了吗")
    await add_operators(h)
    async with running_console(h) as console, browser() as chromium:
        page = await chromium.new_page(viewport={"width": 1280, "height": 860})
        await login(page, console, "carol")  # a viewer reads, no forms
        await page.goto(f"{console.base}/faq/unanswered")
        assert "你们食堂几点开饭" in await page.inner_text("main")
        assert await page.locator("section.faq-group form").count() == 0
        await page.click("button:text('退出')")

        await login(page, console, "bob")
        await page.goto(f"{console.base}/faq/unanswered")
        canteen = page.locator("section.faq-group", has_text="食堂")
        await canteen.locator("summary:text('新建条目')").click()
        await canteen.locator("textarea[name=answer]").fill("平台没有食堂，请以各机构的安排为准。")
        await canteen.locator("textarea[name=phrasings]").fill("食堂开饭时间")
        await canteen.locator("button:text('新建条目')").click()
        assert "已新建条目" in await page.inner_text("main")
        parcel = page.locator("section.faq-group", has_text="快递")
        await parcel.locator("button:text('忽略这组')").click()
        body = await page.inner_text("main")
        assert "已忽略" in body and "目前没有未答上的问题" in body
        await shoot(page, tmp_path / "screens", "faq-after")
    assert "没有食堂" in await h.say("食堂开饭时间", openid="o_hungry")
    actions = {line.action for line in await audit.lines(h.runtime.sessions)}
    assert {"faq_new", "faq_dismiss"} <= actions
