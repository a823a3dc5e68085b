"""The http platform adapter against the fake platform on loopback: the whole port
(accounts, certification, authorisation, login, demands, catalogue) over the documented
API, retries only where safe, and clear unavailability."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from adapters.catalog_port import ProductQuery
from adapters.platform_http import HttpCatalog, HttpPlatform
from adapters.platform_port import (
    AuthorisationInput,
    Conflict,
    DemandInput,
    EnterpriseInput,
    IllegalMove,
    Move,
    NotFound,
    PersonCert,
    PlatformError,
    PlatformUnavailable,
    RegisterInput,
)
from config.settings import load_settings
from tests.factories import YUNNAN_TRADE, ZHOU_LU, seed_enterprise
from tests.fake_platform import FakePlatform, running_fake_platform

DEMAND = DemandInput(zone="general", amount=Decimal("200000.00"), term_months=None,
                     loan_kind="working_capital", directed=True,
                     institutions=("icbc_yn", "abc_yn"), purpose="采购原材料")


@pytest.fixture
async def fake(db: tuple[str, str | None], tmp_path: Any) -> AsyncIterator[FakePlatform]:
    async with running_fake_platform(db[0], db[1], str(tmp_path)) as running:
        yield running


def _clients(fake: FakePlatform, secret: str = "s", timeout: float = 2.0
             ) -> tuple[HttpPlatform, HttpCatalog]:
    settings = load_settings(platform="http", platform_url=fake.url, platform_secret=secret,
                             platform_timeout=timeout)
    return HttpPlatform(settings), HttpCatalog(settings)


async def test_accounts_certification_and_login_over_http(fake: FakePlatform) -> None:
    platform, catalog = _clients(fake)
    try:
        assert (await platform.profile("o_new")).account is None
        await platform.check_available(phone=ZHOU_LU["phone"], uscc=YUNNAN_TRADE["uscc"])
        data = RegisterInput(phone=ZHOU_LU["phone"], legal_name=ZHOU_LU["name"],
                             legal_id=ZHOU_LU["id"], company=YUNNAN_TRADE["name"],
                             uscc=YUNNAN_TRADE["uscc"])
        account = await platform.register("o_new", data, "k-reg")
        assert account.legal_name == "周露" and account.created_at.tzinfo is not None
        assert (await platform.register("o_new", data, "k-reg")).id == account.id  # replayed
        with pytest.raises(Conflict):
            await platform.check_available(phone=ZHOU_LU["phone"])
        now = datetime.now(UTC)
        cert = PersonCert(ZHOU_LU["name"], "resident", ZHOU_LU["id"], ZHOU_LU["phone"], now)
        assert (await platform.certify_person("o_new", cert, "k-person")).name == "周露"
        enterprise = await platform.certify_enterprise("o_new", EnterpriseInput(
            YUNNAN_TRADE["name"], YUNNAN_TRADE["uscc"], ZHOU_LU["name"], ZHOU_LU["id"]),
            YUNNAN_TRADE["region"], "k-ent")
        assert enterprise.certified_at is not None and enterprise.region == "玉溪市红塔区"
        signed = await platform.sign_authorisation("o_new", enterprise.id, AuthorisationInput(
            "v1", "W123", None, None), "k-auth")
        assert signed.authorised_at is not None
        profile = await platform.switch_enterprise("o_new", enterprise.id)
        assert profile.active is not None and profile.missing_steps() == []
        scene = await fake.local.create_login_scene()
        assert (await platform.check_login(scene)).status == "pending"
        assert (await platform.decide_login("o_new", scene, True)).status == "confirmed"
        keys = {k for method, _, k in fake.calls if method == "POST" and k}
        assert {"k-reg", "k-person", "k-ent", "k-auth"} <= keys
    finally:
        await platform.close()
        await catalog.close()


async def test_demands_and_errors_over_http(fake: FakePlatform) -> None:
    seeded = await seed_enterprise(fake, "o_zhou")
    platform, catalog = _clients(fake)
    try:
        draft = await platform.save_demand("o_zhou", seeded.enterprise_id, DEMAND,
                                           submit=False, idem_key="k-draft")
        assert draft.status == "草稿" and draft.amount == Decimal(200000)
        again = await platform.save_demand("o_zhou", seeded.enterprise_id, DEMAND,
                                           submit=False, idem_key="k-draft")
        assert again.no == draft.no  # the same Idempotency-Key: the same draft
        done = await platform.save_demand("o_zhou", seeded.enterprise_id, DEMAND, submit=True,
                                          idem_key="k-submit", draft_no=draft.no)
        assert done.no == draft.no and done.status == "待关注" and done.records
        page = await platform.list_demands("o_zhou", seeded.enterprise_id, status="待关注",
                                           page=1, size=5)
        assert page.total == 1 and page.items[0].no == done.no and not page.has_next
        with pytest.raises(NotFound):
            await platform.demand("o_someone_else", done.no)
        with pytest.raises(IllegalMove, match="当前状态为待关注，不能授信"):
            await platform.advance(Move(done.no, "grant", "icbc_yn", Decimal(1)))
        with pytest.raises(PlatformError) as bad:
            await platform.save_demand("o_zhou", seeded.enterprise_id, DemandInput(
                **{**DEMAND.__dict__, "amount": Decimal("300000000")}), submit=True,
                idem_key="k-big")
        assert bad.value.code == "invalid_amount" and "1亿元" in bad.value.message
        withdrawn = await platform.withdraw("o_zhou", done.no, "k-w")
        assert withdrawn.status == "已撤回"
        assert (await platform.withdraw("o_zhou", done.no, "k-w")).status == "已撤回"
        with pytest.raises(IllegalMove):
            await platform.withdraw("o_zhou", done.no, "k-w2")
    finally:
        await platform.close()
        await catalog.close()


async def test_catalogue_over_http_is_cached(fake: FakePlatform) -> None:
    platform, catalog = _clients(fake)
    try:
        zones = await catalog.zones()
        assert len(zones) == 8 and zones[0].max_amount == Decimal(100000000)
        await catalog.zones()
        assert sum(1 for _, path, _ in fake.calls if path.endswith("/catalog/zones")) == 1
        kinds = await catalog.loan_kinds()
        assert ("working_capital", "流动资金贷款") in kinds
        serving = await catalog.institutions_serving("玉溪市红塔区")
        assert len(serving) == 16 and "qujing_ccb" not in {i.id for i in serving}
        found = await catalog.search_products(ProductQuery(words="农行", guarantee="信用",
                                                           amount=Decimal(100000)),
                                              page=1, size=5)
        assert found.items and all("农业银行" in p.institution for p in found.items)
        assert len(await catalog.policies("tech_finance")) >= 1
    finally:
        await platform.close()
        await catalog.close()


async def test_reads_and_keyed_writes_are_retried_other_writes_are_not(
        fake: FakePlatform) -> None:
    seeded = await seed_enterprise(fake, "o_zhou")
    platform, _ = _clients(fake)
    try:
        fake.fail_next(2)
        assert (await platform.profile("o_zhou")).account is not None
        assert len(fake.calls) == 3
        fake.fail_next(1, status=502)
        done = await platform.save_demand("o_zhou", seeded.enterprise_id, DEMAND, submit=True,
                                          idem_key="k-retry")
        assert done.status == "待关注"
        assert [k for _, _, k in fake.calls].count("k-retry") == 2
        fake.calls.clear()
        fake.fail_next(1)
        with pytest.raises(PlatformUnavailable):
            await platform.advance(Move(done.no, "follow", "icbc_yn"))
        assert len(fake.calls) == 1  # a move has no key: never sent twice
        fake.fail_next(3)
        with pytest.raises(PlatformUnavailable) as down:
            await platform.profile("o_zhou")
        assert "平台暂时无法访问" in down.value.message
    finally:
        await platform.close()


async def test_down_slow_garbage_and_wrong_secret_are_unavailable(
        fake: FakePlatform, caplog: pytest.LogCaptureFixture) -> None:
    platform, _ = _clients(fake, timeout=0.3)
    wrong, _ = _clients(fake, secret="wrong")
    try:
        with caplog.at_level(logging.ERROR), pytest.raises(PlatformUnavailable):
            await wrong.profile("o_zhou")
        assert "RXF_PLATFORM_SECRET" in caplog.text
        fake.delay = 0.6
        with pytest.raises(PlatformUnavailable):
            await platform.profile("o_zhou")
        fake.delay = 0.0
        fake.raw = (200, "<html>maintenance</html>")
        with pytest.raises(PlatformUnavailable):
            await platform.profile("o_zhou")
        fake.raw = (200, '{"openid": 5}')
        with pytest.raises(PlatformUnavailable):
            await platform.profile("o_zhou")
        fake.raw = (418, "teapot")
        with pytest.raises(PlatformUnavailable):
            await platform.profile("o_zhou")
        fake.raw = None
        await fake.stop()
        with pytest.raises(PlatformUnavailable):
            await platform.profile("o_zhou")
    finally:
        await platform.close()
        await wrong.close()
