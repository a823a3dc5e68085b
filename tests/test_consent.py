"""The separate consent to the 个人信息处理规则 (issue 14, item 1): asked first in 注册,
不同意 keeps nothing of that registration, 同意 is recorded with its version and time,
and a new version is asked again before certification or publishing, which then carry
on. Through the real webhook, on SQLite and PostgreSQL; the HTTP platform too."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text

from adapters.database import Base
from adapters.platform_http import HttpPlatform
from adapters.platform_local.models import AccountRow, ConsentRow
from adapters.platform_port import NotFound
from config.settings import load_settings
from dialogs import consent
from dialogs.consent import CONSENT_VERSION
from tests.accounts_support import ZHOU, last_code, sms_count
from tests.factories import seed_enterprise
from tests.fake_platform import FakePlatform, running_fake_platform
from tests.support import Harness

OLD = "RXF-PI-2025.9"


async def _table_dump(h: Harness) -> dict[str, list[str]]:
    """Every row of every table, as text, by table."""
    dump: dict[str, list[str]] = {}
    async with h.runtime.sessions() as s:
        for table in Base.metadata.sorted_tables:
            rows = (await s.execute(select(table))).mappings().all()
            dump[table.name] = [str(dict(r)) for r in rows]
    return dump


async def _consents(h: Harness, openid: str | None = None) -> list[ConsentRow]:
    async with h.runtime.sessions() as s:
        return list((await s.scalars(select(ConsentRow).where(
            ConsentRow.openid == (openid or h.openid)).order_by(ConsentRow.id))).all())


async def test_consent_is_its_own_first_question_short_enough_for_a_phone(
        harness: Harness) -> None:
    first = await harness.say("注册")
    assert "（1/8）《个人信息处理规则》要点" in first
    rules = first[first.index("《个人信息处理规则》要点"):]
    assert len(rules.splitlines()) <= 10 and "注册服务协议" not in rules
    for needed in ("身份证号", "手机号", "核验身份", "金融机构", "保存", "注销账号", "1 同意",
                   "2 不同意", "详细"):
        assert needed in rules, needed
    full = await harness.say("详细")
    assert "个人信息处理规则（版本 RXF-PI-2026.1）" in full and "导出我的信息" in full
    assert "您同意《个人信息处理规则》吗" in full
    assert "请回复 1 同意" in await harness.say("看不懂")
    assert "请输入法定代表人的手机号" in await harness.say("同意")


@pytest.mark.parametrize("refusal", ["不同意", "2", "我不同意。"])
async def test_refusing_ends_registration_and_keeps_nothing(harness: Harness,
                                                             refusal: str) -> None:
    h = harness
    await h.walk("注册", "同意", ZHOU["phone"], ZHOU["name"])
    back = (await h.walk("上一步", "上一步", "上一步"))[-1]  # at the consent, answers kept
    assert "《个人信息处理规则》" in back and "当前：同意" in back
    said = await h.say(refusal)
    assert "已结束注册" in said and "都没有保存" in said
    assert "没有需要继续填写" in await h.say("继续填写")
    c = h.runtime.cipher
    secrets = (ZHOU["phone"], ZHOU["name"], ZHOU["id"], c.lookup_hash(ZHOU["phone"]),
               c.lookup_hash(ZHOU["id"]), "1931")
    dump = await _table_dump(h)
    # What was said before 不同意 went too (the replies echoed the name): only the
    # answer to 继续填写 after it is left.
    said = dump.pop("deliveries")
    assert len(said) == 1 and not any(s in said[0] for s in secrets)
    # The replay memory holds sha256 digests of whole requests: "1931" turns up in hex by
    # chance (this test failed that way), and nothing personal can be read back from them.
    dump.pop("wechat_seen_requests", None)
    for name, rows in dump.items():
        if name.startswith("pf_") or name.startswith("sms_"):
            assert rows == [], name
        for row in rows:
            assert not any(s in row for s in secrets), (name, row)
    assert await sms_count(h, ZHOU["phone"]) == 0
    # Nothing left to take up either: 注册 starts afresh at the consent.
    again = await h.say("注册")
    assert "（1/8）《个人信息处理规则》" in again and "还没填完" not in again


async def test_consent_recorded_with_version_time_and_account(harness: Harness) -> None:
    h = harness
    await h.say("注册")
    agreed_around = h.clock()
    await h.say("同意")
    h.clock.advance(minutes=2)  # the time of 同意 is recorded, not of 确认
    await h.walk(ZHOU["phone"], ZHOU["name"], ZHOU["id"], ZHOU["company"], ZHOU["uscc"])
    await h.walk(await last_code(h, ZHOU["phone"]), "1")
    assert not await _consents(h)  # no account yet: nothing recorded before 确认
    done = await h.say("确认")
    assert "注册成功" in done and "个人认证" in done  # straight on, not asked again
    rows = await _consents(h)
    async with h.runtime.sessions() as s:
        account = (await s.scalars(select(AccountRow))).one()
    assert len(rows) == 1 and rows[0].version == CONSENT_VERSION
    assert rows[0].account_id == account.id and rows[0].openid == h.openid
    assert abs(rows[0].agreed_at - agreed_around) < timedelta(seconds=30)
    assert h.clock() - rows[0].agreed_at >= timedelta(minutes=2)


async def test_new_version_asks_again_before_certification_and_carries_on(
        harness: Harness) -> None:
    h = harness
    await seed_enterprise(h.runtime, h.openid, consent=OLD, person_cert=False,
                          certified=False, authorised=False)
    asked = await h.say("认证授权")
    assert "个人信息处理规则更新了" in asked and CONSENT_VERSION in asked
    assert "请选择本人证件类型" not in asked  # no ID question before the consent
    refused = await h.say("不同意")
    assert "不能继续办理" in refused and "注销账号" in refused
    assert [r.version for r in await _consents(h)] == [OLD]
    assert "个人信息处理规则更新了" in await h.say("认证")  # asked again at the next use
    carried = await h.say("1")
    assert "已记录您的同意" in carried and "【认证授权 1/3 · 个人认证】" in carried
    assert [r.version for r in await _consents(h)] == [OLD, CONSENT_VERSION]
    assert "个人信息处理规则" not in await h.say("添加企业")  # agreed now: not asked again


async def test_an_account_without_consent_is_asked_before_adding_an_enterprise(
        harness: Harness) -> None:
    h = harness
    await seed_enterprise(h.runtime, h.openid, consent=None)
    asked = await h.say("添加企业")
    assert "继续之前，请先看一下我们怎样处理您的个人信息" in asked
    assert "【添加企业】" in await h.say("同意")


async def test_new_version_asks_before_publishing_and_keeps_what_was_said(
        harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    h = harness
    await seed_enterprise(h.runtime, h.openid)
    monkeypatch.setattr(consent, "CONSENT_VERSION", "RXF-PI-2027.1")  # the rules changed
    asked = await h.say("我想贷款五十万")
    assert "个人信息处理规则更新了" in asked
    form = await h.say("同意")
    assert "已记录您的同意" in form and "申请额度 500,000.00元" in form
    assert [r.version for r in await _consents(h)] == [CONSENT_VERSION, "RXF-PI-2027.1"]


@pytest.fixture
async def fake(db: tuple[str, str | None], tmp_path: Any) -> AsyncIterator[FakePlatform]:
    async with running_fake_platform(db[0], db[1], str(tmp_path)) as running:
        yield running


async def test_consent_and_personal_data_go_through_the_http_platform(
        fake: FakePlatform) -> None:
    platform = HttpPlatform(load_settings(platform="http", platform_url=fake.url,
                                          platform_secret="s", platform_timeout=2.0))
    try:
        await _over_http(platform, fake)
    finally:
        await platform.close()
    assert ("GET", "/api/v1/users/o_http_consent/personal-data", None) in fake.calls


async def _over_http(platform: HttpPlatform, fake: FakePlatform) -> None:
    openid = "o_http_consent"
    with pytest.raises(NotFound):  # no account: nothing to record it on
        await platform.record_consent(openid, CONSENT_VERSION, datetime.now().astimezone(),
                                      "k0")
    await seed_enterprise(fake, openid, consent=None)
    at = datetime.fromisoformat("2026-12-01T09:30:00+08:00")
    first = await platform.record_consent(openid, CONSENT_VERSION, at, "k1")
    again = await platform.record_consent(openid, CONSENT_VERSION, at, "k1")  # retried
    assert first == again and first.version == CONSENT_VERSION and first.agreed_at == at
    assert await platform.consents(openid) == (first,)
    assert await platform.consents("o_nobody") == ()
    data = await platform.personal_data(openid)
    assert data.profile.account is not None and data.consents == (first,)
    async with fake.sessions() as s:
        assert (await s.execute(text("SELECT count(*) FROM pf_consents"))).scalar() == 1
