"""Consents to the 个人信息处理规则 (issue 14)

Revision ID: 0007_consent
Revises: 0006_guards
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import adapters.sqltypes

revision = "0007_consent"
down_revision = "0006_guards"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pf_consents",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("agreed_at", adapters.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("idem_key", sa.String(length=160), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idem_key"),
    )
    op.create_index(op.f("ix_pf_consents_account_id"), "pf_consents", ["account_id"], unique=False)
    op.create_index(op.f("ix_pf_consents_openid"), "pf_consents", ["openid"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_pf_consents_openid"), table_name="pf_consents")
    op.drop_index(op.f("ix_pf_consents_account_id"), table_name="pf_consents")
    op.drop_table("pf_consents")
