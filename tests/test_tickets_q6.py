"""问题反馈 (manual Q6) through the webhook: a picture or "报错了" asks, pictures in a row
join one ticket, a description files it; the images are fetched from the fake WeChat
API's media/get, checked by content and size, stored encrypted and never logged."""

from __future__ import annotations

import logging
import re

import aiohttp
import pytest
from sqlalchemy import text

from adapters.media import MAX_IMAGE_BYTES
from tests.support import Harness, eventually
from tests.ticket_support import GIF, JPEG, PNG, send_picture, settled

NO = re.compile(r"GD\d{14}")


async def test_pictures_in_a_row_make_one_ticket(harness: Harness,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    h = harness
    caplog.set_level(logging.DEBUG)
    asked = await send_picture(h, JPEG)
    assert "收到您的截图" in asked and "要反馈这个问题吗" in asked
    assert "收到第2张截图" in await send_picture(h, PNG)
    assert "请用一句话" in await h.say("1")
    filed = await h.say("登录时提示系统异常，点确定没反应")
    assert "附2张截图" in filed and "一般1–2个工作日" in filed
    no = NO.search(filed).group(0)  # type: ignore[union-attr]
    ticket = await settled(h, no)
    assert ticket.status == "待处理" and ticket.count("stored") == 2
    assert [i.mime for i in ticket.images] == ["image/jpeg", "image/png"]
    async with h.runtime.sessions() as s:
        stored = (await s.execute(text("SELECT content_enc FROM ticket_media"))).scalars().all()
    assert all(JPEG not in bytes(c) and PNG[:40] not in bytes(c) for c in stored)
    assert h.runtime.cipher.decrypt_bytes(bytes(stored[0])) == JPEG
    # One more picture right after filing joins the same ticket.
    joined = await send_picture(h, JPEG)
    assert f"已补充到工单{no}（共3张截图）" in joined
    assert (await settled(h, no)).count("stored") == 3
    logged = "\n".join(r.getMessage() + str(r.__dict__) for r in caplog.records)
    assert "JFIF" not in logged and "IHDR" not in logged and "\\xff\\xd8" not in logged
    status = await h.say("我的工单")
    assert no in status and "待处理" in status


async def test_words_ask_and_no_drops_the_draft(harness: Harness) -> None:
    h = harness
    assert "要反馈这个问题吗" in await h.say("报错了")
    await send_picture(h, JPEG)
    dropped = await h.say("不用了")
    assert "不反馈了" in dropped
    async with h.runtime.sessions() as s:
        left = (await s.execute(text("SELECT count(*) FROM ticket_media"))).scalar()
        status = (await s.execute(text("SELECT status FROM tickets"))).scalar()
    assert left == 0 and status == "已撤销"
    assert "还没有提交过工单" in await h.say("我的工单")


async def test_wrong_type_and_oversized_are_refused_and_told(harness: Harness) -> None:
    h = harness
    await send_picture(h, GIF)
    await send_picture(h, b"\xff\xd8\xff" + bytes(MAX_IMAGE_BYTES))
    filed = await h.say("上传页面一直转圈")
    no = NO.search(filed).group(0)  # type: ignore[union-attr]
    ticket = await settled(h, no)
    assert [i.status for i in ticket.images] == ["refused", "refused"]
    assert "不是JPG或PNG" in ticket.images[0].error and "超过10MB" in ticket.images[1].error
    def refusals() -> list[str]:
        return [r.payload["text"]["content"] for r in h.fake.sent("custom", h.openid)
                if "没有保存" in r.payload["text"]["content"]]

    told = await eventually(lambda: len(refusals()) >= 2 and refusals())
    assert len(told) == 2 and "不是JPG或PNG图片" in " ".join(told) and "超过10MB" in told[1]
    async with h.runtime.sessions() as s:
        kept = (await s.execute(text("SELECT count(*) FROM ticket_media "
                                     "WHERE content_enc IS NOT NULL"))).scalar()
    assert kept == 0


async def test_download_failures_retry_then_expired_media_is_refused(
        harness: Harness) -> None:
    h = harness
    h.fake.add_fault("media/get", http_status=500, count=2)
    await send_picture(h, JPEG)
    filed = await h.say("提交时报错")
    no = NO.search(filed).group(0)  # type: ignore[union-attr]
    worker = h.runtime.media
    assert worker is not None
    worker.base_delay = 0.01  # the retry is due at once, so the test needs no waiting
    ticket = await settled(h, no)
    assert ticket.images[0].status == "stored" and h.fake.calls["media/get"] >= 3
    # A picture whose 3 days passed before the download (WeChat answers 40007): refused,
    # and the user is asked to send it again.
    media_id, _ = await h.sim.upload(JPEG)
    h.clock.advance(days=3)
    desk = h.runtime.ports.tickets
    assert desk is not None
    await desk.attach(h.openid, no, media_id, "screenshot", "late-picture")
    ticket = await settled(h, no)
    assert ticket.images[-1].status == "refused" and "40007" in ticket.images[-1].error
    async with h.runtime.sessions() as s:  # 3 days on, the user's window is closed:
        told = (await s.execute(text("SELECT payload FROM outbox "  # it waits for them
                                     "WHERE payload LIKE '%已过期或无法读取%'"))).scalars().all()
    assert len(told) == 1 and no in told[0]


async def test_unknown_media_id_is_40007_on_the_fake(harness: Harness) -> None:
    h = harness
    media_id, _ = await h.sim.upload(PNG)
    url = f"{h.base}/fake-wechat/cgi-bin/media/get"
    async with aiohttp.ClientSession() as http:
        async with http.get(url, params={"access_token": h.fake.issue_token(),
                                         "media_id": media_id}) as resp:
            assert resp.content_type == "image/png" and await resp.read() == PNG
            assert media_id in resp.headers["Content-disposition"]
        async with http.get(url, params={"access_token": h.fake.issue_token(),
                                         "media_id": "nope"}) as resp:
            body = await resp.json()
    assert body["errcode"] == 40007 and "invalid media_id" in body["errmsg"]


async def test_another_wish_is_not_filed_as_a_problem(harness: Harness) -> None:
    h = harness
    await send_picture(h, JPEG)
    products = await h.say("金融产品")  # at the offer: a menu word, not a description
    assert "工单号" not in products and "「问题反馈」已为您保存" in products
    # A picture while browsing the list goes back to the report put aside.
    assert "收到第2张截图" in await send_picture(h, JPEG)
    assert "请用一句话" in await h.say("1")
    status = await h.say("查进度")  # asked for one line: still a wish, answered as one
    assert "工单号" not in status and "没有需求可查" in status
    assert "请用一句话" in await h.say("继续填写")  # the report, pictures and all
    filed = await h.say("上传营业执照一直转圈")
    assert "工单号" in filed and "附2张截图" in filed
