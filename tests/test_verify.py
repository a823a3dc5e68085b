"""Three- and four-factor checks: the local registry (default and a configured file), the
HTTP verifier (answers, refusals, timeouts) and a slow check inside a dialog."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from adapters.verify import HttpVerifier, LocalVerifier, build_verifier
from config.settings import load_settings
from tests.accounts_support import LI, LI_SECOND, MA, MENGZI, WANG_PHONE, YANG, ZHOU
from tests.factories import seed_enterprise
from tests.support import Harness, eventually, free_port, serve_posts


@pytest.fixture
def local() -> LocalVerifier:
    verifier = build_verifier(load_settings(data_key="x" * 43))
    assert isinstance(verifier, LocalVerifier)
    return verifier


async def test_three_factor_demo_people(local: LocalVerifier) -> None:
    ok = await local.three_factor(ZHOU["name"], "resident", ZHOU["id"], ZHOU["phone"])
    assert ok.ok and ok.check == "three_factor" and ok.failed is None
    # 杨晓东 with 王芳's phone: the manual's Q2 case.
    q2 = await local.three_factor(YANG["name"], "resident", YANG["id"], WANG_PHONE)
    assert not q2.ok and q2.failed == "phone"
    assert (await local.three_factor("周鹭", "resident", ZHOU["id"], ZHOU["phone"])).failed \
        == "name"
    unknown = await local.three_factor("张三", "resident", "11010519491231002X", ZHOU["phone"])
    assert unknown.failed == "not_found" and not unknown.unavailable
    # Lower-case x and full-width digits are the same number.
    lower = MA["id"].lower().replace("5", "５")
    assert (await local.three_factor(MA["name"], "resident", lower, MA["phone"])).ok


async def test_four_factor_region_and_failures(local: LocalVerifier) -> None:
    ok = await local.four_factor(ZHOU["company"], ZHOU["uscc"], ZHOU["name"], ZHOU["id"])
    assert ok.ok and ok.region == "玉溪市红塔区"
    second = await local.four_factor(LI_SECOND["company"], LI_SECOND["uscc"], LI["name"],
                                     LI["id"])
    assert second.ok and second.region == "曲靖市麒麟区"
    # 马文斌 is not (yet) 蒙自石榴红's legal representative in the registry: manual Q3.
    q3 = await local.four_factor(MENGZI["company"], MENGZI["uscc"], MA["name"], MA["id"])
    assert not q3.ok and q3.failed == "legal_rep" and q3.region is None
    typo = await local.four_factor("云南贸易公司", ZHOU["uscc"], ZHOU["name"], ZHOU["id"])
    assert typo.failed == "company"
    wrong_id = await local.four_factor(ZHOU["company"], ZHOU["uscc"], ZHOU["name"], LI["id"])
    assert wrong_id.failed == "legal_rep_id"
    assert (await local.four_factor(ZHOU["company"], "914403001922038216", ZHOU["name"],
                                    ZHOU["id"])).failed == "not_found"
    # A lower-case code is the same code.
    assert (await local.four_factor(ZHOU["company"], ZHOU["uscc"].lower(), ZHOU["name"],
                                    ZHOU["id"])).ok


async def test_configured_registry_file(tmp_path: Path) -> None:
    path = tmp_path / "registry.yaml"
    path.write_text(
        "people:\n"
        "  - {name: 张三, id_number: \"11010519491231002X\", phone: \"13800000000\"}\n"
        "enterprises:\n"
        "  - {name: 北京测试（集团）有限公司, uscc: 91110000802100433B, legal_rep: 张三,\n"
        "     legal_rep_id: \"11010519491231002X\", region: 昆明市五华区}\n",
        encoding="utf-8")
    verifier = build_verifier(load_settings(data_key="x" * 43, local_registry=path))
    assert (await verifier.three_factor("张三", "resident", "11010519491231002x",
                                        "13800000000")).ok
    found = await verifier.four_factor("北京测试(集团)有限公司", "91110000802100433B", "张三",
                                       "11010519491231002X")
    assert found.ok and found.region == "昆明市五华区"
    assert not (await verifier.three_factor(ZHOU["name"], "resident", ZHOU["id"],
                                            ZHOU["phone"])).ok


async def _server(answer: Any, status: int = 200, delay: float = 0.0
                  ) -> tuple[web.AppRunner, str, list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append((request.path, await request.json()))
        await asyncio.sleep(delay)
        if isinstance(answer, str):
            return web.Response(text=answer, status=status)
        return web.json_response(answer, status=status)

    runner, base = await serve_posts(handle, "/verify/three-factor", "/verify/four-factor")
    return runner, f"{base}/verify/", seen


async def test_http_verifier_answers() -> None:
    runner, url, seen = await _server({"ok": True, "region": "玉溪市红塔区"})
    try:
        verifier = build_verifier(load_settings(data_key="x" * 43, verify="http",
                                                verify_url=url, verify_timeout=2))
        assert isinstance(verifier, HttpVerifier)
        result = await verifier.four_factor("云南贸易有限公司", ZHOU["uscc"], "周露", ZHOU["id"])
        assert result.ok and result.region == "玉溪市红塔区"
        person = await verifier.three_factor("周露", "resident", ZHOU["id"], ZHOU["phone"])
        assert person.ok and person.check == "three_factor"
        assert seen[0] == ("/verify/four-factor", {"company": "云南贸易有限公司",
                                                    "uscc": ZHOU["uscc"], "legal_rep": "周露",
                                                    "legal_rep_id": ZHOU["id"]})
        assert seen[1][0] == "/verify/three-factor" and seen[1][1]["phone"] == ZHOU["phone"]
    finally:
        await runner.cleanup()


@pytest.mark.parametrize(("answer", "status", "delay", "failed"), [
    ({"ok": False, "failed": "phone"}, 200, 0.0, "phone"),
    ({"ok": False}, 200, 0.0, "mismatch"),
    ({"error": "boom"}, 500, 0.0, "unavailable"),
    ("not json", 200, 0.0, "unavailable"),
    ({"ok": "yes"}, 200, 0.0, "unavailable"),
    ({"ok": True}, 200, 1.0, "unavailable"),  # slower than the timeout
])
async def test_http_verifier_refusals(answer: Any, status: int, delay: float,
                                      failed: str) -> None:
    runner, url, _ = await _server(answer, status, delay)
    try:
        verifier = HttpVerifier(url, timeout=0.3)
        result = await verifier.three_factor("周露", "resident", ZHOU["id"], ZHOU["phone"])
        assert not result.ok and result.failed == failed
        assert result.unavailable == (failed == "unavailable")
    finally:
        await runner.cleanup()


async def test_http_verifier_unreachable() -> None:
    verifier = HttpVerifier(f"http://127.0.0.1:{free_port()}/", timeout=0.5)
    assert (await verifier.four_factor("a", "b", "c", "d")).unavailable


async def test_slow_check_answers_at_once_and_delivers_later(
        make_harness: Callable[..., Awaitable[Harness]]) -> None:
    """A verification slower than WeChat's window: the owner gets 正在核验 at once and the
    result as a customer-service message (the engine's budget, our hint)."""
    runner, url, seen = await _server({"ok": True}, delay=3.0)
    try:
        h = await make_harness(verify="http", verify_url=url, verify_timeout=5,
                               reply_budget=1.0)
        await seed_enterprise(h.runtime, h.openid, person_cert=False, certified=False,
                              authorised=False)
        await h.say("认证")  # the prefilled summary (on a loaded machine maybe sent later)
        assert "正在核验" in await h.say("确认")

        def passed() -> list[str]:
            texts = [r.payload["text"]["content"]
                     for r in h.fake.sent(kind="custom", touser=h.openid)]
            return [t for t in texts if "个人认证通过（1/3）" in t]

        content = (await eventually(passed, within=10))[0]
        assert "认证授权 2/3" in content
        assert seen[0][0] == "/verify/three-factor"
    finally:
        await runner.cleanup()
