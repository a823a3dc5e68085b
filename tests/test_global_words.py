"""菜单, 帮助, 取消 and 转人工 behave as a person expects in every dialog, browsing
included; the menu leads with the user's next step; a human hand-off is visible and
keeps the bot out of the agents' way."""

from __future__ import annotations

from devtools.sim import image_xml
from tests.demand_support import DemandEnv, local_env_fixture  # noqa: F401
from tests.support import Harness, eventually


def _entries(menu: str) -> list[str]:
    return [line.split(" ", 1)[1] for line in menu.splitlines() if line[:1].isdigit()]


async def test_menu_leads_with_the_next_step(local_env: DemandEnv) -> None:
    h = local_env.h
    new = _entries(await h.say("菜单"))
    assert new[0].startswith("注册企业账号") and "发布融资需求" not in new
    await local_env.seed(authorised=False)
    certifying = await h.say("菜单")
    assert "下一步：完成认证授权（还差签署授权书）" in certifying
    assert _entries(certifying)[0] == "继续认证授权"
    await h.walk("认证", "无", "无", "无", "签署")
    certified = _entries(await h.say("菜单"))
    assert certified[:2] == ["发布融资需求", "我的需求（查进度）"]
    assert not any(e.startswith(("注册", "继续认证")) for e in certified)


async def test_menu_help_and_cancel_inside_browsing(harness: Harness) -> None:
    await harness.say("金融产品")
    menu = await harness.say("菜单")
    assert "请回复数字选择" in menu and "填写中随时可以回复" not in menu
    await harness.say("政策专区")
    helped = await harness.say("帮助")
    assert "您在「政策专区」" in helped and "回复「菜单」回到主菜单" in helped
    assert "填写中随时可以回复" not in helped
    left = await harness.say("取消")
    assert left.startswith("已退出「政策专区」") and "填过的内容" not in left


async def test_menu_inside_a_form_keeps_it(local_env: DemandEnv) -> None:
    h = local_env.h
    await local_env.seed()
    await h.walk("发布需求", "1")
    menu = await h.say("菜单")
    assert "「发布融资需求」已为您保存" in menu and "请回复数字选择" in menu
    assert "请输入申请额度" in await h.say("继续填写")


async def test_human_handoff_is_said_then_relayed(harness: Harness) -> None:
    first = await harness.sim.text(harness.openid, "转人工")
    assert first.msg_type == "transfer_customer_service"
    said = await eventually(lambda: harness.fake.sent(kind="custom", touser=harness.openid))
    text = said[0].payload["text"]["content"]
    assert "人工客服" in text and "0871-64980508" in text and "结束人工" in text
    relayed = await harness.sim.text(harness.openid, "有人吗")
    assert relayed.msg_type == "transfer_customer_service"  # the agents answer, not us
    image = await harness.sim.post(image_xml(harness.openid))
    assert image.msg_type == "transfer_customer_service"
    back = await harness.say("结束人工")
    assert "已结束人工服务" in back and "请回复数字选择" in back
    assert (await harness.sim.text(harness.openid, "有人吗")).msg_type != \
        "transfer_customer_service"


async def test_human_session_ends_after_thirty_idle_minutes_or_a_click(
        harness: Harness) -> None:
    clicked = await harness.click("HUMAN")
    assert "会转给人工客服" in clicked
    assert (await harness.sim.text(harness.openid, "问个问题")).msg_type == \
        "transfer_customer_service"
    harness.clock.advance(minutes=31)
    assert (await harness.sim.text(harness.openid, "你好")).msg_type != \
        "transfer_customer_service"
    await harness.say("转人工")
    assert "0871-64980508" in await harness.click("CONTACT")  # a click: the bot again
    assert (await harness.sim.text(harness.openid, "你好")).msg_type != \
        "transfer_customer_service"


async def test_human_in_the_middle_of_a_form_then_back(local_env: DemandEnv) -> None:
    h = local_env.h
    await local_env.seed()
    await h.walk("发布需求", "1")
    assert (await h.sim.text(h.openid, "人工客服")).msg_type == "transfer_customer_service"
    back = await h.say("结束人工")
    assert "「发布融资需求」已为您保存" in back
    assert "请输入申请额度" in await h.say("继续填写")
