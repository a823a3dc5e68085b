"""The operators' console in a real browser (Playwright driving Debian's chromium):
every page walked as admin, operator and viewer, on SQLite and PostgreSQL. Screenshots
of each page, desktop and phone width, go to the test's tmp_path/screens."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from adapters.outbox import OutboxRow
from ops.actions import audit
from ops.actions import outbox as outbox_actions
from tests.console_support import (
    PASSWORDS,
    add_operators,
    browser,
    login,
    running_console,
    shoot,
)
from tests.demand_support import DemandEnv, MakeHarness
from tests.support import eventually

PHONE, ID = "15911511931", "532501199201270024"
WAITING = "o_wants_a_human_01"
FAST = {"rate_limit_per_minute": 1000, "push_max_attempts": 2, "push_base_delay": 0.05,
        "push_max_delay": 0.2}


async def _dead(h: Any) -> list[outbox_actions.Push]:
    return await outbox_actions.rows(h.runtime.sessions, status="dead")


async def test_admin_walks_every_page(make_harness: MakeHarness, tmp_path: Path) -> None:
    h = await make_harness(**FAST)
    env = DemandEnv(h, "local", None)
    await env.seed()
    no = await env.publish()
    await h.say("转人工", openid=WAITING)  # answered by a customer-service message
    await h.runtime.faq_log.record("你们食堂几点开饭", h.clock())
    await add_operators(h)
    screens = tmp_path / "screens"
    async with running_console(h) as console, browser() as chromium:
        page = await chromium.new_page(viewport={"width": 1280, "height": 860})
        assert "请先登录" not in await login(page, console, "alice")
        body = await page.inner_text("main")
        assert "概览" in body and "等待人工" in body and "近 24 小时" in body
        assert await page.locator("svg.chart rect.bar-msg").count() == 24
        tile = await page.locator(".tile", has_text="今日未答问题").inner_text()
        assert tile.split() == ["1", "今日未答问题"]
        tile = await page.locator(".tile", has_text="等待人工").inner_text()
        assert tile.split() == ["1", "等待人工"]
        await shoot(page, screens, "overview")
        await page.click("button:text('同步菜单')")
        assert "菜单已发布" in await page.inner_text("main")
        assert h.fake.menu is not None and len(h.fake.menu["button"]) == 3

        # A demand moved by an institution, from the console.
        await page.goto(f"{console.base}/demands")
        assert no in await page.inner_text("main")
        await shoot(page, screens, "demands")
        await page.click(f"a:text('{no}')")
        await page.select_option("select[name=action]", "follow")
        await page.fill("input[name=institution]", "工商银行")
        await page.click("form.stack button[type=submit]")
        assert "已办理" in await page.inner_text("main")
        # WeChat fails every attempt of the grant's message: it goes dead.
        h.fake.add_fault("message/custom/send", errcode=-1, count=2)
        await page.select_option("select[name=action]", "grant")
        await page.fill("input[name=institution]", "icbc_yn")
        await page.fill("input[name=amount]", "20万")
        await page.click("form.stack button[type=submit]")
        text = await page.inner_text("main")
        assert "待放款" in text and "授信" in text
        await shoot(page, screens, "demand")
        dead = await eventually(lambda: _dead(h), within=10)
        assert dead[0].attempts == 2 and "-1" in dead[0].reason

        # The dead push, retried and delivered to the (fake) WeChat API.
        await page.goto(f"{console.base}/outbox?status=dead")
        assert no in await page.inner_text("main")
        await shoot(page, screens, "outbox")
        await page.click("button:text('重新发送')")
        assert "已重新排队" in await page.inner_text("main")
        sent = await eventually(lambda: h.fake.sent(kind="custom", touser=h.openid))
        assert any(no in r.payload["text"]["content"] for r in sent)
        assert not await _dead(h)

        # The user: masked everywhere, one field revealed with a reason.
        await page.goto(f"{console.base}/users")
        await shoot(page, screens, "users")
        await page.click(f"a:text('{h.openid}')")
        html = await page.content()
        assert "159****1931" in html and "532***********0024" in html
        assert PHONE not in html and ID not in html
        assert "云南贸易有限公司" in html and "会话时间线" in html
        await shoot(page, screens, "user")
        await page.select_option("select[name=field]", "phone")
        await page.fill("input[name=reason]", "用户来电核对身份")
        await page.click("form.stack button[type=submit]")
        assert await page.inner_text("strong.revealed") == PHONE
        assert ID not in await page.content()

        # The user waiting for a human, marked handled.
        await page.goto(f"{console.base}/handoff")
        assert WAITING in await page.inner_text("main")
        await shoot(page, screens, "handoff")
        await page.click("button:text('标记已处理')")
        text = await page.inner_text("main")
        assert "已标记为已处理" in text and WAITING not in text

        await page.goto(f"{console.base}/operators")
        await shoot(page, screens, "operators")
        await page.goto(f"{console.base}/audit")
        await shoot(page, screens, "audit")
        text = await page.inner_text("main")
        assert PHONE not in text and ID not in text and WAITING not in text
        await page.click("button:text('退出')")
        assert "运营人员登录" in await page.inner_text("main")
        await shoot(page, screens, "login")

    lines = await audit.lines(h.runtime.sessions)
    done = {(line.actor, line.action) for line in lines}
    for action in ("login", "menu_sync", "demand_follow", "demand_grant", "outbox_retry",
                   "reveal", "handoff_handled", "logout"):
        assert ("operator:alice", action) in done, action
    assert {line.address for line in lines if line.actor == "operator:alice"} == {"127.0.0.1"}
    reveal = next(line for line in lines if line.action == "reveal")
    assert reveal.detail == "field=phone reason=用户来电核对身份"
    assert len(reveal.target) == 64 and h.openid not in reveal.target
    assert all(PHONE not in line.detail + line.target for line in lines)


async def test_roles_and_csrf(make_harness: MakeHarness, tmp_path: Path) -> None:
    h = await make_harness(**FAST)
    h.fake.add_fault("message/custom/send", errcode=-1, count=2)
    await h.say("你好", openid="o_someone_0001")
    async with h.runtime.sessions.begin() as session:
        row = OutboxRow(openid="o_someone_0001", kind="text", status="dead", attempts=2,
                        payload='{"content": "稍后回复您"}', last_error="errcode -1")
        session.add(row)
    await add_operators(h)
    async with running_console(h) as console, browser() as chromium:
        context = await chromium.new_context()
        page = await context.new_page()
        # Not logged in: every page sends to the login form; a POST is refused.
        await page.goto(f"{console.base}/users")
        assert page.url.startswith(f"{console.base}/login?next=")
        refused = await page.request.post(f"{console.base}/outbox/{row.id}/retry", form={})
        assert refused.status == 403
        # A login form posted without its CSRF token (another site's form): refused.
        forged = await page.request.post(f"{console.base}/login",
                                         form={"name": "alice", "password": PASSWORDS["alice"]})
        assert forged.status == 403 and "CSRF" in await forged.text()

        await login(page, console, "carol")  # viewer: reads, does not act
        await page.goto(f"{console.base}/outbox?status=dead")
        assert await page.locator("button:text('重新发送')").count() == 0
        token = await page.get_attribute("input[name=csrf_token]", "value")
        answer = await page.request.post(f"{console.base}/outbox/{row.id}/retry",
                                         form={"csrf_token": token or ""})
        assert answer.status == 403 and "操作员" in await answer.text()
        assert (await page.goto(f"{console.base}/operators")).status == 403
        await shoot(page, tmp_path / "screens", "forbidden")
        await page.click("button:text('退出')")

        await login(page, console, "bob")  # operator: acts, does not reveal
        await page.goto(f"{console.base}/outbox")
        token = await page.get_attribute("input[name=csrf_token]", "value")
        no_token = await page.request.post(f"{console.base}/outbox/{row.id}/retry", form={})
        assert no_token.status == 403
        wrong = await page.request.post(f"{console.base}/outbox/{row.id}/retry",
                                        form={"csrf_token": "x" * 43})
        assert wrong.status == 403
        reveal = await page.request.post(
            f"{console.base}/users/o_someone_0001/reveal",
            form={"csrf_token": token or "", "field": "phone", "reason": "核对身份信息"})
        assert reveal.status == 403
        assert (await page.goto(f"{console.base}/operators")).status == 403
        assert (await _dead(h))[0].id == row.id  # nothing above changed it
        done = await page.request.post(f"{console.base}/outbox/{row.id}/retry",
                                       form={"csrf_token": token or ""})
        assert done.ok and not await _dead(h)
        again = await page.request.post(f"{console.base}/outbox/{row.id}/retry",
                                         form={"csrf_token": token or ""})
        assert again.status == 409  # not dead any more: never sent twice by a double click
        assert (await page.request.get(f"{console.base}/users/%3Cscript%3E")).status == 404
        bad = await page.request.post(f"{console.base}/outbox/abc/retry",
                                      form={"csrf_token": token or ""})
        assert bad.status == 400
    # Every route but login/logout and the stylesheet names the role it needs.
    app = console.runner.app
    for route in app.router.routes():
        path = route.resource.canonical if route.resource else ""
        if path in ("/login", "/logout") or path.startswith("/static"):
            continue
        assert getattr(route.handler, "required_role", None), path


async def test_lockout_throttle_and_idle_expiry(make_harness: MakeHarness,
                                                tmp_path: Path) -> None:
    h = await make_harness(console_address_failures=8)
    await add_operators(h)
    async with running_console(h) as console, browser() as chromium:
        page = await chromium.new_page()
        for _ in range(4):
            assert "用户名或密码不正确" in await login(page, console, "bob", "wrong-password")
        assert "已锁定 15 分钟" in await login(page, console, "bob", "wrong-password")
        await shoot(page, tmp_path / "screens", "locked")
        # Locked: even the right password is refused until the lock runs out.
        assert "已锁定" in await login(page, console, "bob")
        h.clock.advance(minutes=16)
        assert "概览" in await login(page, console, "bob")
        # Idle 31 minutes: the session is over.
        h.clock.advance(minutes=31)
        await page.goto(f"{console.base}/outbox")
        assert page.url.startswith(f"{console.base}/login")
        # Eight failures from one address, whatever the names: that address waits.
        for name in ("mallory", "root", "admin", "x1", "x2", "x3", "x4", "x5"):
            await login(page, console, name, "guess-guess")
        assert "此地址登录失败次数过多" in await login(page, console, "alice")
    lines = await audit.lines(h.runtime.sessions)
    failed = [line for line in lines if line.action == "login_failed"]
    assert len(failed) == 5 + 1 + 8 and {line.address for line in failed} == {"127.0.0.1"}
    assert {line.detail for line in failed} >= {"wrong password", "wrong password, locked",
                                                 "locked", "unknown operator"}
    assert any(line.action == "login_refused" for line in lines)
    assert [line.target for line in lines if line.action == "login"] == ["bob"]


async def test_sessions_are_shared_by_server_processes(make_harness: MakeHarness) -> None:
    """Two servers on one database (as with --workers N): a login on one is known to the
    other, and the cookie is HttpOnly and SameSite=Strict."""
    first = await make_harness()
    second = await make_harness()
    await add_operators(first)
    async with running_console(first) as one, running_console(second) as two, \
            browser() as chromium:
        context = await chromium.new_context()
        page = await context.new_page()
        # The login form's `next` never leads to another site.
        await page.goto(f"{one.base}/login?next=//example.org/x")
        await page.fill("input[name=name]", "alice")
        await page.fill("input[name=password]", PASSWORDS["alice"])
        await page.click("button[type=submit]")
        await page.wait_for_load_state()
        assert page.url == f"{one.base}/"
        cookie = next(c for c in await context.cookies() if c["name"] == "rxf_console")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and not cookie["secure"]
        await page.goto(f"{two.base}/operators")
        assert "alice（管理员）" in await page.inner_text("header")


async def test_operator_commands(make_harness: MakeHarness, monkeypatch: Any,
                                 capsys: Any) -> None:
    """`python -m bot operator …` through the same actions as the console, audited."""
    import io

    from ops.cli.operators import dispatch
    from ops.cli.parser import parser

    h = await make_harness()

    async def run(*argv: str, stdin: str = "") -> tuple[int | None, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = await dispatch(h.settings, parser().parse_args(["operator", *argv]))
        return code, capsys.readouterr().out

    code, out = await run("list")
    assert code == 0 and "还没有操作员" in out
    code, out = await run("add", "dave", "--role", "viewer", "--password-stdin",
                          stdin="short\n")
    assert code == 1 and "至少 10 位" in out
    code, out = await run("add", "dave", "--role", "viewer", "--password-stdin",
                          stdin="dave-viewer-pass\n")
    assert code == 0 and "已创建" in out
    code, out = await run("add", "dave", "--role", "admin", "--password-stdin",
                          stdin="another-password\n")
    assert code == 1 and "已存在" in out
    async with running_console(h) as console, browser() as chromium:
        page = await chromium.new_page()
        assert "概览" in await login(page, console, "dave", "dave-viewer-pass")
        code, out = await run("disable", "dave")
        assert code == 0 and "已停用" in out
        # Disabled: the open session ends at once and the password no longer works.
        await page.goto(f"{console.base}/")
        assert page.url.startswith(f"{console.base}/login")
        assert "用户名或密码不正确" in await login(page, console, "dave", "dave-viewer-pass")
        code, out = await run("password", "dave", "--password-stdin", stdin="dave-new-pass-1\n")
        assert code == 0
        assert "概览" in await login(page, console, "dave", "dave-new-pass-1")
    code, out = await run("list")
    assert re.search(r"dave\s+viewer\s+只读\s+正常", out)
    actions = [line.action for line in await audit.lines(h.runtime.sessions)
               if line.actor.startswith("cli")]
    assert actions == ["operator_password", "operator_disable", "operator_add"]
    assert "dave-viewer-pass" not in str(await audit.lines(h.runtime.sessions))
