"""Tables of the local (embedded) platform and the SMS code store.

Personal data columns end in `_enc` (AES-GCM, adapters.crypto) with a keyed `_hash`
beside them for lookups; nothing personal is stored in clear.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from adapters.database import Base
from adapters.sqltypes import UTCDateTime, utcnow

BIGID = BigInteger().with_variant(Integer, "sqlite")


class AccountRow(Base):
    """A platform account; phone and ID number encrypted, with keyed hashes for uniqueness."""

    __tablename__ = "pf_accounts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    phone_enc: Mapped[str] = mapped_column(Text)
    phone_hash: Mapped[str] = mapped_column(String(64), unique=True)
    legal_name: Mapped[str] = mapped_column(String(40))
    legal_id_enc: Mapped[str] = mapped_column(Text)
    legal_id_hash: Mapped[str] = mapped_column(String(64), index=True)
    active_enterprise_id: Mapped[str | None] = mapped_column(String(32))
    idem_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PersonCertRow(Base):
    """The legal person's real-name certification of one account; number and phone encrypted."""

    __tablename__ = "pf_person_certs"

    account_id: Mapped[str] = mapped_column(ForeignKey("pf_accounts.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    cert_type: Mapped[str] = mapped_column(String(16))
    number_enc: Mapped[str] = mapped_column(Text)
    number_hash: Mapped[str] = mapped_column(String(64), index=True)
    phone_enc: Mapped[str] = mapped_column(Text)
    certified_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EnterpriseRow(Base):
    """A certified enterprise (unique USCC); the representative's ID number encrypted."""

    __tablename__ = "pf_enterprises"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    legal_rep: Mapped[str] = mapped_column(String(40))
    legal_rep_id_enc: Mapped[str] = mapped_column(Text)
    region: Mapped[str] = mapped_column(String(60))
    created_by: Mapped[str] = mapped_column(ForeignKey("pf_accounts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MembershipRow(Base):
    """An account's tie to an enterprise and how far its certification got."""

    __tablename__ = "pf_memberships"

    account_id: Mapped[str] = mapped_column(ForeignKey("pf_accounts.id"), primary_key=True)
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("pf_enterprises.id"),
                                               primary_key=True)
    certified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    authorised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuthorisationRow(Base):
    """One signed authorisation letter of an account for an enterprise; the utility account
    numbers encrypted."""

    __tablename__ = "pf_authorisations"

    id: Mapped[int] = mapped_column(BIGID, primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("pf_accounts.id"), index=True)
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("pf_enterprises.id"), index=True)
    signer_name: Mapped[str] = mapped_column(String(40))
    text_version: Mapped[str] = mapped_column(String(40))
    water_enc: Mapped[str | None] = mapped_column(Text)
    power_enc: Mapped[str | None] = mapped_column(Text)
    gas_enc: Mapped[str | None] = mapped_column(Text)
    idem_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ConsentRow(Base):
    """Agreement to a version of the 个人信息处理规则 (dialogs/consent.py). No foreign key:
    注销 deletes these with the account, in whatever order it deletes the rest."""

    __tablename__ = "pf_consents"

    id: Mapped[int] = mapped_column(BIGID, primary_key=True)
    account_id: Mapped[str] = mapped_column(String(32), index=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[str] = mapped_column(String(40))
    agreed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    idem_key: Mapped[str | None] = mapped_column(String(160), unique=True)


class WebLoginRow(Base):
    """A web-platform login QR scene: pending until confirmed, refused or expired."""

    __tablename__ = "pf_web_logins"

    scene: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    account_id: Mapped[str | None] = mapped_column(String(32))
    openid: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DemandRow(Base):
    """A financing demand with its status, current node and handler; one row per 单据号."""

    __tablename__ = "pf_demands"
    __table_args__ = (Index("ix_pf_demands_enterprise_status", "enterprise_id", "status"),)

    id: Mapped[int] = mapped_column(BIGID, primary_key=True)
    no: Mapped[str] = mapped_column(String(24), unique=True)
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("pf_enterprises.id"))
    account_id: Mapped[str] = mapped_column(ForeignKey("pf_accounts.id"))
    status: Mapped[str] = mapped_column(String(8))
    zone: Mapped[str] = mapped_column(String(24))
    amount: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    term_months: Mapped[int | None] = mapped_column(Integer)
    loan_kind: Mapped[str] = mapped_column(String(24))
    directed: Mapped[bool] = mapped_column(Boolean)
    institutions: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of ids
    purpose: Mapped[str] = mapped_column(Text)
    current_node: Mapped[str] = mapped_column(String(24), default="")
    current_handler: Mapped[str] = mapped_column(String(60), default="")
    taken_by: Mapped[str | None] = mapped_column(String(40))  # institution id that followed
    granted_amount: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    disbursed_amount: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    idem_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DemandRecordRow(Base):
    """One line of a demand's history (a move from one status to another)."""

    __tablename__ = "pf_demand_records"

    id: Mapped[int] = mapped_column(BIGID, primary_key=True)
    demand_id: Mapped[int] = mapped_column(ForeignKey("pf_demands.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    node: Mapped[str] = mapped_column(String(24))
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(8))
    to_status: Mapped[str] = mapped_column(String(8))
    handler: Mapped[str] = mapped_column(String(40))
    organisation: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(24))
    phone: Mapped[str] = mapped_column(String(24))
    comment: Mapped[str] = mapped_column(Text, default="")


class SmsCodeRow(Base):
    """A verification code: hashed, with its own expiry and wrong-try count."""

    __tablename__ = "sms_codes"

    id: Mapped[int] = mapped_column(BIGID, primary_key=True)
    phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    purpose: Mapped[str] = mapped_column(String(24))
    code_hash: Mapped[str] = mapped_column(String(64))
    salt: Mapped[str] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used: Mapped[bool] = mapped_column(Boolean, default=False)
    idem_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The WeChat user who asked for it (none from tools): the per-user daily limits.
    openid: Mapped[str | None] = mapped_column(String(64), index=True)


class SmsMessageRow(Base):
    """What the local SMS gateway 'sent' (shown by `python -m bot sms outbox`)."""

    __tablename__ = "sms_messages"

    id: Mapped[int] = mapped_column(BIGID, primary_key=True)
    phone_enc: Mapped[str] = mapped_column(Text)
    phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class PlatformEventRow(Base):
    """A signed platform callback, kept by event id so a replay is answered, not re-run."""

    __tablename__ = "platform_events"
    __table_args__ = (UniqueConstraint("event_id"),)

    id: Mapped[int] = mapped_column(BIGID, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(24))
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # What the next callback for the same demand is checked against (its lifecycle).
    demand_no: Mapped[str | None] = mapped_column(String(32), index=True)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    institution: Mapped[str | None] = mapped_column(String(80))
