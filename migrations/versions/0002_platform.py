"""local platform, SMS codes and platform events

Revision ID: 0002_platform
Revises: 0001_core
Create Date: 2026-11-27 10:15:33.970905
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import adapters.sqltypes

revision = "0002_platform"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pf_accounts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("phone_enc", sa.Text(), nullable=False),
        sa.Column("phone_hash", sa.String(length=64), nullable=False),
        sa.Column("legal_name", sa.String(length=40), nullable=False),
        sa.Column("legal_id_enc", sa.Text(), nullable=False),
        sa.Column("legal_id_hash", sa.String(length=64), nullable=False),
        sa.Column("active_enterprise_id", sa.String(length=32), nullable=True),
        sa.Column("idem_key", sa.String(length=160), nullable=True),
        sa.Column("created_at", adapters.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idem_key"),
        sa.UniqueConstraint("openid"),
        sa.UniqueConstraint("phone_hash"),
    )
    op.create_index(
        op.f("ix_pf_accounts_legal_id_hash"), "pf_accounts", ["legal_id_hash"], unique=False
    )
    op.create_table(
        "pf_web_logins",
        sa.Column("scene", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=True),
        sa.Column("openid", sa.String(length=64), nullable=True),
        sa.Column("created_at", adapters.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", adapters.sqltypes.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("scene"),
    )
    op.create_table(
        "platform_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_id", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_at", adapters.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    op.create_index(
        op.f("ix_platform_events_received_at"), "platform_events", ["received_at"], unique=False
    )
    op.create_table(
        "sms_codes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("phone_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=24), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("salt", sa.String(length=32), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used", sa.Boolean(), nullable=False),
        sa.Column("idem_key", sa.String(length=160), nullable=True),
        sa.Column("created_at", adapters.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", adapters.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idem_key"),
    )
    op.create_index(op.f("ix_sms_codes_created_at"), "sms_codes", ["created_at"], unique=False)
    op.create_index(op.f("ix_sms_codes_phone_hash"), "sms_codes", ["phone_hash"], unique=False)
    op.create_table(
        "sms_messages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("phone_enc", sa.Text(), nullable=False),
        sa.Column("phone_hash", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", adapters.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_sms_messages_created_at"), "sms_messages", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_sms_messages_phone_hash"), "sms_messages", ["phone_hash"], unique=False
    )
    op.create_table(
        "pf_enterprises",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("legal_rep", sa.String(length=40), nullable=False),
        sa.Column("legal_rep_id_enc", sa.Text(), nullable=False),
        sa.Column("region", sa.String(length=60), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", adapters.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["pf_accounts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uscc"),
    )
    op.create_table(
        "pf_person_certs",
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("cert_type", sa.String(length=16), nullable=False),
        sa.Column("number_enc", sa.Text(), nullable=False),
        sa.Column("number_hash", sa.String(length=64), nullable=False),
        sa.Column("phone_enc", sa.Text(), nullable=False),
        sa.Column("certified_at", adapters.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["pf_accounts.id"],
        ),
        sa.PrimaryKeyConstraint("account_id"),
    )
    op.create_index(
        op.f("ix_pf_person_certs_number_hash"), "pf_person_certs", ["number_hash"], unique=False
    )
    op.create_table(
        "pf_authorisations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("enterprise_id", sa.String(length=32), nullable=False),
        sa.Column("signer_name", sa.String(length=40), nullable=False),
        sa.Column("text_version", sa.String(length=40), nullable=False),
        sa.Column("water_enc", sa.Text(), nullable=True),
        sa.Column("power_enc", sa.Text(), nullable=True),
        sa.Column("gas_enc", sa.Text(), nullable=True),
        sa.Column("idem_key", sa.String(length=160), nullable=True),
        sa.Column("signed_at", adapters.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["pf_accounts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["pf_enterprises.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idem_key"),
    )
    op.create_index(
        op.f("ix_pf_authorisations_account_id"), "pf_authorisations", ["account_id"], unique=False
    )
    op.create_index(
        op.f("ix_pf_authorisations_enterprise_id"),
        "pf_authorisations",
        ["enterprise_id"],
        unique=False,
    )
    op.create_table(
        "pf_demands",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("no", sa.String(length=24), nullable=False),
        sa.Column("enterprise_id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("zone", sa.String(length=24), nullable=False),
        sa.Column("amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=True),
        sa.Column("loan_kind", sa.String(length=24), nullable=False),
        sa.Column("directed", sa.Boolean(), nullable=False),
        sa.Column("institutions", sa.Text(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("current_node", sa.String(length=24), nullable=False),
        sa.Column("current_handler", sa.String(length=60), nullable=False),
        sa.Column("taken_by", sa.String(length=40), nullable=True),
        sa.Column("granted_amount", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("disbursed_amount", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("idem_key", sa.String(length=160), nullable=True),
        sa.Column("created_at", adapters.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", adapters.sqltypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", adapters.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["pf_accounts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["pf_enterprises.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idem_key"),
        sa.UniqueConstraint("no"),
    )
    op.create_index(
        "ix_pf_demands_enterprise_status", "pf_demands", ["enterprise_id", "status"], unique=False
    )
    op.create_table(
        "pf_memberships",
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("enterprise_id", sa.String(length=32), nullable=False),
        sa.Column("certified_at", adapters.sqltypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("authorised_at", adapters.sqltypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", adapters.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["pf_accounts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["pf_enterprises.id"],
        ),
        sa.PrimaryKeyConstraint("account_id", "enterprise_id"),
    )
    op.create_table(
        "pf_demand_records",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "demand_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("at", adapters.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("node", sa.String(length=24), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("from_status", sa.String(length=8), nullable=True),
        sa.Column("to_status", sa.String(length=8), nullable=False),
        sa.Column("handler", sa.String(length=40), nullable=False),
        sa.Column("organisation", sa.String(length=80), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.Column("phone", sa.String(length=24), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["demand_id"],
            ["pf_demands.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_pf_demand_records_demand_id"), "pf_demand_records", ["demand_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_pf_demand_records_demand_id"), table_name="pf_demand_records")
    op.drop_table("pf_demand_records")
    op.drop_table("pf_memberships")
    op.drop_index("ix_pf_demands_enterprise_status", table_name="pf_demands")
    op.drop_table("pf_demands")
    op.drop_index(op.f("ix_pf_authorisations_enterprise_id"), table_name="pf_authorisations")
    op.drop_index(op.f("ix_pf_authorisations_account_id"), table_name="pf_authorisations")
    op.drop_table("pf_authorisations")
    op.drop_index(op.f("ix_pf_person_certs_number_hash"), table_name="pf_person_certs")
    op.drop_table("pf_person_certs")
    op.drop_table("pf_enterprises")
    op.drop_index(op.f("ix_sms_messages_phone_hash"), table_name="sms_messages")
    op.drop_index(op.f("ix_sms_messages_created_at"), table_name="sms_messages")
    op.drop_table("sms_messages")
    op.drop_index(op.f("ix_sms_codes_phone_hash"), table_name="sms_codes")
    op.drop_index(op.f("ix_sms_codes_created_at"), table_name="sms_codes")
    op.drop_table("sms_codes")
    op.drop_index(op.f("ix_platform_events_received_at"), table_name="platform_events")
    op.drop_table("platform_events")
    op.drop_table("pf_web_logins")
    op.drop_index(op.f("ix_pf_accounts_legal_id_hash"), table_name="pf_accounts")
    op.drop_table("pf_accounts")
