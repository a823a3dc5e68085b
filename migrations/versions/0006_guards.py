"""SMS codes know the WeChat user; platform events know their demand

Revision ID: 0006_guards
Revises: 0005_quotas
Create Date: 2026-12-01 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_guards"
down_revision = "0005_quotas"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sms_codes") as batch:
        batch.add_column(sa.Column("openid", sa.String(length=64), nullable=True))
        batch.create_index(op.f("ix_sms_codes_openid"), ["openid"], unique=False)
    with op.batch_alter_table("platform_events") as batch:
        batch.add_column(sa.Column("demand_no", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("amount", sa.Numeric(precision=16, scale=2), nullable=True))
        batch.add_column(sa.Column("institution", sa.String(length=80), nullable=True))
        batch.create_index(op.f("ix_platform_events_demand_no"), ["demand_no"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("platform_events") as batch:
        batch.drop_index(op.f("ix_platform_events_demand_no"))
        batch.drop_column("institution")
        batch.drop_column("amount")
        batch.drop_column("demand_no")
    with op.batch_alter_table("sms_codes") as batch:
        batch.drop_index(op.f("ix_sms_codes_openid"))
        batch.drop_column("openid")
