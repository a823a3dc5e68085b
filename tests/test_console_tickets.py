"""/tickets in a real browser: 马文斌's manual-verification ticket, seen masked, its
licence photo opened (audited), resolved with a reply the user receives; a refused
resolve keeps the reply typed; a viewer reads but cannot act or open images; an admin's
reveal is audited."""

from __future__ import annotations

import re
from pathlib import Path

from ops.actions import audit
from tests.accounts_support import MA, MENGZI, register
from tests.console_support import add_operators, browser, login, running_console, shoot
from tests.support import Harness, eventually
from tests.ticket_support import JPEG, send_picture, settled

NO = re.compile(r"GD\d{14}")


async def _file_q3(h: Harness) -> str:
    await register(h, {**MA, **MENGZI})
    await h.say("申请人工核验")
    await h.say("1")
    await send_picture(h, JPEG)
    await h.say("好了")
    filed = await h.say("提交")
    no = NO.search(filed).group(0)  # type: ignore[union-attr]
    await settled(h, no)
    return no


async def test_an_operator_resolves_a_ticket_from_the_console(harness: Harness,
                                                               tmp_path: Path) -> None:
    h = harness
    no = await _file_q3(h)
    await add_operators(h)
    screens = tmp_path / "screens"
    async with running_console(h) as console, browser() as chromium:
        page = await chromium.new_page(viewport={"width": 1280, "height": 860})
        await login(page, console, "carol")  # a viewer: reads, no actions, no images
        await page.goto(f"{console.base}/tickets")
        assert no in await page.inner_text("main")
        await page.goto(f"{console.base}/tickets/{no}")
        text = await page.inner_text("main")
        assert "530***********013X" in text and MA["id"] not in text
        assert await page.locator("form[action$='/resolve']").count() == 0
        assert await page.locator("a:text('查看')").count() == 0
        refused = await page.request.get(f"{console.base}/tickets/{no}/images/1")
        assert refused.status == 403
        await page.click("button:text('退出')")

        await login(page, console, "bob")
        await page.click("nav a:text('工单')")
        await shoot(page, screens, "tickets")
        await page.click(f"a:text('{no}')")
        text = await page.inner_text("main")
        assert "人工核验" in text and "待处理" in text and "营业执照" in text
        assert "工商四要素未通过，不一致：法定代表人姓名" in text
        picture = await page.request.get(f"{console.base}/tickets/{no}/images/1")
        assert picture.status == 200 and picture.headers["content-type"] == "image/jpeg"
        assert await picture.body() == JPEG and picture.headers["cache-control"] == "no-store"
        await page.click("button:text('受理（用户不会收到消息）')")
        assert "已受理" in await page.inner_text("main")
        await page.click("button:text('办结并回复')")  # no reply written
        text = await page.inner_text("main")
        assert "未办理：" in text and "处理中" in text
        await page.fill("textarea[name=reply]", "已申请数据同步，请重新认证。")
        await page.click("button:text('办结并回复')")
        text = await page.inner_text("main")
        assert "已办结" in text and "已解决" in text and "已申请数据同步" in text
        await shoot(page, screens, "ticket")
        await page.click("button:text('退出')")

        await login(page, console, "alice")  # an admin may see the ID and phone whole
        await page.goto(f"{console.base}/tickets/{no}")
        await page.click("button:text('显示完整证件号和手机号（申请数据同步用，会记录）')")
        text = await page.inner_text("main")
        assert MA["id"] in text and MA["phone"] in text and "已记录查看" in text

    told = await eventually(lambda: [r.payload["text"]["content"]
                                     for r in h.fake.sent("custom", h.openid)
                                     if no in r.payload["text"]["content"]])
    assert "已申请数据同步" in told[0] and "重新认证" in told[0]
    lines = {(line.actor, line.action) for line in await audit.lines(h.runtime.sessions)}
    assert {("operator:bob", "ticket_image"), ("operator:bob", "ticket_take"),
            ("operator:bob", "ticket_resolve"), ("operator:alice", "ticket_reveal")} <= lines
    details = " ".join(line.detail for line in await audit.lines(h.runtime.sessions))
    assert MA["id"] not in details and MA["phone"] not in details
