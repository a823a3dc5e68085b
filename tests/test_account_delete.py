"""注销账号 through the real webhook: on the local platform and on the http adapter
against the fake platform, each on SQLite and PostgreSQL. After it, no table anywhere
holds the user's openid, a keyed hash of their ID or phone, or any of their encrypted
values; what the law keeps has the enterprise but not the person; the same person can
register again."""

from __future__ import annotations

from typing import Any

import aiohttp
from sqlalchemy import select

from adapters.audit import AuditEvent
from adapters.crypto import DataCipher, DataKeyError
from adapters.database import Base
from adapters.platform_local.models import (
    DemandRecordRow,
    DemandRow,
    EnterpriseRow,
)
from tests.accounts_support import ZHOU, certify_all, register
from tests.demand_support import (  # noqa: F401  (the fixtures)
    WALK_DIRECTED,
    WALK_OPEN,
    DemandEnv,
    env_fixture,
    local_env_fixture,
)
from tests.support import Harness

Stores = list[tuple[Any, DataCipher]]


def _stores(env: DemandEnv) -> Stores:
    """Every database the user's data may be in, with the key it is encrypted with."""
    stores: Stores = [(env.h.runtime.sessions, env.h.runtime.cipher)]
    if env.fake is not None:
        stores.append((env.fake.sessions, env.fake.cipher))
    return stores


async def _values(stores: Stores) -> list[tuple[str, str, str, DataCipher]]:
    """(table, column, value, cipher) for every text value of every table."""
    found = []
    for sessions, cipher in stores:
        async with sessions() as session:
            for table in Base.metadata.sorted_tables:
                for row in (await session.execute(select(table))).mappings():
                    for column, value in row.items():
                        if value is not None:
                            found.append((table.name, column, str(value), cipher))
    return found


def _decrypted(cipher: DataCipher, value: str) -> str | None:
    if not value.startswith("g1."):
        return None
    try:
        return cipher.decrypt(value)
    except DataKeyError:
        return None


async def _life(env: DemandEnv) -> tuple[str, str]:
    """Follow through a channel code, register, certify, publish two demands (one an
    institution follows), chat. Returns the followed and the untouched demand."""
    h = env.h
    assert (await h.sim.event(h.openid, "subscribe", "qrscene_county_530402")).status == 200
    assert "注册成功" in await register(h)
    await certify_all(h)
    followed = await env.publish()
    untouched = await env.publish(WALK_OPEN)
    await env.advance(followed, "follow")
    await h.say("联系我们")
    await h.say("我的信息")
    await h.say("发布需求")  # a form left open: a conversation with values
    return followed, untouched


async def test_delete_account_forgets_the_person_everywhere(env: DemandEnv) -> None:
    h = env.h
    followed, untouched = await _life(env)
    stores = _stores(env)
    before = await _values(stores)
    secrets = {v for _t, _c, v, cipher in before if _decrypted(cipher, v) is not None}
    assert len(secrets) >= 5  # phone, ID, certifications, the open form …
    ask = await h.say("注销账号")
    assert "确认注销" in ask and "周露（159****1931）" in ask and "身份证号" in ask
    assert "已被金融机构受理的融资需求" in ask and "15911511931" not in ask
    done = await h.say("确认注销")
    assert "账号已注销" in done and "1笔融资需求" in done

    hashes = {cipher.lookup_hash(x) for _s, cipher in stores for x in (ZHOU["phone"], ZHOU["id"])}
    for table, column, value, cipher in await _values(stores):
        where = f"{table}.{column}"
        assert h.openid not in value, where
        assert ZHOU["phone"] not in value and ZHOU["id"] not in value, where
        assert not any(x in value for x in hashes), where
        assert value not in secrets, where
        plain = _decrypted(cipher, value)
        assert plain is None or (ZHOU["phone"] not in plain and ZHOU["id"] not in plain), where

    # The law keeps the demand an institution acted on: the enterprise, not the person.
    async with env.store.sessions() as s:
        demands = {d.no: d for d in (await s.scalars(select(DemandRow))).all()}
        assert set(demands) == {followed} and untouched not in demands
        enterprise = await s.get(EnterpriseRow, demands[followed].enterprise_id)
        assert enterprise is not None and enterprise.uscc == ZHOU["uscc"]
        assert enterprise.name == ZHOU["company"] and enterprise.legal_rep_id_enc == ""
        records = (await s.scalars(select(DemandRecordRow))).all()
        assert records and all(r.handler != ZHOU["name"] for r in records)
        assert all(r.phone == "" for r in records if r.role == "企业")
    async with h.runtime.sessions() as s:
        lines = (await s.scalars(select(AuditEvent))).all()
    assert [(a.actor, a.action, a.detail) for a in lines] == [
        ("user", "account_delete", "kept_demands=1")]
    # The institution can still work on it; nobody is left to push to.
    assert (await env.advance(followed, "grant", amount="200000")).status == "待放款"

    # Afterwards the chat is a stranger's, and the same person registers again.
    assert "没有绑定" in await h.say("注销账号")
    assert "注册成功" in await register(h)
    profile = await h.runtime.ports.platform.profile(h.openid)
    assert profile.account is not None and profile.account.phone == ZHOU["phone"]
    assert profile.active is not None and profile.active.uscc == ZHOU["uscc"]


async def test_only_the_exact_words_delete(local_env: DemandEnv) -> None:
    h = local_env.h
    await register(h)
    platform = h.runtime.ports.platform
    for walk in (("注销账号", "好"), ("注销账号", "确认", "确认"), ("注销账号", "取消"),
                 ("注销", "确认注销吗？"), ("删除账号", "我再想想")):
        replies = await h.walk(*walk)
        assert "已取消注销" in replies[-1], (walk, replies[-1])
        assert (await platform.profile(h.openid)).account is not None
    replies = await h.walk("注销账号", "确认")
    assert "完整回复「确认注销」" in replies[-1]
    assert "账号已注销" in await h.say("确认 注销。")
    assert (await platform.profile(h.openid)).account is None
    # The dev SMS page (the simulator's) still reads the rows that lost their phone.
    async with aiohttp.ClientSession() as http, \
            http.get(f"{h.base}/dev/sms", params={"after": "0"}) as resp:
        assert resp.status == 200 and (await resp.json())["messages"]


async def test_not_registered_has_nothing_to_delete(harness: Harness) -> None:
    reply = await harness.say("注销账号", openid="o_nobody")
    assert "没有绑定融信服账号" in reply and "1 注册企业账号" in reply
