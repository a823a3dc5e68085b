"""Test data written straight into the local platform's tables, for tests that need a
registered or certified enterprise without walking the whole dialog first."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters.crypto import DataCipher
from adapters.platform_local.models import (
    AccountRow,
    ConsentRow,
    EnterpriseRow,
    MembershipRow,
    PersonCertRow,
)
from adapters.sqltypes import utcnow
from dialogs.consent import CONSENT_VERSION
from wiring.runtime import Runtime

# The manual's example identity and enterprise (also in the demo registry).
ZHOU_LU = {"name": "周露", "id": "532501199201270024", "phone": "15911511931"}
YUNNAN_TRADE = {"name": "云南贸易有限公司", "uscc": "91530121MA6P1RDX22",
                "region": "玉溪市红塔区"}


@dataclass
class Seeded:
    account_id: str
    enterprise_id: str


def account_row(cipher: DataCipher, account_id: str, openid: str, person: dict[str, str],
                active_enterprise_id: str, now: datetime) -> AccountRow:
    """The account of `person` bound to `openid`, its phone and ID encrypted and hashed as
    the local platform stores them."""
    phone, legal_id = person["phone"], person["id"]
    return AccountRow(
        id=account_id, openid=openid, legal_name=person["name"],
        phone_enc=cipher.encrypt(phone), phone_hash=cipher.lookup_hash(phone),
        legal_id_enc=cipher.encrypt(legal_id), legal_id_hash=cipher.lookup_hash(legal_id),
        active_enterprise_id=active_enterprise_id, created_at=now)


def consent_row(account_id: str, openid: str, now: datetime,
                version: str = CONSENT_VERSION) -> ConsentRow:
    """The account's agreement to the 个人信息处理规则, as registering in chat records it."""
    return ConsentRow(account_id=account_id, openid=openid, version=version, agreed_at=now)


async def seed_enterprise(rt: Runtime, openid: str, *, person: dict[str, str] = ZHOU_LU,
                          enterprise: dict[str, str] = YUNNAN_TRADE, certified: bool = True,
                          authorised: bool = True, person_cert: bool = True,
                          consent: str | None = CONSENT_VERSION) -> Seeded:
    """An account bound to `openid` with one enterprise, certified as asked, that agreed
    to the `consent` version of the 个人信息处理规则 (None: to none)."""
    now = utcnow()
    c = rt.cipher
    account_id, enterprise_id = uuid.uuid4().hex, uuid.uuid4().hex
    async with rt.sessions.begin() as session:
        session.add(account_row(c, account_id, openid, person, enterprise_id, now))
        if consent is not None:
            session.add(consent_row(account_id, openid, now, consent))
        await session.flush()
        if person_cert:
            session.add(PersonCertRow(
                account_id=account_id, name=person["name"], cert_type="resident",
                number_enc=c.encrypt(person["id"]), number_hash=c.lookup_hash(person["id"]),
                phone_enc=c.encrypt(person["phone"]), certified_at=now))
        session.add(EnterpriseRow(
            id=enterprise_id, name=enterprise["name"], uscc=enterprise["uscc"],
            legal_rep=person["name"], legal_rep_id_enc=c.encrypt(person["id"]),
            region=enterprise["region"], created_by=account_id, created_at=now))
        await session.flush()
        session.add(MembershipRow(
            account_id=account_id, enterprise_id=enterprise_id, created_at=now,
            certified_at=now if certified else None,
            authorised_at=now if authorised else None))
    return Seeded(account_id, enterprise_id)


async def add_enterprise(rt: Any, account_id: str, enterprise: dict[str, str], *,
                         person: dict[str, str] = ZHOU_LU) -> str:
    """Another certified enterprise bound to an account seeded before; its id."""
    now, enterprise_id = utcnow(), uuid.uuid4().hex
    async with rt.sessions.begin() as session:
        session.add(EnterpriseRow(
            id=enterprise_id, name=enterprise["name"], uscc=enterprise["uscc"],
            legal_rep=person["name"], legal_rep_id_enc=rt.cipher.encrypt(person["id"]),
            region=enterprise["region"], created_by=account_id, created_at=now))
        await session.flush()
        session.add(MembershipRow(account_id=account_id, enterprise_id=enterprise_id,
                                  created_at=now, certified_at=now, authorised_at=now))
    return enterprise_id
